//! Data sets: in-memory labelled samples, splits, scaling and batches.
//!
//! - [`synthetic`]: 2-D sets generated from a seed (XOR, circles, moons, spirals, blobs, a linearly
//!   separable control);
//! - [`digits`]: the UCI handwritten digits (8×8), embedded in the crate;
//! - [`idx`]: MNIST-style IDX files (raw or gzip), for MNIST and Fashion-MNIST from a directory;
//! - [`csv`]: the user's own tabular data;
//! - [`text`]: character-level text for language models (Tiny Shakespeare built in, any UTF-8 file).

pub mod csv;
pub mod digits;
pub mod download;
pub mod idx;
pub mod spec;
pub mod synthetic;
pub mod text;

pub use spec::{DataConfig, DatasetSpec, Scaling};

use crate::error::DataError;
use crate::rng::Rng;
use burn::tensor::{Device, Int, Tensor, TensorData};
use serde::{Deserialize, Serialize};

/// Labelled samples in memory: `features` holds `len()` rows of `sample_shape` floats, row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    /// Where the samples came from, e.g. `spirals(arms=3)`.
    pub name: String,
    /// Row-major features, `len() × sample_len()`.
    pub features: Vec<f32>,
    /// Class of each sample, `0..num_classes`.
    pub labels: Vec<u32>,
    /// Shape of one sample: `[d]` for tabular data, `[channels, height, width]` for images.
    pub sample_shape: Vec<usize>,
    /// Number of classes.
    pub num_classes: usize,
}

impl Dataset {
    /// Builds a data set, checking that the parts agree.
    pub fn new(
        name: impl Into<String>,
        features: Vec<f32>,
        labels: Vec<u32>,
        sample_shape: Vec<usize>,
        num_classes: usize,
    ) -> Result<Self, DataError> {
        let name = name.into();
        let sample_len: usize = sample_shape.iter().product();
        if sample_len == 0 || features.len() != labels.len() * sample_len {
            return Err(DataError::Invalid {
                dataset: name,
                reason: format!(
                    "{} feature values do not make {} samples of shape {sample_shape:?}",
                    features.len(),
                    labels.len()
                ),
            });
        }
        if let Some(bad) = labels.iter().find(|&&l| l as usize >= num_classes) {
            return Err(DataError::Invalid {
                dataset: name,
                reason: format!("label {bad} is not below the number of classes, {num_classes}"),
            });
        }
        Ok(Self {
            name,
            features,
            labels,
            sample_shape,
            num_classes,
        })
    }

    /// Number of samples.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether there are no samples.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Floats per sample.
    pub fn sample_len(&self) -> usize {
        self.sample_shape.iter().product()
    }

    /// The features of sample `i`.
    pub fn sample(&self, i: usize) -> &[f32] {
        let d = self.sample_len();
        &self.features[i * d..(i + 1) * d]
    }

    /// The samples at `indices`, in that order.
    pub fn subset(&self, indices: &[usize]) -> Dataset {
        let d = self.sample_len();
        let mut features = Vec::with_capacity(indices.len() * d);
        for &i in indices {
            features.extend_from_slice(self.sample(i));
        }
        Dataset {
            name: self.name.clone(),
            features,
            labels: indices.iter().map(|&i| self.labels[i]).collect(),
            sample_shape: self.sample_shape.clone(),
            num_classes: self.num_classes,
        }
    }

    /// Splits off a random `fraction` (by `rng`): `(rest, split_off)`.
    pub fn split_off(&self, fraction: f64, rng: &mut Rng) -> (Dataset, Dataset) {
        let mut indices: Vec<usize> = (0..self.len()).collect();
        rng.shuffle(&mut indices);
        let take = ((self.len() as f64) * fraction).round() as usize;
        let (taken, rest) = indices.split_at(take);
        (self.subset(rest), self.subset(taken))
    }

    /// How many samples of each class.
    pub fn class_counts(&self) -> Vec<usize> {
        let mut counts = vec![0; self.num_classes];
        for &l in &self.labels {
            counts[l as usize] += 1;
        }
        counts
    }

    /// The samples at `indices` as tensors on `device`: `x` is `[batch, sample_len]`, `y` is `[batch]`.
    pub fn batch(&self, indices: &[usize], device: &Device) -> Batch {
        let d = self.sample_len();
        let mut x = Vec::with_capacity(indices.len() * d);
        for &i in indices {
            x.extend_from_slice(self.sample(i));
        }
        let y: Vec<i64> = indices.iter().map(|&i| i64::from(self.labels[i])).collect();
        Batch {
            x: Tensor::from_data(TensorData::new(x, [indices.len(), d]), device),
            y: Tensor::from_data(TensorData::new(y, [indices.len()]), device),
        }
    }
}

/// A batch of samples as tensors.
#[derive(Debug, Clone)]
pub struct Batch {
    /// `[batch, sample_len]` features.
    pub x: Tensor<2>,
    /// `[batch]` class indices.
    pub y: Tensor<1, Int>,
}

/// Train, validation and test sets with the scaling fitted on the training set.
#[derive(Debug, Clone)]
pub struct Splits {
    /// Training samples.
    pub train: Dataset,
    /// Validation samples (model selection, early stopping).
    pub valid: Dataset,
    /// Test samples (reported once at the end).
    pub test: Dataset,
    /// The per-feature transform applied to all three, fitted on `train`.
    pub scaler: Scaler,
}

/// A fitted per-feature affine transform `(x − shift) / scale`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Scaler {
    /// Subtracted from each feature.
    pub shift: Vec<f32>,
    /// Each feature is divided by this.
    pub scale: Vec<f32>,
}

impl Scaler {
    /// The transform `scaling` asks for, fitted on `train` (`Auto` must be resolved first; it is
    /// treated as `Standardize`).
    pub fn fit(scaling: Scaling, train: &Dataset) -> Scaler {
        let d = train.sample_len();
        match scaling {
            Scaling::None => Scaler {
                shift: vec![0.0; d],
                scale: vec![1.0; d],
            },
            Scaling::Unit => Scaler {
                shift: vec![0.0; d],
                scale: vec![255.0; d],
            },
            Scaling::Standardize | Scaling::Auto => {
                let n = train.len().max(1) as f64;
                let mut mean = vec![0.0f64; d];
                for i in 0..train.len() {
                    for (m, &v) in mean.iter_mut().zip(train.sample(i)) {
                        *m += f64::from(v) / n;
                    }
                }
                let mut var = vec![0.0f64; d];
                for i in 0..train.len() {
                    for ((s, &v), m) in var.iter_mut().zip(train.sample(i)).zip(&mean) {
                        *s += (f64::from(v) - m).powi(2) / n;
                    }
                }
                Scaler {
                    shift: mean.iter().map(|&m| m as f32).collect(),
                    // constant features (image borders) keep scale 1 rather than dividing by 0
                    scale: var
                        .iter()
                        .map(|&v| if v > 1e-12 { v.sqrt() as f32 } else { 1.0 })
                        .collect(),
                }
            }
        }
    }

    /// Applies the transform in place.
    pub fn apply(&self, data: &mut Dataset) {
        let d = self.shift.len();
        for row in data.features.chunks_mut(d) {
            for ((v, s), c) in row.iter_mut().zip(&self.shift).zip(&self.scale) {
                *v = (*v - s) / c;
            }
        }
    }
}

impl Splits {
    /// Fits `scaling` on `train` and applies it to all three sets.
    pub fn scaled(
        mut train: Dataset,
        mut valid: Dataset,
        mut test: Dataset,
        scaling: Scaling,
    ) -> Splits {
        let scaler = Scaler::fit(scaling, &train);
        for set in [&mut train, &mut valid, &mut test] {
            scaler.apply(set);
        }
        Splits {
            train,
            valid,
            test,
            scaler,
        }
    }
}

/// The text of a language-model data set (`shakespeare`, `text(path=…)`), split 90/10.
pub fn load_text(spec: &DatasetSpec) -> Result<text::TextCorpus, DataError> {
    match spec {
        DatasetSpec::Shakespeare => text::TextCorpus::shakespeare(),
        DatasetSpec::Text { path, unknown } => text::TextCorpus::from_file(path, *unknown),
        other => Err(DataError::Invalid {
            dataset: other.to_string(),
            reason: "a language model (model kind transformer) reads text: use --dataset \
                     shakespeare or text(path=FILE)"
                .into(),
        }),
    }
}

/// Loads the data set `config` describes, split and scaled, from `seed`.
pub fn load(config: &DataConfig, seed: u64) -> Result<Splits, DataError> {
    let mut rng = Rng::for_stream(seed, "split");
    let (train, valid, test) = match &config.dataset {
        DatasetSpec::Synthetic(spec) => {
            let all = synthetic::generate(spec, Rng::for_stream(seed, "data"))?;
            let (rest, test) = all.split_off(config.test_fraction, &mut rng);
            let valid_share = config.valid_fraction / (1.0 - config.test_fraction);
            let (train, valid) = rest.split_off(valid_share, &mut rng);
            (train, valid, test)
        }
        DatasetSpec::Digits => {
            let (train, test) = digits::load()?;
            let (train, valid) = train.split_off(config.valid_fraction, &mut rng);
            (train, valid, test)
        }
        DatasetSpec::Mnist { fashion, dir } => {
            let (train, test) = idx::load_mnist_dir(dir, *fashion)?;
            let (train, valid) = train.split_off(config.valid_fraction, &mut rng);
            (train, valid, test)
        }
        DatasetSpec::Csv { path, label } => {
            let all = csv::load(path, label.as_deref())?;
            let (rest, test) = all.split_off(config.test_fraction, &mut rng);
            let valid_share = config.valid_fraction / (1.0 - config.test_fraction);
            let (train, valid) = rest.split_off(valid_share, &mut rng);
            (train, valid, test)
        }
        DatasetSpec::Shakespeare | DatasetSpec::Text { .. } => {
            return Err(DataError::Invalid {
                dataset: config.dataset.to_string(),
                reason: "text trains a character-level language model, not a classifier: use \
                         model kind transformer (--model transformer)"
                    .into(),
            });
        }
    };
    for (set, part) in [
        (&train, "training"),
        (&valid, "validation"),
        (&test, "test"),
    ] {
        if set.is_empty() {
            return Err(DataError::Invalid {
                dataset: set.name.clone(),
                reason: format!(
                    "the {part} split is empty; use more samples or other split fractions"
                ),
            });
        }
    }
    Ok(Splits::scaled(
        train,
        valid,
        test,
        config.scaling.resolve(&config.dataset),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toy() -> Dataset {
        Dataset::new(
            "toy",
            vec![1.0, 10.0, 3.0, 10.0, 5.0, 10.0],
            vec![0, 1, 1],
            vec![2],
            2,
        )
        .unwrap()
    }

    #[test]
    fn standardize_fits_train_only() {
        let train = toy();
        let scaler = Scaler::fit(Scaling::Standardize, &train);
        assert_eq!(scaler.shift, vec![3.0, 10.0]);
        assert!((scaler.scale[0] - (8.0f32 / 3.0).sqrt()).abs() < 1e-6);
        assert_eq!(scaler.scale[1], 1.0, "a constant feature keeps scale 1");
        let mut other = toy();
        scaler.apply(&mut other);
        assert!((other.features[0] + 1.224_745).abs() < 1e-5);
    }

    #[test]
    fn inconsistent_parts_are_errors() {
        assert!(Dataset::new("bad", vec![1.0; 5], vec![0, 1], vec![2], 2).is_err());
        assert!(Dataset::new("bad", vec![1.0; 4], vec![0, 2], vec![2], 2).is_err());
    }

    #[test]
    fn split_off_partitions() {
        let data = Dataset::new(
            "n",
            (0..100).map(|v| v as f32).collect(),
            vec![0; 100],
            vec![1],
            1,
        )
        .unwrap();
        let (rest, taken) = data.split_off(0.2, &mut Rng::new(1));
        assert_eq!((rest.len(), taken.len()), (80, 20));
        let mut all: Vec<f32> = rest
            .features
            .iter()
            .chain(&taken.features)
            .copied()
            .collect();
        all.sort_by(f32::total_cmp);
        assert_eq!(all, data.features);
    }
}
