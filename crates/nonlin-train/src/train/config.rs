//! Experiment configuration: data, model, training, seed — one TOML file, or flags.

use super::fused_adam::FusedAdamConfig;
use crate::data::DataConfig;
use crate::error::TrainError;
use crate::model::ModelConfig;
use burn::optim::decay::WeightDecayConfig;
use burn::optim::grad_clipping::GradientClippingConfig;
use burn::optim::momentum::MomentumConfig;
use burn::optim::{ModuleOptimizer, SgdConfig};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Which optimizer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OptimizerKind {
    /// Adam (Kingma & Ba 2015), with L2 weight decay added to the gradient.
    #[default]
    Adam,
    /// AdamW (Loshchilov & Hutter 2019): decoupled weight decay.
    Adamw,
    /// SGD with (optionally Nesterov) momentum.
    Sgd,
}

/// How the learning rate changes over epochs (after the warm-up).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Schedule {
    /// The base rate throughout.
    #[default]
    Constant,
    /// Multiplied by `step_gamma` every `step_every` epochs.
    Step,
    /// Cosine decay from the base rate to `min_learning_rate` at the last epoch.
    Cosine,
}

/// The most epochs a run may ask for (a bound that keeps per-epoch bookkeeping allocatable).
pub const MAX_EPOCHS: usize = 1_000_000;

/// How to train.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TrainingConfig {
    /// Passes over the training set.
    pub epochs: usize,
    /// Samples per gradient step.
    pub batch_size: usize,
    /// The optimizer.
    pub optimizer: OptimizerKind,
    /// Base learning rate.
    pub learning_rate: f64,
    /// Momentum of SGD.
    pub momentum: f64,
    /// Nesterov momentum for SGD.
    pub nesterov: bool,
    /// Weight decay (L2 penalty for Adam and SGD, decoupled for AdamW).
    pub weight_decay: f64,
    /// Learning-rate schedule.
    pub schedule: Schedule,
    /// Epochs between decays of the step schedule.
    pub step_every: usize,
    /// Factor of each step decay.
    pub step_gamma: f64,
    /// Final learning rate of the cosine schedule.
    pub min_learning_rate: f64,
    /// Epochs of linear warm-up from base/warmup to base.
    pub warmup_epochs: usize,
    /// Clip each parameter tensor's gradient to this norm (Burn's `GradientClipping::Norm`;
    /// PyTorch's `clip_grad_norm_` clips the norm of all gradients together).
    pub grad_clip: Option<f64>,
    /// Stop when the validation loss has not improved for this many epochs.
    pub early_stopping: Option<usize>,
    /// Accuracy whose first reaching (on validation) is reported as "epochs to target".
    pub target_accuracy: Option<f64>,
    /// Language models: optimizer steps per epoch, each on `batch_size` random windows of the
    /// text (a text has no natural epoch; the learning rate follows its schedule per step,
    /// and each epoch ends with an evaluation and a checkpoint). Unset:
    /// [`Self::DEFAULT_STEPS_PER_EPOCH`]. A classifier's epoch is one pass over its data.
    pub steps_per_epoch: Option<usize>,
    /// Language models: validation windows per evaluation (0: the whole validation part); the
    /// summary always evaluates the whole part.
    pub eval_windows: usize,
}

impl Default for TrainingConfig {
    fn default() -> Self {
        Self {
            epochs: 30,
            batch_size: 64,
            optimizer: OptimizerKind::Adam,
            learning_rate: 1e-3,
            momentum: 0.9,
            nesterov: false,
            weight_decay: 0.0,
            schedule: Schedule::Constant,
            step_every: 10,
            step_gamma: 0.1,
            min_learning_rate: 0.0,
            warmup_epochs: 0,
            grad_clip: None,
            early_stopping: None,
            target_accuracy: None,
            steps_per_epoch: None,
            eval_windows: 0,
        }
    }
}

impl TrainingConfig {
    /// The settings the claims and the tests use on the small 2-D data sets: 100 epochs
    /// of Adam at learning rate 0.01 in batches of 32, which train them to convergence in seconds.
    /// The one place they are written.
    pub fn small_data() -> Self {
        Self {
            epochs: 100,
            learning_rate: 0.01,
            batch_size: 32,
            ..Self::default()
        }
    }
}

impl TrainingConfig {
    /// A language model's steps per epoch when `steps_per_epoch` is unset.
    pub const DEFAULT_STEPS_PER_EPOCH: usize = 250;

    /// nanoGPT's character-level recipe scaled to a CPU: AdamW (weight decay 0.1) at 1e-3 with
    /// one epoch of warm-up, then a cosine to 1e-4, each parameter's gradient clipped to norm 1,
    /// 20 epochs of 250 steps on batches of 16 windows. The one place it is written.
    pub fn language_model() -> Self {
        Self {
            epochs: 20,
            batch_size: 16,
            optimizer: OptimizerKind::Adamw,
            learning_rate: 1e-3,
            weight_decay: 0.1,
            schedule: Schedule::Cosine,
            min_learning_rate: 1e-4,
            warmup_epochs: 1,
            grad_clip: Some(1.0),
            steps_per_epoch: Some(Self::DEFAULT_STEPS_PER_EPOCH),
            ..Self::default()
        }
    }

    /// A language model's steps per epoch.
    pub fn steps_per_epoch(&self) -> usize {
        self.steps_per_epoch
            .unwrap_or(Self::DEFAULT_STEPS_PER_EPOCH)
    }

    /// Checks ranges, with a message naming the field.
    pub fn validate(&self) -> Result<(), TrainError> {
        let bad = |msg: String| Err(TrainError::Config(msg));
        if self.epochs == 0 || self.epochs > MAX_EPOCHS {
            return bad(format!(
                "epochs = {} must be between 1 and {MAX_EPOCHS}",
                self.epochs
            ));
        }
        if self.batch_size == 0 {
            return bad("batch_size must be at least 1".into());
        }
        if !(self.learning_rate.is_finite() && self.learning_rate > 0.0) {
            return bad(format!(
                "learning_rate = {} must be a positive number",
                self.learning_rate
            ));
        }
        if !(self.weight_decay.is_finite() && self.weight_decay >= 0.0) {
            return bad(format!("weight_decay = {} must be >= 0", self.weight_decay));
        }
        if !(self.min_learning_rate.is_finite() && self.min_learning_rate >= 0.0) {
            return bad(format!(
                "min_learning_rate = {} must be a number >= 0",
                self.min_learning_rate
            ));
        }
        if !(0.0..1.0).contains(&self.momentum) {
            return bad(format!("momentum = {} must be in [0, 1)", self.momentum));
        }
        if self.schedule == Schedule::Step
            && (self.step_every == 0 || !self.step_gamma.is_finite() || self.step_gamma <= 0.0)
        {
            return bad("the step schedule needs step_every >= 1 and step_gamma > 0".into());
        }
        if let Some(clip) = self.grad_clip.filter(|c| !(c.is_finite() && *c > 0.0)) {
            return bad(format!("grad_clip = {clip} must be a positive number"));
        }
        if self.early_stopping == Some(0) {
            return bad("early_stopping (patience in epochs) must be at least 1".into());
        }
        if let Some(t) = self.target_accuracy.filter(|t| !(0.0..=1.0).contains(t)) {
            return bad(format!("target_accuracy = {t} must be in [0, 1]"));
        }
        if let Some(steps) = self.steps_per_epoch
            && (steps == 0 || steps.checked_mul(self.epochs).is_none_or(|s| s > 1 << 40))
        {
            return bad(format!(
                "steps_per_epoch = {steps} must be at least 1, and epochs × steps_per_epoch at \
                 most 2^40"
            ));
        }
        Ok(())
    }

    /// The learning rate of `epoch` (0-based).
    pub fn learning_rate_at(&self, epoch: usize) -> f64 {
        self.schedule_at(epoch, self.epochs, self.warmup_epochs, self.step_every)
    }

    /// The learning rate of a language model's `step` (0-based): the same schedule per step,
    /// its warm-up and step decays counted in epochs of [`Self::steps_per_epoch`] steps.
    pub fn learning_rate_at_step(&self, step: usize) -> f64 {
        let per_epoch = self.steps_per_epoch();
        self.schedule_at(
            step,
            self.epochs.saturating_mul(per_epoch),
            self.warmup_epochs.saturating_mul(per_epoch),
            self.step_every.saturating_mul(per_epoch),
        )
    }

    /// Linear warm-up over `warmup` of `total` units, then the schedule (step decays every
    /// `step_every` units; the cosine reaches `min_learning_rate` at the last unit).
    fn schedule_at(&self, t: usize, total: usize, warmup: usize, step_every: usize) -> f64 {
        let base = self.learning_rate;
        if t < warmup {
            return base * (t + 1) as f64 / warmup as f64;
        }
        let e = t - warmup;
        let span = total.saturating_sub(warmup).max(1);
        match self.schedule {
            Schedule::Constant => base,
            Schedule::Step => base * self.step_gamma.powi((e / step_every.max(1)) as i32),
            Schedule::Cosine => {
                let progress = (e as f64 / (span.max(2) - 1) as f64).min(1.0);
                self.min_learning_rate
                    + 0.5
                        * (base - self.min_learning_rate)
                        * (1.0 + (core::f64::consts::PI * progress).cos())
            }
        }
    }

    /// The optimizer, with weight decay, momentum and clipping as configured.
    pub fn optimizer(&self) -> ModuleOptimizer {
        let decay =
            (self.weight_decay > 0.0).then(|| WeightDecayConfig::new(self.weight_decay as f32));
        let clip = self
            .grad_clip
            .map(|c| GradientClippingConfig::Norm(c as f32));
        // burn-optim's Adam and AdamW with one op per parameter (`fused_adam`); β as Burn's and
        // PyTorch's defaults, ε PyTorch's 1e-8 (Burn's default is 1e-5)
        let adam = FusedAdamConfig {
            beta_1: 0.9,
            beta_2: 0.999,
            epsilon: 1e-8,
            weight_decay: self.weight_decay as f32,
        };
        match self.optimizer {
            OptimizerKind::Adam => adam.adam(clip),
            OptimizerKind::Adamw => adam.adamw(clip),
            OptimizerKind::Sgd => SgdConfig::new()
                .with_weight_decay(decay)
                .with_momentum((self.momentum > 0.0).then(|| {
                    // PyTorch's SGD has no dampening by default (Burn's default is 0.1)
                    MomentumConfig::new()
                        .with_momentum(self.momentum)
                        .with_dampening(0.0)
                        .with_nesterov(self.nesterov)
                }))
                .with_gradient_clipping(clip)
                .init(),
        }
    }
}

/// Everything that defines a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ExperimentConfig {
    /// Seeds the data, the split, the initialisation and every shuffle.
    pub seed: u64,
    /// The data.
    pub data: DataConfig,
    /// The model.
    pub model: ModelConfig,
    /// The training.
    pub training: TrainingConfig,
}

impl Default for ExperimentConfig {
    fn default() -> Self {
        Self {
            seed: 42,
            data: DataConfig::default(),
            model: ModelConfig::default(),
            training: TrainingConfig::default(),
        }
    }
}

impl ExperimentConfig {
    /// The default language model: Tiny Shakespeare, the default transformer with a GELU
    /// feed-forward block, [`TrainingConfig::language_model`].
    pub fn language_model() -> Self {
        Self {
            data: DataConfig {
                dataset: crate::data::DatasetSpec::Shakespeare,
                ..DataConfig::default()
            },
            model: ModelConfig {
                kind: crate::model::ModelKind::Transformer,
                activation: nonlin_activations::ActivationConfig::Gelu,
                ..ModelConfig::default()
            },
            training: TrainingConfig::language_model(),
            ..Self::default()
        }
    }

    /// Reads a TOML experiment file; errors name the file and, for TOML errors, the line.
    pub fn load(path: &Path) -> Result<Self, TrainError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| TrainError::io("reading", path, source))?;
        toml::from_str(&text).map_err(|e| TrainError::Config(format!("{}: {e}", path.display())))
    }

    /// The config as TOML.
    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).expect("an experiment config always serialises")
    }

    /// Checks every part, and that the data fits the model: text trains the transformer, the
    /// transformer trains on text.
    pub fn validate(&self) -> Result<(), TrainError> {
        self.data.validate()?;
        self.model.validate()?;
        self.training.validate()?;
        let text = self.data.dataset.is_text();
        let transformer = self.model.kind == crate::model::ModelKind::Transformer;
        if text && !transformer {
            return Err(TrainError::Config(format!(
                "{} is text, which trains a character-level language model: use model kind \
                 transformer (--model transformer)",
                self.data.dataset
            )));
        }
        if transformer && !text {
            return Err(TrainError::Config(format!(
                "the transformer is a language model and {} is not text: use --dataset \
                 shakespeare or text(path=FILE), or a classifier (mlp, maxout_mlp, deep_mlp, cnn)",
                self.data.dataset
            )));
        }
        Ok(())
    }

    /// The same experiment with its data paths made absolute (against the current directory),
    /// so that a run reads the same files whatever directory it is resumed or evaluated from.
    pub fn with_absolute_paths(&self) -> Result<Self, TrainError> {
        Ok(Self {
            data: self.data.with_absolute_paths()?,
            ..self.clone()
        })
    }

    /// What differs between `self` and `other`, besides the number of epochs (a resumed run may
    /// be given more), as `key (self's value → other's value)`.
    pub fn differences(&self, other: &ExperimentConfig) -> Vec<String> {
        let without_epochs = |c: &ExperimentConfig| {
            let mut c = c.clone();
            c.training.epochs = 0;
            c
        };
        differences(&without_epochs(self), &without_epochs(other))
    }
}

/// The keys whose values differ between two serialisable settings, as `key (a → b)`.
pub fn differences<T: Serialize>(a: &T, b: &T) -> Vec<String> {
    let flatten = |c: &T| {
        let mut out = std::collections::BTreeMap::new();
        let value = toml::Value::try_from(c).expect("settings always serialise");
        flatten_toml("", &value, &mut out);
        out
    };
    let (a, b) = (flatten(a), flatten(b));
    let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    keys.into_iter()
        .filter(|k| a.get(*k) != b.get(*k))
        .map(|k| {
            let show = |v: Option<&String>| v.cloned().unwrap_or_else(|| "unset".into());
            format!("{k} ({} → {})", show(a.get(k)), show(b.get(k)))
        })
        .collect()
}

fn flatten_toml(
    prefix: &str,
    value: &toml::Value,
    out: &mut std::collections::BTreeMap<String, String>,
) {
    match value {
        toml::Value::Table(table) => {
            for (k, v) in table {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten_toml(&key, v, out);
            }
        }
        other => {
            out.insert(prefix.to_string(), other.to_string());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn differences_name_the_keys_and_ignore_epochs() {
        let a = ExperimentConfig::default();
        let mut b = a.clone();
        b.training.epochs += 5;
        assert!(a.differences(&b).is_empty());
        b.training.learning_rate = 0.01;
        b.seed = 7;
        assert_eq!(
            a.differences(&b),
            vec![
                "seed (42 → 7)".to_string(),
                "training.learning_rate (0.001 → 0.01)".to_string()
            ]
        );
    }

    #[test]
    fn nan_and_oversized_settings_are_refused() {
        for (t, fragment) in [
            (
                TrainingConfig {
                    min_learning_rate: f64::NAN,
                    ..Default::default()
                },
                "min_learning_rate = NaN",
            ),
            (
                TrainingConfig {
                    epochs: usize::MAX,
                    ..Default::default()
                },
                "between 1 and 1000000",
            ),
        ] {
            let err = t.validate().unwrap_err().to_string();
            assert!(err.contains(fragment), "{err}");
        }
    }

    #[test]
    fn toml_round_trip_and_partial_files() {
        let config = ExperimentConfig::default();
        assert_eq!(
            toml::from_str::<ExperimentConfig>(&config.to_toml()).unwrap(),
            config
        );
        let partial: ExperimentConfig = toml::from_str(
            "seed = 7\n[data]\ndataset = \"spirals(arms=3)\"\n[model]\nhidden = [64, 64]\nactivation = \"leaky_relu(0.2)\"\n",
        )
        .unwrap();
        assert_eq!(partial.seed, 7);
        assert_eq!(
            partial.model.activation.spec(),
            "leaky_relu(negative_slope=0.2)"
        );
        assert_eq!(partial.training, TrainingConfig::default());
    }

    #[test]
    fn malformed_files_are_clear_errors() {
        for (text, fragment) in [
            ("[model]\nactivation = \"relux\"\n", "did you mean `relu`"),
            ("[trainin]\nepochs = 3\n", "unknown field `trainin`"),
            ("[data]\ndataset = \"spirls\"\n", "did you mean `spirals`"),
            ("seed = \"x\"", "invalid type"),
        ] {
            let err = toml::from_str::<ExperimentConfig>(text)
                .unwrap_err()
                .to_string();
            assert!(err.contains(fragment), "{text}: {err}");
        }
    }

    #[test]
    fn schedules() {
        let t = |schedule, warmup| TrainingConfig {
            schedule,
            warmup_epochs: warmup,
            epochs: 11,
            step_every: 5,
            ..Default::default()
        };
        assert_eq!(t(Schedule::Step, 0).learning_rate_at(5), 1e-4);
        let cosine = t(Schedule::Cosine, 1);
        assert_eq!(cosine.learning_rate_at(0), 1e-3);
        assert!((cosine.learning_rate_at(1) - 1e-3).abs() < 1e-12);
        assert!(cosine.learning_rate_at(10).abs() < 1e-12);
        assert_eq!(t(Schedule::Constant, 4).learning_rate_at(1), 5e-4);
        assert!(
            TrainingConfig {
                learning_rate: -1.0,
                ..Default::default()
            }
            .validate()
            .is_err()
        );
    }
}
