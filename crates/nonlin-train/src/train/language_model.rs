//! Language-model runs: a character-level [`Transformer`] on text. An epoch is
//! `steps_per_epoch` AdamW steps (as configured: the optimizer, warm-up, schedule per step and
//! clipping are the run's [`TrainingConfig`]) on batches of random windows, then an evaluation in
//! nats and bits per character, with next-character accuracy and tokens per second.
//!
//! Epoch `e` draws its windows from the stream `lm-windows-{e}` of the seed and reseeds the
//! backend (dropout) from the seed and `e`, as a classifier's epoch reseeds its shuffle, so the
//! same seed gives the same run and a resumed run continues exactly.

use super::{
    Diverged, EpochMetrics, ExperimentConfig, Task, TrainingConfig, first_non_finite_parameter,
    fit_epochs, seed_backend_for_epoch,
};
use crate::data::text::{TextCorpus, TextSplit, Windows};
use crate::error::TrainError;
use crate::model::transformer::{Transformer, TransformerConfig};
use crate::rng::Rng;
use burn::module::Module;
use burn::nn::loss::CrossEntropyLossConfig;
use burn::optim::{GradientsParams, ModuleOptimizer};
use burn::tensor::{Device, Int, Tensor};
use nonlin_activations::keep_workers_awake;
use nonlin_backend::Backend;
use std::time::Instant;

/// The transformer of `config.model` on the text of `config.data`.
pub(super) struct LanguageModel<'a> {
    training: &'a TrainingConfig,
    seed: u64,
    corpus: TextCorpus,
    model: TransformerConfig,
    backend: &'a Backend,
}

impl<'a> LanguageModel<'a> {
    /// Loads the text and checks that the model and its windows fit it and memory.
    pub(super) fn new(
        config: &'a ExperimentConfig,
        backend: &'a Backend,
    ) -> Result<Self, TrainError> {
        let corpus = crate::data::load_text(&config.data.dataset)?;
        let model = config.model.transformer_config(corpus.vocabulary.len());
        model.validate()?;
        check_fits(&model, &corpus, config.training.batch_size)?;
        Ok(Self {
            training: &config.training,
            seed: config.seed,
            corpus,
            model,
            backend,
        })
    }
}

/// Refuses, before anything trains, a context that one of the text's parts cannot fill and a
/// model whose weights, gradients, optimizer moments and one batch's activations do not fit in
/// memory.
fn check_fits(
    model: &TransformerConfig,
    corpus: &TextCorpus,
    batch: usize,
) -> Result<(), TrainError> {
    check_windows_fit(corpus, model.context)?;
    let parameters = model.parameter_count();
    // per layer and position: about 16 d_model-wide tensors and the attention scores kept for
    // the backward pass, 4 bytes each
    let activations = (batch as u128)
        .checked_mul(model.context as u128)
        .and_then(|bt| {
            let per_layer = 16 * model.d_model as u128
                + 3 * (model.heads * model.context) as u128
                + 3 * model.ffn_hidden() as u128 * 2;
            bt.checked_mul(per_layer)?.checked_mul(model.layers as u128)
        });
    let bytes = parameters
        .and_then(|p| p.checked_mul(16))
        .zip(activations.and_then(|a| a.checked_mul(4)))
        .and_then(|(p, a)| p.checked_add(a));
    crate::memory::check(
        &format!("the model {}", model.describe()),
        bytes,
        "use fewer layers, a smaller d_model or context, or smaller batches",
    )
    .map_err(TrainError::Config)
}

/// A typed error, before any step, if windows of `context` characters (and their targets) do not
/// fit in both parts of the text.
pub fn check_windows_fit(corpus: &TextCorpus, context: usize) -> Result<(), TrainError> {
    for split in [TextSplit::Train, TextSplit::Valid] {
        corpus.windows(split, 1, context, &mut Rng::new(0))?;
    }
    Ok(())
}

impl Task for LanguageModel<'_> {
    type Model = Transformer;

    fn init_model(&self, device: &Device) -> Result<Transformer, TrainError> {
        self.model.init(device)
    }

    fn run_epoch(
        &self,
        model: Transformer,
        optimizer: &mut ModuleOptimizer,
        epoch: usize,
        on_batch: &mut dyn FnMut(usize, usize),
    ) -> Result<(Transformer, EpochMetrics), Diverged> {
        run_epoch(
            model,
            optimizer,
            &self.corpus,
            self.training,
            self.seed,
            epoch,
            self.backend,
            on_batch,
        )
    }

    fn held_out(&self, model: &Transformer) -> (f64, f64) {
        held_out(model, &self.corpus, self.training, &self.backend.device)
    }

    fn describe_model(&self) -> String {
        self.model.describe()
    }

    fn parameters(&self) -> Option<u128> {
        self.model.parameter_count()
    }
}

/// Windows per evaluation batch: the training batch, at least 64 (no gradients are kept).
fn eval_batch(training: &TrainingConfig) -> usize {
    training.batch_size.max(64)
}

/// A language model's held-out numbers, as its summary reports them (and `nonlin eval` again):
/// loss (nats per character) and next-character accuracy on the whole validation part.
pub fn held_out(
    model: &Transformer,
    corpus: &TextCorpus,
    training: &TrainingConfig,
    device: &Device,
) -> (f64, f64) {
    evaluate(
        model,
        corpus,
        TextSplit::Valid,
        0,
        eval_batch(training),
        device,
    )
}

/// Epoch `epoch` (0-based) of a language model: `steps_per_epoch` steps on windows from the
/// stream `lm-windows-{epoch}`, then an evaluation on the validation part.
#[allow(clippy::too_many_arguments)]
fn run_epoch(
    mut model: Transformer,
    optimizer: &mut ModuleOptimizer,
    corpus: &TextCorpus,
    training: &TrainingConfig,
    seed: u64,
    epoch: usize,
    backend: &Backend,
    on_batch: &mut dyn FnMut(usize, usize),
) -> Result<(Transformer, EpochMetrics), Diverged> {
    let device = backend.autodiff();
    let started = Instant::now();
    seed_backend_for_epoch(&device, seed, epoch);
    let mut rng = Rng::for_stream(seed, &format!("lm-windows-{epoch}"));
    let steps = training.steps_per_epoch();
    let first = epoch * steps;
    let context = model.context;
    let loss_fn = CrossEntropyLossConfig::new().init(&device);
    let mut loss_sum = Tensor::<1>::zeros([1], &device);
    let mut hits = Tensor::<1, Int>::zeros([1], &device);
    for s in 0..steps {
        // the model moves in and the updated one out: a clone would keep the old parameters
        // alive and cost the fused optimizer its in-place update
        model = keep_workers_awake(&device, || {
            let (x, y) = corpus
                .windows(TextSplit::Train, training.batch_size, context, &mut rng)
                .unwrap_or_else(|e| unreachable!("the windows were checked to fit: {e}"))
                .tensors(&device);
            let logits = model.forward(x);
            let [b, t, vocab] = logits.dims();
            let (logits, y) = (logits.reshape([b * t, vocab]), y.reshape([b * t]));
            hits = hits.clone() + correct(&logits, &y);
            let loss = loss_fn.forward(logits, y);
            loss_sum = loss_sum.clone() + loss.clone().detach();
            let grads = GradientsParams::from_grads(loss.backward(), &model);
            optimizer.step(training.learning_rate_at_step(first + s), model, grads)
        });
        on_batch(s + 1, steps);
    }
    let train_seconds = started.elapsed().as_secs_f64();
    // the rate of the epoch's last step, reported with it
    let learning_rate = training.learning_rate_at_step(first + steps - 1);
    let characters = (steps * training.batch_size * context) as f64;
    let train_loss = f64::from(loss_sum.into_scalar::<f32>()) / steps as f64;
    let train_accuracy = hits.into_scalar::<i64>() as f64 / characters;
    let diverged = |what: String| Diverged::new(what, learning_rate);
    if !train_loss.is_finite() {
        return Err(diverged(format!(
            "the mean training loss of steps {}-{} is {train_loss}",
            first + 1,
            first + steps
        )));
    }
    if let Some(name) = first_non_finite_parameter(&model) {
        return Err(diverged(format!(
            "parameter {name} holds NaN or infinite values"
        )));
    }
    let (valid_loss, valid_accuracy) = evaluate(
        &model.valid(),
        corpus,
        TextSplit::Valid,
        training.eval_windows,
        eval_batch(training),
        &backend.device,
    );
    if !valid_loss.is_finite() {
        return Err(diverged(format!("the validation loss is {valid_loss}")));
    }
    let metrics = EpochMetrics {
        epoch: epoch + 1,
        train_loss,
        train_accuracy,
        valid_loss,
        valid_accuracy,
        learning_rate,
        samples_per_second: characters / train_seconds.max(1e-9),
        seconds: started.elapsed().as_secs_f64(),
        valid_bits_per_char: Some(valid_loss / core::f64::consts::LN_2),
    };
    Ok((model, metrics))
}

fn correct(logits: &Tensor<2>, targets: &Tensor<1, Int>) -> Tensor<1, Int> {
    let predicted: Tensor<1, Int> = logits.clone().detach().argmax(1).flatten(0, 1);
    predicted.equal(targets.clone()).int().sum()
}

/// Trains `model` (built on `backend.autodiff()`) on `corpus` for `training.epochs` epochs of
/// `steps_per_epoch` steps, in memory, writing nothing; `on_epoch` sees the model and each
/// epoch's metrics. A loss or a weight that is not finite stops it with
/// [`TrainError::Diverged`].
pub fn fit_language_model(
    model: Transformer,
    corpus: &TextCorpus,
    training: &TrainingConfig,
    seed: u64,
    backend: &Backend,
    on_epoch: impl FnMut(&Transformer, &EpochMetrics),
) -> Result<(Transformer, Vec<EpochMetrics>), TrainError> {
    training.validate()?;
    check_windows_fit(corpus, model.context)?;
    fit_epochs(
        model,
        training,
        |model, optimizer, epoch| {
            run_epoch(
                model,
                optimizer,
                corpus,
                training,
                seed,
                epoch,
                backend,
                &mut |_, _| {},
            )
        },
        on_epoch,
    )
}

/// Mean cross-entropy (nats per character) and next-character accuracy of `model` on `split`:
/// consecutive, non-overlapping windows of the model's context from the start of the part (the
/// first `max_windows` of them; 0: all), `batch` windows at a time.
pub fn evaluate(
    model: &Transformer,
    corpus: &TextCorpus,
    split: TextSplit,
    max_windows: usize,
    batch: usize,
    device: &Device,
) -> (f64, f64) {
    // on the training steps' worker: the forward passes' buffers come from the same malloc arena
    keep_workers_awake(device, || {
        let ids = corpus.part(split);
        let context = model.context;
        let available = ids.len().saturating_sub(1) / context;
        let windows = match max_windows {
            0 => available,
            n => n.min(available),
        };
        let loss_fn = CrossEntropyLossConfig::new().init(device);
        let mut loss_sum = Tensor::<1>::zeros([1], device);
        let mut hits = Tensor::<1, Int>::zeros([1], device);
        let starts: Vec<usize> = (0..windows).map(|w| w * context).collect();
        for chunk in starts.chunks(batch.max(1)) {
            let mut inputs = Vec::with_capacity(chunk.len() * context);
            let mut targets = Vec::with_capacity(chunk.len() * context);
            for &start in chunk {
                inputs.extend_from_slice(&ids[start..start + context]);
                targets.extend_from_slice(&ids[start + 1..start + context + 1]);
            }
            let (x, y) = Windows {
                inputs,
                targets,
                batch: chunk.len(),
                context,
            }
            .tensors(device);
            let logits = model.forward(x);
            let [b, t, vocab] = logits.dims();
            let logits = logits.reshape([b * t, vocab]);
            let y = y.reshape([b * t]);
            hits = hits + correct(&logits, &y);
            loss_sum = loss_sum + loss_fn.forward(logits, y) * chunk.len() as f64;
        }
        // read back once, after the last chunk
        let n = windows.max(1) as f64;
        let loss = f64::from(loss_sum.into_scalar::<f32>()) / n;
        let accuracy = hits.into_scalar::<i64>() as f64 / (n * context as f64);
        (loss, accuracy)
    })
}

#[cfg(test)]
mod tests;
