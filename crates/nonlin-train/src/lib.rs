//! # nonlin-train
//!
//! Data sets, models whose activations are chosen by config, and training with seeds, per-epoch
//! metrics, atomic checkpoints and exact resume.
//!
//! ```no_run
//! use nonlin_backend::{Backend, BackendKind};
//! use nonlin_train::{ExperimentConfig, RunOptions, train};
//!
//! let mut config = ExperimentConfig::default(); // the built-in digits, MLP 64-128-10, ReLU
//! config.training.epochs = 20;
//! let backend = Backend::select(BackendKind::Flex).unwrap();
//! let summary = train(&config, &backend, &RunOptions::new("runs/digits")).unwrap();
//! println!("test accuracy {:.3}", summary.test_accuracy);
//! ```

pub mod data;
pub mod error;
mod float_serde;
pub mod fs;
pub mod hooks;
pub mod memory;
pub mod model;
pub mod rng;
pub mod run_dir;
pub mod sweep;
pub mod train;

pub use data::{DataConfig, Dataset, DatasetSpec, Splits};
pub use error::{DataError, TrainError};
pub use model::{Model, ModelConfig, ModelKind};
pub use train::{ExperimentConfig, ProgressMode, RunOptions, RunSummary, TrainingConfig, train};
