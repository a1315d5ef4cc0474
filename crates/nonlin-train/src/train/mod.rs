//! Training: a seeded loop with per-epoch metrics, atomic checkpoints and exact resume, for two
//! tasks — classifiers on their data sets (`classification.rs`) and character-level language
//! models on text (`language_model.rs`) — that differ only in what an epoch and a final
//! evaluation are (the `Task` trait); the loop, resume, checkpoints, metrics and summary are one code.
//!
//! The run directory's layout and who may write it are in [`crate::run_dir`]; the commit
//! protocol of a checkpoint in `checkpoint.rs`. Each epoch ends with a checkpoint (the single
//! source of truth) and then publishes `metrics.{jsonl,csv}` and `best/model.bpk` from it; the
//! summary is computed from the newest checkpoint, never from a published copy.
//!
//! Everything random is derived from the seed per epoch (the shuffle or the text windows, and
//! the backend's generator for dropout and RReLU), so the same seed gives bit-identical runs on
//! the CPU backends, and a resumed run continues exactly where the interrupted one stopped.

mod checkpoint;
mod classification;
pub mod config;
mod fused_adam;
pub mod language_model;
mod progress;
mod records;

pub use crate::run_dir::RunFiles;
pub use checkpoint::{BestFrom, Checkpoint, Checkpoints, Newest, Skipped};
pub use classification::{fit, load_model, loss_and_accuracy};
pub use config::{ExperimentConfig, OptimizerKind, Schedule, TrainingConfig};
pub use progress::ProgressMode;
pub use records::{EpochMetrics, RunState, RunSummary};

use crate::error::TrainError;
use crate::fs::write_atomic;
use crate::model::ModelKind;
use crate::run_dir::{Claim, RunDir};
use burn::module::Module;
use burn::optim::ModuleOptimizer;
use burn::tensor::{Device, Tensor};
use nonlin_backend::Backend;
use progress::Progress;
use std::path::{Path, PathBuf};

/// How to run: where to write, whether to resume, how to report.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// The run directory.
    pub out_dir: PathBuf,
    /// Continue from the last good checkpoint in `out_dir`.
    pub resume: bool,
    /// Progress display.
    pub progress: ProgressMode,
    /// Stop (as if interrupted) after this many epochs in total, leaving the checkpoint behind.
    pub stop_after: Option<usize>,
    /// Accept an `out_dir` that holds other files (none of them is ever overwritten).
    pub exist_ok: bool,
}

impl RunOptions {
    /// Defaults for `out_dir`: no resume, automatic progress display.
    pub fn new(out_dir: impl Into<PathBuf>) -> Self {
        Self {
            out_dir: out_dir.into(),
            resume: false,
            progress: ProgressMode::Auto,
            stop_after: None,
            exist_ok: false,
        }
    }
}

/// Burn's random generator may be process-wide (`Device::seed`), so two trainings in one process
/// would draw from one stream. Everything that seeds the backend and then draws from it (model
/// initialisation, dropout, RReLU) runs inside [`with_backend_rng`], one at a time per process,
/// which keeps the same seed bit-identical; separate processes are independent.
static BACKEND_RNG: std::sync::Mutex<()> = std::sync::Mutex::new(());

thread_local! {
    static HOLDS_BACKEND_RNG: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f` with exclusive use of the backend's random generator. Re-entrant on one thread, so
/// a study that seeds, builds a model and calls [`fit`] can hold it across all three.
pub fn with_backend_rng<T>(f: impl FnOnce() -> T) -> T {
    if HOLDS_BACKEND_RNG.with(std::cell::Cell::get) {
        return f();
    }
    // a holder that panicked leaves nothing behind that matters here
    let _guard = BACKEND_RNG
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    struct Release;
    impl Drop for Release {
        fn drop(&mut self) {
            HOLDS_BACKEND_RNG.with(|h| h.set(false));
        }
    }
    HOLDS_BACKEND_RNG.with(|h| h.set(true));
    let _release = Release;
    f()
}

/// What a run trains. An epoch is one pass over a classifier's training split, or
/// `steps_per_epoch` batches of a language model's text; either way it ends with a validation
/// loss, and the run's summary reports the best epoch's model on held-out data.
trait Task {
    /// The model (built on the autodiff device for training, on the plain one for evaluation).
    type Model: Module;

    /// A fresh model on `device` (the backend is seeded before this is called).
    fn init_model(&self, device: &Device) -> Result<Self::Model, TrainError>;

    /// Trains epoch `epoch` (0-based), reseeding everything random from the seed and `epoch`.
    fn run_epoch(
        &self,
        model: Self::Model,
        optimizer: &mut ModuleOptimizer,
        epoch: usize,
        on_batch: &mut dyn FnMut(usize, usize),
    ) -> Result<(Self::Model, EpochMetrics), Diverged>;

    /// Loss and accuracy of `model` (on the plain device) on the held-out data the summary
    /// reports: a classifier's test split, a language model's whole validation part.
    fn held_out(&self, model: &Self::Model) -> (f64, f64);

    /// The model, for logs and tables.
    fn describe_model(&self) -> String;

    /// Trainable parameters, if the count fits.
    fn parameters(&self) -> Option<u128>;
}

/// Trains `config` on `backend`, writing into `options.out_dir` (see [`crate::run_dir`] for what
/// the directory holds and which directories a run may take).
pub fn train(
    config: &ExperimentConfig,
    backend: &Backend,
    options: &RunOptions,
) -> Result<RunSummary, TrainError> {
    config.validate()?;
    // relative data paths are resolved now, so the run reads the same files from anywhere
    let config = config.with_absolute_paths()?;
    let run = RunDir::new(&options.out_dir);
    let claim = if options.resume {
        Claim::Resume
    } else {
        Claim::Fresh {
            exist_ok: options.exist_ok,
        }
    };
    // a directory this run may not take is refused before the data loads
    run.check(claim)?;
    with_backend_rng(|| {
        if config.model.kind == ModelKind::Transformer {
            let task = language_model::LanguageModel::new(&config, backend)?;
            run_task(&task, &config, backend, options, &run, claim)
        } else {
            let task = classification::Classification::new(&config, backend)?;
            run_task(&task, &config, backend, options, &run, claim)
        }
    })
}

fn run_task<T: Task>(
    task: &T,
    config: &ExperimentConfig,
    backend: &Backend,
    options: &RunOptions,
    run: &RunDir,
    claim: Claim,
) -> Result<RunSummary, TrainError> {
    let files = run.files();
    let checkpoints = run.checkpoints();
    let device = backend.autodiff();
    device.seed(config.seed);
    let fresh_model = task.init_model(&device)?;
    let _lock = run.claim(claim)?;
    let Start {
        mut model,
        mut optimizer,
        mut state,
        mut newest,
        skipped,
    } = if options.resume {
        resume(config, fresh_model, run, &files)?
    } else {
        Start::fresh(config, fresh_model)
    };
    write_atomic(&files.config, config.to_toml().as_bytes())?;
    let training = &config.training;
    if state.epochs_done < training.epochs && !state.stopped_early {
        // the run goes on: a summary of fewer epochs no longer describes it
        remove_if_present(&files.summary)?;
    }
    let mut progress = Progress::new(options.progress, training.epochs);

    while state.epochs_done < training.epochs && !state.stopped_early {
        if options.stop_after.is_some_and(|n| state.epochs_done >= n) {
            break;
        }
        let epoch = state.epochs_done; // 0-based
        let outcome = task.run_epoch(model, &mut optimizer, epoch, &mut |b, n| {
            progress.batch(epoch + 1, b, n)
        });
        let (trained, metrics) = match outcome {
            Ok(done) => done,
            Err(Diverged {
                what,
                learning_rate,
            }) => {
                progress.finish();
                return Err(TrainError::Diverged {
                    epoch: epoch + 1,
                    what,
                    learning_rate,
                    last_good: newest.as_ref().map(|c: &Checkpoint| c.dir.clone()),
                });
            }
        };
        model = trained;
        progress.epoch(&metrics);
        record_epoch(&mut state, metrics, training);
        let best = if state.best_epoch == epoch + 1 {
            BestFrom::ThisEpoch
        } else {
            match &newest {
                Some(previous) => BestFrom::Earlier(previous),
                None => {
                    return Err(TrainError::Checkpoint {
                        path: files.checkpoint.clone(),
                        reason: format!(
                            "the best epoch is {} but no checkpoint holds its model",
                            state.best_epoch
                        ),
                    });
                }
            }
        };
        let saved = checkpoints.save(epoch + 1, &model, &optimizer, &state, config, best)?;
        Checkpoints::publish(&saved, &state.history, &files)?;
        crate::hooks::crash_point("epoch-published");
        newest = Some(saved);
    }
    progress.finish();
    let Some(last) = newest else {
        return Err(TrainError::Config(
            "the run stopped before its first epoch finished; nothing to report".into(),
        ));
    };
    let interrupted = state.epochs_done < training.epochs && !state.stopped_early;
    // the best model comes from the checkpoint, never from a published copy that may be stale
    let best_path = last.best_model();
    let best = task
        .init_model(&backend.device)?
        .try_load_file(&best_path)
        .map_err(|e| TrainError::Checkpoint {
            path: best_path.clone(),
            reason: format!("{e}; is it a checkpoint of this model config?"),
        })?;
    let (test_loss, test_accuracy) = task.held_out(&best);
    let best_metrics = &state.history[state.best_epoch - 1];
    let epochs = state.history.len() as f64;
    let mean = |f: fn(&EpochMetrics) -> f64| state.history.iter().map(f).sum::<f64>() / epochs;
    let summary = RunSummary {
        dataset: config.data.dataset.to_string(),
        model: task.describe_model(),
        backend: backend.describe(),
        seed: config.seed,
        epochs: state.epochs_done,
        best_epoch: state.best_epoch,
        test_loss,
        test_accuracy,
        bits_per_char: (config.model.kind == ModelKind::Transformer)
            .then_some(test_loss / core::f64::consts::LN_2),
        valid_accuracy: best_metrics.valid_accuracy,
        final_train_loss: state.history.last().map_or(f64::NAN, |m| m.train_loss),
        epochs_to_target: state.epochs_to_target,
        seconds_per_epoch: mean(|m| m.seconds),
        samples_per_second: mean(|m| m.samples_per_second),
        parameters: task.parameters().and_then(|p| u64::try_from(p).ok()),
        stopped_early: state.stopped_early,
        interrupted,
        skipped_checkpoints: skipped,
        files: RunFiles {
            checkpoint: last.dir.clone(),
            ..files.clone()
        },
    };
    crate::hooks::crash_point("summary");
    let json = serde_json::to_vec_pretty(&summary).expect("a summary serialises");
    write_atomic(&files.summary, &json)?;
    Ok(summary)
}

/// Where the epoch loop starts: the model, its optimizer and state, the newest checkpoint, and the
/// newer damaged checkpoints that resume passed over.
struct Start<M> {
    model: M,
    optimizer: ModuleOptimizer,
    state: RunState,
    newest: Option<Checkpoint>,
    skipped: Vec<Skipped>,
}

impl<M> Start<M> {
    fn fresh(config: &ExperimentConfig, model: M) -> Self {
        Start {
            model,
            optimizer: config.training.optimizer(),
            state: RunState::new(),
            newest: None,
            skipped: Vec::new(),
        }
    }
}

/// Resumes from the newest intact checkpoint, found once under the lock: it must be the same
/// experiment (everything but the number of epochs equal to the config it recorded, or before the
/// first checkpoint to `config.toml`); its metrics and best model are published again (a kill
/// between a checkpoint and its publication leaves them behind). Without a checkpoint the run
/// starts at epoch 1.
fn resume<M: Module>(
    config: &ExperimentConfig,
    model: M,
    run: &RunDir,
    files: &RunFiles,
) -> Result<Start<M>, TrainError> {
    let newest = run.checkpoints().newest_intact()?;
    let saved = match &newest {
        Some(n) => Some(n.checkpoint.config()?),
        None if files.config.is_file() => Some(ExperimentConfig::load(&files.config)?),
        None => None,
    };
    let differences = saved.map_or_else(Vec::new, |saved| saved.differences(config));
    if !differences.is_empty() {
        return Err(TrainError::RunDir {
            path: run.path().to_path_buf(),
            reason: format!(
                "holds a run of another experiment: {}; resume it without those flags (its own \
                 config is used), or choose another --out for the new experiment",
                differences.join(", ")
            ),
        });
    }
    let Some(newest) = newest else {
        return Ok(Start::fresh(config, model));
    };
    let optimizer = config.training.optimizer();
    let (model, optimizer, state) = Checkpoints::load(&newest.checkpoint, model, optimizer)?;
    Checkpoints::publish(&newest.checkpoint, &state.history, files)?;
    Ok(Start {
        model,
        optimizer,
        state,
        newest: Some(newest.checkpoint),
        skipped: newest.skipped,
    })
}

fn remove_if_present(path: &Path) -> Result<(), TrainError> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(TrainError::io("removing", path, e)),
    }
}

/// An epoch after which the loss or the weights are not finite.
struct Diverged {
    what: String,
    learning_rate: f64,
}

impl Diverged {
    fn new(what: String, learning_rate: f64) -> Self {
        Self {
            what,
            learning_rate,
        }
    }
}

/// Trains `model` for `training.epochs` epochs of `run_epoch` in memory, writing nothing (the
/// `fit` of each task), holding the backend's generator throughout; `on_epoch` sees the model
/// and the metrics after each epoch, a divergence ends it as [`TrainError::Diverged`].
fn fit_epochs<M>(
    model: M,
    training: &TrainingConfig,
    mut run_epoch: impl FnMut(M, &mut ModuleOptimizer, usize) -> Result<(M, EpochMetrics), Diverged>,
    mut on_epoch: impl FnMut(&M, &EpochMetrics),
) -> Result<(M, Vec<EpochMetrics>), TrainError> {
    with_backend_rng(|| {
        let mut model = model;
        let mut optimizer = training.optimizer();
        let mut history = Vec::new();
        for epoch in 0..training.epochs {
            let (trained, metrics) =
                run_epoch(model, &mut optimizer, epoch).map_err(|d| TrainError::Diverged {
                    epoch: epoch + 1,
                    what: d.what,
                    learning_rate: d.learning_rate,
                    last_good: None,
                })?;
            model = trained;
            on_epoch(&model, &metrics);
            history.push(metrics);
        }
        Ok((model, history))
    })
}

/// Reseeds the backend's generator (dropout, RReLU) for epoch `epoch` (0-based) of a run seeded
/// `seed`: every epoch, or language-model interval, starts its draws from the seed alone, which
/// is what lets a resumed run continue exactly.
pub(crate) fn seed_backend_for_epoch(device: &Device, seed: u64, epoch: usize) {
    device.seed(seed.wrapping_add(0x9E37_79B9 * (epoch as u64 + 1)));
}

fn record_epoch(state: &mut RunState, metrics: EpochMetrics, training: &TrainingConfig) {
    let epoch = metrics.epoch;
    if metrics.valid_loss < state.best_valid_loss {
        state.best_valid_loss = metrics.valid_loss;
        state.best_epoch = epoch;
    }
    if state.epochs_to_target.is_none()
        && training
            .target_accuracy
            .is_some_and(|t| metrics.valid_accuracy >= t)
    {
        state.epochs_to_target = Some(epoch);
    }
    if training
        .early_stopping
        .is_some_and(|patience| epoch - state.best_epoch >= patience)
    {
        state.stopped_early = true;
    }
    state.history.push(metrics);
    state.epochs_done = epoch;
}

fn write_metrics(files: &RunFiles, history: &[EpochMetrics]) -> Result<(), TrainError> {
    // a language model's rows carry bits per character; a classifier's table keeps its columns
    let bits = history.iter().any(|m| m.valid_bits_per_char.is_some());
    let mut jsonl = String::new();
    let mut csv = String::from(
        "epoch,train_loss,train_accuracy,valid_loss,valid_accuracy,learning_rate,samples_per_second,seconds",
    );
    csv.push_str(if bits { ",valid_bits_per_char\n" } else { "\n" });
    for m in history {
        jsonl.push_str(&serde_json::to_string(m).expect("metrics serialise"));
        jsonl.push('\n');
        csv.push_str(&format!(
            "{},{},{},{},{},{},{},{}",
            m.epoch,
            m.train_loss,
            m.train_accuracy,
            m.valid_loss,
            m.valid_accuracy,
            m.learning_rate,
            m.samples_per_second,
            m.seconds
        ));
        match m.valid_bits_per_char.filter(|_| bits) {
            Some(b) => csv.push_str(&format!(",{b}\n")),
            None if bits => csv.push_str(",\n"),
            None => csv.push('\n'),
        }
    }
    write_atomic(&files.metrics_jsonl, jsonl.as_bytes())?;
    write_atomic(&files.metrics_csv, csv.as_bytes())
}

/// The path of the first parameter holding a NaN or an infinity, if any.
pub(crate) fn first_non_finite_parameter<M: Module>(model: &M) -> Option<String> {
    use burn::module::{ModuleVisitor, Param};
    #[derive(Default)]
    struct Finder {
        path: Vec<String>,
        found: Option<String>,
    }
    impl ModuleVisitor for Finder {
        fn enter_module(&mut self, name: &str, _container_type: &str) {
            self.path.push(name.to_string());
        }
        fn exit_module(&mut self, _name: &str, _container_type: &str) {
            self.path.pop();
        }
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            if self.found.is_some() {
                return;
            }
            let tensor = param.val();
            let bad = tensor.clone().is_nan().any().into_scalar::<bool>()
                || tensor.is_inf().any().into_scalar::<bool>();
            if bad {
                self.found = Some(if self.path.is_empty() {
                    "(unnamed)".to_string()
                } else {
                    self.path.join(".")
                });
            }
        }
    }
    let mut finder = Finder::default();
    model.visit(&mut finder);
    finder.found
}
