//! Checkpoints: `checkpoints/epoch-NNNN/{model.bpk, optimizer.bpk, state.json}` and a `latest`
//! pointer, each written in full before it becomes visible.

use super::RunState;
use crate::error::TrainError;
use crate::fs::{create_dir, sibling, write_atomic};
use crate::model::Model;
use burn::module::Module;
use burn::optim::ModuleOptimizer;
use std::path::{Path, PathBuf};

/// How many epoch checkpoints to keep.
const KEEP: usize = 2;

/// The checkpoints of one run directory.
#[derive(Debug, Clone)]
pub struct Checkpoints {
    dir: PathBuf,
}

impl Checkpoints {
    /// The checkpoints under `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    fn epoch_dir(&self, epoch: usize) -> PathBuf {
        self.dir.join(format!("epoch-{epoch:04}"))
    }

    /// Saves the state after `epoch`: files go into a scratch directory that is renamed into
    /// place, then `latest` is switched to it, then checkpoints older than the last two go.
    pub fn save(
        &self,
        epoch: usize,
        model: &Model,
        optimizer: &ModuleOptimizer,
        state: &RunState,
    ) -> Result<PathBuf, TrainError> {
        create_dir(&self.dir)?;
        let target = self.epoch_dir(epoch);
        let scratch = sibling(&target, "tmp");
        let fail = |reason: String| TrainError::Checkpoint {
            path: target.clone(),
            reason,
        };
        if scratch.exists() {
            std::fs::remove_dir_all(&scratch).map_err(|e| fail(e.to_string()))?;
        }
        create_dir(&scratch)?;
        model
            .clone()
            .save_file(scratch.join("model.bpk"))
            .map_err(|e| fail(e.to_string()))?;
        optimizer
            .save(scratch.join("optimizer.bpk"))
            .map_err(|e| fail(e.to_string()))?;
        let json = serde_json::to_vec_pretty(state).expect("run state serialises");
        std::fs::write(scratch.join("state.json"), json).map_err(|e| fail(e.to_string()))?;
        if target.exists() {
            std::fs::remove_dir_all(&target).map_err(|e| fail(e.to_string()))?;
        }
        std::fs::rename(&scratch, &target).map_err(|e| fail(e.to_string()))?;
        write_atomic(
            &self.dir.join("latest"),
            target.file_name().unwrap().as_encoded_bytes(),
        )?;
        self.prune(epoch)?;
        Ok(target)
    }

    fn prune(&self, newest: usize) -> Result<(), TrainError> {
        for entry in
            std::fs::read_dir(&self.dir).map_err(|e| TrainError::io("listing", &self.dir, e))?
        {
            let path = entry
                .map_err(|e| TrainError::io("listing", &self.dir, e))?
                .path();
            let epoch = path
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.strip_prefix("epoch-"))
                .and_then(|n| n.parse::<usize>().ok());
            if epoch.is_some_and(|e| e + KEEP <= newest) {
                std::fs::remove_dir_all(&path).map_err(|e| TrainError::io("removing", &path, e))?;
            }
        }
        Ok(())
    }

    /// The directory `latest` points to, if there is a checkpoint.
    pub fn latest_dir(&self) -> Result<Option<PathBuf>, TrainError> {
        let pointer = self.dir.join("latest");
        match std::fs::read_to_string(&pointer) {
            Ok(name) => Ok(Some(self.dir.join(name.trim()))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(TrainError::io("reading", &pointer, e)),
        }
    }

    /// Loads the latest checkpoint into `model` and `optimizer`, if there is one.
    pub fn load_latest(
        &self,
        model: Model,
        optimizer: ModuleOptimizer,
    ) -> Result<Option<(Model, ModuleOptimizer, RunState)>, TrainError> {
        let Some(dir) = self.latest_dir()? else {
            return Ok(None);
        };
        load(&dir, model, optimizer).map(Some)
    }
}

fn load(
    dir: &Path,
    model: Model,
    optimizer: ModuleOptimizer,
) -> Result<(Model, ModuleOptimizer, RunState), TrainError> {
    let fail = |reason: String| TrainError::Checkpoint {
        path: dir.to_path_buf(),
        reason,
    };
    let state_path = dir.join("state.json");
    let text =
        std::fs::read_to_string(&state_path).map_err(|e| fail(format!("state.json: {e}")))?;
    let state: RunState =
        serde_json::from_str(&text).map_err(|e| fail(format!("state.json is corrupt: {e}")))?;
    let model = model.try_load_file(dir.join("model.bpk")).map_err(|e| {
        fail(format!(
            "model.bpk: {e}; was it written by another model config?"
        ))
    })?;
    let optimizer = optimizer
        .load(dir.join("optimizer.bpk"))
        .map_err(|e| fail(format!("optimizer.bpk: {e}")))?;
    Ok((model, optimizer, state))
}
