//! `nonlin eval`: test loss and accuracy, per-class precision and recall, and the confusion matrix
//! of a trained model.

use crate::error::EvalError;
use burn::module::Module;
use burn::nn::loss::CrossEntropyLossConfig;
use burn::tensor::{Device, Int, Tensor};
use nonlin_backend::Backend;
use nonlin_train::data::text::TextCorpus;
use nonlin_train::data::{self, Splits};
use nonlin_train::model::transformer::Transformer;
use nonlin_train::run_dir::{CONFIG, MODEL, RunFiles};
use nonlin_train::train::load_model;
use nonlin_train::{Dataset, ExperimentConfig, Model};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// A trained model found on disk, with the experiment that made it.
pub struct LoadedRun {
    /// The experiment (from the run's `config.toml`).
    pub config: ExperimentConfig,
    /// The data, split and scaled as in training.
    pub splits: Splits,
    /// The model, on the requested device.
    pub model: Model,
    /// The weights file it was loaded from.
    pub weights: PathBuf,
}

/// Finds the config and weights of `path`: a run directory (its best model), a checkpoint
/// directory (`checkpoints/epoch-NNNN`), or a `.bpk` file inside a run directory.
pub fn locate(path: &Path) -> Result<(PathBuf, PathBuf), EvalError> {
    let missing = |reason: &str| EvalError::Checkpoint {
        path: path.to_path_buf(),
        reason: reason.to_string(),
    };
    if !path.exists() {
        return Err(missing(
            "does not exist; give a run directory, a checkpoint directory or a .bpk file",
        ));
    }
    let run = nonlin_train::run_dir::RunDir::new(path);
    if run.is_run() {
        // the newest intact checkpoint is the run's truth; best/model.bpk is a published copy
        // that a kill can leave one epoch behind
        if let Some(newest) = run.checkpoints().newest_intact()? {
            let checkpoint = newest.checkpoint;
            return Ok((checkpoint.config_file(), checkpoint.best_model()));
        }
    }
    if path.is_dir() && path.join(MODEL).is_file() && path.join(CONFIG).is_file() {
        // a checkpoint directory: its own weights and the config it was written with
        return Ok((path.join(CONFIG), path.join(MODEL)));
    }
    let (weights, start) = if path.is_dir() && path.join(CONFIG).is_file() {
        (RunFiles::new(path).best_model, path.to_path_buf())
    } else if path.is_dir() {
        (path.join(MODEL), path.to_path_buf())
    } else {
        (
            path.to_path_buf(),
            path.parent().map(Path::to_path_buf).unwrap_or_default(),
        )
    };
    if !weights.is_file() {
        return Err(missing(&format!(
            "no model weights at {}",
            weights.display()
        )));
    }
    let config = start
        .ancestors()
        .take(3)
        .map(|dir| dir.join(CONFIG))
        .find(|c| c.is_file())
        .ok_or_else(|| {
            missing("no config.toml in it or the two directories above; is it a nonlin run?")
        })?;
    Ok((config, weights))
}

/// Loads the run at `path` onto `device`, with its data.
pub fn load_run(path: &Path, device: &Device) -> Result<LoadedRun, EvalError> {
    let (config_path, weights) = locate(path)?;
    let config = ExperimentConfig::load(&config_path)?;
    let splits = data::load(&config.data, config.seed)?;
    let model = load_model(&config, &splits, device, &weights)?;
    Ok(LoadedRun {
        config,
        splits,
        model,
        weights,
    })
}

/// Precision, recall and F1 of one class.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassMetrics {
    /// The class index.
    pub class: usize,
    /// Of the samples predicted as this class, the share that are.
    pub precision: f64,
    /// Of the samples of this class, the share predicted as it.
    pub recall: f64,
    /// Harmonic mean of precision and recall.
    pub f1: f64,
    /// Samples of this class.
    pub support: u64,
}

/// The evaluation of a model on a data set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    /// Data set spec and split.
    pub dataset: String,
    /// Model description.
    pub model: String,
    /// Mean cross-entropy.
    pub loss: f64,
    /// Accuracy.
    pub accuracy: f64,
    /// Samples evaluated.
    pub samples: usize,
    /// Per-class metrics.
    pub classes: Vec<ClassMetrics>,
    /// `confusion[true][predicted]` counts (none for a language model).
    pub confusion: Vec<Vec<u64>>,
    /// A language model's loss in bits per character.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bits_per_char: Option<f64>,
}

/// The class `model` predicts for every sample of `data`.
pub fn predictions(model: &Model, data: &Dataset, device: &Device) -> Vec<usize> {
    let indices: Vec<usize> = (0..data.len()).collect();
    let mut predicted = Vec::with_capacity(data.len());
    for chunk in indices.chunks(1024) {
        let batch = data.batch(chunk, device);
        let classes: Tensor<1, Int> = model.forward(batch.x).argmax(1).flatten(0, 1);
        let values: Vec<i64> = classes
            .into_data()
            .convert::<i64>()
            .try_into_vec()
            .expect("int data");
        predicted.extend(values.into_iter().map(|c| c as usize));
    }
    predicted
}

/// Evaluates `model` (no autodiff needed) on `data`: loss, accuracy and the confusion matrix
/// from one pass over the data (the loss summed on the device in batches of 512, as training's
/// [`loss_and_accuracy`](nonlin_train::train::loss_and_accuracy) sums it, so the two agree).
pub fn evaluate(
    model: &Model,
    data: &Dataset,
    device: &Device,
    description: (&str, &str),
) -> Evaluation {
    const BATCH: usize = 512;
    let loss_fn = CrossEntropyLossConfig::new().init(device);
    let k = data.num_classes;
    let mut confusion = vec![vec![0u64; k]; k];
    let mut loss_sum = Tensor::<1>::zeros([1], device);
    let indices: Vec<usize> = (0..data.len()).collect();
    for chunk in indices.chunks(BATCH) {
        let batch = data.batch(chunk, device);
        let logits = model.forward(batch.x);
        let classes: Tensor<1, Int> = logits.clone().argmax(1).flatten(0, 1);
        loss_sum = loss_sum + loss_fn.forward(logits, batch.y) * chunk.len() as f64;
        let predicted: Vec<i64> = classes
            .into_data()
            .convert::<i64>()
            .try_into_vec()
            .expect("int data");
        for (&i, p) in chunk.iter().zip(predicted) {
            confusion[data.labels[i] as usize][(p as usize).min(k - 1)] += 1;
        }
    }
    let n = data.len().max(1) as f64;
    let loss = f64::from(loss_sum.into_scalar::<f32>()) / n;
    let hits: u64 = (0..k).map(|c| confusion[c][c]).sum();
    let accuracy = hits as f64 / n;
    let classes = (0..k)
        .map(|c| {
            let tp = confusion[c][c] as f64;
            let predicted: u64 = confusion.iter().map(|row| row[c]).sum();
            let support: u64 = confusion[c].iter().sum();
            let ratio = |a: f64, b: u64| if b == 0 { 0.0 } else { a / b as f64 };
            let (precision, recall) = (ratio(tp, predicted), ratio(tp, support));
            let f1 = if precision + recall > 0.0 {
                2.0 * precision * recall / (precision + recall)
            } else {
                0.0
            };
            ClassMetrics {
                class: c,
                precision,
                recall,
                f1,
                support,
            }
        })
        .collect();
    Evaluation {
        dataset: description.0.to_string(),
        model: description.1.to_string(),
        loss,
        accuracy,
        samples: data.len(),
        classes,
        confusion,
        bits_per_char: None,
    }
}

/// Evaluates the run at `path` on its test split (a language model on its whole validation part,
/// the held-out 10% of its text: loss per character and next-character accuracy).
pub fn evaluate_run(path: &Path, backend: &Backend) -> Result<Evaluation, EvalError> {
    let (config_path, weights) = locate(path)?;
    let config = ExperimentConfig::load(&config_path)?;
    if config.model.kind == nonlin_train::ModelKind::Transformer {
        return evaluate_language_model(&config, &weights, backend);
    }
    let run = load_run(path, &backend.device)?;
    let test = &run.splits.test;
    let model_name = run
        .config
        .model
        .describe(test.sample_len(), test.num_classes);
    let dataset = format!("{} (test split)", run.config.data.dataset);
    Ok(evaluate(
        &run.model.valid(),
        test,
        &backend.device,
        (&dataset, &model_name),
    ))
}

fn evaluate_language_model(
    config: &ExperimentConfig,
    weights: &Path,
    backend: &Backend,
) -> Result<Evaluation, EvalError> {
    let (corpus, model) = load_language_model(config, weights, &backend.device)?;
    let (loss, accuracy) = nonlin_train::train::language_model::held_out(
        &model,
        &corpus,
        &config.training,
        &backend.device,
    );
    let windows = corpus.valid.len().saturating_sub(1) / model.context;
    Ok(Evaluation {
        dataset: format!("{} (validation part, the last 10%)", config.data.dataset),
        model: config
            .model
            .transformer_config(corpus.vocabulary.len())
            .describe(),
        loss,
        accuracy,
        samples: windows * model.context,
        classes: Vec::new(),
        confusion: Vec::new(),
        bits_per_char: Some(loss / core::f64::consts::LN_2),
    })
}

/// The text of the language model `config` describes and its weights at `weights`, on `device`.
pub(crate) fn load_language_model(
    config: &ExperimentConfig,
    weights: &Path,
    device: &Device,
) -> Result<(TextCorpus, Transformer), EvalError> {
    let corpus = data::load_text(&config.data.dataset).map_err(nonlin_train::TrainError::from)?;
    let model = config
        .model
        .transformer_config(corpus.vocabulary.len())
        .init(device)?
        .try_load_file(weights)
        .map_err(|e| EvalError::Checkpoint {
            path: weights.to_path_buf(),
            reason: format!("{e}; is it a checkpoint of this run's config?"),
        })?;
    Ok((corpus, model))
}

impl Evaluation {
    /// A Markdown report: the headline numbers, per-class metrics and the confusion matrix.
    pub fn markdown(&self) -> String {
        if let Some(bits) = self.bits_per_char {
            return format!(
                "# Evaluation\n\n- data: {}\n- model: {}\n- characters predicted: {}\n- loss: \
                 {:.4} nats/char ({bits:.4} bits/char)\n- next-character accuracy: {:.4}\n",
                self.dataset, self.model, self.samples, self.loss, self.accuracy
            );
        }
        let mut out = format!(
            "# Evaluation\n\n- data: {}\n- model: {}\n- samples: {}\n- loss: {:.4}\n- accuracy: {:.4}\n\n",
            self.dataset, self.model, self.samples, self.loss, self.accuracy
        );
        out.push_str(
            "| class | precision | recall | F1 | support |\n| ---: | ---: | ---: | ---: | ---: |\n",
        );
        for c in &self.classes {
            out.push_str(&format!(
                "| {} | {:.4} | {:.4} | {:.4} | {} |\n",
                c.class, c.precision, c.recall, c.f1, c.support
            ));
        }
        out.push_str("\nConfusion matrix (rows: true class, columns: predicted):\n\n| |");
        for c in 0..self.confusion.len() {
            out.push_str(&format!(" {c} |"));
        }
        out.push_str("\n| ---: |");
        out.push_str(&" ---: |".repeat(self.confusion.len()));
        out.push('\n');
        for (t, row) in self.confusion.iter().enumerate() {
            out.push_str(&format!("| **{t}** |"));
            for v in row {
                out.push_str(&format!(" {v} |"));
            }
            out.push('\n');
        }
        out
    }
}
