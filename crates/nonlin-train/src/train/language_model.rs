//! Training a character-level [`Transformer`] in memory: AdamW with decoupled weight decay,
//! linear warm-up then cosine decay per step, gradient clipping (per parameter tensor, as Burn's
//! optimizers clip; PyTorch's `clip_grad_norm_` clips the global norm), and an evaluation every
//! `eval_interval` steps in nats and bits per character, with next-character accuracy and
//! tokens per second.
//!
//! Steps are grouped in intervals of `eval_interval`; interval `i` draws its windows from the
//! stream `lm-windows-{i}` of the seed and reseeds the backend (dropout) from the seed and `i`, as
//! an epoch does in [`crate::train()`], so that the same seed gives the same run and a run can later
//! continue from the end of any interval. (The run directory, checkpoints and the CLI come next:
//! issue 16.)

use crate::data::text::{TextCorpus, TextSplit, Windows};
use crate::error::TrainError;
use crate::model::transformer::Transformer;
use crate::rng::Rng;
use burn::module::Module;
use burn::optim::grad_clipping::GradientClippingConfig;
use burn::optim::{AdamWConfig, GradientsParams, ModuleOptimizer};
use burn::tensor::{Device, Int, Tensor};
use nonlin_backend::Backend;
use serde::{Deserialize, Serialize};
use std::time::Instant;

/// How to train a language model (nanoGPT's character-level recipe, scaled to a CPU).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LanguageModelTraining {
    /// Optimizer steps in all.
    pub steps: usize,
    /// Windows per step.
    pub batch_size: usize,
    /// Peak learning rate, reached at the end of the warm-up.
    pub learning_rate: f64,
    /// The learning rate at the last step (cosine decay from the peak).
    pub min_learning_rate: f64,
    /// Steps of linear warm-up from `learning_rate / warmup_steps`.
    pub warmup_steps: usize,
    /// AdamW's decoupled weight decay.
    pub weight_decay: f64,
    /// Clip each parameter tensor's gradient to this norm (Burn's `GradientClipping::Norm`; none:
    /// no clipping).
    pub grad_clip: Option<f64>,
    /// Steps between evaluations.
    pub eval_interval: usize,
    /// Validation windows per evaluation (0: the whole validation part, in consecutive
    /// windows of the model's context).
    pub eval_windows: usize,
}

impl Default for LanguageModelTraining {
    fn default() -> Self {
        Self {
            steps: 5000,
            batch_size: 64,
            learning_rate: 1e-3,
            min_learning_rate: 1e-4,
            warmup_steps: 100,
            weight_decay: 0.1,
            grad_clip: Some(1.0),
            eval_interval: 250,
            eval_windows: 0,
        }
    }
}

impl LanguageModelTraining {
    /// Checks the settings, naming the field and the fix.
    pub fn validate(&self) -> Result<(), TrainError> {
        let bad =
            |field: &str, why: String| Err(TrainError::Config(format!("training.{field}: {why}")));
        if self.steps == 0 {
            return bad("steps", "must be at least 1".into());
        }
        if self.batch_size == 0 {
            return bad("batch_size", "must be at least 1".into());
        }
        if self.eval_interval == 0 {
            return bad(
                "eval_interval",
                "must be at least 1 (steps between evaluations)".into(),
            );
        }
        if !(self.learning_rate.is_finite() && self.learning_rate > 0.0) {
            return bad(
                "learning_rate",
                format!("{} is not a positive number", self.learning_rate),
            );
        }
        if !(self.min_learning_rate.is_finite()
            && (0.0..=self.learning_rate).contains(&self.min_learning_rate))
        {
            return bad(
                "min_learning_rate",
                format!(
                    "{} must be between 0 and learning_rate ({})",
                    self.min_learning_rate, self.learning_rate
                ),
            );
        }
        if self.warmup_steps > self.steps {
            return bad(
                "warmup_steps",
                format!("{} exceeds steps ({})", self.warmup_steps, self.steps),
            );
        }
        if !(self.weight_decay.is_finite() && self.weight_decay >= 0.0) {
            return bad(
                "weight_decay",
                format!("{} is not a number >= 0", self.weight_decay),
            );
        }
        if let Some(clip) = self.grad_clip
            && !(clip.is_finite() && clip > 0.0)
        {
            return bad(
                "grad_clip",
                format!("{clip} is not a positive number (leave it out for no clipping)"),
            );
        }
        Ok(())
    }

    /// AdamW (epsilon 1e-8, PyTorch's) with this weight decay and clipping.
    pub fn optimizer(&self) -> ModuleOptimizer {
        AdamWConfig::new()
            .with_epsilon(1e-8)
            .with_weight_decay(self.weight_decay as f32)
            .with_grad_clipping(
                self.grad_clip
                    .map(|c| GradientClippingConfig::Norm(c as f32)),
            )
            .init()
    }

    /// The learning rate of `step` (0-based): linear warm-up to the peak over `warmup_steps`,
    /// then a cosine from the peak to `min_learning_rate` at the last step.
    pub fn learning_rate_at(&self, step: usize) -> f64 {
        if step < self.warmup_steps {
            return self.learning_rate * (step + 1) as f64 / self.warmup_steps as f64;
        }
        let decay_steps = self.steps - self.warmup_steps;
        if decay_steps <= 1 {
            return self.learning_rate;
        }
        let progress = (step - self.warmup_steps) as f64 / (decay_steps - 1) as f64;
        self.min_learning_rate
            + 0.5
                * (self.learning_rate - self.min_learning_rate)
                * (1.0 + (core::f64::consts::PI * progress.min(1.0)).cos())
    }
}

/// One evaluation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LanguageModelEval {
    /// Steps done.
    pub step: usize,
    /// Mean training loss over the interval's steps (nats per character).
    pub train_loss: f64,
    /// Validation loss (nats per character).
    pub valid_loss: f64,
    /// Validation loss in bits per character (`valid_loss / ln 2`).
    pub valid_bits_per_char: f64,
    /// Share of validation characters whose most likely prediction is right.
    pub valid_accuracy: f64,
    /// The learning rate of the interval's last step.
    pub learning_rate: f64,
    /// Training characters per second over the interval (evaluation excluded).
    pub tokens_per_second: f64,
    /// Seconds of the interval, evaluation included.
    pub seconds: f64,
}

/// Trains `model` (built on `backend.autodiff()`) on `corpus` and evaluates it every
/// `training.eval_interval` steps and after the last; `on_eval` sees the model and each
/// evaluation. A mean training loss or a validation loss that is not finite (non-finite weights
/// show there) stops the run with [`TrainError::Diverged`] (its `epoch` is the 1-based interval).
pub fn fit_language_model(
    model: Transformer,
    corpus: &TextCorpus,
    training: &LanguageModelTraining,
    seed: u64,
    backend: &Backend,
    on_eval: impl FnMut(&Transformer, &LanguageModelEval),
) -> Result<(Transformer, Vec<LanguageModelEval>), TrainError> {
    training.validate()?;
    // windows of the model's context must fit in both parts: a typed error before any step
    for split in [TextSplit::Train, TextSplit::Valid] {
        corpus.windows(split, 1, model.context, &mut Rng::new(seed))?;
    }
    super::with_backend_rng(|| fit_exclusive(model, corpus, training, seed, backend, on_eval))
}

fn fit_exclusive(
    mut model: Transformer,
    corpus: &TextCorpus,
    training: &LanguageModelTraining,
    seed: u64,
    backend: &Backend,
    mut on_eval: impl FnMut(&Transformer, &LanguageModelEval),
) -> Result<(Transformer, Vec<LanguageModelEval>), TrainError> {
    let device = backend.autodiff();
    let context = model.context;
    let mut optimizer = training.optimizer();
    let mut history = Vec::new();
    let intervals = training.steps.div_ceil(training.eval_interval);
    for interval in 0..intervals {
        let started = Instant::now();
        super::seed_backend_for_epoch(&device, seed, interval);
        let mut rng = Rng::for_stream(seed, &format!("lm-windows-{interval}"));
        let first = interval * training.eval_interval;
        let last = (first + training.eval_interval).min(training.steps);
        let mut loss_sum = Tensor::<1>::zeros([1], &device);
        for step in first..last {
            let learning_rate = training.learning_rate_at(step);
            let (x, y) = corpus
                .windows(TextSplit::Train, training.batch_size, context, &mut rng)?
                .tensors(&device);
            let loss = model.loss(x, y);
            loss_sum = loss_sum + loss.clone().detach();
            let grads = GradientsParams::from_grads(loss.backward(), &model);
            model = optimizer.step(learning_rate, model, grads);
        }
        let train_seconds = started.elapsed().as_secs_f64();
        // the rate of the interval's last step, reported with it
        let learning_rate = training.learning_rate_at(last - 1);
        let steps = (last - first) as f64;
        let train_loss = f64::from(loss_sum.into_scalar::<f32>()) / steps;
        let diverged = |what: String| TrainError::Diverged {
            epoch: interval + 1,
            what,
            learning_rate,
            last_good: None,
        };
        if !train_loss.is_finite() {
            return Err(diverged(format!(
                "the mean training loss of steps {}-{last} is {train_loss}",
                first + 1
            )));
        }
        let (valid_loss, valid_accuracy) = evaluate(
            &model.valid(),
            corpus,
            TextSplit::Valid,
            training.eval_windows,
            training.batch_size,
            &backend.device,
        );
        if !valid_loss.is_finite() {
            return Err(diverged(format!("the validation loss is {valid_loss}")));
        }
        let eval = LanguageModelEval {
            step: last,
            train_loss,
            valid_loss,
            valid_bits_per_char: valid_loss / core::f64::consts::LN_2,
            valid_accuracy,
            learning_rate,
            tokens_per_second: steps * (training.batch_size * context) as f64
                / train_seconds.max(1e-9),
            seconds: started.elapsed().as_secs_f64(),
        };
        on_eval(&model, &eval);
        history.push(eval);
    }
    Ok((model, history))
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
    let ids = corpus.part(split);
    let context = model.context;
    let available = ids.len().saturating_sub(1) / context;
    let windows = match max_windows {
        0 => available,
        n => n.min(available),
    };
    let loss_fn = burn::nn::loss::CrossEntropyLossConfig::new().init(device);
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
        let predicted: Tensor<1, Int> = logits.clone().argmax(1).flatten(0, 1);
        hits = hits + predicted.equal(y.clone()).int().sum();
        loss_sum = loss_sum + loss_fn.forward(logits, y) * chunk.len() as f64;
    }
    // read back once, after the last chunk
    let n = windows.max(1) as f64;
    let loss = f64::from(loss_sum.into_scalar::<f32>()) / n;
    let accuracy = hits.into_scalar::<i64>() as f64 / (n * context as f64);
    (loss, accuracy)
}

#[cfg(test)]
mod tests;
