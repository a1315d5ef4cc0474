//! Checkpoints: `checkpoints/epoch-NNNN/` holds everything a run needs to go on and to report —
//! `model.bpk`, `optimizer.bpk`, `best.bpk` (the best model so far), `state.json` (history and
//! best epoch), `config.toml` — and `manifest.json` with the size and SHA-256 of each.
//!
//! Commit protocol: the files are written and synced in a temporary directory with a random name,
//! the manifest last, and the directory is renamed into place: that rename is the commit. A
//! checkpoint is *intact* when its manifest matches its files; resume takes the newest intact one,
//! so a kill at any moment leaves either the new checkpoint or the previous one, and a truncated or
//! altered file makes resume fall back to the one before, saying why.

use super::{ExperimentConfig, RunState};
use crate::error::TrainError;
use crate::fs::{copy_atomic, create_dir, sync_dir, temp_dir_in, write_atomic};
use crate::run_dir::{CONFIG, MODEL};
use burn::module::Module;
use burn::optim::ModuleOptimizer;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

/// How many epoch checkpoints to keep.
const KEEP: usize = 2;
/// The files of a checkpoint, besides the manifest.
const FILES: [&str; 5] = [MODEL, "optimizer.bpk", "best.bpk", "state.json", CONFIG];
const MANIFEST: &str = "manifest.json";

/// The checkpoints of one run directory.
#[derive(Debug, Clone)]
pub struct Checkpoints {
    dir: PathBuf,
}

/// One committed checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// Its directory, `checkpoints/epoch-NNNN`.
    pub dir: PathBuf,
    /// Epochs completed when it was written.
    pub epoch: usize,
}

impl Checkpoint {
    /// The weights after its epoch.
    pub fn model(&self) -> PathBuf {
        self.dir.join(MODEL)
    }

    /// The best model up to its epoch.
    pub fn best_model(&self) -> PathBuf {
        self.dir.join("best.bpk")
    }

    /// The run state (history, best epoch) after its epoch.
    pub fn state(&self) -> Result<RunState, TrainError> {
        let path = self.dir.join("state.json");
        let text =
            std::fs::read_to_string(&path).map_err(|e| TrainError::io("reading", &path, e))?;
        serde_json::from_str(&text).map_err(|e| TrainError::Checkpoint {
            path: self.dir.clone(),
            reason: format!("state.json: {e}"),
        })
    }

    /// The experiment config it was written with.
    pub fn config_file(&self) -> PathBuf {
        self.dir.join(CONFIG)
    }

    /// The experiment it belongs to.
    pub fn config(&self) -> Result<ExperimentConfig, TrainError> {
        ExperimentConfig::load(&self.config_file())
    }
}

/// A checkpoint that was passed over, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skipped {
    /// The checkpoint directory.
    pub dir: PathBuf,
    /// What is wrong with it.
    pub reason: String,
}

/// The newest intact checkpoint, and the newer ones that were not.
#[derive(Debug, Clone)]
pub struct Newest {
    /// The checkpoint to use.
    pub checkpoint: Checkpoint,
    /// Newer checkpoints that failed verification.
    pub skipped: Vec<Skipped>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Manifest {
    format: String,
    epoch: usize,
    files: BTreeMap<String, FileDigest>,
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct FileDigest {
    bytes: u64,
    sha256: String,
}

/// Where the best model of a new checkpoint comes from.
pub enum BestFrom<'a> {
    /// This epoch's model is the best.
    ThisEpoch,
    /// An earlier epoch's, as kept in that checkpoint.
    Earlier(&'a Checkpoint),
}

impl Checkpoints {
    /// The checkpoints under `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// Commits the state after `epoch` (see the module docs), then removes checkpoints older than
    /// the last `KEEP`.
    pub fn save<M: Module>(
        &self,
        epoch: usize,
        model: &M,
        optimizer: &ModuleOptimizer,
        state: &RunState,
        config: &ExperimentConfig,
        best: BestFrom<'_>,
    ) -> Result<Checkpoint, TrainError> {
        create_dir(&self.dir)?;
        let target = self.dir.join(epoch_name(epoch));
        let fail = |reason: String| TrainError::Checkpoint {
            path: target.clone(),
            reason,
        };
        let io = |e: std::io::Error| fail(e.to_string());
        let scratch = temp_dir_in(&self.dir, &epoch_name(epoch)).map_err(io)?;
        let file = |name: &str| scratch.path().join(name);
        crate::hooks::crash_point("checkpoint-start");
        model
            .clone()
            .save_file(file(MODEL))
            .map_err(|e| fail(e.to_string()))?;
        crate::hooks::crash_point("checkpoint-model");
        optimizer
            .save(file("optimizer.bpk"))
            .map_err(|e| fail(e.to_string()))?;
        match best {
            BestFrom::ThisEpoch => std::fs::copy(file(MODEL), file("best.bpk")),
            BestFrom::Earlier(c) => std::fs::copy(c.best_model(), file("best.bpk")),
        }
        .map_err(io)?;
        let json = serde_json::to_vec_pretty(state).expect("run state serialises");
        std::fs::write(file("state.json"), json).map_err(io)?;
        std::fs::write(file(CONFIG), config.to_toml()).map_err(io)?;
        crate::hooks::crash_point("checkpoint-files");
        let mut files = BTreeMap::new();
        for name in FILES {
            let path = file(name);
            std::fs::File::open(&path)
                .and_then(|f| f.sync_all())
                .map_err(io)?;
            files.insert(name.to_string(), digest(&path).map_err(io)?);
        }
        let manifest = Manifest {
            format: "nonlin-checkpoint-1".into(),
            epoch,
            files,
        };
        let manifest = serde_json::to_vec_pretty(&manifest).expect("manifest serialises");
        write_atomic(&file(MANIFEST), &manifest)?;
        crate::hooks::crash_point("checkpoint-manifest");
        // a directory of this epoch can only be left from a discarded (corrupt or diverged) past
        if target.exists() {
            std::fs::remove_dir_all(&target).map_err(io)?;
        }
        let scratch = scratch.keep();
        std::fs::rename(&scratch, &target).map_err(io)?;
        sync_dir(&self.dir);
        crate::hooks::crash_point("checkpoint-committed");
        write_atomic(&self.dir.join("latest"), epoch_name(epoch).as_bytes())?;
        self.prune(epoch)?;
        Ok(Checkpoint { dir: target, epoch })
    }

    /// Removes checkpoints more than `KEEP` epochs old, and any of later epochs (left from a
    /// discarded past).
    fn prune(&self, newest: usize) -> Result<(), TrainError> {
        for (epoch, path) in self.list()? {
            if epoch + KEEP <= newest || epoch > newest {
                std::fs::remove_dir_all(&path).map_err(|e| TrainError::io("removing", &path, e))?;
            }
        }
        Ok(())
    }

    /// Every `epoch-NNNN` directory, newest first.
    pub fn list(&self) -> Result<Vec<(usize, PathBuf)>, TrainError> {
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(TrainError::io("listing", &self.dir, e)),
        };
        let mut found = Vec::new();
        for entry in entries {
            let path = entry
                .map_err(|e| TrainError::io("listing", &self.dir, e))?
                .path();
            let epoch = path
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.strip_prefix("epoch-"))
                .and_then(|n| n.parse::<usize>().ok());
            if let Some(epoch) = epoch.filter(|_| path.is_dir()) {
                found.push((epoch, path));
            }
        }
        found.sort_by_key(|&(epoch, _)| std::cmp::Reverse(epoch));
        Ok(found)
    }

    /// The newest checkpoint whose files match its manifest, with the newer ones that did not;
    /// `None` when there are no checkpoints at all, an error naming each when none is intact.
    pub fn newest_intact(&self) -> Result<Option<Newest>, TrainError> {
        let mut skipped = Vec::new();
        for (epoch, dir) in self.list()? {
            match verify(&dir, epoch) {
                Ok(()) => {
                    return Ok(Some(Newest {
                        checkpoint: Checkpoint { dir, epoch },
                        skipped,
                    }));
                }
                Err(reason) => skipped.push(Skipped { dir, reason }),
            }
        }
        if skipped.is_empty() {
            return Ok(None);
        }
        let reasons: Vec<String> = skipped
            .iter()
            .map(|s| format!("{}: {}", s.dir.display(), s.reason))
            .collect();
        Err(TrainError::Checkpoint {
            path: self.dir.clone(),
            reason: format!(
                "no intact checkpoint to resume from ({}); remove the run directory to start over",
                reasons.join("; ")
            ),
        })
    }

    /// Loads `checkpoint` into `model` and `optimizer`.
    pub fn load<M: Module>(
        checkpoint: &Checkpoint,
        model: M,
        optimizer: ModuleOptimizer,
    ) -> Result<(M, ModuleOptimizer, RunState), TrainError> {
        let fail = |reason: String| TrainError::Checkpoint {
            path: checkpoint.dir.clone(),
            reason,
        };
        let state = checkpoint.state()?;
        // the files match their checksums, so a failure here is a model of another shape
        let model = model.try_load_file(checkpoint.model()).map_err(|e| {
            fail(format!(
                "model.bpk does not fit the model of its config.toml: {e}"
            ))
        })?;
        let optimizer = optimizer
            .load(checkpoint.dir.join("optimizer.bpk"))
            .map_err(|e| fail(format!("optimizer.bpk: {e}")))?;
        Ok((model, optimizer, state))
    }

    /// Publishes what the run directory shows from `checkpoint`: the metrics (`history`, the
    /// checkpoint's own, which the caller holds) and the best model.
    pub fn publish(
        checkpoint: &Checkpoint,
        history: &[super::EpochMetrics],
        files: &super::RunFiles,
    ) -> Result<(), TrainError> {
        super::write_metrics(files, history)?;
        crate::hooks::crash_point("publish-metrics");
        if let Some(dir) = files.best_model.parent() {
            create_dir(dir)?;
        }
        copy_atomic(&checkpoint.best_model(), &files.best_model)
    }
}

fn epoch_name(epoch: usize) -> String {
    format!("epoch-{epoch:04}")
}

/// Checks `dir` against its manifest.
fn verify(dir: &Path, epoch: usize) -> Result<(), String> {
    let text = std::fs::read(dir.join(MANIFEST)).map_err(|e| format!("{MANIFEST}: {e}"))?;
    let manifest: Manifest =
        serde_json::from_slice(&text).map_err(|e| format!("{MANIFEST} is corrupt: {e}"))?;
    if manifest.epoch != epoch {
        return Err(format!(
            "{MANIFEST} is for epoch {}, not {epoch}",
            manifest.epoch
        ));
    }
    for name in FILES {
        let path = dir.join(name);
        let expected = manifest
            .files
            .get(name)
            .ok_or_else(|| format!("{MANIFEST} does not list {name}"))?;
        let found = digest(&path).map_err(|e| format!("{name}: {e}"))?;
        if found.bytes != expected.bytes {
            return Err(format!(
                "{name} has {} bytes, the manifest says {} (truncated or replaced)",
                found.bytes, expected.bytes
            ));
        }
        if found.sha256 != expected.sha256 {
            return Err(format!(
                "{name} does not match its SHA-256 (altered or damaged)"
            ));
        }
    }
    Ok(())
}

fn digest(path: &Path) -> std::io::Result<FileDigest> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut bytes = 0u64;
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        bytes += n as u64;
        hasher.update(&buf[..n]);
    }
    let sha256 = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok(FileDigest { bytes, sha256 })
}
