//! Typed errors of evaluation and diagnostics.

use std::path::PathBuf;

/// What can go wrong when evaluating or diagnosing a model.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    /// A training-side problem (data, model config, backend).
    #[error(transparent)]
    Train(#[from] nonlin_train::TrainError),
    /// A data problem.
    #[error(transparent)]
    Data(#[from] nonlin_train::DataError),
    /// An activation spec or parameter that is invalid.
    #[error(transparent)]
    Activation(#[from] nonlin_activations::ActivationError),
    /// A checkpoint that is missing, corrupt, or of another model.
    #[error("{}: {reason}", .path.display())]
    Checkpoint {
        /// The checkpoint or run directory.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A probe set without samples.
    #[error("the probe set is empty; use a data set with samples or a larger --probe")]
    EmptyProbe,
    /// A study whose parameters make no sense.
    #[error("invalid study: {0}")]
    Invalid(String),
    /// A file that cannot be read or written.
    #[error("{what} {}: {source}", .path.display())]
    Io {
        /// What was being done: "reading", "writing".
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
}
