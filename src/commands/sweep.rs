//! `nonlin sweep` and `nonlin merge`.

use super::SpecList;
use super::train::TrainArgs;
use anyhow::{Context, Result};
use clap::Args;
use nonlin_activations::ActivationConfig;
use nonlin_backend::{Backend, BackendKind};
use nonlin_train::sweep::{self, Shard, SweepConfig};
use nonlin_train::{DatasetSpec, ModelKind, ProgressMode};
use std::path::PathBuf;

/// The grid; the base experiment comes from the training flags.
#[derive(Args, Debug)]
pub struct SweepArgs {
    /// A sweep TOML file: activations, seeds, datasets, models, and the base experiment in [base].
    #[arg(long = "sweep")]
    pub sweep_file: Option<PathBuf>,
    /// Activations separated by `;` (default: relu;leaky_relu;elu;gelu;maxout(k=2);tanh;sigmoid).
    #[arg(long)]
    pub over_activations: Option<SpecList<ActivationConfig>>,
    /// Seeds, e.g. 1,2,3.
    #[arg(long, value_delimiter = ',')]
    pub seeds: Option<Vec<u64>>,
    /// Data sets separated by `;` (default: the base experiment's).
    #[arg(long)]
    pub over_datasets: Option<SpecList<DatasetSpec>>,
    /// Model kinds, e.g. mlp,maxout_mlp (default: the base experiment's).
    #[arg(long, value_delimiter = ',')]
    pub over_models: Option<Vec<String>>,
    /// Run only this shard, i/n (e.g. 2/4), for splitting a sweep over machines. Without it, a
    /// Slurm array task (SLURM_ARRAY_TASK_ID/COUNT/MIN) or a Kubernetes Indexed Job
    /// (JOB_COMPLETION_INDEX, with --shard-count) takes its shard from the environment.
    #[arg(long)]
    pub shard: Option<String>,
    /// Number of shards of a Kubernetes Indexed Job (its completions); also NONLIN_SHARD_COUNT.
    #[arg(long)]
    pub shard_count: Option<usize>,
}

impl SweepArgs {
    fn config(&self, base: &TrainArgs) -> Result<SweepConfig> {
        let mut sweep = match &self.sweep_file {
            Some(path) => SweepConfig::load(path)?,
            // text data or --model transformer: the language model's sweep and defaults
            None if base.is_language_model() => SweepConfig::language_model(),
            None => SweepConfig::default(),
        };
        // training flags (and --config) override the base experiment of the file or the default
        sweep.base = base.experiment_over(sweep.base.clone())?;
        if let Some(list) = &self.over_activations {
            sweep.activations = list.0.clone();
        }
        if let Some(seeds) = &self.seeds {
            sweep.seeds = seeds.clone();
        }
        if let Some(list) = &self.over_datasets {
            sweep.datasets = list.0.clone();
        }
        if let Some(models) = &self.over_models {
            sweep.models = models
                .iter()
                .map(|m| serde_json::from_value::<ModelKind>(serde_json::Value::String(m.clone())))
                .collect::<Result<_, _>>()
                .with_context(|| {
                    format!(
                        "--over-models {}: use mlp, maxout_mlp, deep_mlp, cnn or transformer",
                        models.join(",")
                    )
                })?;
        }
        Ok(sweep)
    }
}

pub fn run(
    grid: &SweepArgs,
    base: &TrainArgs,
    out: PathBuf,
    exist_ok: bool,
    backend: BackendKind,
) -> Result<()> {
    let sweep = grid.config(base)?;
    let shard = match &grid.shard {
        Some(s) => s.parse()?,
        None => match Shard::from_scheduler(|v| std::env::var(v).ok(), grid.shard_count)? {
            Some((shard, source)) => {
                eprintln!("shard {shard} from the {source}");
                shard
            }
            None => Shard::ALL,
        },
    };
    let backend = Backend::select(backend)?;
    let plan = sweep.plan()?;
    eprintln!(
        "sweep of {} runs ({} activations × {} seeds × {} data sets × {} models), shard {shard}, on {} -> {}",
        plan.len(),
        sweep.activations.len(),
        sweep.seeds.len(),
        sweep.datasets.len().max(1),
        sweep.models.len().max(1),
        backend.describe(),
        out.display()
    );
    let outcome = sweep::run(
        &sweep,
        &backend,
        &out,
        shard,
        ProgressMode::Quiet,
        exist_ok,
        |run, summary, skipped| {
            let result = match summary.bits_per_char {
                Some(bits) => format!("valid_loss={:.4} ({bits:.4} bits/char)", summary.test_loss),
                None => format!("test_acc={:.4}", summary.test_accuracy),
            };
            eprintln!(
                "[{:>3}/{}] {} {result}{}",
                run.index + 1,
                plan.len(),
                run.id,
                if skipped {
                    " (done before, skipped)"
                } else {
                    ""
                }
            );
        },
    )
    .context("sweep failed")?;
    print!("{}", outcome.table.markdown());
    if shard == Shard::ALL {
        println!(
            "\n{} runs trained, {} skipped; wrote {}/results.{{md,csv,json}}",
            outcome.trained,
            outcome.skipped,
            out.display()
        );
    } else {
        println!(
            "\nshard {shard}: {} runs trained, {} skipped; when every shard has finished, \
             `nonlin merge {}` writes the table",
            outcome.trained,
            outcome.skipped,
            out.display()
        );
    }
    Ok(())
}

pub fn merge(dirs: &[PathBuf], out: Option<PathBuf>, allow_partial: bool) -> Result<()> {
    let table = sweep::merge(dirs, allow_partial)?;
    if !table.missing.is_empty() {
        eprintln!(
            "warning: the table is partial: {} planned runs have not finished{} ({})",
            table.missing.len(),
            if table.missing_shards.is_empty() {
                String::new()
            } else {
                format!(" in shard(s) {}", table.missing_shards.join(", "))
            },
            table.missing.join(", ")
        );
    }
    if let Some(out) = out {
        // the merged table goes into a directory of its own or one of the merged sweeps
        let is_input = dirs.iter().any(|d| same_dir(d, &out));
        if is_input {
            table.write(&out)?;
        } else {
            sweep::check_merge_out(&out)?;
            sweep::write_merged(&table, &out, dirs)?;
        }
        eprintln!("wrote {}/results.{{md,csv,json}}", out.display());
    }
    print!("{}", table.markdown());
    Ok(())
}

fn same_dir(a: &std::path::Path, b: &std::path::Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}
