//! `nonlin bench compare-backends`: the same model (identical initial weights), seed and batches trained
//! for N steps on several backends, and how far their losses, gradients and outputs drift apart.

use crate::error::EvalError;
use burn::module::Module;
use burn::nn::loss::CrossEntropyLossConfig;
use burn::optim::GradientsParams;
use burn::tensor::Tensor;
use nonlin_backend::Backend;
use nonlin_train::rng::Rng;
use nonlin_train::train::{loss_and_accuracy, with_backend_rng};
use nonlin_train::{ExperimentConfig, Model};
use serde::{Deserialize, Serialize};

/// What one backend computed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BackendRun {
    /// Backend description.
    pub backend: String,
    /// Training loss at every step.
    pub losses: Vec<f64>,
    /// The first layer's weight gradient at the first step.
    pub first_gradient: Vec<f32>,
    /// Logits on the first 256 test samples after training.
    pub outputs: Vec<f32>,
    /// Test accuracy after training.
    pub test_accuracy: f64,
    /// Seconds for the training steps.
    pub seconds: f64,
}

/// How far two backends drifted apart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Agreement {
    /// The two backends.
    pub backends: (String, String),
    /// max |Δ| of the first-step weight gradient (same weights, same batch).
    pub first_gradient: f64,
    /// max |Δ| of the training loss over all steps.
    pub loss: f64,
    /// max |Δ| of the logits after training.
    pub outputs: f64,
    /// Test accuracies.
    pub accuracies: (f64, f64),
}

/// Runs and pairwise agreement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// Model description.
    pub model: String,
    /// Training steps.
    pub steps: usize,
    /// One run per backend.
    pub runs: Vec<BackendRun>,
    /// Every pair of runs.
    pub agreement: Vec<Agreement>,
}

fn max_diff(a: &[f32], b: &[f32]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| f64::from((x - y).abs()))
        .fold(0.0, f64::max)
}

fn run_on(
    config: &ExperimentConfig,
    initial: &Model,
    splits: &nonlin_train::Splits,
    backend: &Backend,
    steps: usize,
) -> Result<BackendRun, EvalError> {
    let device = backend.autodiff();
    // `fork` keeps the parameters tracked on the new device; `to_device` does not
    let mut model = initial.clone().fork(&device);
    let mut optimizer = config.training.optimizer();
    let loss_fn = CrossEntropyLossConfig::new().init(&device);
    let mut order: Vec<usize> = Vec::new();
    let mut losses = Vec::with_capacity(steps);
    let mut first_gradient = Vec::new();
    let started = std::time::Instant::now();
    for step in 0..steps {
        if order.len() < config.training.batch_size {
            order = (0..splits.train.len()).collect();
            Rng::for_stream(config.seed, &format!("compare-{step}")).shuffle(&mut order);
        }
        let indices: Vec<usize> = order
            .drain(..config.training.batch_size.min(order.len()))
            .collect();
        let batch = splits.train.batch(&indices, &device);
        let loss = loss_fn.forward(model.forward(batch.x), batch.y);
        losses.push(f64::from(loss.clone().into_scalar::<f32>()));
        let grads = loss.backward();
        if step == 0 {
            let first = model
                .dense()
                .layers
                .first()
                .map_or(&model.dense().head, |l| l);
            let g: Tensor<2> = first
                .weight
                .val()
                .grad(&grads)
                .expect("first-layer gradient");
            first_gradient = g
                .into_data()
                .convert::<f32>()
                .try_into_vec()
                .expect("floats");
        }
        let grads = GradientsParams::from_grads(grads, &model);
        model = optimizer.step(config.training.learning_rate, model, grads);
    }
    let seconds = started.elapsed().as_secs_f64();
    let valid = model.valid();
    let probe: Vec<usize> = (0..splits.test.len().min(256)).collect();
    let outputs = valid
        .forward(splits.test.batch(&probe, &backend.device).x)
        .into_data()
        .convert::<f32>()
        .try_into_vec()
        .expect("floats");
    Ok(BackendRun {
        backend: backend.describe(),
        losses,
        first_gradient,
        outputs,
        test_accuracy: loss_and_accuracy(&valid, &splits.test, 512, &backend.device).1,
        seconds,
    })
}

/// Trains `config` for `steps` steps on each backend from the same initial weights and batches.
pub fn compare_backends(
    config: &ExperimentConfig,
    backends: &[Backend],
    steps: usize,
) -> Result<Comparison, EvalError> {
    if backends.len() < 2 || steps == 0 {
        return Err(EvalError::Invalid(
            "comparing needs at least two backends and one step".into(),
        ));
    }
    config.training.validate()?;
    let splits = nonlin_train::data::load(&config.data, config.seed)?;
    // the weights are drawn once, on the first backend, and copied to the others
    let initial = with_backend_rng(|| -> Result<Model, EvalError> {
        let device = backends[0].autodiff();
        device.seed(config.seed);
        Ok(config.model.init(
            &splits.train.sample_shape,
            splits.train.num_classes,
            &device,
        )?)
    })?;
    let runs = backends
        .iter()
        .map(|b| run_on(config, &initial, &splits, b, steps))
        .collect::<Result<Vec<_>, _>>()?;
    let mut agreement = Vec::new();
    for (i, a) in runs.iter().enumerate() {
        for b in &runs[i + 1..] {
            let losses_a: Vec<f32> = a.losses.iter().map(|&l| l as f32).collect();
            let losses_b: Vec<f32> = b.losses.iter().map(|&l| l as f32).collect();
            agreement.push(Agreement {
                backends: (a.backend.clone(), b.backend.clone()),
                first_gradient: max_diff(&a.first_gradient, &b.first_gradient),
                loss: max_diff(&losses_a, &losses_b),
                outputs: max_diff(&a.outputs, &b.outputs),
                accuracies: (a.test_accuracy, b.test_accuracy),
            });
        }
    }
    Ok(Comparison {
        model: config
            .model
            .describe(splits.train.sample_len(), splits.train.num_classes),
        steps,
        runs,
        agreement,
    })
}

impl Comparison {
    /// The agreement as Markdown.
    pub fn markdown(&self) -> String {
        let mut out = format!(
            "{} trained {} steps from the same weights and batches on each backend.\n\n\
             | backends | max Δ first-step gradient | max Δ loss (all steps) | max Δ logits after | test accuracy |\n\
             | --- | ---: | ---: | ---: | ---: |\n",
            self.model, self.steps
        );
        for a in &self.agreement {
            out.push_str(&format!(
                "| {} vs {} | {:.2e} | {:.2e} | {:.2e} | {:.4} / {:.4} |\n",
                a.backends.0,
                a.backends.1,
                a.first_gradient,
                a.loss,
                a.outputs,
                a.accuracies.0,
                a.accuracies.1
            ));
        }
        out.push_str("\n| backend | seconds | final loss |\n| --- | ---: | ---: |\n");
        for r in &self.runs {
            out.push_str(&format!(
                "| {} | {:.3} | {:.4} |\n",
                r.backend,
                r.seconds,
                r.losses.last().copied().unwrap_or(f64::NAN)
            ));
        }
        out
    }
}
