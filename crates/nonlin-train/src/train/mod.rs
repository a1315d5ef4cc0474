//! Training: a seeded loop with per-epoch metrics, atomic checkpoints and exact resume.
//! (The loop, its resume and its evaluation stay in one file, near 600 lines: they share the
//! order of the commit protocol, which is easier to check read in one place.)
//!
//! The run directory's layout and who may write it are in [`crate::run_dir`]; the commit
//! protocol of a checkpoint in `checkpoint.rs`. Each epoch ends with a checkpoint (the single
//! source of truth) and then publishes `metrics.{jsonl,csv}` and `best/model.bpk` from it; the
//! summary is computed from the newest checkpoint, never from a published copy.
//!
//! Everything random is derived from the seed per epoch (the shuffle, and the backend's generator
//! for dropout and RReLU), so the same seed gives bit-identical runs on the CPU backends, and a
//! resumed run continues exactly where the interrupted one stopped.

mod checkpoint;
pub mod config;
pub mod language_model;
mod progress;
mod records;

pub use crate::run_dir::RunFiles;
pub use checkpoint::{BestFrom, Checkpoint, Checkpoints, Newest, Skipped};
pub use config::{ExperimentConfig, OptimizerKind, Schedule, TrainingConfig};
pub use progress::ProgressMode;
pub use records::{EpochMetrics, RunState, RunSummary};

use crate::data::{self, Dataset, Splits};
use crate::error::TrainError;
use crate::fs::write_atomic;
use crate::model::Model;
use crate::rng::Rng;
use crate::run_dir::{Claim, RunDir};
use burn::module::Module;
use burn::nn::loss::CrossEntropyLossConfig;
use burn::optim::{GradientsParams, ModuleOptimizer};
use burn::tensor::{Device, Int, Tensor};
use nonlin_backend::Backend;
use progress::Progress;
use std::path::{Path, PathBuf};
use std::time::Instant;

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
    with_backend_rng(|| train_exclusive(&config, backend, options))
}

fn train_exclusive(
    config: &ExperimentConfig,
    backend: &Backend,
    options: &RunOptions,
) -> Result<RunSummary, TrainError> {
    let run = RunDir::new(&options.out_dir);
    let files = run.files();
    let checkpoints = run.checkpoints();
    let claim = if options.resume {
        Claim::Resume
    } else {
        Claim::Fresh {
            exist_ok: options.exist_ok,
        }
    };
    // a directory this run may not take is refused before the data loads
    run.check(claim)?;
    let splits = data::load(&config.data, config.seed)?;
    let device = backend.autodiff();
    device.seed(config.seed);
    let fresh_model = config.model.init_for(&splits.train, &device)?;
    let _lock = run.claim(claim)?;
    let Start {
        mut model,
        mut optimizer,
        mut state,
        mut newest,
        skipped,
    } = if options.resume {
        resume(config, fresh_model, &run, &files)?
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
        let outcome = run_epoch(
            model,
            &mut optimizer,
            &splits,
            training,
            config.seed,
            epoch,
            backend,
            |b, n| progress.batch(epoch + 1, b, n),
        );
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
    let best = load_model(config, &splits, &backend.device, &last.best_model())?;
    let (test_loss, test_accuracy) =
        loss_and_accuracy(&best, &splits.test, training.batch_size, &backend.device);
    let best_metrics = &state.history[state.best_epoch - 1];
    let epochs = state.history.len() as f64;
    let summary = RunSummary {
        dataset: config.data.dataset.to_string(),
        model: config
            .model
            .describe(splits.train.sample_len(), splits.train.num_classes),
        backend: backend.describe(),
        seed: config.seed,
        epochs: state.epochs_done,
        best_epoch: state.best_epoch,
        test_loss,
        test_accuracy,
        valid_accuracy: best_metrics.valid_accuracy,
        final_train_loss: state.history.last().map_or(f64::NAN, |m| m.train_loss),
        epochs_to_target: state.epochs_to_target,
        seconds_per_epoch: state.history.iter().map(|m| m.seconds).sum::<f64>() / epochs,
        samples_per_second: state
            .history
            .iter()
            .map(|m| m.samples_per_second)
            .sum::<f64>()
            / epochs,
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
struct Start {
    model: Model,
    optimizer: ModuleOptimizer,
    state: RunState,
    newest: Option<Checkpoint>,
    skipped: Vec<Skipped>,
}

impl Start {
    fn fresh(config: &ExperimentConfig, model: Model) -> Self {
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
fn resume(
    config: &ExperimentConfig,
    model: Model,
    run: &RunDir,
    files: &RunFiles,
) -> Result<Start, TrainError> {
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

/// Epoch `epoch` (0-based): the shuffle and the backend's generator (dropout, RReLU) restart from
/// the seed every epoch, which is what makes a resumed run identical to an uninterrupted one.
#[allow(clippy::too_many_arguments)]
fn run_epoch(
    model: Model,
    optimizer: &mut ModuleOptimizer,
    splits: &Splits,
    training: &TrainingConfig,
    seed: u64,
    epoch: usize,
    backend: &Backend,
    on_batch: impl FnMut(usize, usize),
) -> Result<(Model, EpochMetrics), Diverged> {
    let device = backend.autodiff();
    let learning_rate = training.learning_rate_at(epoch);
    let started = Instant::now();
    seed_backend_for_epoch(&device, seed, epoch);
    let mut order: Vec<usize> = (0..splits.train.len()).collect();
    Rng::for_stream(seed, &format!("shuffle-{epoch}")).shuffle(&mut order);
    let (model, (train_loss, train_accuracy)) = train_epoch(
        model,
        optimizer,
        &splits.train,
        &order,
        training.batch_size,
        learning_rate,
        &device,
        on_batch,
    );
    let train_seconds = started.elapsed().as_secs_f64();
    let diverged = |what: String| Diverged {
        what,
        learning_rate,
    };
    if !train_loss.is_finite() {
        return Err(diverged(format!("the mean training loss is {train_loss}")));
    }
    if let Some(name) = first_non_finite_parameter(&model) {
        return Err(diverged(format!(
            "parameter {name} holds NaN or infinite values"
        )));
    }
    let (valid_loss, valid_accuracy) = loss_and_accuracy(
        &model.valid(),
        &splits.valid,
        training.batch_size,
        &backend.device,
    );
    if !valid_loss.is_finite() {
        return Err(diverged(format!(
            "the validation loss is {valid_loss} (are the validation features finite?)"
        )));
    }
    let metrics = EpochMetrics {
        epoch: epoch + 1,
        train_loss,
        train_accuracy,
        valid_loss,
        valid_accuracy,
        learning_rate,
        samples_per_second: splits.train.len() as f64 / train_seconds.max(1e-9),
        seconds: started.elapsed().as_secs_f64(),
    };
    Ok((model, metrics))
}

/// Reseeds the backend's generator (dropout, RReLU) for epoch `epoch` (0-based) of a run seeded
/// `seed`: every epoch, or language-model interval, starts its draws from the seed alone, which
/// is what lets a resumed run continue exactly.
pub(crate) fn seed_backend_for_epoch(device: &Device, seed: u64, epoch: usize) {
    device.seed(seed.wrapping_add(0x9E37_79B9 * (epoch as u64 + 1)));
}

/// Trains `model` (built on `backend.autodiff()`) on in-memory `splits` for `training.epochs`
/// epochs, writing nothing: for studies that train many small models (linear collapse,
/// separability, diagnostics over training). `on_epoch` sees the model after every epoch.
pub fn fit(
    model: Model,
    splits: &Splits,
    training: &TrainingConfig,
    seed: u64,
    backend: &Backend,
    on_epoch: impl FnMut(&Model, &EpochMetrics),
) -> Result<(Model, Vec<EpochMetrics>), TrainError> {
    training.validate()?;
    with_backend_rng(|| fit_exclusive(model, splits, training, seed, backend, on_epoch))
}

fn fit_exclusive(
    mut model: Model,
    splits: &Splits,
    training: &TrainingConfig,
    seed: u64,
    backend: &Backend,
    mut on_epoch: impl FnMut(&Model, &EpochMetrics),
) -> Result<(Model, Vec<EpochMetrics>), TrainError> {
    let mut optimizer = training.optimizer();
    let mut history = Vec::new();
    for epoch in 0..training.epochs {
        let (trained, metrics) = run_epoch(
            model,
            &mut optimizer,
            splits,
            training,
            seed,
            epoch,
            backend,
            |_, _| {},
        )
        .map_err(|d| TrainError::Diverged {
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
}

/// One pass over `order`: returns the model and (mean loss, accuracy). Losses and hits are summed
/// on the device and read once, so the device is not synchronised per batch.
#[allow(clippy::too_many_arguments)]
fn train_epoch(
    mut model: Model,
    optimizer: &mut ModuleOptimizer,
    data: &Dataset,
    order: &[usize],
    batch_size: usize,
    learning_rate: f64,
    device: &Device,
    mut on_batch: impl FnMut(usize, usize),
) -> (Model, (f64, f64)) {
    let loss_fn = CrossEntropyLossConfig::new().init(device);
    let batches = order.len().div_ceil(batch_size);
    let mut loss_sum = Tensor::<1>::zeros([1], device);
    let mut hits = Tensor::<1, Int>::zeros([1], device);
    for (b, indices) in order.chunks(batch_size).enumerate() {
        let batch = data.batch(indices, device);
        let logits = model.forward(batch.x);
        hits = hits + correct(&logits, &batch.y);
        let loss = loss_fn.forward(logits, batch.y);
        loss_sum = loss_sum + loss.clone().detach() * indices.len() as f64;
        let grads = GradientsParams::from_grads(loss.backward(), &model);
        model = optimizer.step(learning_rate, model, grads);
        on_batch(b + 1, batches);
    }
    let n = order.len() as f64;
    let loss = f64::from(loss_sum.into_scalar::<f32>()) / n;
    let accuracy = hits.into_scalar::<i64>() as f64 / n;
    (model, (loss, accuracy))
}

fn correct(logits: &Tensor<2>, targets: &Tensor<1, Int>) -> Tensor<1, Int> {
    let predicted: Tensor<1, Int> = logits.clone().detach().argmax(1).flatten(0, 1);
    predicted.equal(targets.clone()).int().sum()
}

/// Mean cross-entropy and accuracy of `model` (without autodiff) on `data`.
pub fn loss_and_accuracy(
    model: &Model,
    data: &Dataset,
    batch_size: usize,
    device: &Device,
) -> (f64, f64) {
    let loss_fn = CrossEntropyLossConfig::new().init(device);
    let indices: Vec<usize> = (0..data.len()).collect();
    let mut loss_sum = Tensor::<1>::zeros([1], device);
    let mut hits = Tensor::<1, Int>::zeros([1], device);
    for chunk in indices.chunks(batch_size.max(256)) {
        let batch = data.batch(chunk, device);
        let logits = model.forward(batch.x);
        hits = hits + correct(&logits, &batch.y);
        loss_sum = loss_sum + loss_fn.forward(logits, batch.y) * chunk.len() as f64;
    }
    let n = data.len().max(1) as f64;
    (
        f64::from(loss_sum.into_scalar::<f32>()) / n,
        hits.into_scalar::<i64>() as f64 / n,
    )
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
    let mut jsonl = String::new();
    let mut csv = String::from(
        "epoch,train_loss,train_accuracy,valid_loss,valid_accuracy,learning_rate,samples_per_second,seconds\n",
    );
    for m in history {
        jsonl.push_str(&serde_json::to_string(m).expect("metrics serialise"));
        jsonl.push('\n');
        csv.push_str(&format!(
            "{},{},{},{},{},{},{},{}\n",
            m.epoch,
            m.train_loss,
            m.train_accuracy,
            m.valid_loss,
            m.valid_accuracy,
            m.learning_rate,
            m.samples_per_second,
            m.seconds
        ));
    }
    write_atomic(&files.metrics_jsonl, jsonl.as_bytes())?;
    write_atomic(&files.metrics_csv, csv.as_bytes())
}

/// Builds the model of `config` for `splits` on `device` and loads the weights at `path`.
pub fn load_model(
    config: &ExperimentConfig,
    splits: &Splits,
    device: &Device,
    path: &Path,
) -> Result<Model, TrainError> {
    let model = config.model.init_for(&splits.train, device)?;
    model
        .try_load_file(path)
        .map_err(|e| TrainError::Checkpoint {
            path: path.to_path_buf(),
            reason: format!("{e}; is it a checkpoint of this model config?"),
        })
}

/// The path of the first parameter holding a NaN or an infinity, if any.
fn first_non_finite_parameter(model: &Model) -> Option<String> {
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
