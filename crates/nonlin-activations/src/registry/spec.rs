//! The `name(arg, key=value, …)` syntax shared by activation specs and the other spec strings of
//! nonlin (data sets, models), the "did you mean" suggestions, and how an activation's
//! parameters bind from a spec and print back ([`Params`]).
//!
//! (Over 500 lines with its tests: the syntax, the binder and the printer are one grammar, and the
//! tests check that each reads what the other writes.)

use super::CatalogEntry;
use crate::error::ActivationError;
use core::str::FromStr;

/// A parsed `name(args)`: the name and the top-level arguments, each `(key, value)` with the key
/// absent for positional ones. Values keep nested parentheses (`learnable(0.5)`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecCall<'a> {
    /// The name before `(`.
    pub name: &'a str,
    /// The arguments, in order.
    pub args: Vec<(Option<&'a str>, &'a str)>,
}

/// How deep parentheses may nest inside one spec's argument list.
pub const MAX_NESTING: usize = 4;

/// Parses `name` or `name(a, b, key=value)`; the error says what is malformed.
pub fn parse_call(spec: &str) -> Result<SpecCall<'_>, String> {
    let spec = spec.trim();
    let Some(open) = spec.find('(') else {
        if spec.is_empty() {
            return Err("the name is empty".into());
        }
        if spec.contains(')') {
            return Err("`)` without `(`".into());
        }
        return Ok(SpecCall {
            name: spec,
            args: Vec::new(),
        });
    };
    let name = spec[..open].trim();
    let Some(body) = spec[open + 1..].strip_suffix(')') else {
        return Err("the argument list must end with `)`".into());
    };
    if name.is_empty() {
        return Err("the name before `(` is empty".into());
    }
    let mut raw = Vec::new();
    let (mut depth, mut start) = (0usize, 0usize);
    for (i, c) in body.char_indices() {
        match c {
            '(' | '[' => {
                depth += 1;
                // specs nest (`glu(gate=leaky_relu(0.2))`) and their values parse recursively:
                // a bound keeps a hostile spec from exhausting the stack
                if depth > MAX_NESTING {
                    return Err(format!("nested more than {MAX_NESTING} levels deep"));
                }
            }
            ')' | ']' => depth = depth.checked_sub(1).ok_or("unbalanced `)`")?,
            ',' if depth == 0 => {
                raw.push(body[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    if depth != 0 {
        return Err("unbalanced `(`".into());
    }
    let last = body[start..].trim();
    if !last.is_empty() || !raw.is_empty() {
        raw.push(last);
    }
    if raw.iter().any(|a| a.is_empty()) {
        return Err("an argument is empty (two commas in a row?)".into());
    }
    let args = raw
        .into_iter()
        .map(|arg| match arg.split_once('=') {
            Some((key, value)) => (Some(key.trim()), value.trim()),
            None => (None, arg),
        })
        .collect();
    Ok(SpecCall { name, args })
}

/// Lower case without `_`, `-` and spaces: how names are compared.
pub fn normalize(name: &str) -> String {
    name.chars()
        .filter(|c| !matches!(c, '_' | '-' | ' '))
        .flat_map(char::to_lowercase)
        .collect()
}

/// The candidate nearest to `given` in edit distance (on normalized names), if it is close enough
/// to be a plausible misspelling.
pub fn closest<'a>(given: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<String> {
    let wanted = normalize(given);
    let (distance, best) = candidates
        .into_iter()
        .map(|c| (edit_distance(&wanted, &normalize(c)), c))
        .min_by_key(|(d, _)| *d)?;
    (distance <= (wanted.chars().count() / 3).max(2)).then(|| best.to_string())
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let substitution = diagonal + usize::from(ca != cb);
            diagonal = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(row[j + 1] + 1);
        }
    }
    row[b.len()]
}

/// One activation's parameters, visited in positional order by [`super::EntryConfig::params`]:
/// the same code binds a spec's arguments into a config (`SpecArgs`) and prints a config back
/// (`SpecWriter`), so a parameter's name, order and default are written once, in its file.
pub trait Params {
    /// A number; unchanged when the spec does not give it.
    fn f64(&mut self, name: &'static str, value: &mut f64) -> Result<(), ActivationError>;
    /// A number the spec must give (PyTorch's `Threshold` has no defaults).
    fn required_f64(&mut self, name: &'static str, value: &mut f64) -> Result<(), ActivationError>;
    /// A whole number ≥ 0; `always_shown` prints it even at its default (`maxout(k=2)`).
    fn usize(
        &mut self,
        name: &'static str,
        value: &mut usize,
        always_shown: bool,
    ) -> Result<(), ActivationError>;
    /// A whole number (a dimension, negative from the end).
    fn isize(&mut self, name: &'static str, value: &mut isize) -> Result<(), ActivationError>;
    /// A number, `learnable` (learnable from the default) or `learnable(init)`.
    fn learnable_f64(
        &mut self,
        name: &'static str,
        value: &mut f64,
        learnable: &mut bool,
    ) -> Result<(), ActivationError>;
}

/// A spec's arguments by parameter name, shared by every spec family of nonlin (activations, data
/// sets): positional arguments take the names of the family's positional parameters in order, a
/// `key=value` one goes by its key (compared [`normalize`]d), each lookup marks its argument used,
/// and [`Arguments::unused`] names one that nothing asked for (a misspelt key).
#[derive(Debug, Clone)]
pub struct Arguments<'a> {
    /// `(normalized name, key as given, value)`.
    values: Vec<(String, Option<&'a str>, &'a str)>,
    used: Vec<bool>,
}

/// Why a spec's arguments do not bind to names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArgumentError {
    /// A positional argument after a keyword one.
    PositionalAfterKeyword {
        /// The argument.
        value: String,
    },
    /// More positional arguments than positional parameters (none: every argument needs a name).
    TooMany {
        /// The argument past the last positional parameter.
        value: String,
    },
    /// One parameter given twice.
    Twice {
        /// Its name.
        name: String,
    },
}

impl<'a> Arguments<'a> {
    /// Binds `raw` (as [`parse_call`] returns it): positional arguments to `positional` in order;
    /// `key=value` ones to `rename(key)` (a family's spellings of its own names, e.g. PyTorch's
    /// `lambd` for `lambda`), compared normalized.
    pub fn bind(
        raw: Vec<(Option<&'a str>, &'a str)>,
        positional: &[&str],
        rename: impl Fn(&str) -> String,
    ) -> Result<Self, ArgumentError> {
        let mut values: Vec<(String, Option<&'a str>, &'a str)> = Vec::new();
        let mut seen_keyword = false;
        for (position, (key, value)) in raw.into_iter().enumerate() {
            let name = match key {
                Some(key) => {
                    seen_keyword = true;
                    normalize(&rename(&normalize(key)))
                }
                None if seen_keyword => {
                    return Err(ArgumentError::PositionalAfterKeyword {
                        value: value.to_string(),
                    });
                }
                None => match positional.get(position) {
                    Some(param) => normalize(param),
                    None => {
                        return Err(ArgumentError::TooMany {
                            value: value.to_string(),
                        });
                    }
                },
            };
            if values.iter().any(|(n, _, _)| *n == name) {
                let name = key.map_or(name, str::to_string);
                return Err(ArgumentError::Twice { name });
            }
            values.push((name, key, value));
        }
        let used = vec![false; values.len()];
        Ok(Self { values, used })
    }

    /// The value given for parameter `name`, if any; marks it used.
    pub fn get(&mut self, name: &str) -> Option<&'a str> {
        let wanted = normalize(name);
        let i = self.values.iter().position(|(n, _, _)| *n == wanted)?;
        self.used[i] = true;
        Some(self.values[i].2)
    }

    /// The first argument no lookup asked for, as `(key as given, value)`.
    pub fn unused(&self) -> Option<(Option<&'a str>, &'a str)> {
        self.values
            .iter()
            .zip(&self.used)
            .find(|(_, used)| !**used)
            .map(|((_, key, value), _)| (*key, *value))
    }
}

/// An activation spec's arguments bound to its entry's parameters: positional ones fill them in
/// order, `key=value` ones go by name (PyTorch's names; `lambda` for `lambd`, `slope` for
/// `negative_slope`, `init` for PReLU's `alpha`). Every key must be a parameter of the entry.
pub(crate) struct SpecArgs {
    entry: &'static CatalogEntry,
    values: Vec<(&'static str, String)>,
}

impl SpecArgs {
    pub(crate) fn bind(
        spec: &str,
        entry: &'static CatalogEntry,
        raw: Vec<(Option<&str>, &str)>,
    ) -> Result<Self, ActivationError> {
        let syntax = |reason: String| ActivationError::Syntax {
            spec: spec.to_string(),
            reason,
        };
        let rename = |key: &str| -> String {
            match key {
                "lambda" => "lambd".to_string(),
                "slope" => "negativeslope".to_string(),
                "init" if entry.params.contains(&"alpha") => "alpha".to_string(),
                k => k.to_string(),
            }
        };
        let mut args = Arguments::bind(raw, entry.params, rename).map_err(|e| {
            syntax(match e {
                ArgumentError::PositionalAfterKeyword { value } => {
                    format!("positional argument `{value}` after a keyword argument")
                }
                ArgumentError::TooMany { .. } => format!(
                    "{} takes {} argument(s) ({}), got more",
                    entry.name,
                    entry.params.len(),
                    entry.params.join(", ")
                ),
                ArgumentError::Twice { name } => format!("`{name}` is given twice"),
            })
        })?;
        let values = entry
            .params
            .iter()
            .filter_map(|param| args.get(param).map(|v| (*param, v.to_string())))
            .collect();
        if let Some((key, _)) = args.unused() {
            let key = normalize(&rename(&normalize(key.unwrap_or_default())));
            return Err(ActivationError::UnknownParameter {
                activation: entry.name,
                suggestion: closest(&key, entry.params.iter().copied()),
                param: key,
                expected: if entry.params.is_empty() {
                    "(none)".to_string()
                } else {
                    entry.params.join(", ")
                },
            });
        }
        Ok(Self { entry, values })
    }

    /// The argument given for `param`, as written.
    pub(crate) fn raw(&self, param: &str) -> Option<&str> {
        self.values
            .iter()
            .find(|(p, _)| *p == param)
            .map(|(_, v)| v.as_str())
    }

    fn invalid(
        &self,
        param: &'static str,
        value: &str,
        requirement: &'static str,
    ) -> ActivationError {
        ActivationError::InvalidParameter {
            activation: self.entry.name,
            param,
            value: value.to_string(),
            requirement,
        }
    }

    fn parsed<T: FromStr>(
        &self,
        param: &'static str,
        requirement: &'static str,
    ) -> Result<Option<T>, ActivationError> {
        self.raw(param)
            .map(|v| {
                v.trim()
                    .parse()
                    .map_err(|_| self.invalid(param, v, requirement))
            })
            .transpose()
    }
}

impl Params for SpecArgs {
    fn f64(&mut self, name: &'static str, value: &mut f64) -> Result<(), ActivationError> {
        if let Some(v) = self.parsed(name, "must be a number")? {
            *value = v;
        }
        Ok(())
    }

    fn required_f64(&mut self, name: &'static str, value: &mut f64) -> Result<(), ActivationError> {
        if self.raw(name).is_none() {
            return Err(ActivationError::Syntax {
                spec: self.entry.name.to_string(),
                reason: format!(
                    "{} needs `{name}` (its parameters: {})",
                    self.entry.name,
                    self.entry.params.join(", ")
                ),
            });
        }
        self.f64(name, value)
    }

    fn usize(
        &mut self,
        name: &'static str,
        value: &mut usize,
        _always_shown: bool,
    ) -> Result<(), ActivationError> {
        if let Some(v) = self.parsed(name, "must be a whole number ≥ 0")? {
            *value = v;
        }
        Ok(())
    }

    fn isize(&mut self, name: &'static str, value: &mut isize) -> Result<(), ActivationError> {
        if let Some(v) = self.parsed(name, "must be a whole number")? {
            *value = v;
        }
        Ok(())
    }

    fn learnable_f64(
        &mut self,
        name: &'static str,
        value: &mut f64,
        learnable: &mut bool,
    ) -> Result<(), ActivationError> {
        let Some(v) = self.raw(name) else {
            return Ok(());
        };
        let requirement = "must be a number, `learnable` or `learnable(<initial value>)`";
        let (number, is_learnable) = if normalize(v) == "learnable" {
            (Some(*value), true)
        } else if let Some(init) = v
            .strip_prefix("learnable(")
            .and_then(|r| r.strip_suffix(')'))
        {
            (init.trim().parse().ok(), true)
        } else {
            (v.trim().parse().ok(), false)
        };
        *value = number.ok_or_else(|| self.invalid(name, v, requirement))?;
        *learnable = is_learnable;
        Ok(())
    }
}

/// Prints a config's parameters as `key=value`, in positional order: first run over the
/// defaults ([`SpecWriter::defaults`]), then over the config, keeping what differs.
#[derive(Default)]
pub(crate) struct SpecWriter {
    defaults: Option<Vec<String>>,
    printed: Vec<(String, bool)>,
}

impl SpecWriter {
    /// A writer that compares against the values printed by `defaults`.
    pub(crate) fn against(defaults: SpecWriter) -> Self {
        Self {
            defaults: Some(defaults.printed.into_iter().map(|(s, _)| s).collect()),
            printed: Vec::new(),
        }
    }

    fn push(&mut self, key: &str, value: String, always_shown: bool) {
        self.printed.push((format!("{key}={value}"), always_shown));
    }

    /// The `key=value` pairs that differ from the defaults (or are always shown).
    pub(crate) fn into_params(self) -> Vec<String> {
        let defaults = self.defaults.unwrap_or_default();
        self.printed
            .into_iter()
            .enumerate()
            .filter(|(i, (s, always))| *always || defaults.get(*i) != Some(s))
            .map(|(_, (s, _))| s)
            .collect()
    }
}

impl Params for SpecWriter {
    fn f64(&mut self, name: &'static str, value: &mut f64) -> Result<(), ActivationError> {
        self.push(name, format_number(*value), false);
        Ok(())
    }
    fn required_f64(&mut self, name: &'static str, value: &mut f64) -> Result<(), ActivationError> {
        self.push(name, format_number(*value), true);
        Ok(())
    }
    fn usize(
        &mut self,
        name: &'static str,
        value: &mut usize,
        always_shown: bool,
    ) -> Result<(), ActivationError> {
        self.push(name, value.to_string(), always_shown);
        Ok(())
    }
    fn isize(&mut self, name: &'static str, value: &mut isize) -> Result<(), ActivationError> {
        self.push(name, value.to_string(), false);
        Ok(())
    }
    fn learnable_f64(
        &mut self,
        name: &'static str,
        value: &mut f64,
        learnable: &mut bool,
    ) -> Result<(), ActivationError> {
        let number = format_number(*value);
        let at_default = self
            .defaults
            .as_ref()
            .and_then(|d| d.get(self.printed.len()))
            .is_some_and(|d| *d == format!("{name}={number}"));
        let text = match (*learnable, at_default) {
            // learnable from the default value: `learnable` alone
            (true, true) => "learnable".to_string(),
            (true, false) => format!("learnable({number})"),
            (false, _) => number,
        };
        self.push(name, text, false);
        Ok(())
    }
}

/// The spec of `name` with `params`: `name` alone, or `name(p1, p2, …)`.
pub(crate) fn call(name: &str, params: &[String]) -> String {
    if params.is_empty() {
        name.to_string()
    } else {
        format!("{name}({})", params.join(", "))
    }
}

/// Shortest text that parses back to the same `f64`.
pub(crate) fn format_number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v:?}")
    }
}

/// `#[serde(with = "nonlin_activations::spec_serde")]`: stores an [`ActivationConfig`](crate::ActivationConfig) as its spec
/// string (`"leaky_relu(negative_slope=0.2)"`), which is what people write in TOML and JSON files.
pub mod spec_serde {
    use super::super::ActivationConfig;
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    /// Writes the spec string.
    pub fn serialize<S: Serializer>(config: &ActivationConfig, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&config.spec())
    }

    /// Parses the spec string; an invalid one is a deserialization error with the parser's message.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<ActivationConfig, D::Error> {
        let spec = String::deserialize(d)?;
        spec.parse().map_err(D::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_positional_keyword_and_nested_arguments() {
        let call = parse_call("swish(2, beta=learnable(0.5), dims=[1, 2])").unwrap();
        assert_eq!(call.name, "swish");
        assert_eq!(
            call.args,
            vec![
                (None, "2"),
                (Some("beta"), "learnable(0.5)"),
                (Some("dims"), "[1, 2]")
            ]
        );
        assert_eq!(
            parse_call(" relu ").unwrap(),
            SpecCall {
                name: "relu",
                args: vec![]
            }
        );
        assert!(parse_call("relu(").is_err() && parse_call("relu(1,,2)").is_err());
    }

    #[test]
    fn suggests_close_names_only() {
        assert_eq!(
            closest("leaky_rleu", ["relu", "leaky_relu"]).as_deref(),
            Some("leaky_relu")
        );
        assert_eq!(closest("qwertyuiop", ["relu", "leaky_relu"]), None);
    }
}
