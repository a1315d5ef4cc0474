//! The two steps every study repeats: train a model of a config in memory (seeded, holding the
//! backend's generator), and track its diagnostics before and after every epoch.

use crate::diagnose::{Diagnostics, diagnose};
use crate::error::EvalError;
use burn::module::Module;
use nonlin_backend::Backend;
use nonlin_train::data::Splits;
use nonlin_train::train::{EpochMetrics, fit, loss_and_accuracy, with_backend_rng};
use nonlin_train::{ExperimentConfig, Model, ModelConfig};

/// A model trained in memory, with the data it was trained on.
pub struct Trained {
    /// The model, on `backend.autodiff()`.
    pub model: Model,
    /// Metrics per epoch.
    pub history: Vec<EpochMetrics>,
}

impl Trained {
    /// Accuracy on `splits.test`, without autodiff.
    pub fn test_accuracy(&self, splits: &Splits, backend: &Backend) -> f64 {
        loss_and_accuracy(&self.model.valid(), &splits.test, 512, &backend.device).1
    }
}

/// Builds `model` for `splits` from `seed` and trains it with `config.training`, writing nothing.
pub fn train_on(
    model: &ModelConfig,
    splits: &Splits,
    config: &ExperimentConfig,
    backend: &Backend,
    on_epoch: impl FnMut(&Model, &EpochMetrics),
) -> Result<Trained, EvalError> {
    with_backend_rng(|| {
        let device = backend.autodiff();
        device.seed(config.seed);
        let initial = model.init(
            &splits.train.sample_shape,
            splits.train.num_classes,
            &device,
        )?;
        let (model, history) = fit(
            initial,
            splits,
            &config.training,
            config.seed,
            backend,
            on_epoch,
        )?;
        Ok(Trained { model, history })
    })
}

/// A linear classifier (logistic regression) trained on `splits`, with `config`'s training; its
/// test accuracy.
pub fn linear_probe(
    splits: &Splits,
    config: &ExperimentConfig,
    backend: &Backend,
) -> Result<f64, EvalError> {
    let linear = ModelConfig {
        hidden: vec![],
        ..ModelConfig::default()
    };
    Ok(train_on(&linear, splits, config, backend, |_, _| {})?.test_accuracy(splits, backend))
}

/// What a tracked training run saw.
pub struct Tracked {
    /// Diagnostics on the probe at initialisation (epoch 0) and after every epoch.
    pub epochs: Vec<(usize, Diagnostics)>,
    /// Test accuracy after the last epoch.
    pub test_accuracy: f64,
    /// Validation accuracy per epoch.
    pub valid_accuracy: Vec<f64>,
}

impl Tracked {
    /// Mean over layers of the dead-unit fraction at each recorded epoch.
    pub fn dead(&self) -> Vec<f64> {
        self.epochs
            .iter()
            .map(|(_, d)| {
                d.layers.iter().map(|l| l.dead_fraction).sum::<f64>() / d.layers.len().max(1) as f64
            })
            .collect()
    }
}

/// Trains `config` in memory, diagnosing its first `probe` training samples before training and
/// after each epoch.
pub fn track(
    config: &ExperimentConfig,
    backend: &Backend,
    probe: usize,
    epsilon: f64,
) -> Result<Tracked, EvalError> {
    with_backend_rng(|| {
        let splits = nonlin_train::data::load(&config.data, config.seed)?;
        let device = backend.autodiff();
        let activations = config.model.layer_activations()?;
        let probe = splits
            .train
            .subset(&(0..probe.min(splits.train.len())).collect::<Vec<_>>());
        device.seed(config.seed);
        let initial = config.model.init(
            &splits.train.sample_shape,
            splits.train.num_classes,
            &device,
        )?;
        let mut epochs = vec![(
            0,
            diagnose(&initial, &activations, &probe, &device, epsilon)?,
        )];
        let mut failure = None;
        let (model, history) = fit(
            initial,
            &splits,
            &config.training,
            config.seed,
            backend,
            |m, metrics| match diagnose(m, &activations, &probe, &device, epsilon) {
                Ok(d) => epochs.push((metrics.epoch, d)),
                Err(e) => failure = Some(e),
            },
        )?;
        if let Some(e) = failure {
            return Err(e);
        }
        Ok(Tracked {
            epochs,
            test_accuracy: loss_and_accuracy(&model.valid(), &splits.test, 512, &backend.device).1,
            valid_accuracy: history.iter().map(|m| m.valid_accuracy).collect(),
        })
    })
}

/// The diagnostics of `config`'s freshly initialised model on its first `probe` training samples.
pub fn diagnose_at_init(
    config: &ExperimentConfig,
    backend: &Backend,
    probe: usize,
    epsilon: f64,
) -> Result<Diagnostics, EvalError> {
    with_backend_rng(|| {
        let splits = nonlin_train::data::load(&config.data, config.seed)?;
        let device = backend.autodiff();
        device.seed(config.seed);
        let model = config.model.init(
            &splits.train.sample_shape,
            splits.train.num_classes,
            &device,
        )?;
        let probe = splits
            .train
            .subset(&(0..probe.min(splits.train.len())).collect::<Vec<_>>());
        diagnose(
            &model,
            &config.model.layer_activations()?,
            &probe,
            &device,
            epsilon,
        )
    })
}
