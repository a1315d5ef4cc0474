//! The `nonlin` command line: parses arguments and calls the library crates.

mod commands;
mod table;

use anyhow::Result;
use clap::{Parser, Subcommand, ValueEnum};
use commands::SpecList;
use commands::activations::{print_activation, print_backends, print_catalog, print_values_at};
use commands::sweep::SweepArgs;
use commands::train::{ProgressArg, TrainArgs};
use nonlin_backend::{BACKEND_ENV, BackendKind};
use nonlin_train::DatasetSpec;
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "nonlin",
    version,
    about = "Activation functions for Burn, and a bench to see why networks need them"
)]
struct Cli {
    /// Backend: ndarray, flex, wgpu, or auto (a real GPU if there is one, else the faster CPU
    /// backend).
    #[arg(long, global = true, env = BACKEND_ENV, default_value = "auto", value_parser = parse_backend)]
    backend: BackendKind,
    #[command(subcommand)]
    command: Command,
}

fn parse_backend(s: &str) -> Result<BackendKind, String> {
    s.parse()
        .map_err(|e: nonlin_backend::BackendError| e.to_string())
}

#[derive(Subcommand)]
enum Command {
    /// Print the catalog of activations, or one activation's details.
    Activations {
        /// Show one activation (a name or spec such as `leaky_relu(0.2)`).
        spec: Option<String>,
        /// Evaluate the activation and its derivative at these inputs, on the chosen backend
        /// (e.g. `--at=-3,0,3`; `inf`, `-inf` and `nan` are accepted).
        #[arg(
            long,
            value_delimiter = ',',
            allow_negative_numbers = true,
            requires = "spec"
        )]
        at: Vec<f32>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Show which backends are available on this machine and what `auto` picks.
    Backends,
    /// Train a model; with no arguments, a quick run on the built-in digits set (offline).
    Train {
        #[command(flatten)]
        args: Box<TrainArgs>,
        /// Run directory (default: runs/<dataset>-<activation>-s<seed>-<time>).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Continue the run in --out from its newest intact checkpoint, with its own config
        /// (flags given again must agree with it; only --epochs may grow).
        #[arg(long)]
        resume: bool,
        /// Accept an --out directory that holds other files (none of them is overwritten; a
        /// file with a name the run writes is refused).
        #[arg(long)]
        exist_ok: bool,
        /// Progress display: auto (a bar on a terminal, lines otherwise), bar, lines, quiet.
        #[arg(long, value_enum, default_value_t = ProgressArg::Auto)]
        progress: ProgressArg,
    },
    /// Train activations × seeds (× data sets × models) and print the comparison table; with no
    /// arguments, 7 activations × 3 seeds on the built-in digits.
    Sweep {
        #[command(flatten)]
        grid: SweepArgs,
        #[command(flatten)]
        base: Box<TrainArgs>,
        /// Sweep directory; running again with the same settings skips finished runs and
        /// resumes interrupted ones (other settings are refused).
        #[arg(long, default_value = "runs/sweep")]
        out: PathBuf,
        /// Accept an --out directory that holds other files (none of them is overwritten).
        #[arg(long)]
        exist_ok: bool,
    },
    /// Test loss and accuracy, per-class precision and recall, and the confusion matrix of a run
    /// (its directory, a checkpoint directory, or a model file inside a run).
    Eval {
        /// The run directory, checkpoint directory or .bpk file.
        run: PathBuf,
        /// Output format on the terminal.
        #[arg(long, value_enum, default_value_t = Format::Markdown)]
        format: Format,
        /// Also write the report here (.json for JSON, Markdown otherwise).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Text from a trained language model (a run of --model transformer), continuing a prompt.
    Sample {
        /// The run directory, checkpoint directory or .bpk file.
        run: PathBuf,
        /// The text to continue.
        #[arg(long, default_value = "\n")]
        prompt: String,
        /// Characters to generate.
        #[arg(long, default_value_t = 500)]
        tokens: usize,
        /// Softmax temperature (1: the model's distribution; 0: always the most likely).
        #[arg(long, default_value_t = 0.8, allow_negative_numbers = true)]
        temperature: f64,
        /// Seed of the draws.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Gradient-flow diagnostics per layer (gradient norms, dead units, saturation, output mean,
    /// one-sign weight gradients), at initialisation and after each of --epochs epochs.
    Diagnose {
        #[command(flatten)]
        args: Box<TrainArgs>,
        /// Probe samples (from the training split).
        #[arg(long, default_value_t = 256)]
        probe: usize,
        /// A pre-activation counts as saturated when |f'(z)| is below this.
        #[arg(long, default_value_t = 1e-3)]
        epsilon: f64,
        /// Output format on the terminal.
        #[arg(long, value_enum, default_value_t = Format::Markdown)]
        format: Format,
        /// Also write the report here (.json for JSON, Markdown otherwise).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// A deep network without activations equals one affine map; with ReLU it does not; trained
    /// deep linear networks do no better than logistic regression.
    Collapse {
        /// Hidden layers.
        #[arg(long, default_value_t = 8)]
        depth: usize,
        /// Units per hidden layer.
        #[arg(long, default_value_t = 32)]
        width: usize,
        /// Random inputs to compare on.
        #[arg(long, default_value_t = 1000)]
        samples: usize,
        /// Seed.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Data sets to train on, separated by `;`.
        #[arg(long, default_value = "xor;circles;spirals")]
        datasets: SpecList<DatasetSpec>,
        /// Training epochs.
        #[arg(long, default_value_t = 100)]
        epochs: usize,
        /// Output format on the terminal.
        #[arg(long, value_enum, default_value_t = Format::Markdown)]
        format: Format,
        /// Also write the report here (.json for JSON, Markdown otherwise).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// A linear classifier on the raw inputs versus on a trained network's last hidden layer.
    Separability {
        #[command(flatten)]
        args: Box<TrainArgs>,
        /// Data sets, separated by `;`.
        #[arg(long, default_value = "xor;circles;spirals(arms=3);digits")]
        datasets: SpecList<DatasetSpec>,
        /// Output format on the terminal.
        #[arg(long, value_enum, default_value_t = Format::Markdown)]
        format: Format,
        /// Also write the report here (.json for JSON, Markdown otherwise).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Figures as PNG and SVG: activations, a run, a sweep, gradient flow.
    Plot {
        #[command(subcommand)]
        what: commands::plot::PlotCommand,
        /// Image format.
        #[arg(long, value_enum, global = true, default_value_t = commands::plot::ImageFormat::Both)]
        image: commands::plot::ImageFormat,
    },
    /// Benchmarks: activations (time per size, against a copy and Burn's op), training throughput,
    /// autodiff memory, and how far the backends' numbers drift apart.
    Bench {
        #[command(subcommand)]
        what: commands::bench::BenchCommand,
    },
    /// One self-contained HTML report (figures inlined) for a run or a sweep directory.
    Report {
        /// The run or sweep directory; the report is written into it as report.html.
        dir: PathBuf,
    },
    /// Combine the results of sweep directories (e.g. the shards of one sweep) into one table.
    Merge {
        /// Sweep directories.
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        /// Also write results.{md,csv,json} here.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Write a table marked partial when planned runs have not finished (they are named);
        /// without it an incomplete sweep is an error.
        #[arg(long)]
        allow_partial: bool,
    },
}

#[derive(Clone, Copy, ValueEnum)]
pub enum Format {
    Table,
    Markdown,
    Json,
}

/// Rust ignores SIGPIPE, so printing into a closed pipe (`nonlin activations | head -1`) fails
/// with an error (or a panic in `println!`); the default action ends the process quietly, as
/// `cat` and `ls` end.
fn restore_default_sigpipe() {
    #[cfg(unix)]
    // SAFETY: called first in main, before any thread exists; SIG_DFL is a valid disposition.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

/// glibc hands freed blocks above its trim and mmap thresholds back to the kernel, and the next
/// training step, which allocates the same tensors again, pays a page fault per 4 KiB for them
/// (7% of a step's samples under `perf`, and its spread). Keeping freed memory in the process
/// (blocks up to 32 MiB from the heap, no trimming, 64 MiB of padding per heap growth) took the
/// median step of `nonlin bench train --backends flex --batch-sizes 128 --over-activations relu`
/// from 11.7-13.0 ms to 7.9-8.3 ms in alternating runs (set through glibc's environment
/// variables; the `nonlin` binary only: a library leaves the allocator to its user). Resident
/// memory stays at the run's peak instead of shrinking between steps.
fn keep_freed_memory_for_reuse() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: called in main before any thread exists; mallopt only sets allocator parameters,
    // and values it does not accept are ignored (it returns 0).
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, i32::MAX);
        libc::mallopt(libc::M_TOP_PAD, 64 << 20);
    }
}

/// wgpu's `auto` probe falls back from Vulkan to OpenGL, whose EGL probe asks libwayland for a
/// display; without `XDG_RUNTIME_DIR` (servers, containers, CI jobs) libwayland prints
/// `error: XDG_RUNTIME_DIR is invalid or not set` even when the probe goes on to succeed. No
/// Wayland compositor is reachable without that directory, so an absolute `WAYLAND_DISPLAY` that
/// names no socket makes the connection fail as it would anyway, silently.
fn quiet_headless_wayland_probe() {
    #[cfg(target_os = "linux")]
    if [
        std::env::var_os("XDG_RUNTIME_DIR"),
        std::env::var_os("WAYLAND_DISPLAY"),
    ]
    .iter()
    .all(|v| v.as_ref().is_none_or(|v| v.is_empty()))
    {
        // SAFETY: called first in main, before any thread exists that could read the environment.
        unsafe { std::env::set_var("WAYLAND_DISPLAY", "/nonexistent/nonlin-headless") };
    }
}

/// Rayon's workers pinned one per CPU before any parallel work (`pin_cpu_workers`: on a 2-vCPU VM
/// unpinned polling workers shared one vCPU for a scheduler tick at a time); `NONLIN_PIN_WORKERS=0`
/// leaves them to the OS.
fn pin_cpu_workers_unless_asked_not_to() {
    if std::env::var_os("NONLIN_PIN_WORKERS").is_some_and(|v| v == "0") {
        return;
    }
    if let Err(e) = nonlin_activations::pin_cpu_workers() {
        eprintln!("warning: {e}");
    }
}

fn main() -> Result<()> {
    restore_default_sigpipe();
    keep_freed_memory_for_reuse();
    quiet_headless_wayland_probe();
    let cli = Cli::parse();
    pin_cpu_workers_unless_asked_not_to();
    match cli.command {
        Command::Activations {
            spec: None, format, ..
        } => print_catalog(format),
        Command::Activations {
            spec: Some(spec),
            at,
            ..
        } if !at.is_empty() => print_values_at(&spec, &at, cli.backend),
        Command::Activations {
            spec: Some(spec),
            format,
            ..
        } => print_activation(&spec, format),
        Command::Backends => print_backends(),
        Command::Train {
            args,
            out,
            resume,
            exist_ok,
            progress,
        } => commands::train::run(
            &args,
            commands::train::RunTarget {
                out,
                resume,
                exist_ok,
                progress,
            },
            cli.backend,
        ),
        Command::Sweep {
            grid,
            base,
            out,
            exist_ok,
        } => commands::sweep::run(&grid, &base, out, exist_ok, cli.backend),
        Command::Merge {
            dirs,
            out,
            allow_partial,
        } => commands::sweep::merge(&dirs, out, allow_partial),
        Command::Eval { run, format, out } => commands::study::eval(&run, format, out, cli.backend),
        Command::Sample {
            run,
            prompt,
            tokens,
            temperature,
            seed,
        } => commands::study::sample(
            &run,
            nonlin_eval::sample::SampleOptions {
                prompt,
                tokens,
                temperature,
                seed,
            },
            cli.backend,
        ),
        Command::Plot { what, image } => commands::plot::run(&what, image, cli.backend),
        Command::Report { dir } => commands::plot::report(&dir, cli.backend),
        Command::Bench { what } => commands::bench::run(&what),
        Command::Diagnose {
            args,
            probe,
            epsilon,
            format,
            out,
        } => {
            let epochs = args.epochs.unwrap_or(0);
            commands::study::diagnose_cmd(&args, probe, epsilon, epochs, (format, out), cli.backend)
        }
        Command::Collapse {
            depth,
            width,
            samples,
            seed,
            datasets,
            epochs,
            format,
            out,
        } => commands::study::collapse(
            depth,
            width,
            samples,
            seed,
            &datasets,
            epochs,
            (format, out),
            cli.backend,
        ),
        Command::Separability {
            args,
            datasets,
            format,
            out,
        } => commands::study::separability_cmd(&args, &datasets, (format, out), cli.backend),
    }
}
