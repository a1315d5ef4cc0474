//! The run directory: its layout, who owns it, and who may write it.
//!
//! ```text
//! <run>/
//!   nonlin-run.json         marker: this directory is a nonlin run
//!   .nonlin-lock            advisory lock, held by the one process writing the run
//!   config.toml             the experiment (data paths absolute)
//!   metrics.jsonl, .csv     one row per epoch        ┐ published from the newest checkpoint,
//!   best/model.bpk          the lowest-validation-   │ and published again from it on resume:
//!                           loss model               ┘ the checkpoint is the single source of truth
//!   checkpoints/epoch-NNNN/ model.bpk, optimizer.bpk, best.bpk, state.json, config.toml,
//!                           manifest.json (sizes and SHA-256 of the others)
//!   checkpoints/latest      the newest checkpoint's name, for people (resume does not need it)
//!   summary.json            written last, from the newest checkpoint
//! ```
//!
//! A fresh run takes a directory that does not exist, is empty, or is a nonlin run that has no
//! results yet; anything else is refused (`exist_ok` admits a directory with other files, as long
//! as none of nonlin's names are taken). Nothing of a user's is ever overwritten.

use crate::error::TrainError;
use crate::fs::{create_dir, remove_temp_leftovers, write_atomic};
use crate::train::Checkpoints;
use serde::{Deserialize, Serialize};
use std::fs::File;
use std::path::{Path, PathBuf};

/// The marker file's name.
pub const MARKER: &str = "nonlin-run.json";
/// The lock file's name.
pub const LOCK: &str = ".nonlin-lock";
/// The experiment's config, in a run directory and in each checkpoint.
pub const CONFIG: &str = "config.toml";
/// The summary a finished run writes last.
pub const SUMMARY: &str = "summary.json";
/// Model weights (`best/model.bpk`, and each checkpoint's `model.bpk`).
pub const MODEL: &str = "model.bpk";
/// The checkpoints' directory.
pub const CHECKPOINTS: &str = "checkpoints";
/// The table a sweep writes at the top of its directory (beside `results.md`, `results.csv`).
pub const SWEEP_RESULTS: &str = "results.json";
/// What the marker says.
const MARKER_TEXT: &str = "{\n  \"format\": \"nonlin-run\",\n  \"version\": 1\n}\n";

/// Files and directories a run writes next to the marker; a run directory holding any of the
/// first group has results that a fresh run must not replace.
const RESULTS: [&str; 5] = [
    "checkpoints",
    "summary.json",
    "metrics.jsonl",
    "metrics.csv",
    "best",
];
// (the lock file is not listed: an empty one is harmless, and ours exists once we hold it)
const OTHERS: [&str; 3] = [MARKER, CONFIG, "report.html"];

/// The files of a run directory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunFiles {
    /// The experiment config.
    pub config: PathBuf,
    /// Per-epoch metrics, JSON lines.
    pub metrics_jsonl: PathBuf,
    /// Per-epoch metrics, CSV.
    pub metrics_csv: PathBuf,
    /// The last checkpoint.
    pub checkpoint: PathBuf,
    /// The best model.
    pub best_model: PathBuf,
    /// This summary.
    pub summary: PathBuf,
}

impl RunFiles {
    /// The files of run directory `dir`.
    pub fn new(dir: &Path) -> Self {
        Self {
            config: dir.join(CONFIG),
            metrics_jsonl: dir.join("metrics.jsonl"),
            metrics_csv: dir.join("metrics.csv"),
            checkpoint: dir.join(CHECKPOINTS),
            best_model: dir.join("best").join(MODEL),
            summary: dir.join(SUMMARY),
        }
    }
}

/// A run directory, by path.
#[derive(Debug, Clone)]
pub struct RunDir {
    path: PathBuf,
}

/// What a run directory holds now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Occupancy {
    /// Nothing there yet (missing or empty).
    Empty,
    /// A nonlin run; `results` names what it has written (checkpoints, summary, …).
    Run {
        /// Result files and directories present.
        results: Vec<String>,
    },
    /// A directory with other files and no marker.
    Foreign {
        /// Some of its entries (at most 5).
        entries: Vec<String>,
        /// How many entries it has.
        count: usize,
    },
}

/// How a run is to use its directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// A new run.
    Fresh {
        /// Accept a directory holding other files (never overwriting any of them).
        exist_ok: bool,
    },
    /// Continue the run in the directory.
    Resume,
}

/// Exclusive use of a run directory while it lives (an OS advisory lock, released on drop or
/// when the process dies).
#[derive(Debug)]
pub struct RunLock {
    _file: File,
}

impl RunDir {
    /// The run directory at `path`.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    /// Its path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The files a run writes.
    pub fn files(&self) -> RunFiles {
        RunFiles::new(&self.path)
    }

    /// Its checkpoints.
    pub fn checkpoints(&self) -> Checkpoints {
        Checkpoints::new(self.path.join(CHECKPOINTS))
    }

    /// The experiment the run recorded: its newest intact checkpoint's, else its `config.toml`
    /// (a run stopped before its first checkpoint); `None` when neither exists.
    pub fn saved_config(&self) -> Result<Option<crate::ExperimentConfig>, TrainError> {
        if let Some(newest) = self.checkpoints().newest_intact()? {
            return newest.checkpoint.config().map(Some);
        }
        let path = self.files().config;
        if path.is_file() {
            return crate::ExperimentConfig::load(&path).map(Some);
        }
        Ok(None)
    }

    /// Whether the directory carries nonlin's marker.
    pub fn is_run(&self) -> bool {
        self.path.join(MARKER).is_file()
    }

    /// What the directory holds.
    pub fn occupancy(&self) -> Result<Occupancy, TrainError> {
        let entries = match std::fs::read_dir(&self.path) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Occupancy::Empty),
            Err(e) if e.kind() == std::io::ErrorKind::NotADirectory => {
                return Err(self.refuse("is a file, not a directory"));
            }
            Err(e) => return Err(TrainError::io("listing", &self.path, e)),
        };
        let mut names: Vec<String> = entries
            .map(|e| {
                e.map(|e| e.file_name().to_string_lossy().into_owned())
                    .map_err(|e| TrainError::io("listing", &self.path, e))
            })
            .collect::<Result<_, _>>()?;
        names.sort();
        if names.iter().any(|n| n == MARKER) {
            let results = names
                .into_iter()
                .filter(|n| RESULTS.contains(&n.as_str()))
                .collect();
            return Ok(Occupancy::Run { results });
        }
        // our lock file and temporary leftovers (a start killed before its marker) are not the
        // user's files
        names.retain(|n| n != LOCK && !crate::fs::is_temp_name(n));
        if names.is_empty() {
            return Ok(Occupancy::Empty);
        }
        Ok(Occupancy::Foreign {
            count: names.len(),
            entries: names.into_iter().take(5).collect(),
        })
    }

    /// Checks, without writing anything, that `claim` may use the directory (and that no other
    /// process is writing it now).
    pub fn check(&self, claim: Claim) -> Result<(), TrainError> {
        self.check_unlocked()?;
        self.check_occupancy(claim)
    }

    fn check_occupancy(&self, claim: Claim) -> Result<(), TrainError> {
        match (claim, self.occupancy()?) {
            (Claim::Fresh { .. }, Occupancy::Empty) => Ok(()),
            (Claim::Fresh { .. }, Occupancy::Run { results }) if results.is_empty() => Ok(()),
            (Claim::Fresh { .. }, Occupancy::Run { results }) => Err(self.refuse(&format!(
                "already holds a run ({}); pass --resume to continue it, or choose another --out",
                results.join(", ")
            ))),
            (Claim::Fresh { exist_ok: false }, Occupancy::Foreign { entries, count }) => Err(self
                .refuse(&format!(
                    "is not empty and is not a nonlin run directory (it holds {}); choose a new or \
                     empty directory, or pass --exist-ok to write the run beside those files \
                     (nonlin never overwrites a file it did not make)",
                    listing(&entries, count)
                ))),
            (Claim::Fresh { exist_ok: true }, Occupancy::Foreign { .. }) => {
                let mut taken: Vec<&str> = RESULTS
                    .iter()
                    .chain(&OTHERS)
                    .copied()
                    .filter(|n| self.path.join(n).symlink_metadata().is_ok())
                    .collect();
                taken.sort_unstable();
                if taken.is_empty() {
                    Ok(())
                } else {
                    Err(self.refuse(&format!(
                        "holds files with the names a run writes ({}), which nonlin did not make \
                         and will not overwrite; choose another --out",
                        taken.join(", ")
                    )))
                }
            }
            (Claim::Resume, Occupancy::Run { .. }) => Ok(()),
            (Claim::Resume, _) => Err(self.refuse(&format!(
                "has nothing to resume: it is not a nonlin run directory (no {MARKER}); drop \
                 --resume to start a new run"
            ))),
        }
    }

    /// Takes the directory for `claim`: checks it, creates it, locks it (failing at once if
    /// another process holds it), checks again under the lock, marks it as a run, and removes
    /// the temporary leftovers of killed processes.
    pub fn claim(&self, claim: Claim) -> Result<RunLock, TrainError> {
        self.check(claim)?;
        create_dir(&self.path)?;
        let lock = self.lock()?;
        self.check_occupancy(claim)?;
        if !self.is_run() {
            write_atomic(&self.path.join(MARKER), MARKER_TEXT.as_bytes())?;
        }
        for dir in [
            self.path.clone(),
            self.path.join("checkpoints"),
            self.path.join("best"),
        ] {
            remove_temp_leftovers(&dir)?;
        }
        Ok(lock)
    }

    /// Fails if another process holds the directory's lock; takes nothing and creates nothing.
    pub fn check_unlocked(&self) -> Result<(), TrainError> {
        let path = self.path.join(LOCK);
        let Ok(file) = File::open(&path) else {
            return Ok(()); // no lock file: nobody has ever locked it
        };
        match file.try_lock() {
            Ok(()) => Ok(()),
            Err(std::fs::TryLockError::WouldBlock) => Err(self.in_use()),
            Err(std::fs::TryLockError::Error(e)) => Err(TrainError::io("locking", &path, e)),
        }
    }

    fn in_use(&self) -> TrainError {
        self.refuse(
            "is in use by another nonlin process (it holds the lock on .nonlin-lock); wait for \
             it to finish, or choose another --out",
        )
    }

    /// Locks the directory, or says which process holds it.
    pub fn lock(&self) -> Result<RunLock, TrainError> {
        let path = self.path.join(LOCK);
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| TrainError::io("opening the lock file", &path, e))?;
        match file.try_lock() {
            Ok(()) => Ok(RunLock { _file: file }),
            Err(std::fs::TryLockError::WouldBlock) => Err(self.in_use()),
            Err(std::fs::TryLockError::Error(e)) => Err(TrainError::io("locking", &path, e)),
        }
    }

    fn refuse(&self, why: &str) -> TrainError {
        TrainError::RunDir {
            path: self.path.clone(),
            reason: why.to_string(),
        }
    }
}

fn listing(entries: &[String], count: usize) -> String {
    let shown = entries.join(", ");
    if count > entries.len() {
        format!("{shown} and {} more", count - entries.len())
    } else {
        shown
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fresh_runs_take_only_empty_or_unfinished_run_directories() {
        let root = tempfile::tempdir().unwrap();
        let fresh = Claim::Fresh { exist_ok: false };
        let dir = RunDir::new(root.path().join("new"));
        assert_eq!(dir.occupancy().unwrap(), Occupancy::Empty);
        let lock = dir.claim(fresh).unwrap();
        assert!(dir.is_run());
        // a second process (here: a second lock) fails fast
        let err = dir.claim(fresh).unwrap_err().to_string();
        assert!(err.contains("in use by another nonlin process"), "{err}");
        drop(lock);
        // no results yet: a new start may reuse it
        drop(dir.claim(fresh).unwrap());
        std::fs::create_dir(dir.path().join("checkpoints")).unwrap();
        let err = dir.claim(fresh).unwrap_err().to_string();
        assert!(err.contains("already holds a run (checkpoints)"), "{err}");
        drop(dir.claim(Claim::Resume).unwrap());

        let mine = RunDir::new(root.path().join("mine"));
        std::fs::create_dir(mine.path()).unwrap();
        std::fs::write(mine.path().join("notes.txt"), "mine").unwrap();
        let err = mine.claim(fresh).unwrap_err().to_string();
        assert!(
            err.contains("not a nonlin run directory (it holds notes.txt)"),
            "{err}"
        );
        let err = mine.claim(Claim::Resume).unwrap_err().to_string();
        assert!(err.contains("nothing to resume"), "{err}");
        drop(mine.claim(Claim::Fresh { exist_ok: true }).unwrap());
        assert_eq!(
            std::fs::read_to_string(mine.path().join("notes.txt")).unwrap(),
            "mine"
        );

        let clash = RunDir::new(root.path().join("clash"));
        std::fs::create_dir(clash.path()).unwrap();
        std::fs::write(clash.path().join("config.toml"), "mine").unwrap();
        let err = clash
            .claim(Claim::Fresh { exist_ok: true })
            .unwrap_err()
            .to_string();
        assert!(err.contains("(config.toml)"), "{err}");
        assert!(!clash.is_run());
    }
}
