//! Training throughput of the character-level transformer: optimizer steps on Tiny Shakespeare
//! windows, as `nonlin_train::train::language_model` takes them (AdamW, gradient clipping), timed
//! like the MLP benchmark.

use super::{Steadiness, Timing, peak_resident_bytes, reset_peak_resident, sync, time_steps};
use crate::error::EvalError;
use burn::optim::GradientsParams;
use nonlin_activations::{keep_workers_awake, workers_kept_awake};
use nonlin_backend::Backend;
use nonlin_train::data::text::{TextCorpus, TextSplit};
use nonlin_train::model::transformer::TransformerConfig;
use nonlin_train::rng::Rng;
use nonlin_train::train::TrainingConfig;
use serde::{Deserialize, Serialize};

/// Step time of one transformer configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LanguageModelBench {
    /// Backend description.
    pub backend: String,
    /// The feed-forward activation's spec.
    pub activation: String,
    /// Layers × d_model, heads, the feed-forward hidden width, and the parameter count.
    pub model: String,
    /// Windows per step.
    pub batch_size: usize,
    /// Characters per window.
    pub context: usize,
    /// Time per step (forward, backward, AdamW update).
    pub step: Timing,
    /// Preemption and the machine's own speed while the steps were timed (absent in JSON
    /// written before it existed).
    #[serde(default)]
    pub steadiness: Option<Steadiness>,
    /// The process's peak resident set while the model was built and trained, bytes (Linux):
    /// the binary, the corpus and the allocator's free lists included, as a user's run would
    /// see it; a peak from before the benchmark (an earlier one in the same process) is reset
    /// first where the kernel allows (`peak_reset`).
    pub peak_resident_bytes: Option<u64>,
    /// Whether the peak was reset before this benchmark; `false`: the process's whole life.
    pub peak_reset: bool,
}

impl LanguageModelBench {
    /// Training characters per second at the median step time.
    pub fn tokens_per_second(&self) -> f64 {
        (self.batch_size * self.context) as f64 / self.step.median
    }
}

/// Times `steps` training steps (after the warm-up of [`time_steps`]) of the transformer `config`
/// on batches of `batch_size` Shakespeare windows of the config's context. The config's `vocab` is
/// replaced by the corpus's (65).
pub fn language_model_training(
    backend: &Backend,
    config: &TransformerConfig,
    batch_size: usize,
    steps: usize,
) -> Result<LanguageModelBench, EvalError> {
    let peak_reset = reset_peak_resident();
    let corpus = TextCorpus::shakespeare().map_err(nonlin_train::TrainError::from)?;
    let device = backend.autodiff();
    let config = TransformerConfig {
        vocab: corpus.vocabulary.len(),
        ..config.clone()
    };
    let mut model = config.init(&device)?;
    // the optimizer of a default run (weight decay 0.1, clipping at 1)
    let mut optimizer = TrainingConfig::language_model().optimizer();
    let mut rng = Rng::new(1);
    // windows drawn before timing: the step is what is measured
    let batches: Vec<_> = (0..steps.max(1) + 3)
        .map(|_| corpus.windows(TextSplit::Train, batch_size, config.context, &mut rng))
        .collect::<Result<_, _>>()
        .map_err(nonlin_train::TrainError::from)?;
    let mut next = batches.iter().cycle();
    let (step, steadiness) = time_steps(steps, workers_kept_awake(&device), || {
        let (x, y) = next.next().expect("cycled").tensors(&device);
        keep_workers_awake(&device, || {
            let loss = model.loss(x, y);
            let grads = GradientsParams::from_grads(loss.backward(), &model);
            model = optimizer.step(1e-3, model.clone(), grads);
            // the next step needs the updated weights; reading one waits for this step
            sync(model.embedding.weight.val());
        })
    });
    let peak_resident_bytes = peak_resident_bytes();
    Ok(LanguageModelBench {
        backend: backend.describe(),
        activation: config.activation.spec(),
        model: format!(
            "{} × {}, {} heads, hidden {}, {} parameters",
            config.layers,
            config.d_model,
            config.heads,
            config.ffn_hidden(),
            config
                .parameter_count()
                .map_or("?".into(), |p| p.to_string())
        ),
        batch_size,
        context: config.context,
        step,
        steadiness: Some(steadiness),
        peak_resident_bytes,
        peak_reset,
    })
}
