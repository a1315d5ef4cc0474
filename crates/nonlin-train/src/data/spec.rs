//! Data set specs: `spirals(arms=3, n=1500, noise=0.2)`, `digits`, `mnist(dir=data/mnist)`,
//! `csv(path=my.csv, label=class)`, and the texts of language models (`shakespeare`,
//! `text(path=book.txt, unknown=skip)`), parsed from flags and TOML files and printed back.

use crate::data::text::UnknownChars;
use crate::error::DataError;
use nonlin_activations::spec::{ArgumentError, Arguments, closest, normalize, parse_call};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

/// The 2-D synthetic sets.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SyntheticKind {
    /// Four quadrants, opposite ones share a class: the classic non-linearly-separable set.
    Xor,
    /// Two concentric circles, the inner one `factor` times the outer's radius.
    Circles {
        /// Inner radius relative to the outer (0 < factor < 1).
        factor: f64,
    },
    /// Two interleaving half circles.
    Moons,
    /// `arms` interleaved spirals, one class each.
    Spirals {
        /// Number of arms and classes (≥ 2).
        arms: usize,
    },
    /// Gaussian blobs around `centers` points on a circle, one class each.
    Blobs {
        /// Number of blobs and classes (≥ 2).
        centers: usize,
    },
    /// Two classes on either side of a random line: the control a linear model solves.
    Linear,
}

/// A synthetic set with its size and noise.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Synthetic {
    /// Which set.
    pub kind: SyntheticKind,
    /// Total samples before splitting.
    pub samples: usize,
    /// Noise level (its meaning per set is in [`crate::data::synthetic`]).
    pub noise: f64,
}

/// Which data set to load.
#[derive(Debug, Clone, PartialEq)]
pub enum DatasetSpec {
    /// A 2-D set generated from the seed.
    Synthetic(Synthetic),
    /// The UCI handwritten digits (8×8, 1,797 images), embedded in the crate.
    Digits,
    /// MNIST (or Fashion-MNIST) IDX files, raw or gzip, in `dir`.
    Mnist {
        /// Fashion-MNIST instead of MNIST.
        fashion: bool,
        /// Where the four IDX files are.
        dir: PathBuf,
    },
    /// A CSV file with a header: feature columns and one label column.
    Csv {
        /// The file.
        path: PathBuf,
        /// The label column's name (default: the last column).
        label: Option<String>,
    },
    /// Tiny Shakespeare, built in: text for a character-level language model.
    Shakespeare,
    /// Any UTF-8 text file (or its gzip) for a character-level language model.
    Text {
        /// The file.
        path: PathBuf,
        /// What to do with validation characters the training part never shows.
        unknown: UnknownChars,
    },
}

/// The names `DatasetSpec` answers to, for errors and help.
pub const DATASET_NAMES: [&str; 12] = [
    "xor",
    "circles",
    "moons",
    "spirals",
    "blobs",
    "linear",
    "digits",
    "mnist",
    "fashion_mnist",
    "csv",
    "shakespeare",
    "text",
];

impl DatasetSpec {
    /// Whether samples are 0..255 images (scaled to [0, 1] by default).
    pub fn is_image(&self) -> bool {
        matches!(self, Self::Digits | Self::Mnist { .. })
    }

    /// Whether this is text, which trains a language model (model kind `transformer`) rather
    /// than a classifier.
    pub fn is_text(&self) -> bool {
        matches!(self, Self::Shakespeare | Self::Text { .. })
    }

    /// The default directory for MNIST-style files, also where they are downloaded to:
    /// `$NONLIN_DATA_DIR/<name>`, else `$XDG_CACHE_HOME/nonlin/<name>`, else
    /// `~/.cache/nonlin/<name>`.
    pub fn default_mnist_dir(fashion: bool) -> PathBuf {
        let name = if fashion { "fashion-mnist" } else { "mnist" };
        let var = |v: &str| {
            std::env::var_os(v)
                .filter(|s| !s.is_empty())
                .map(PathBuf::from)
        };
        var("NONLIN_DATA_DIR")
            .or_else(|| var("XDG_CACHE_HOME").map(|d| d.join("nonlin")))
            .or_else(|| var("HOME").map(|d| d.join(".cache").join("nonlin")))
            .unwrap_or_else(|| PathBuf::from("data"))
            .join(name)
    }
}

impl fmt::Display for DatasetSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Synthetic(s) => {
                let (name, extra) = match s.kind {
                    SyntheticKind::Xor => ("xor", String::new()),
                    SyntheticKind::Circles { factor } => ("circles", format!("factor={factor}, ")),
                    SyntheticKind::Moons => ("moons", String::new()),
                    SyntheticKind::Spirals { arms } => ("spirals", format!("arms={arms}, ")),
                    SyntheticKind::Blobs { centers } => ("blobs", format!("centers={centers}, ")),
                    SyntheticKind::Linear => ("linear", String::new()),
                };
                write!(f, "{name}({extra}n={}, noise={})", s.samples, s.noise)
            }
            Self::Digits => f.write_str("digits"),
            Self::Mnist { fashion, dir } => {
                write!(
                    f,
                    "{}(dir={})",
                    if *fashion { "fashion_mnist" } else { "mnist" },
                    dir.display()
                )
            }
            Self::Csv {
                path,
                label: Some(label),
            } => write!(f, "csv(path={}, label={label})", path.display()),
            Self::Csv { path, label: None } => write!(f, "csv(path={})", path.display()),
            Self::Shakespeare => f.write_str("shakespeare"),
            Self::Text { path, unknown } => {
                write!(f, "text(path={}, unknown={unknown})", path.display())
            }
        }
    }
}

impl FromStr for DatasetSpec {
    type Err = DataError;

    fn from_str(spec: &str) -> Result<Self, DataError> {
        let call = parse_call(spec).map_err(|reason| DataError::Spec {
            spec: spec.into(),
            reason,
        })?;
        let mut args = Args::new(spec, call.args)?;
        let name = normalize(call.name);
        let synthetic = |kind, samples, noise, args: &mut Args| -> Result<DatasetSpec, DataError> {
            Ok(DatasetSpec::Synthetic(Synthetic {
                kind,
                samples: args.usize("n", samples)?,
                noise: args.f64("noise", noise)?,
            }))
        };
        let parsed = match name.as_str() {
            "xor" => synthetic(SyntheticKind::Xor, 1000, 0.1, &mut args)?,
            "circles" => {
                let factor = args.f64("factor", 0.5)?;
                synthetic(SyntheticKind::Circles { factor }, 1000, 0.08, &mut args)?
            }
            "moons" => synthetic(SyntheticKind::Moons, 1000, 0.1, &mut args)?,
            "spirals" => {
                let arms = args.usize("arms", 3)?;
                synthetic(SyntheticKind::Spirals { arms }, 1500, 0.2, &mut args)?
            }
            "blobs" => {
                let centers = args.usize("centers", 3)?;
                synthetic(SyntheticKind::Blobs { centers }, 1000, 1.0, &mut args)?
            }
            "linear" => synthetic(SyntheticKind::Linear, 1000, 0.05, &mut args)?,
            "digits" => DatasetSpec::Digits,
            "mnist" | "fashionmnist" => {
                let fashion = name == "fashionmnist";
                let dir = args
                    .string("dir")
                    .map(PathBuf::from)
                    .unwrap_or_else(|| Self::default_mnist_dir(fashion));
                DatasetSpec::Mnist { fashion, dir }
            }
            "csv" => DatasetSpec::Csv {
                path: PathBuf::from(args.string("path").ok_or_else(|| DataError::Spec {
                    spec: spec.into(),
                    reason: "csv needs a file: csv(path=data.csv, label=<column>)".into(),
                })?),
                label: args.string("label"),
            },
            "shakespeare" | "tinyshakespeare" => DatasetSpec::Shakespeare,
            "text" => {
                let path = args.string("path").ok_or_else(|| DataError::Spec {
                    spec: spec.into(),
                    reason: "text needs a file: text(path=book.txt, unknown=error|skip|token)"
                        .into(),
                })?;
                let unknown = match args.string("unknown") {
                    None => UnknownChars::default(),
                    Some(v) => v.parse().map_err(|reason| DataError::Spec {
                        spec: spec.into(),
                        reason,
                    })?,
                };
                DatasetSpec::Text {
                    path: PathBuf::from(path),
                    unknown,
                }
            }
            _ => {
                return Err(DataError::UnknownDataset {
                    name: call.name.into(),
                    suggestion: closest(call.name, DATASET_NAMES),
                });
            }
        };
        args.finish()?;
        if let DatasetSpec::Synthetic(s) = &parsed {
            s.validate(spec)?;
        }
        Ok(parsed)
    }
}

impl Synthetic {
    fn validate(&self, spec: &str) -> Result<(), DataError> {
        let bad = |reason: &str| {
            Err(DataError::Spec {
                spec: spec.into(),
                reason: reason.into(),
            })
        };
        match self.kind {
            SyntheticKind::Spirals { arms } if arms < 2 => return bad("spirals needs arms >= 2"),
            SyntheticKind::Blobs { centers } if centers < 2 => {
                return bad("blobs needs centers >= 2");
            }
            SyntheticKind::Circles { factor } if !(factor > 0.0 && factor < 1.0) => {
                return bad("circles needs 0 < factor < 1");
            }
            _ => {}
        }
        if self.samples < 10 {
            return bad("n must be at least 10 samples");
        }
        let classes = match self.kind {
            SyntheticKind::Spirals { arms: c } | SyntheticKind::Blobs { centers: c } => c,
            _ => 2,
        };
        if classes > self.samples / 2 {
            return bad(&format!(
                "{classes} classes need at least 2 samples each; use n >= {} or fewer classes",
                classes.saturating_mul(2)
            ));
        }
        // the samples, then their split and scaled copies: about 3 × (2 features + 1 label)
        let bytes = (self.samples as u128) * 3 * 12;
        crate::memory::check(
            &format!("{} samples", self.samples),
            Some(bytes),
            "use a smaller n",
        )
        .map_err(|reason| DataError::Spec {
            spec: spec.into(),
            reason,
        })?;
        if !(self.noise.is_finite() && self.noise >= 0.0) {
            return bad("noise must be a finite number >= 0");
        }
        Ok(())
    }
}

/// Key/value arguments of a data spec (none is positional), over the shared binder: a key that
/// no lookup asked for is an error naming the closest one that was asked for.
struct Args<'a> {
    spec: &'a str,
    args: Arguments<'a>,
    asked: Vec<&'static str>,
}

impl<'a> Args<'a> {
    fn new(spec: &'a str, raw: Vec<(Option<&'a str>, &'a str)>) -> Result<Self, DataError> {
        let args = Arguments::bind(raw, &[], str::to_string).map_err(|e| DataError::Spec {
            spec: spec.into(),
            reason: match e {
                ArgumentError::TooMany { value }
                | ArgumentError::PositionalAfterKeyword { value } => {
                    format!("`{value}` needs a name, as in key={value}")
                }
                ArgumentError::Twice { name } => format!("`{name}` is given twice"),
            },
        })?;
        Ok(Self {
            spec,
            args,
            asked: Vec::new(),
        })
    }

    fn raw(&mut self, key: &'static str) -> Option<&'a str> {
        self.asked.push(key);
        self.args.get(key)
    }

    fn error(&self, reason: String) -> DataError {
        DataError::Spec {
            spec: self.spec.into(),
            reason,
        }
    }

    fn usize(&mut self, key: &'static str, default: usize) -> Result<usize, DataError> {
        match self.raw(key) {
            None => Ok(default),
            Some(v) => v
                .parse()
                .map_err(|_| self.error(format!("{key} = {v} is not a whole number"))),
        }
    }

    fn f64(&mut self, key: &'static str, default: f64) -> Result<f64, DataError> {
        match self.raw(key) {
            None => Ok(default),
            Some(v) => v
                .parse()
                .map_err(|_| self.error(format!("{key} = {v} is not a number"))),
        }
    }

    fn string(&mut self, key: &'static str) -> Option<String> {
        self.raw(key).map(str::to_string)
    }

    /// Every argument must have been used: a misspelt key is an error, not silently ignored.
    fn finish(self) -> Result<(), DataError> {
        match self.args.unused() {
            None => Ok(()),
            Some((key, value)) => {
                let key = key.unwrap_or(value);
                let hint = match closest(key, self.asked.iter().copied()) {
                    Some(near) => format!("; did you mean `{near}`?"),
                    None if self.asked.is_empty() => " (it takes none)".to_string(),
                    None => format!(" (its parameters: {})", self.asked.join(", ")),
                };
                Err(self.error(format!("unknown parameter `{key}`{hint}")))
            }
        }
    }
}

impl Serialize for DatasetSpec {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for DatasetSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let spec = String::deserialize(d)?;
        spec.parse().map_err(serde::de::Error::custom)
    }
}

/// How features are scaled before training.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scaling {
    /// Images to [0, 1] (÷ 255), everything else standardised.
    #[default]
    Auto,
    /// Unchanged.
    None,
    /// Divided by 255.
    Unit,
    /// Zero mean and unit variance per feature, fitted on the training split.
    Standardize,
}

impl Scaling {
    /// `Auto` made concrete for `dataset`.
    pub fn resolve(self, dataset: &DatasetSpec) -> Scaling {
        match self {
            Scaling::Auto if dataset.is_image() => Scaling::Unit,
            Scaling::Auto => Scaling::Standardize,
            other => other,
        }
    }
}

/// A data set and how to split and scale it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DataConfig {
    /// The data set, as a spec string.
    pub dataset: DatasetSpec,
    /// Share of the training data held out for validation.
    pub valid_fraction: f64,
    /// Share of the data held out for testing (sets without a test file of their own).
    pub test_fraction: f64,
    /// Feature scaling.
    pub scaling: Scaling,
}

impl Default for DataConfig {
    fn default() -> Self {
        Self {
            dataset: DatasetSpec::Digits,
            valid_fraction: 0.1,
            test_fraction: 0.2,
            scaling: Scaling::Auto,
        }
    }
}

impl DataConfig {
    /// The same config with the CSV file or the MNIST directory as an absolute path.
    pub fn with_absolute_paths(&self) -> Result<Self, DataError> {
        let absolute = |p: &std::path::Path| {
            std::path::absolute(p).map_err(|source| DataError::Io {
                path: p.to_path_buf(),
                source,
            })
        };
        let dataset = match &self.dataset {
            DatasetSpec::Mnist { fashion, dir } => DatasetSpec::Mnist {
                fashion: *fashion,
                dir: absolute(dir)?,
            },
            DatasetSpec::Csv { path, label } => DatasetSpec::Csv {
                path: absolute(path)?,
                label: label.clone(),
            },
            DatasetSpec::Text { path, unknown } => DatasetSpec::Text {
                path: absolute(path)?,
                unknown: *unknown,
            },
            other => other.clone(),
        };
        Ok(Self {
            dataset,
            ..self.clone()
        })
    }

    /// Checks the fractions.
    pub fn validate(&self) -> Result<(), DataError> {
        let ok = |f: f64| f.is_finite() && (0.0..0.9).contains(&f);
        if !ok(self.valid_fraction)
            || !ok(self.test_fraction)
            || self.valid_fraction + self.test_fraction >= 0.9
        {
            return Err(DataError::Invalid {
                dataset: self.dataset.to_string(),
                reason: format!(
                    "valid_fraction = {} and test_fraction = {} must each be in [0, 0.9) and sum below 0.9",
                    self.valid_fraction, self.test_fraction
                ),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_parse_and_print_back() {
        for spec in [
            "spirals(arms=4, n=900, noise=0.3)",
            "xor(n=1000, noise=0.1)",
            "digits",
            "csv(path=a.csv, label=y)",
            "shakespeare",
            "text(path=b.txt, unknown=skip)",
        ] {
            let parsed: DatasetSpec = spec.parse().unwrap();
            assert_eq!(parsed.to_string(), spec);
            assert_eq!(parsed.to_string().parse::<DatasetSpec>().unwrap(), parsed);
        }
        assert_eq!(
            "spirals".parse::<DatasetSpec>().unwrap().to_string(),
            "spirals(arms=3, n=1500, noise=0.2)"
        );
    }

    #[test]
    fn bad_specs_are_clear_errors() {
        let err = "spirls".parse::<DatasetSpec>().unwrap_err().to_string();
        assert!(err.contains("did you mean `spirals`"), "{err}");
        let err = "spirals(arm=3)"
            .parse::<DatasetSpec>()
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown parameter `arm`"), "{err}");
        // the shared binder: a suggestion among the names this data set asks for, duplicates and
        // unnamed values named
        assert!(err.contains("did you mean `arms`"), "{err}");
        for (spec, fragment) in [
            ("digits(n=10)", "unknown parameter `n` (it takes none)"),
            ("xor(n=100, n=200)", "`n` is given twice"),
            ("xor(100)", "`100` needs a name, as in key=100"),
            ("xor(n=100, 0.1)", "`0.1` needs a name"),
            ("text", "text needs a file"),
            (
                "text(path=a, unknown=drop)",
                "choose one of error, skip, token",
            ),
        ] {
            let err = spec.parse::<DatasetSpec>().unwrap_err().to_string();
            assert!(err.contains(fragment), "{spec}: {err}");
        }
        assert!("spirals(arms=1)".parse::<DatasetSpec>().is_err());
        assert!("xor(noise=-1)".parse::<DatasetSpec>().is_err());
        assert!(
            "csv"
                .parse::<DatasetSpec>()
                .unwrap_err()
                .to_string()
                .contains("needs a file")
        );
    }
}
