//! `nonlin plot …` and `nonlin report`.

use super::SpecList;
use super::train::TrainArgs;
use anyhow::{Context, Result};
use clap::{Subcommand, ValueEnum};
use nonlin_activations::{ActivationConfig, CATALOG};
use nonlin_backend::{Backend, BackendKind};
use nonlin_eval::evaluate::load_run;
use nonlin_eval::plot::{Figure, save};
use nonlin_eval::plot::{
    activation_sheet, decision_boundary, epoch_fractions, gradient_profile, sweep_charts,
    training_curves, validation_curves,
};
use nonlin_eval::study::track;
use nonlin_train::ModelKind;
use std::path::{Path, PathBuf};

#[derive(Clone, Copy, Debug, Default, ValueEnum)]
pub enum ImageFormat {
    Png,
    Svg,
    #[default]
    Both,
}

#[derive(Subcommand, Debug)]
pub enum PlotCommand {
    /// Each activation and its derivative: a catalog sheet and one file per activation.
    Activations {
        /// Activations separated by `;` (default: every element-wise one in the catalog).
        #[arg(long)]
        over_activations: Option<SpecList<ActivationConfig>>,
        /// Output directory.
        #[arg(long, default_value = "plots/activations")]
        out: PathBuf,
    },
    /// Training curves of a run, and its decision boundary for 2-D data.
    Run {
        /// The run directory.
        run: PathBuf,
        /// Output directory (default: <run>/plots).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// A sweep's mean test accuracy ± std per activation (a language model's validation loss),
    /// and each activation's mean validation curve.
    Sweep {
        /// The sweep directory.
        dir: PathBuf,
        /// Output directory (default: <dir>/plots).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Gradient norm per layer at initialisation and after training, and dead-unit and
    /// saturation fractions over epochs, for several activations.
    Gradients {
        #[command(flatten)]
        args: Box<TrainArgs>,
        /// Activations separated by `;`.
        #[arg(long, default_value = "sigmoid;tanh;relu;gelu")]
        over_activations: SpecList<ActivationConfig>,
        /// Probe samples.
        #[arg(long, default_value_t = 256)]
        probe: usize,
        /// Output directory.
        #[arg(long, default_value = "plots/gradients")]
        out: PathBuf,
    },
}

fn write(figure: &impl Figure, dir: &Path, name: &str, format: ImageFormat) -> Result<()> {
    let extensions: &[&str] = match format {
        ImageFormat::Png => &["png"],
        ImageFormat::Svg => &["svg"],
        ImageFormat::Both => &["png", "svg"],
    };
    for ext in extensions {
        let path = dir.join(format!("{name}.{ext}"));
        save(figure, &path)?;
        println!("wrote {}", path.display());
    }
    Ok(())
}

fn file_name(spec: &str) -> String {
    spec.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

pub fn run(command: &PlotCommand, format: ImageFormat, backend: BackendKind) -> Result<()> {
    match command {
        PlotCommand::Activations {
            over_activations,
            out,
        } => {
            let configs: Vec<ActivationConfig> = match over_activations {
                Some(list) => list.0.clone(),
                None => CATALOG
                    .iter()
                    .filter(|e| e.name != "threshold")
                    .filter_map(|e| e.name.parse::<ActivationConfig>().ok())
                    .chain(["threshold(0.5, -1)".parse()?])
                    .collect(),
            };
            write(&activation_sheet(&configs, 5)?, out, "activations", format)?;
            for config in configs.iter().filter(|c| c.width_factor() == 1) {
                let single = activation_sheet(std::slice::from_ref(config), 1)?;
                write(
                    &single,
                    out,
                    &format!("activation-{}", file_name(&config.spec())),
                    format,
                )?;
            }
        }
        PlotCommand::Run { run, out } => {
            let out = out.clone().unwrap_or_else(|| run.join("plots"));
            let title = run
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            write(
                &training_curves(run, &title)?,
                &out,
                "training-curves",
                format,
            )?;
            let (config, _) = nonlin_eval::evaluate::locate(run)?;
            if nonlin_train::ExperimentConfig::load(&config)?.model.kind == ModelKind::Transformer {
                return Ok(()); // a language model has no decision regions to draw
            }
            let backend = Backend::select(backend)?;
            let loaded = load_run(run, &backend.device)?;
            if let Some(boundary) = decision_boundary(
                &loaded,
                &backend.device,
                &format!("{title}: decision regions"),
            ) {
                write(&boundary, &out, "decision-boundary", format)?;
            }
        }
        PlotCommand::Sweep { dir, out } => {
            let out = out.clone().unwrap_or_else(|| dir.join("plots"));
            let table = nonlin_train::sweep::merge(std::slice::from_ref(dir), true)?;
            for (i, chart) in sweep_charts(&table).iter().enumerate() {
                write(chart, &out, &format!("sweep-{}", i + 1), format)?;
            }
            for (i, curves) in validation_curves(dir)?.iter().enumerate() {
                write(
                    curves,
                    &out,
                    &format!("validation-curves-{}", i + 1),
                    format,
                )?;
            }
        }
        PlotCommand::Gradients {
            args,
            over_activations,
            probe,
            out,
        } => {
            gradients(args, over_activations, *probe, out, format, backend)?;
        }
    }
    Ok(())
}

fn gradients(
    args: &TrainArgs,
    activations: &SpecList<ActivationConfig>,
    probe: usize,
    out: &Path,
    format: ImageFormat,
    backend: BackendKind,
) -> Result<()> {
    let backend = Backend::select(backend)?;
    let base = args.experiment()?;
    let mut at_init = Vec::new();
    let mut trained = Vec::new();
    let mut over_epochs = Vec::new();
    for activation in &activations.0 {
        let mut config = base.clone();
        config.model.activation = activation.clone();
        config.model.activations = None;
        let history = track(&config, &backend, probe, 1e-3)?.epochs;
        let label = config.model.activation.spec();
        at_init.push((label.clone(), history[0].1.clone()));
        trained.push((
            label.clone(),
            history
                .last()
                .expect("at least the initial diagnostics")
                .1
                .clone(),
        ));
        over_epochs.push((label, history));
    }
    let widths = base.model.hidden_widths();
    let name = format!("{} layers, {} init", widths.len(), base.model.init);
    write(
        &gradient_profile(
            &format!("‖∂L/∂W‖ per layer at initialisation ({name}; zeros at the bottom)"),
            &at_init,
        ),
        out,
        "gradient-norms-init",
        format,
    )?;
    write(
        &gradient_profile(
            &format!(
                "‖∂L/∂W‖ per layer after {} epochs ({name})",
                base.training.epochs
            ),
            &trained,
        ),
        out,
        "gradient-norms-trained",
        format,
    )?;
    write(
        &epoch_fractions(
            "dead units and saturated pre-activations (mean over layers)",
            &over_epochs,
        ),
        out,
        "unit-fractions",
        format,
    )?;
    Ok(())
}

pub fn report(dir: &Path, backend: BackendKind) -> Result<()> {
    let backend = Backend::select(backend)?;
    let path = nonlin_eval::report::report(dir, &backend)
        .with_context(|| format!("reporting on {}", dir.display()))?;
    println!("wrote {}", path.display());
    Ok(())
}
