//! Sweeps: activations × seeds (× data sets × models) → a table of mean ± std test accuracy, final
//! loss, epochs to a target accuracy, time per epoch and throughput.
//!
//! Each run lives in `<sweep>/runs/<id>/`; a run whose `summary.json` says it finished is skipped
//! when the sweep is run again, one that was interrupted resumes from its checkpoint. `--shard i/n`
//! runs every n-th run starting at the i-th, so n machines can split a sweep; [`merge`] reads the
//! summaries of any number of sweep directories and writes the same table as one unsharded run
//! (its timing columns are measurements, and differ between any two runs).

use crate::data::DatasetSpec;
use crate::error::TrainError;
use crate::fs::{create_dir, write_atomic};
use crate::model::ModelKind;
use crate::run_dir::{RunDir, RunFiles, SWEEP_RESULTS};
use crate::train::{ExperimentConfig, ProgressMode, RunOptions, RunSummary, train};
use nonlin_activations::ActivationConfig;
use nonlin_backend::Backend;
use serde::{Deserialize, Serialize};
use std::path::Path;

mod shard;
mod table;

pub use shard::Shard;
pub use table::{
    MERGE_MARKER, RunRecord, SweepRow, SweepTable, check_merge_out, merge, write_merged,
};

/// The grid of a sweep, over a base experiment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SweepConfig {
    /// Activations, as spec strings.
    #[serde(with = "activation_list")]
    pub activations: Vec<ActivationConfig>,
    /// Seeds.
    pub seeds: Vec<u64>,
    /// Data sets (empty: the base experiment's).
    pub datasets: Vec<DatasetSpec>,
    /// Model kinds (empty: the base experiment's).
    pub models: Vec<ModelKind>,
    /// The experiment every run starts from.
    pub base: ExperimentConfig,
}

impl SweepConfig {
    /// The activations a sweep compares by default: the rule of thumb's candidates (ReLU first,
    /// then Leaky ReLU / ELU / GELU / Maxout, tanh over sigmoid).
    pub const DEFAULT_ACTIVATIONS: [&'static str; 7] = [
        "relu",
        "leaky_relu",
        "elu",
        "gelu",
        "maxout(k=2)",
        "tanh",
        "sigmoid",
    ];
}

impl SweepConfig {
    /// The feed-forward activations a language-model sweep compares by default: those of
    /// Shazeer 2020's table 1, the ungated ones and the GLU family.
    pub const LANGUAGE_MODEL_ACTIVATIONS: [&'static str; 9] = [
        "relu",
        "gelu",
        "gelu_tanh",
        "silu",
        "glu",
        "bilinear",
        "reglu",
        "geglu",
        "swiglu",
    ];

    /// A sweep of the transformer's feed-forward activation on Tiny Shakespeare (the base
    /// experiment [`ExperimentConfig::language_model`]), three seeds.
    pub fn language_model() -> Self {
        Self {
            activations: Self::LANGUAGE_MODEL_ACTIVATIONS
                .iter()
                .map(|s| s.parse().expect("catalog names parse"))
                .collect(),
            seeds: vec![1, 2, 3],
            datasets: vec![],
            models: vec![],
            base: ExperimentConfig::language_model(),
        }
    }
}

impl Default for SweepConfig {
    fn default() -> Self {
        let activations = Self::DEFAULT_ACTIVATIONS
            .iter()
            .map(|s| s.parse().expect("catalog names parse"))
            .collect();
        let mut base = ExperimentConfig::default();
        base.training.target_accuracy = Some(0.95);
        Self {
            activations,
            seeds: vec![1, 2, 3],
            datasets: vec![],
            models: vec![],
            base,
        }
    }
}

mod activation_list {
    use nonlin_activations::ActivationConfig;
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub fn serialize<S: Serializer>(list: &[ActivationConfig], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(list.iter().map(ActivationConfig::spec))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<ActivationConfig>, D::Error> {
        Vec::<String>::deserialize(d)?
            .iter()
            .map(|s| s.parse().map_err(D::Error::custom))
            .collect()
    }
}

/// One run of the grid.
#[derive(Debug, Clone)]
pub struct PlannedRun {
    /// Position in the grid (shards are assigned by it).
    pub index: usize,
    /// Directory name, e.g. `digits--mlp--leaky_relu(negative_slope=0.2)--seed-1`.
    pub id: String,
    /// The run's experiment.
    pub config: ExperimentConfig,
    /// Its activation, as a spec.
    pub activation: String,
}

impl SweepConfig {
    /// Reads a sweep TOML file: the grid at the top, the base experiment in `[base]`.
    pub fn load(path: &Path) -> Result<Self, TrainError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| TrainError::io("reading", path, source))?;
        toml::from_str(&text).map_err(|e| TrainError::Config(format!("{}: {e}", path.display())))
    }

    /// Every run of the grid, in a fixed order: data sets, models, activations, seeds.
    pub fn plan(&self) -> Result<Vec<PlannedRun>, TrainError> {
        if self.activations.is_empty() || self.seeds.is_empty() {
            return Err(TrainError::Config(
                "a sweep needs at least one activation and one seed".into(),
            ));
        }
        self.base.validate()?;
        let datasets = if self.datasets.is_empty() {
            vec![self.base.data.dataset.clone()]
        } else {
            self.datasets.clone()
        };
        let models = if self.models.is_empty() {
            vec![self.base.model.kind]
        } else {
            self.models.clone()
        };
        let mut runs = Vec::new();
        for dataset in &datasets {
            for &model in &models {
                for activation in &self.activations {
                    for &seed in &self.seeds {
                        let mut config = self.base.clone();
                        config.data.dataset = dataset.clone();
                        config.model.kind = model;
                        config.model.activation = activation.clone();
                        config.seed = seed;
                        let model_name = serde_json::to_value(model).expect("kinds serialise");
                        let id = format!(
                            "{}--{}--{}--seed-{seed}",
                            dataset,
                            model_name.as_str().unwrap_or("model"),
                            activation.spec()
                        );
                        let id: String = id
                            .chars()
                            .map(|c| {
                                if c.is_ascii_alphanumeric() || "-_.=(),".contains(c) {
                                    c
                                } else {
                                    '_'
                                }
                            })
                            .collect();
                        runs.push(PlannedRun {
                            index: runs.len(),
                            id,
                            config,
                            activation: activation.spec(),
                        });
                    }
                }
            }
        }
        Ok(runs)
    }
}

/// What a sweep did.
#[derive(Debug, Clone)]
pub struct SweepOutcome {
    /// Runs trained now.
    pub trained: usize,
    /// Runs skipped because they had finished before.
    pub skipped: usize,
    /// The table of every finished run in the sweep directory.
    pub table: SweepTable,
}

/// The files a sweep writes at the top of its directory.
const SWEEP_FILES: [&str; 5] = [
    "sweep.toml",
    "runs",
    "results.md",
    "results.csv",
    SWEEP_RESULTS,
];

/// Checks that `dir` may hold `sweep`: it is new or empty, or it holds this very sweep (same
/// settings: a sweep run again resumes), or — with `exist_ok` — it holds other files none of
/// which has a name the sweep writes. A sweep with other settings is refused, naming them.
pub fn check_dir(sweep: &SweepConfig, dir: &Path, exist_ok: bool) -> Result<(), TrainError> {
    let refuse = |reason: String| TrainError::RunDir {
        path: dir.to_path_buf(),
        reason,
    };
    let recorded = dir.join("sweep.toml");
    if recorded.is_file() {
        let saved = SweepConfig::load(&recorded)?;
        let differences = crate::train::config::differences(&saved, sweep);
        if differences.is_empty() {
            return Ok(());
        }
        return Err(refuse(format!(
            "holds a sweep with other settings: {}; run it with its own settings (its \
             sweep.toml), or choose another --out for the new sweep (`nonlin merge` can \
             combine sweeps of the same base experiment)",
            differences.join(", ")
        )));
    }
    let entries: Vec<String> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(TrainError::io("listing", dir, e)),
    };
    if entries.is_empty() {
        return Ok(());
    }
    if !exist_ok {
        let mut shown = entries.clone();
        shown.sort();
        shown.truncate(5);
        return Err(refuse(format!(
            "is not empty and is not a sweep directory (no sweep.toml; it holds {}{}); choose a \
             new or empty directory, or pass --exist-ok to write the sweep beside those files",
            shown.join(", "),
            if entries.len() > 5 { ", …" } else { "" }
        )));
    }
    let taken: Vec<&str> = SWEEP_FILES
        .iter()
        .copied()
        .filter(|n| entries.iter().any(|e| e == n))
        .collect();
    if taken.is_empty() {
        Ok(())
    } else {
        Err(refuse(format!(
            "holds files with the names a sweep writes ({}), which nonlin did not make and will \
             not overwrite; choose another --out",
            taken.join(", ")
        )))
    }
}

impl SweepConfig {
    /// The same sweep with data paths made absolute (see
    /// [`ExperimentConfig::with_absolute_paths`]).
    pub fn with_absolute_paths(&self) -> Result<Self, TrainError> {
        let mut sweep = self.clone();
        sweep.base = self.base.with_absolute_paths()?;
        for dataset in &mut sweep.datasets {
            let mut data = self.base.data.clone();
            data.dataset = dataset.clone();
            *dataset = data.with_absolute_paths()?.dataset;
        }
        Ok(sweep)
    }
}

/// Runs the shard's part of the sweep into `dir`, then writes the table of everything finished.
/// `exist_ok` admits a directory holding other files (see [`check_dir`]).
pub fn run(
    sweep: &SweepConfig,
    backend: &Backend,
    dir: &Path,
    shard: Shard,
    progress: ProgressMode,
    exist_ok: bool,
    mut on_run: impl FnMut(&PlannedRun, &RunSummary, bool),
) -> Result<SweepOutcome, TrainError> {
    let sweep = &sweep.with_absolute_paths()?;
    let plan = sweep.plan()?;
    check_dir(sweep, dir, exist_ok)?;
    create_dir(dir)?;
    write_atomic(
        &dir.join("sweep.toml"),
        toml::to_string_pretty(sweep)
            .expect("sweep serialises")
            .as_bytes(),
    )?;
    let (mut trained, mut skipped) = (0, 0);
    let owned: Vec<PlannedRun> = plan.into_iter().filter(|r| shard.owns(r.index)).collect();
    for planned in &owned {
        let run_dir = dir.join("runs").join(&planned.id);
        if let Some(done) = finished(&run_dir)? {
            check_run_config(&run_dir, &planned.config)?;
            skipped += 1;
            on_run(planned, &done, true);
            continue;
        }
        let resume = RunDir::new(&run_dir).is_run();
        let options = RunOptions {
            out_dir: run_dir,
            resume,
            progress,
            stop_after: None,
            exist_ok: false,
        };
        let summary = train(&planned.config, backend, &options)?;
        trained += 1;
        on_run(planned, &summary, false);
    }
    let table = if shard == Shard::ALL {
        let table = merge(&[dir.to_path_buf()], false)?;
        table.write(dir)?;
        table
    } else {
        // a shard writes only its own files: its marker, never the shared table (other shards
        // may be writing the same directory; `nonlin merge` makes the table)
        let marker = shard.marker(dir);
        create_dir(marker.parent().expect("shards/ has a parent"))?;
        let done = serde_json::json!({
            "shard": shard.to_string(),
            "runs": owned.iter().map(|r| r.id.clone()).collect::<Vec<_>>(),
        });
        write_atomic(
            &marker,
            &serde_json::to_vec_pretty(&done).expect("the marker serialises"),
        )?;
        // what has finished so far, here and in other shards; the table says it is partial
        merge(&[dir.to_path_buf()], true)?
    };
    Ok(SweepOutcome {
        trained,
        skipped,
        table,
    })
}

/// Checks that the run in `run_dir` is the experiment the sweep planned for it.
fn check_run_config(run_dir: &Path, planned: &ExperimentConfig) -> Result<(), TrainError> {
    let saved = ExperimentConfig::load(&RunFiles::new(run_dir).config)?;
    let differences = crate::train::config::differences(&saved, planned);
    if differences.is_empty() {
        return Ok(());
    }
    Err(TrainError::RunDir {
        path: run_dir.to_path_buf(),
        reason: format!(
            "is not the run this sweep plans under that name: {}; was it copied from another \
             sweep? Move it away to have it trained again",
            differences.join(", ")
        ),
    })
}

/// The summary of a finished run, if `run_dir` holds one.
fn finished(run_dir: &Path) -> Result<Option<RunSummary>, TrainError> {
    let path = RunFiles::new(run_dir).summary;
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Ok(None);
    };
    let summary: RunSummary = serde_json::from_str(&text).map_err(|e| {
        TrainError::Config(format!(
            "{}: corrupt summary ({e}); remove this summary.json and run the sweep again: the \
             run's checkpoint gives it back without training",
            path.display()
        ))
    })?;
    Ok((!summary.interrupted).then_some(summary))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_covers_the_grid_with_unique_ids() {
        let mut sweep = SweepConfig {
            seeds: vec![1, 2],
            ..Default::default()
        };
        sweep.datasets = vec!["digits".parse().unwrap(), "xor".parse().unwrap()];
        let plan = sweep.plan().unwrap();
        assert_eq!(plan.len(), 2 * 7 * 2);
        let mut ids: Vec<&str> = plan.iter().map(|r| r.id.as_str()).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), plan.len());
        assert!(
            plan[0].id.starts_with("digits--mlp--relu--seed-1"),
            "{}",
            plan[0].id
        );
    }

    #[test]
    fn sweep_toml_round_trips() {
        let sweep = SweepConfig::default();
        let text = toml::to_string_pretty(&sweep).unwrap();
        assert_eq!(toml::from_str::<SweepConfig>(&text).unwrap(), sweep);
        assert!(
            toml::from_str::<SweepConfig>("activations = [\"relux\"]")
                .unwrap_err()
                .to_string()
                .contains("relu")
        );
    }
}
