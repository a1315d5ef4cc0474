//! `nonlin bench compare-backends`: the same model (identical initial weights), seed and batches trained
//! for N steps at the configured learning rate on several backends, and how far their losses,
//! gradients and outputs drift apart: a classifier on its data set or a language model on its text.

use crate::error::EvalError;
use burn::module::Module;
use burn::nn::loss::CrossEntropyLossConfig;
use burn::optim::GradientsParams;
use burn::tensor::{Device, Int, Tensor, TensorData};
use nonlin_backend::Backend;
use nonlin_train::data::text::{TextCorpus, TextSplit};
use nonlin_train::model::TransformerConfig;
use nonlin_train::model::transformer::Transformer;
use nonlin_train::rng::Rng;
use nonlin_train::train::{language_model, loss_and_accuracy, with_backend_rng};
use nonlin_train::{ExperimentConfig, Model, ModelKind, Splits};
use serde::{Deserialize, Serialize};

/// What one backend computed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BackendRun {
    /// Backend description.
    pub backend: String,
    /// Training loss at every step.
    pub losses: Vec<f64>,
    /// The first layer's weight gradient at the first step (a language model's: the token
    /// embedding's).
    pub first_gradient: Vec<f32>,
    /// Logits after training: a classifier's on the first 256 test samples, a language model's
    /// on the first two validation windows.
    pub outputs: Vec<f32>,
    /// Held-out accuracy after training: a classifier's on the test split, a language model's
    /// next-character accuracy on the first 64 validation windows.
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

fn floats(t: Tensor<2>) -> Vec<f32> {
    t.into_data()
        .convert::<f32>()
        .try_into_vec()
        .expect("float tensor")
}

/// What differs between comparing a classifier and a language model: the model, a step's batch
/// and loss, the weight whose first gradient is reported, and the probe after training.
trait Compared {
    type Model: Module + Clone;
    /// The model, drawn on `device` (already seeded).
    fn init(&self, device: &Device) -> Result<Self::Model, EvalError>;
    /// The training loss of step `step` (the batch depends on the step only).
    fn loss(&self, model: &Self::Model, step: usize, device: &Device) -> Tensor<1>;
    /// The weight whose first-step gradient is compared: the first layer's.
    fn first_weight(&self, model: &Self::Model) -> Tensor<2>;
    /// Outputs of the trained model (validation mode) on fixed held-out inputs.
    fn outputs(&self, model: &Self::Model, device: &Device) -> Vec<f32>;
    /// Held-out accuracy of the trained model (validation mode).
    fn accuracy(&self, model: &Self::Model, device: &Device) -> f64;
    /// The model, as the report names it.
    fn describe(&self) -> String;
}

/// A classifier on its data set's splits: shuffled batches, logits on the first 256 test samples,
/// accuracy on the whole test split.
struct Classifier<'a> {
    config: &'a ExperimentConfig,
    splits: Splits,
    /// Each step's sample indices, drawn once for every backend.
    batches: Vec<Vec<usize>>,
}

impl<'a> Classifier<'a> {
    /// Epoch after epoch of shuffled full batches (each epoch's order from the seed and its
    /// number), `steps` of them.
    fn new(config: &'a ExperimentConfig, splits: Splits, steps: usize) -> Self {
        let batch = config.training.batch_size;
        let len = splits.train.len();
        let per_epoch = (len / batch).max(1);
        let mut batches = Vec::with_capacity(steps);
        for epoch in 0..steps.div_ceil(per_epoch) {
            let mut order: Vec<usize> = (0..len).collect();
            Rng::for_stream(config.seed, &format!("compare-{epoch}")).shuffle(&mut order);
            for index in 0..per_epoch {
                let end = ((index + 1) * batch).min(len);
                batches.push(order[index * batch..end].to_vec());
            }
        }
        batches.truncate(steps);
        Self {
            config,
            splits,
            batches,
        }
    }
}

impl Compared for Classifier<'_> {
    type Model = Model;

    fn init(&self, device: &Device) -> Result<Model, EvalError> {
        let train = &self.splits.train;
        Ok(self
            .config
            .model
            .init(&train.sample_shape, train.num_classes, device)?)
    }

    fn loss(&self, model: &Model, step: usize, device: &Device) -> Tensor<1> {
        let batch = self.splits.train.batch(&self.batches[step], device);
        CrossEntropyLossConfig::new()
            .init(device)
            .forward(model.forward(batch.x), batch.y)
    }

    fn first_weight(&self, model: &Model) -> Tensor<2> {
        let dense = model.dense();
        dense.layers.first().map_or(&dense.head, |l| l).weight.val()
    }

    fn outputs(&self, model: &Model, device: &Device) -> Vec<f32> {
        let probe: Vec<usize> = (0..self.splits.test.len().min(256)).collect();
        floats(model.forward(self.splits.test.batch(&probe, device).x))
    }

    fn accuracy(&self, model: &Model, device: &Device) -> f64 {
        loss_and_accuracy(model, &self.splits.test, 512, device).1
    }

    fn describe(&self) -> String {
        let train = &self.splits.train;
        self.config
            .model
            .describe(train.sample_len(), train.num_classes)
    }
}

/// Held-out windows a language model's probe and accuracy read: enough for a stable accuracy,
/// few enough that wgpu on a CPU (lavapipe) finishes in seconds.
const PROBE_WINDOWS: usize = 64;

/// A language model on its text: random training windows from the seed's stream per step, logits on the first two validation windows, accuracy on the
/// first [`PROBE_WINDOWS`].
struct LanguageModel<'a> {
    config: &'a ExperimentConfig,
    corpus: TextCorpus,
    model: TransformerConfig,
}

impl Compared for LanguageModel<'_> {
    type Model = Transformer;

    fn init(&self, device: &Device) -> Result<Transformer, EvalError> {
        Ok(self.model.init(device)?)
    }

    fn loss(&self, model: &Transformer, step: usize, device: &Device) -> Tensor<1> {
        let mut rng = Rng::for_stream(self.config.seed, &format!("compare-lm-{step}"));
        let (x, y) = self
            .corpus
            .windows(
                TextSplit::Train,
                self.config.training.batch_size,
                self.model.context,
                &mut rng,
            )
            .unwrap_or_else(|e| unreachable!("the windows were checked to fit: {e}"))
            .tensors(device);
        let logits = model.forward(x);
        let [b, t, vocab] = logits.dims();
        CrossEntropyLossConfig::new()
            .init(device)
            .forward(logits.reshape([b * t, vocab]), y.reshape([b * t]))
    }

    fn first_weight(&self, model: &Transformer) -> Tensor<2> {
        model.embedding.weight.val()
    }

    fn outputs(&self, model: &Transformer, device: &Device) -> Vec<f32> {
        let context = self.model.context;
        let valid = self.corpus.part(TextSplit::Valid);
        let windows = (valid.len() / context).min(2);
        let ids: Vec<i64> = valid[..windows * context]
            .iter()
            .map(|&id| i64::from(id))
            .collect();
        let x = Tensor::<2, Int>::from_data(TensorData::new(ids, [windows, context]), device);
        floats(model.forward(x).flatten(0, 1))
    }

    fn accuracy(&self, model: &Transformer, device: &Device) -> f64 {
        let batch = self.config.training.batch_size.max(PROBE_WINDOWS);
        language_model::evaluate(
            model,
            &self.corpus,
            TextSplit::Valid,
            PROBE_WINDOWS,
            batch,
            device,
        )
        .1
    }

    fn describe(&self) -> String {
        self.model.describe()
    }
}

fn run_on<T: Compared>(
    task: &T,
    config: &ExperimentConfig,
    initial: &T::Model,
    backend: &Backend,
    steps: usize,
) -> BackendRun {
    let device = backend.autodiff();
    // `fork` keeps the parameters tracked on the new device; `to_device` does not
    let mut model = initial.clone().fork(&device);
    let mut optimizer = config.training.optimizer();
    let mut losses = Vec::with_capacity(steps);
    let mut first_gradient = Vec::new();
    let started = std::time::Instant::now();
    for step in 0..steps {
        let loss = task.loss(&model, step, &device);
        losses.push(f64::from(loss.clone().into_scalar::<f32>()));
        let grads = loss.backward();
        if step == 0 {
            let gradient: Tensor<2> = task
                .first_weight(&model)
                .grad(&grads)
                .expect("the first layer's weight is trained");
            first_gradient = floats(gradient);
        }
        let grads = GradientsParams::from_grads(grads, &model);
        // the configured rate without its schedule: a warm-up would leave a short comparison
        // with nothing trained
        model = optimizer.step(config.training.learning_rate, model, grads);
    }
    let seconds = started.elapsed().as_secs_f64();
    let valid = model.valid();
    BackendRun {
        backend: backend.describe(),
        losses,
        first_gradient,
        outputs: task.outputs(&valid, &backend.device),
        test_accuracy: task.accuracy(&valid, &backend.device),
        seconds,
    }
}

fn compare_task<T: Compared>(
    task: &T,
    config: &ExperimentConfig,
    backends: &[Backend],
    steps: usize,
) -> Result<Comparison, EvalError> {
    // the weights are drawn once, on the first backend, and copied to the others
    let initial = with_backend_rng(|| {
        let device = backends[0].autodiff();
        device.seed(config.seed);
        task.init(&device)
    })?;
    let runs: Vec<BackendRun> = backends
        .iter()
        .map(|b| run_on(task, config, &initial, b, steps))
        .collect();
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
        model: task.describe(),
        steps,
        runs,
        agreement,
    })
}

/// Trains `config` for `steps` steps on each backend from the same initial weights and batches:
/// a classifier on its data set, or a language model (`model.kind = transformer`) on its text.
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
    config.validate()?;
    if config.model.kind == ModelKind::Transformer {
        let corpus = nonlin_train::data::load_text(&config.data.dataset)?;
        let model = config.model.transformer_config(corpus.vocabulary.len());
        model.validate()?;
        language_model::check_windows_fit(&corpus, model.context)?;
        let task = LanguageModel {
            config,
            corpus,
            model,
        };
        compare_task(&task, config, backends, steps)
    } else {
        let splits = nonlin_train::data::load(&config.data, config.seed)?;
        compare_task(
            &Classifier::new(config, splits, steps),
            config,
            backends,
            steps,
        )
    }
}

impl Comparison {
    /// The agreement as Markdown.
    pub fn markdown(&self) -> String {
        let mut out = format!(
            "{} trained {} steps from the same weights and batches on each backend.\n\n\
             | backends | max Δ first-step gradient | max Δ loss (all steps) | max Δ logits after | held-out accuracy |\n\
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
