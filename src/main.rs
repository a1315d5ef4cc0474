//! The `nonlin` command line: parses arguments and calls the library crates.

mod commands;
mod table;

use anyhow::Result;
use clap::{Parser, Subcommand, ValueEnum};
use commands::activations::{evaluate, print_activation, print_backends, print_catalog};
use commands::sweep::SweepArgs;
use commands::train::{ProgressArg, TrainArgs};
use nonlin_backend::{BACKEND_ENV, BackendKind};
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
        /// Continue the run in --out from its last good checkpoint.
        #[arg(long)]
        resume: bool,
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
        /// Sweep directory; running again skips finished runs.
        #[arg(long, default_value = "runs/sweep")]
        out: PathBuf,
    },
    /// Combine the results of sweep directories (e.g. the shards of one sweep) into one table.
    Merge {
        /// Sweep directories.
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        /// Also write results.{md,csv,json} here.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
pub enum Format {
    Table,
    Markdown,
    Json,
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Activations {
            spec: None, format, ..
        } => print_catalog(format),
        Command::Activations {
            spec: Some(spec),
            at,
            ..
        } if !at.is_empty() => evaluate(&spec, &at, cli.backend),
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
            progress,
        } => commands::train::run(&args, out, resume, progress, cli.backend),
        Command::Sweep { grid, base, out } => commands::sweep::run(&grid, &base, out, cli.backend),
        Command::Merge { dirs, out } => commands::sweep::merge(&dirs, out),
    }
}
