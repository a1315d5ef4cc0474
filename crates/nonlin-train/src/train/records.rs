//! What a run records: each epoch's numbers, the run state a checkpoint saves, the summary, and
//! the files of a run directory.

use super::Skipped;
use crate::run_dir::RunFiles;
use serde::{Deserialize, Serialize};

/// One epoch's numbers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochMetrics {
    /// 1-based epoch.
    pub epoch: usize,
    /// Mean training loss over the epoch's batches.
    #[serde(with = "crate::float_serde")]
    pub train_loss: f64,
    /// Training accuracy over the epoch (as the model was while it learned).
    #[serde(with = "crate::float_serde")]
    pub train_accuracy: f64,
    /// Validation loss after the epoch.
    #[serde(with = "crate::float_serde")]
    pub valid_loss: f64,
    /// Validation accuracy after the epoch.
    #[serde(with = "crate::float_serde")]
    pub valid_accuracy: f64,
    /// Learning rate used in the epoch.
    #[serde(with = "crate::float_serde")]
    pub learning_rate: f64,
    /// Training samples per second (a language model's samples are the characters it
    /// predicts: tokens per second).
    #[serde(with = "crate::float_serde")]
    pub samples_per_second: f64,
    /// Wall time of the epoch, validation included.
    #[serde(with = "crate::float_serde")]
    pub seconds: f64,
    /// A language model's validation loss in bits per character (`valid_loss / ln 2`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_bits_per_char: Option<f64>,
}

/// Where a run stands; saved with every checkpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunState {
    /// Epochs completed.
    pub epochs_done: usize,
    /// Metrics of every completed epoch.
    pub history: Vec<EpochMetrics>,
    /// Epoch (1-based) with the lowest validation loss.
    pub best_epoch: usize,
    /// That loss.
    #[serde(with = "crate::float_serde")]
    pub best_valid_loss: f64,
    /// First epoch whose validation accuracy reached the target.
    pub epochs_to_target: Option<usize>,
    /// Whether early stopping ended the run.
    pub stopped_early: bool,
}

impl RunState {
    pub(super) fn new() -> Self {
        Self {
            epochs_done: 0,
            history: Vec::new(),
            best_epoch: 0,
            best_valid_loss: f64::INFINITY,
            epochs_to_target: None,
            stopped_early: false,
        }
    }
}

/// The outcome of a run, as written to `summary.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunSummary {
    /// Data set spec.
    pub dataset: String,
    /// Model description, e.g. `mlp 64-128-10 relu`.
    pub model: String,
    /// Backend description.
    pub backend: String,
    /// The seed.
    pub seed: u64,
    /// Epochs run.
    pub epochs: usize,
    /// Epoch whose model is evaluated (lowest validation loss).
    pub best_epoch: usize,
    /// Test loss of that model (a language model's: on its whole validation part, the held-out
    /// 10% of the text, which is its test set too).
    #[serde(with = "crate::float_serde")]
    pub test_loss: f64,
    /// A language model's test loss in bits per character.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bits_per_char: Option<f64>,
    /// Test accuracy of that model (a language model's: of its next-character predictions).
    #[serde(with = "crate::float_serde")]
    pub test_accuracy: f64,
    /// Validation accuracy of that model.
    #[serde(with = "crate::float_serde")]
    pub valid_accuracy: f64,
    /// Training loss in the last epoch.
    #[serde(with = "crate::float_serde")]
    pub final_train_loss: f64,
    /// First epoch reaching the target validation accuracy.
    pub epochs_to_target: Option<usize>,
    /// Mean seconds per epoch.
    #[serde(with = "crate::float_serde")]
    pub seconds_per_epoch: f64,
    /// Mean training samples (a language model's: characters) per second.
    #[serde(with = "crate::float_serde")]
    pub samples_per_second: f64,
    /// Trainable parameters of the model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameters: Option<u64>,
    /// Whether early stopping ended the run.
    pub stopped_early: bool,
    /// Whether the run stopped before its last epoch because `stop_after` said so.
    pub interrupted: bool,
    /// Newer checkpoints that resume passed over because they were damaged.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skipped_checkpoints: Vec<Skipped>,
    /// Files written.
    pub files: RunFiles,
}
