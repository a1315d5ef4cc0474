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
use crate::run_dir::RunDir;
use crate::train::{ExperimentConfig, ProgressMode, RunOptions, RunSummary, train};
use nonlin_activations::ActivationConfig;
use nonlin_backend::Backend;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

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

impl Default for SweepConfig {
    fn default() -> Self {
        let activations = [
            "relu",
            "leaky_relu",
            "elu",
            "gelu",
            "maxout(k=2)",
            "tanh",
            "sigmoid",
        ]
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

/// `i/n`: this machine runs every n-th run, starting with the i-th (1-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// 1-based index.
    pub index: usize,
    /// Number of shards.
    pub count: usize,
}

impl Shard {
    /// The whole sweep.
    pub const ALL: Shard = Shard { index: 1, count: 1 };

    fn owns(self, run: usize) -> bool {
        run % self.count == self.index - 1
    }
}

impl Shard {
    /// The shard a cluster scheduler gives this task, from its environment (`var` reads a
    /// variable): a Slurm job array (`SLURM_ARRAY_TASK_ID` with `SLURM_ARRAY_TASK_COUNT`, and
    /// `SLURM_ARRAY_TASK_MIN`/`_STEP` for arrays that do not start at 0 or skip ids) or a
    /// Kubernetes Indexed Job (`JOB_COMPLETION_INDEX`, with the number of completions from
    /// `count` or `NONLIN_SHARD_COUNT`). `None` when neither is set; with the shard, a line saying
    /// where it came from. Missing, contradictory or out-of-range values are errors.
    pub fn from_scheduler(
        var: impl Fn(&str) -> Option<String>,
        count: Option<usize>,
    ) -> Result<Option<(Shard, String)>, TrainError> {
        let bad = |msg: String| TrainError::Config(msg);
        let number = |name: &str| -> Result<Option<usize>, TrainError> {
            match var(name).filter(|v| !v.trim().is_empty()) {
                None => Ok(None),
                Some(v) => v
                    .trim()
                    .parse()
                    .map(Some)
                    .map_err(|_| bad(format!("{name}={v} is not a whole number >= 0"))),
            }
        };
        let slurm =
            match number("SLURM_ARRAY_TASK_ID")? {
                None => None,
                Some(id) => {
                    let count = number("SLURM_ARRAY_TASK_COUNT")?.ok_or_else(|| {
                        bad("SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not; is this \
                         an array job (sbatch --array)?"
                        .into())
                    })?;
                    let min = number("SLURM_ARRAY_TASK_MIN")?.unwrap_or(0);
                    let step = number("SLURM_ARRAY_TASK_STEP")?.unwrap_or(1).max(1);
                    let offset = id.checked_sub(min).filter(|o| o % step == 0);
                    let index = offset.map(|o| o / step).filter(|&i| i < count).ok_or_else(|| {
                    bad(format!(
                        "SLURM_ARRAY_TASK_ID={id} is not one of the {count} tasks of an array \
                         starting at SLURM_ARRAY_TASK_MIN={min} with step {step}"
                    ))
                })?;
                    Some((
                        Shard {
                            index: index + 1,
                            count,
                        },
                        format!(
                            "Slurm array task {id} (SLURM_ARRAY_TASK_MIN={min}, \
                         SLURM_ARRAY_TASK_COUNT={count})"
                        ),
                    ))
                }
            };
        let kubernetes =
            match number("JOB_COMPLETION_INDEX")? {
                None => None,
                Some(index) => {
                    let count = match count {
                    Some(c) => Some(c),
                    None => number("NONLIN_SHARD_COUNT")?,
                }
                .filter(|&c| c > 0)
                .ok_or_else(|| {
                    bad("JOB_COMPLETION_INDEX is set: give the Job's number of completions with \
                         --shard-count N (or NONLIN_SHARD_COUNT)"
                        .into())
                })?;
                    if index >= count {
                        return Err(bad(format!(
                            "JOB_COMPLETION_INDEX={index} is not below the {count} completions"
                        )));
                    }
                    Some((
                        Shard {
                            index: index + 1,
                            count,
                        },
                        format!("Kubernetes completion index {index} of {count}"),
                    ))
                }
            };
        match (slurm, kubernetes) {
            (Some(a), Some(b)) if a.0 != b.0 => Err(bad(format!(
                "the scheduler variables disagree: {} gives shard {}, {} gives shard {}",
                a.1, a.0, b.1, b.0
            ))),
            (Some(a), _) => Ok(Some(a)),
            (None, b) => Ok(b),
        }
    }

    /// The file a finished shard leaves in the sweep directory.
    fn marker(self, dir: &Path) -> PathBuf {
        dir.join("shards")
            .join(format!("{}-of-{}.json", self.index, self.count))
    }
}

impl FromStr for Shard {
    type Err = TrainError;
    fn from_str(s: &str) -> Result<Self, TrainError> {
        let bad = || {
            TrainError::Config(format!(
                "--shard {s}: expected i/n with 1 <= i <= n, e.g. 1/4"
            ))
        };
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let (index, count) = (
            i.trim().parse().map_err(|_| bad())?,
            n.trim().parse().map_err(|_| bad())?,
        );
        if index == 0 || count == 0 || index > count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
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
    "results.json",
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

/// The marker of a directory `nonlin merge --out` wrote.
pub const MERGE_MARKER: &str = "merge.json";

/// Checks that `merge --out dir` overwrites nothing of a user's: `dir` is new, empty, or an
/// earlier merge's output (it holds [`MERGE_MARKER`]). (One of the merged sweeps themselves is
/// also fine; the CLI checks that.)
pub fn check_merge_out(dir: &Path) -> Result<(), TrainError> {
    let empty = match std::fs::read_dir(dir) {
        Ok(mut entries) => entries.next().is_none(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => true,
        Err(e) => return Err(TrainError::io("listing", dir, e)),
    };
    if empty || dir.join(MERGE_MARKER).is_file() {
        return Ok(());
    }
    Err(TrainError::RunDir {
        path: dir.to_path_buf(),
        reason: format!(
            "holds files and is not an earlier merge's output (no {MERGE_MARKER}): not a sweep's \
             results; write the merged table into a new or empty directory, or into one of the \
             merged sweeps"
        ),
    })
}

/// Writes the merged `table` into `dir` with the marker naming its sources.
pub fn write_merged(table: &SweepTable, dir: &Path, sources: &[PathBuf]) -> Result<(), TrainError> {
    create_dir(dir)?;
    let sources: Vec<String> = sources
        .iter()
        .map(|s| {
            std::path::absolute(s)
                .unwrap_or_else(|_| s.clone())
                .display()
                .to_string()
        })
        .collect();
    let marker = serde_json::json!({ "format": "nonlin-merge", "sources": sources });
    write_atomic(
        &dir.join(MERGE_MARKER),
        &serde_json::to_vec_pretty(&marker).expect("the marker serialises"),
    )?;
    table.write(dir)
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
    for planned in owned.iter().cloned() {
        let run_dir = dir.join("runs").join(&planned.id);
        if let Some(done) = finished(&run_dir)? {
            check_run_config(&run_dir, &planned.config)?;
            skipped += 1;
            on_run(&planned, &done, true);
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
        on_run(&planned, &summary, false);
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
        let mut table = merge(&[dir.to_path_buf()], true)?;
        table.missing.clear();
        table.missing_shards.clear();
        table
    };
    Ok(SweepOutcome {
        trained,
        skipped,
        table,
    })
}

/// Checks that the run in `run_dir` is the experiment the sweep planned for it.
fn check_run_config(run_dir: &Path, planned: &ExperimentConfig) -> Result<(), TrainError> {
    let saved = ExperimentConfig::load(&run_dir.join("config.toml"))?;
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
    let path = run_dir.join("summary.json");
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

/// One finished run, as the table sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    /// Data set spec.
    pub dataset: String,
    /// Model kind.
    pub model: String,
    /// Activation spec.
    pub activation: String,
    /// Seed.
    pub seed: u64,
    /// The run's summary.
    pub summary: RunSummary,
}

/// One row: a (data set, model, activation) over its seeds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SweepRow {
    /// Data set spec.
    pub dataset: String,
    /// Model kind.
    pub model: String,
    /// Activation spec.
    pub activation: String,
    /// Seeds aggregated.
    pub seeds: Vec<u64>,
    /// Mean test accuracy.
    pub test_accuracy_mean: f64,
    /// Standard deviation of the test accuracy (n − 1; 0 for one seed).
    pub test_accuracy_std: f64,
    /// Mean final training loss.
    pub final_loss_mean: f64,
    /// Mean epochs to the target validation accuracy over the seeds that reached it.
    pub epochs_to_target_mean: Option<f64>,
    /// How many seeds reached the target.
    pub reached_target: usize,
    /// Mean seconds per epoch (a measurement: varies between runs).
    pub seconds_per_epoch: f64,
    /// Mean training samples per second (a measurement: varies between runs).
    pub samples_per_second: f64,
}

/// The aggregated results of a sweep.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SweepTable {
    /// Rows, best mean test accuracy first within each data set and model.
    pub rows: Vec<SweepRow>,
    /// Every run that went into them.
    pub runs: Vec<RunRecord>,
    /// Runs the sweeps plan that have not finished (the table is partial when any are listed).
    #[serde(default)]
    pub missing: Vec<String>,
    /// The shards (`i/n`) those runs belong to, where the shards left their markers.
    #[serde(default)]
    pub missing_shards: Vec<String>,
}

/// The summary without what differs between two runs of the same experiment: timings, the
/// backend's description, paths and the skipped checkpoints of a resume.
fn outcome(summary: &RunSummary) -> RunSummary {
    RunSummary {
        seconds_per_epoch: 0.0,
        samples_per_second: 0.0,
        files: crate::train::RunFiles::new(Path::new("")),
        skipped_checkpoints: Vec::new(),
        ..summary.clone()
    }
}

/// Reads the finished runs of every sweep directory in `dirs` (a sweep, or the shards of one,
/// or sweeps of the same base experiment) into one table. Sweeps of different base experiments
/// are refused; a run found in two directories counts once if both agree and is refused if they
/// do not. Runs planned but not finished make the merge an error naming them and their shards,
/// unless `allow_partial`: then they are listed in [`SweepTable::missing`] and the table says it is
/// partial.
pub fn merge(dirs: &[PathBuf], allow_partial: bool) -> Result<SweepTable, TrainError> {
    let mut by_id: BTreeMap<String, (PathBuf, RunRecord)> = BTreeMap::new();
    let mut planned: BTreeMap<String, ExperimentConfig> = BTreeMap::new();
    let mut positions: BTreeMap<String, usize> = BTreeMap::new();
    let mut shard_counts: std::collections::BTreeSet<usize> = Default::default();
    let mut first_base: Option<(PathBuf, ExperimentConfig)> = None;
    for dir in dirs {
        let recorded = dir.join("sweep.toml");
        if !recorded.is_file() || !dir.join("runs").is_dir() {
            return Err(TrainError::Config(format!(
                "{} is not a sweep directory (it needs sweep.toml and runs/)",
                dir.display()
            )));
        }
        let sweep = SweepConfig::load(&recorded)?;
        match &first_base {
            None => first_base = Some((dir.clone(), sweep.base.clone())),
            Some((first_dir, base)) => {
                let differences = crate::train::config::differences(base, &sweep.base);
                if !differences.is_empty() {
                    return Err(TrainError::Config(format!(
                        "{} and {} are sweeps of different experiments ({}); their results do \
                         not belong in one table",
                        first_dir.display(),
                        dir.display(),
                        differences.join(", ")
                    )));
                }
            }
        }
        for run in sweep.plan()? {
            positions.insert(run.id.clone(), run.index);
            planned.insert(run.id, run.config);
        }
        shard_counts.extend(shard_markers(dir)?.into_iter().map(|s| s.count));
        let runs = dir.join("runs");
        let entries = std::fs::read_dir(&runs).map_err(|e| TrainError::io("listing", &runs, e))?;
        for entry in entries {
            let run_dir = entry
                .map_err(|e| TrainError::io("listing", &runs, e))?
                .path();
            let Some(summary) = finished(&run_dir)? else {
                continue;
            };
            let id = run_dir.file_name().unwrap().to_string_lossy().into_owned();
            let Some(expected) = planned.get(&id) else {
                return Err(TrainError::Config(format!(
                    "{} is not a run of the sweep in {} (its sweep.toml plans no run of that \
                     name); move it out of runs/",
                    run_dir.display(),
                    dir.display()
                )));
            };
            check_run_config(&run_dir, expected)?;
            let config = ExperimentConfig::load(&run_dir.join("config.toml"))?;
            let model = serde_json::to_value(config.model.kind).expect("kinds serialise");
            let record = RunRecord {
                dataset: config.data.dataset.to_string(),
                model: model.as_str().unwrap_or("model").to_string(),
                activation: config.model.activation.spec(),
                seed: config.seed,
                summary,
            };
            if let Some((other_dir, other)) = by_id.get(&id) {
                if outcome(&other.summary) != outcome(&record.summary) {
                    return Err(TrainError::Config(format!(
                        "run {id} is in {} and in {} with different results (test accuracy {} \
                         vs {}); keep one of them",
                        other_dir.display(),
                        dir.display(),
                        other.summary.test_accuracy,
                        record.summary.test_accuracy
                    )));
                }
                continue;
            }
            by_id.insert(id, (dir.clone(), record));
        }
    }
    let missing: Vec<String> = planned
        .keys()
        .filter(|id| !by_id.contains_key(*id))
        .cloned()
        .collect();
    // the shards the missing runs belong to, where the shards say how many there are
    let missing_shards: Vec<String> = match shard_counts.iter().collect::<Vec<_>>()[..] {
        [&count] => {
            let mut indices: Vec<usize> =
                missing.iter().map(|id| positions[id] % count + 1).collect();
            indices.sort_unstable();
            indices.dedup();
            indices.iter().map(|i| format!("{i}/{count}")).collect()
        }
        _ => Vec::new(),
    };
    if !missing.is_empty() && !allow_partial {
        let shown: Vec<&str> = missing.iter().take(8).map(String::as_str).collect();
        return Err(TrainError::Config(format!(
            "the sweep is incomplete: {} of {} planned runs have not finished{} ({}{}); run \
             what is missing (a sweep run again resumes), or pass --allow-partial for a table \
             marked partial",
            missing.len(),
            planned.len(),
            if missing_shards.is_empty() {
                String::new()
            } else {
                format!(", in shard(s) {}", missing_shards.join(", "))
            },
            shown.join(", "),
            if missing.len() > shown.len() {
                ", …"
            } else {
                ""
            }
        )));
    }
    let by_id: BTreeMap<String, RunRecord> =
        by_id.into_iter().map(|(id, (_, r))| (id, r)).collect();
    let mut groups: BTreeMap<(String, String, String), Vec<&RunRecord>> = BTreeMap::new();
    for record in by_id.values() {
        groups
            .entry((
                record.dataset.clone(),
                record.model.clone(),
                record.activation.clone(),
            ))
            .or_default()
            .push(record);
    }
    let mut rows: Vec<SweepRow> = groups
        .into_iter()
        .map(|((dataset, model, activation), mut records)| {
            records.sort_by_key(|r| r.seed);
            let accuracies: Vec<f64> = records.iter().map(|r| r.summary.test_accuracy).collect();
            let (mean, std) = mean_std(&accuracies);
            let reached: Vec<f64> = records
                .iter()
                .filter_map(|r| r.summary.epochs_to_target.map(|e| e as f64))
                .collect();
            let avg = |f: &dyn Fn(&RunSummary) -> f64| {
                records.iter().map(|r| f(&r.summary)).sum::<f64>() / records.len() as f64
            };
            SweepRow {
                dataset,
                model,
                activation,
                seeds: records.iter().map(|r| r.seed).collect(),
                test_accuracy_mean: mean,
                test_accuracy_std: std,
                final_loss_mean: avg(&|s| s.final_train_loss),
                epochs_to_target_mean: (!reached.is_empty()).then(|| mean_std(&reached).0),
                reached_target: reached.len(),
                seconds_per_epoch: avg(&|s| s.seconds_per_epoch),
                samples_per_second: avg(&|s| s.samples_per_second),
            }
        })
        .collect();
    rows.sort_by(|a, b| {
        (&a.dataset, &a.model)
            .cmp(&(&b.dataset, &b.model))
            .then(b.test_accuracy_mean.total_cmp(&a.test_accuracy_mean))
            .then(a.activation.cmp(&b.activation))
    });
    Ok(SweepTable {
        rows,
        runs: by_id.into_values().collect(),
        missing,
        missing_shards,
    })
}

/// The shards that finished in `dir` (their markers in `shards/`).
fn shard_markers(dir: &Path) -> Result<Vec<Shard>, TrainError> {
    let shards = dir.join("shards");
    let entries = match std::fs::read_dir(&shards) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(TrainError::io("listing", &shards, e)),
    };
    let mut found = Vec::new();
    for entry in entries {
        let name = entry
            .map_err(|e| TrainError::io("listing", &shards, e))?
            .file_name();
        let parsed = name
            .to_str()
            .and_then(|n| n.strip_suffix(".json"))
            .and_then(|n| n.split_once("-of-"))
            .and_then(|(i, n)| format!("{i}/{n}").parse::<Shard>().ok());
        found.extend(parsed);
    }
    Ok(found)
}

fn mean_std(values: &[f64]) -> (f64, f64) {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = if values.len() > 1 {
        values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)
    } else {
        0.0
    };
    (mean, var.sqrt())
}

impl SweepTable {
    /// The table as Markdown.
    pub fn markdown(&self) -> String {
        let mut out = String::from(
            "| dataset | model | activation | seeds | test accuracy (mean ± std) | final loss | epochs to target | time/epoch (s) | samples/s |\n\
             | --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |\n",
        );
        for r in &self.rows {
            let target = match r.epochs_to_target_mean {
                Some(e) => format!("{e:.1} ({}/{})", r.reached_target, r.seeds.len()),
                None => format!("— (0/{})", r.seeds.len()),
            };
            out.push_str(&format!(
                "| {} | {} | {} | {} | {:.4} ± {:.4} | {:.4} | {} | {:.4} | {:.0} |\n",
                r.dataset.replace('|', "\\|"),
                r.model,
                r.activation,
                r.seeds.len(),
                r.test_accuracy_mean,
                r.test_accuracy_std,
                r.final_loss_mean,
                target,
                r.seconds_per_epoch,
                r.samples_per_second
            ));
        }
        if !self.missing.is_empty() {
            out.push_str(&format!(
                "\nPartial: {} of {} planned runs have not finished{}: {}\n",
                self.missing.len(),
                self.missing.len() + self.runs.len(),
                if self.missing_shards.is_empty() {
                    String::new()
                } else {
                    format!(" (shards {})", self.missing_shards.join(", "))
                },
                self.missing.join(", ")
            ));
        }
        out
    }

    /// The table as CSV.
    pub fn csv(&self) -> String {
        let mut out = String::from(
            "dataset,model,activation,seeds,test_accuracy_mean,test_accuracy_std,final_loss_mean,epochs_to_target_mean,reached_target,seconds_per_epoch,samples_per_second\n",
        );
        for r in &self.rows {
            let quote = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
            out.push_str(&format!(
                "{},{},{},{},{},{},{},{},{},{},{}\n",
                quote(&r.dataset),
                quote(&r.model),
                quote(&r.activation),
                r.seeds.len(),
                r.test_accuracy_mean,
                r.test_accuracy_std,
                r.final_loss_mean,
                r.epochs_to_target_mean
                    .map_or(String::new(), |e| e.to_string()),
                r.reached_target,
                r.seconds_per_epoch,
                r.samples_per_second
            ));
        }
        out
    }

    /// Writes `results.md`, `results.csv` and `results.json` into `dir`.
    pub fn write(&self, dir: &Path) -> Result<(), TrainError> {
        write_atomic(&dir.join("results.md"), self.markdown().as_bytes())?;
        write_atomic(&dir.join("results.csv"), self.csv().as_bytes())?;
        write_atomic(
            &dir.join("results.json"),
            &serde_json::to_vec_pretty(self).expect("table serialises"),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_partition_the_runs() {
        let shards: Vec<Shard> = ["1/3", "2/3", "3/3"]
            .iter()
            .map(|s| s.parse().unwrap())
            .collect();
        for run in 0..20 {
            assert_eq!(shards.iter().filter(|s| s.owns(run)).count(), 1);
        }
        for bad in ["0/2", "3/2", "1", "a/b", "1/0"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
    }

    #[test]
    fn shards_come_from_slurm_and_kubernetes_variables() {
        let env = |pairs: &[(&str, &str)]| {
            let map: std::collections::HashMap<String, String> = pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            move |name: &str| map.get(name).cloned()
        };
        let shard = |pairs: &[(&str, &str)], count: Option<usize>| {
            Shard::from_scheduler(env(pairs), count).map(|s| s.map(|(shard, _)| shard.to_string()))
        };
        assert_eq!(shard(&[], None).unwrap(), None);
        // a 0-based array of 4, a 1-based one (--array=1-4), and one with a step (0-6:2)
        let slurm = |id: &str, min: &str, step: &str| {
            shard(
                &[
                    ("SLURM_ARRAY_TASK_ID", id),
                    ("SLURM_ARRAY_TASK_COUNT", "4"),
                    ("SLURM_ARRAY_TASK_MIN", min),
                    ("SLURM_ARRAY_TASK_STEP", step),
                ],
                None,
            )
        };
        assert_eq!(slurm("0", "0", "1").unwrap().unwrap(), "1/4");
        assert_eq!(slurm("3", "0", "1").unwrap().unwrap(), "4/4");
        assert_eq!(slurm("1", "1", "1").unwrap().unwrap(), "1/4");
        assert_eq!(slurm("4", "1", "1").unwrap().unwrap(), "4/4");
        assert_eq!(slurm("6", "0", "2").unwrap().unwrap(), "4/4");
        for (id, min, step) in [
            ("4", "0", "1"),
            ("0", "1", "1"),
            ("3", "0", "2"),
            ("x", "0", "1"),
        ] {
            assert!(slurm(id, min, step).is_err(), "{id} {min} {step}");
        }
        let no_count = shard(&[("SLURM_ARRAY_TASK_ID", "2")], None).unwrap_err();
        assert!(
            no_count.to_string().contains("SLURM_ARRAY_TASK_COUNT"),
            "{no_count}"
        );
        // Kubernetes: the count from the flag or NONLIN_SHARD_COUNT
        let k8s = [("JOB_COMPLETION_INDEX", "2")];
        assert_eq!(shard(&k8s, Some(3)).unwrap().unwrap(), "3/3");
        let with_env = [("JOB_COMPLETION_INDEX", "0"), ("NONLIN_SHARD_COUNT", "5")];
        assert_eq!(shard(&with_env, None).unwrap().unwrap(), "1/5");
        assert!(
            shard(&k8s, None)
                .unwrap_err()
                .to_string()
                .contains("--shard-count")
        );
        assert!(shard(&k8s, Some(2)).is_err(), "index 2 of 2 completions");
        // both, disagreeing
        let both = [
            ("SLURM_ARRAY_TASK_ID", "0"),
            ("SLURM_ARRAY_TASK_COUNT", "2"),
            ("JOB_COMPLETION_INDEX", "1"),
        ];
        assert!(
            shard(&both, Some(2))
                .unwrap_err()
                .to_string()
                .contains("disagree")
        );
    }

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

    #[test]
    fn mean_and_sample_std() {
        assert_eq!(mean_std(&[1.0, 3.0]), (2.0, 2f64.sqrt()));
        assert_eq!(mean_std(&[0.5]), (0.5, 0.0));
    }
}
