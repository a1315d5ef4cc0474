//! Typed errors of data loading and training.

use std::path::PathBuf;

/// What can be wrong with a data set or its files.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// A data set name that nonlin does not know.
    #[error("unknown dataset `{name}`{}; choose one of: {}", did_you_mean(.suggestion), crate::data::spec::DATASET_NAMES.join(", "))]
    UnknownDataset {
        /// The name as given.
        name: String,
        /// The closest known name.
        suggestion: Option<String>,
    },
    /// A malformed data set spec.
    #[error("dataset `{spec}`: {reason}")]
    Spec {
        /// The spec as given.
        spec: String,
        /// What is wrong.
        reason: String,
    },
    /// A data set whose contents do not make sense.
    #[error("dataset {dataset}: {reason}")]
    Invalid {
        /// The data set.
        dataset: String,
        /// What is wrong.
        reason: String,
    },
    /// A file that is not valid IDX.
    #[error("{}: {reason}", .path.display())]
    Idx {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A file that ends before its header says it should.
    #[error("{}: truncated: the header announces {expected} bytes of data but the file has {found}; download it again", .path.display())]
    Truncated {
        /// The file.
        path: PathBuf,
        /// Bytes announced.
        expected: usize,
        /// Bytes present.
        found: usize,
    },
    /// Data set files that are not where they should be.
    #[error(
        "{dataset}: {} not found in {}. Put the standard IDX files (raw or .gz) there, or point \
         --data-dir / NONLIN_DATA_DIR at the directory that holds them",
        .missing.join(", "), .dir.display()
    )]
    MissingFiles {
        /// The data set.
        dataset: String,
        /// Where they were looked for.
        dir: PathBuf,
        /// The missing files.
        missing: Vec<String>,
    },
    /// Files that could not be downloaded.
    #[error(
        "{dataset}: could not download into {}: {}. Offline? Put the files {} (raw or .gz) into {} \
         yourself, or point --data-dir / NONLIN_DATA_DIR at a directory that holds them",
        .dir.display(), .attempts.join("; "), .files.join(", "), .dir.display()
    )]
    Download {
        /// The data set.
        dataset: String,
        /// Where the files should go.
        dir: PathBuf,
        /// Each URL tried and why it failed.
        attempts: Vec<String>,
        /// The files the data set needs.
        files: Vec<String>,
    },
    /// A CSV problem at a line.
    #[error("{}: line {line}: {reason}", .path.display())]
    Csv {
        /// The file.
        path: PathBuf,
        /// 1-based line (the header is line 1).
        line: u64,
        /// What is wrong.
        reason: String,
    },
    /// A file that cannot be read.
    #[error("reading {}: {source}", .path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
}

pub(crate) fn did_you_mean(suggestion: &Option<String>) -> String {
    suggestion
        .as_ref()
        .map(|s| format!(" (did you mean `{s}`?)"))
        .unwrap_or_default()
}

/// What can go wrong when building or training a model.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    /// A data problem.
    #[error(transparent)]
    Data(#[from] DataError),
    /// An invalid activation.
    #[error(transparent)]
    Activation(#[from] nonlin_activations::ActivationError),
    /// An unusable backend.
    #[error(transparent)]
    Backend(#[from] nonlin_backend::BackendError),
    /// An invalid or inconsistent configuration.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// A file or directory that cannot be read or written.
    #[error("{what} {}: {source}", .path.display())]
    Io {
        /// What was being done.
        what: &'static str,
        /// The path.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// A run directory that this run may not use (another run, a user's files, a lock held).
    #[error("{}: {reason}", .path.display())]
    RunDir {
        /// The directory.
        path: PathBuf,
        /// Why it cannot be used.
        reason: String,
    },
    /// A checkpoint that cannot be used.
    #[error("checkpoint {}: {reason}", .path.display())]
    Checkpoint {
        /// The checkpoint.
        path: PathBuf,
        /// Why it cannot be used.
        reason: String,
    },
    /// The loss became NaN or infinite.
    #[error(
        "training diverged in epoch {epoch}: {what}. The last good checkpoint (finite weights and \
         losses) is {}; lower the learning rate (now {learning_rate}) or enable gradient clipping",
        .last_good.as_ref().map_or_else(|| "none (it diverged in the first epoch)".to_string(), |p| p.display().to_string())
    )]
    Diverged {
        /// 1-based epoch.
        epoch: usize,
        /// What was not finite, e.g. "the mean training loss is NaN".
        what: String,
        /// The learning rate in that epoch.
        learning_rate: f64,
        /// The checkpoint kept from before.
        last_good: Option<PathBuf>,
    },
}

impl TrainError {
    /// An I/O error about `path`.
    pub fn io(what: &'static str, path: &std::path::Path, source: std::io::Error) -> Self {
        Self::Io {
            what,
            path: path.to_path_buf(),
            source,
        }
    }
}
