//! The table of a sweep: finished runs grouped by (data set, model, activation) over their seeds,
//! merged from any number of sweep directories without mixing experiments, and written as
//! Markdown, CSV and JSON.

use super::shard::shard_markers;
use super::{SweepConfig, check_run_config, finished};
use crate::error::TrainError;
use crate::fs::{create_dir, write_atomic};
use crate::run_dir::{RunFiles, SWEEP_RESULTS};
use crate::train::{ExperimentConfig, RunSummary};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

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
    /// Mean test loss (a language model's: on its validation part, nats per character).
    #[serde(default)]
    pub test_loss_mean: f64,
    /// Standard deviation of the test loss (n − 1; 0 for one seed).
    #[serde(default)]
    pub test_loss_std: f64,
    /// A language model's mean test loss in bits per character.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bits_per_char_mean: Option<f64>,
    /// Trainable parameters (the same for every seed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameters: Option<u64>,
    /// Mean wall time of a run in seconds (a measurement: varies between runs).
    #[serde(default)]
    pub seconds: f64,
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
        files: RunFiles::new(Path::new("")),
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
            let config = ExperimentConfig::load(&RunFiles::new(&run_dir).config)?;
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
        return Err(TrainError::Config(format!(
            "the sweep is incomplete: {} of {} planned runs have not finished{} ({}); run \
             what is missing (a sweep run again resumes), or pass --allow-partial for a table \
             marked partial",
            missing.len(),
            planned.len(),
            if missing_shards.is_empty() {
                String::new()
            } else {
                format!(", in shard(s) {}", missing_shards.join(", "))
            },
            shortened(&missing)
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
            let losses: Vec<f64> = records.iter().map(|r| r.summary.test_loss).collect();
            let (loss_mean, loss_std) = mean_std(&losses);
            let bits: Vec<f64> = records
                .iter()
                .filter_map(|r| r.summary.bits_per_char)
                .collect();
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
                test_loss_mean: loss_mean,
                test_loss_std: loss_std,
                bits_per_char_mean: (bits.len() == records.len()).then(|| mean_std(&bits).0),
                parameters: records[0].summary.parameters,
                seconds: avg(&|s| s.seconds_per_epoch * s.epochs as f64),
            }
        })
        .collect();
    rows.sort_by(|a, b| {
        (&a.dataset, &a.model)
            .cmp(&(&b.dataset, &b.model))
            // language models by their loss, lowest first; classifiers by accuracy, highest first
            .then(if a.bits_per_char_mean.is_some() {
                a.test_loss_mean.total_cmp(&b.test_loss_mean)
            } else {
                b.test_accuracy_mean.total_cmp(&a.test_accuracy_mean)
            })
            .then(a.activation.cmp(&b.activation))
    });
    Ok(SweepTable {
        rows,
        runs: by_id.into_values().collect(),
        missing,
        missing_shards,
    })
}

/// The first eight names, and `…` for the rest.
fn shortened(names: &[String]) -> String {
    let mut shown = names.iter().take(8).cloned().collect::<Vec<_>>().join(", ");
    if names.len() > 8 {
        shown.push_str(", …");
    }
    shown
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

/// `mean ± std` with four decimals; the mean alone for one seed, whose spread is unknown (not 0).
fn mean_and_spread(mean: f64, std: f64, seeds: usize) -> String {
    if seeds > 1 {
        format!("{mean:.4} ± {std:.4}")
    } else {
        format!("{mean:.4}")
    }
}

impl SweepRow {
    /// The test accuracy as a table shows it: `mean ± std` over the seeds, the mean alone for one.
    pub fn test_accuracy_shown(&self) -> String {
        mean_and_spread(
            self.test_accuracy_mean,
            self.test_accuracy_std,
            self.seeds.len(),
        )
    }

    /// The test loss as a table shows it: `mean ± std` over the seeds, the mean alone for one.
    pub fn test_loss_shown(&self) -> String {
        mean_and_spread(self.test_loss_mean, self.test_loss_std, self.seeds.len())
    }
}

impl SweepTable {
    /// Whether the rows are language models (their table shows losses per character).
    fn is_language_model(&self) -> bool {
        self.rows.iter().any(|r| r.bits_per_char_mean.is_some())
    }

    /// The table as Markdown.
    pub fn markdown(&self) -> String {
        let mut out = if self.is_language_model() {
            self.language_model_markdown()
        } else {
            self.classifier_markdown()
        };
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
                shortened(&self.missing)
            ));
        }
        out
    }

    fn language_model_markdown(&self) -> String {
        let mut out = String::from(
            "| dataset | model | activation | seeds | valid loss, nats/char (mean ± std) | bits/char | next-char accuracy | parameters | final train loss | wall time (s) | chars/s |\n\
             | --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n",
        );
        for r in &self.rows {
            out.push_str(&format!(
                "| {} | {} | {} | {} | {} | {:.4} | {:.4} | {} | {:.4} | {:.0} | {:.0} |\n",
                r.dataset.replace('|', "\\|"),
                r.model,
                r.activation,
                r.seeds.len(),
                r.test_loss_shown(),
                r.bits_per_char_mean.unwrap_or(f64::NAN),
                r.test_accuracy_mean,
                r.parameters.map_or("—".into(), |p| p.to_string()),
                r.final_loss_mean,
                r.seconds,
                r.samples_per_second
            ));
        }
        out
    }

    fn classifier_markdown(&self) -> String {
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
                "| {} | {} | {} | {} | {} | {:.4} | {} | {:.4} | {:.0} |\n",
                r.dataset.replace('|', "\\|"),
                r.model,
                r.activation,
                r.seeds.len(),
                r.test_accuracy_shown(),
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
            "dataset,model,activation,seeds,test_accuracy_mean,test_accuracy_std,final_loss_mean,epochs_to_target_mean,reached_target,seconds_per_epoch,samples_per_second,test_loss_mean,test_loss_std,bits_per_char_mean,parameters,seconds\n",
        );
        for r in &self.rows {
            let quote = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
            out.push_str(&format!(
                "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n",
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
                r.samples_per_second,
                r.test_loss_mean,
                r.test_loss_std,
                r.bits_per_char_mean
                    .map_or(String::new(), |b| b.to_string()),
                r.parameters.map_or(String::new(), |p| p.to_string()),
                r.seconds
            ));
        }
        out
    }

    /// Writes `results.md`, `results.csv` and `results.json` into `dir`.
    pub fn write(&self, dir: &Path) -> Result<(), TrainError> {
        write_atomic(&dir.join("results.md"), self.markdown().as_bytes())?;
        write_atomic(&dir.join("results.csv"), self.csv().as_bytes())?;
        write_atomic(
            &dir.join(SWEEP_RESULTS),
            &serde_json::to_vec_pretty(self).expect("table serialises"),
        )
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mean_and_sample_std() {
        assert_eq!(mean_std(&[1.0, 3.0]), (2.0, 2f64.sqrt()));
        assert_eq!(mean_std(&[0.5]), (0.5, 0.0));
    }

    #[test]
    fn one_seed_shows_its_mean_without_a_spread() {
        assert_eq!(mean_and_spread(1.49504, 0.0, 1), "1.4950");
        assert_eq!(mean_and_spread(1.5464, 0.00441, 3), "1.5464 ± 0.0044");
    }
}
