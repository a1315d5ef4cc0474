//! `nonlin sample`: text from a trained character-level language model, continuing a prompt.

use crate::error::EvalError;
use crate::evaluate::{load_language_model, locate};
use nonlin_train::data::text::UnknownChars;
use nonlin_train::model::ModelKind;
use nonlin_train::rng::Rng;
use nonlin_train::{ExperimentConfig, TrainError};
use std::path::Path;

/// What to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct SampleOptions {
    /// The text to continue (at least one character the model knows).
    pub prompt: String,
    /// Characters to generate.
    pub tokens: usize,
    /// Softmax temperature: 1 samples the model's distribution, below 1 sharpens it, 0 takes
    /// the most likely character every time.
    pub temperature: f64,
    /// Seeds the draws: the same seed, prompt and model give the same text.
    pub seed: u64,
}

/// The continuation of `options.prompt` by the language model at `path` (a run directory, a
/// checkpoint directory or a `.bpk` file, as for `nonlin eval`), on `backend`.
pub fn sample(
    path: &Path,
    options: &SampleOptions,
    backend: &nonlin_backend::Backend,
) -> Result<String, EvalError> {
    let (config_path, weights) = locate(path)?;
    let config = ExperimentConfig::load(&config_path)?;
    if config.model.kind != ModelKind::Transformer {
        return Err(TrainError::Config(format!(
            "{} holds a classifier ({:?} on {}); nonlin sample continues text with a language \
             model (trained with --model transformer on text)",
            path.display(),
            config.model.kind,
            config.data.dataset
        ))
        .into());
    }
    let (corpus, model) = load_language_model(&config, &weights, &backend.device)?;
    let vocabulary = &corpus.vocabulary;
    let prompt = vocabulary
        .encode(&options.prompt, UnknownChars::Error)
        .map_err(|missing| {
            let shown: Vec<String> = missing.iter().map(|(c, _)| format!("{c:?}")).collect();
            TrainError::Config(format!(
                "the prompt has characters the model never saw in training: {}; its vocabulary \
                 is {:?}",
                shown.join(", "),
                vocabulary.symbols().iter().collect::<String>()
            ))
        })?;
    let mut rng = Rng::for_stream(options.seed, "sample");
    let generated = model.generate(&prompt, options.tokens, options.temperature, &mut rng)?;
    Ok(vocabulary.decode(&generated))
}
