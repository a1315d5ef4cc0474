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

/// Runs the shard's part of the sweep into `dir`, then writes the table of everything finished.
pub fn run(
    sweep: &SweepConfig,
    backend: &Backend,
    dir: &Path,
    shard: Shard,
    progress: ProgressMode,
    mut on_run: impl FnMut(&PlannedRun, &RunSummary, bool),
) -> Result<SweepOutcome, TrainError> {
    create_dir(dir)?;
    write_atomic(
        &dir.join("sweep.toml"),
        toml::to_string_pretty(sweep)
            .expect("sweep serialises")
            .as_bytes(),
    )?;
    let (mut trained, mut skipped) = (0, 0);
    for planned in sweep.plan()?.into_iter().filter(|r| shard.owns(r.index)) {
        let run_dir = dir.join("runs").join(&planned.id);
        if let Some(done) = finished(&run_dir)? {
            skipped += 1;
            on_run(&planned, &done, true);
            continue;
        }
        let resume = run_dir.join("checkpoints").join("latest").exists();
        let options = RunOptions {
            out_dir: run_dir,
            resume,
            progress,
            stop_after: None,
        };
        let summary = train(&planned.config, backend, &options)?;
        trained += 1;
        on_run(&planned, &summary, false);
    }
    let table = merge(&[dir.to_path_buf()])?;
    table.write(dir)?;
    Ok(SweepOutcome {
        trained,
        skipped,
        table,
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
            "{}: corrupt summary ({e}); delete the run directory to redo it",
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
}

/// Reads the finished runs of every directory in `dirs` (sweep directories, or shards of one) into
/// one table. The same run found twice (the same id) counts once.
pub fn merge(dirs: &[PathBuf]) -> Result<SweepTable, TrainError> {
    let mut by_id: BTreeMap<String, RunRecord> = BTreeMap::new();
    for dir in dirs {
        let runs = dir.join("runs");
        if !runs.is_dir() {
            return Err(TrainError::Config(format!(
                "{} is not a sweep directory (no runs/ inside)",
                dir.display()
            )));
        }
        let entries = std::fs::read_dir(&runs).map_err(|e| TrainError::io("listing", &runs, e))?;
        for entry in entries {
            let run_dir = entry
                .map_err(|e| TrainError::io("listing", &runs, e))?
                .path();
            let Some(summary) = finished(&run_dir)? else {
                continue;
            };
            let config = ExperimentConfig::load(&run_dir.join("config.toml"))?;
            let id = run_dir.file_name().unwrap().to_string_lossy().into_owned();
            let model = serde_json::to_value(config.model.kind).expect("kinds serialise");
            by_id.insert(
                id,
                RunRecord {
                    dataset: config.data.dataset.to_string(),
                    model: model.as_str().unwrap_or("model").to_string(),
                    activation: config.model.activation.spec(),
                    seed: config.seed,
                    summary,
                },
            );
        }
    }
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
    })
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
