//! `nonlin eval`, `nonlin diagnose`, `nonlin collapse`, `nonlin separability`.

use super::SpecList;
use super::train::TrainArgs;
use crate::Format;
use anyhow::{Context, Result};
use nonlin_backend::{Backend, BackendKind};
use nonlin_eval::collapse::{affine_collapse, trained_collapse};
use nonlin_eval::diagnose::Diagnostics;
use nonlin_eval::evaluate::evaluate_run;
use nonlin_eval::separability::separability;
use nonlin_eval::study::{diagnose_at_init, track};
use nonlin_train::fs::write_atomic;
use nonlin_train::{DatasetSpec, TrainingConfig};
use serde::Serialize;
use std::path::{Path, PathBuf};

/// Prints `value` as Markdown (or JSON) and writes it to `out` if given (JSON when `out` ends in
/// `.json`, Markdown otherwise).
fn emit<T: Serialize>(
    value: &T,
    markdown: String,
    format: Format,
    out: Option<&Path>,
) -> Result<()> {
    let json = serde_json::to_string_pretty(value)?;
    match format {
        Format::Json => println!("{json}"),
        _ => print!("{markdown}"),
    }
    if let Some(path) = out {
        let body = if path.extension().is_some_and(|e| e == "json") {
            json
        } else {
            markdown
        };
        write_atomic(path, body.as_bytes())?;
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}

pub fn eval(run: &Path, format: Format, out: Option<PathBuf>, backend: BackendKind) -> Result<()> {
    let backend = Backend::select(backend)?;
    let evaluation =
        evaluate_run(run, &backend).with_context(|| format!("evaluating {}", run.display()))?;
    emit(&evaluation, evaluation.markdown(), format, out.as_deref())
}

/// `nonlin sample`: prints the prompt and its continuation.
pub fn sample(
    run: &Path,
    options: nonlin_eval::sample::SampleOptions,
    backend: BackendKind,
) -> Result<()> {
    let backend = Backend::select(backend)?;
    let text = nonlin_eval::sample::sample(run, &options, &backend)
        .with_context(|| format!("sampling from {}", run.display()))?;
    println!("{}{text}", options.prompt);
    Ok(())
}

#[derive(Serialize)]
struct DiagnoseReport {
    model: String,
    dataset: String,
    /// Diagnostics at initialisation (epoch 0) and after each tracked epoch.
    epochs: Vec<(usize, Diagnostics)>,
}

pub fn diagnose_cmd(
    args: &TrainArgs,
    probe: usize,
    epsilon: f64,
    epochs: usize,
    (format, out): (Format, Option<PathBuf>),
    backend: BackendKind,
) -> Result<()> {
    let mut config = args.experiment()?;
    let backend = Backend::select(backend)?;
    let inputs = nonlin_train::data::load(&config.data, config.seed)?.train;
    let epochs = if epochs == 0 {
        vec![(0, diagnose_at_init(&config, &backend, probe, epsilon)?)]
    } else {
        config.training.epochs = epochs;
        track(&config, &backend, probe, epsilon)?.epochs
    };
    let report = DiagnoseReport {
        model: config
            .model
            .describe(inputs.sample_len(), inputs.num_classes),
        dataset: config.data.dataset.to_string(),
        epochs,
    };
    let mut markdown = format!(
        "# Diagnostics: {} on {}\n\n## At initialisation\n\n",
        report.model, report.dataset
    );
    markdown.push_str(&report.epochs[0].1.markdown());
    if report.epochs.len() > 1 {
        markdown.push_str(&format!("\n## After epoch {}\n\n", report.epochs.len() - 1));
        markdown.push_str(&report.epochs.last().unwrap().1.markdown());
        markdown.push_str("\n## Over training\n\n| epoch | loss | first/last ‖∂L/∂W‖ | mean dead | mean saturated |\n| ---: | ---: | ---: | ---: | ---: |\n");
        for (epoch, d) in &report.epochs {
            let n = d.layers.len() as f64;
            let dead = d.layers.iter().map(|l| l.dead_fraction).sum::<f64>() / n;
            let saturated: Vec<f64> = d
                .layers
                .iter()
                .filter_map(|l| l.saturated_fraction)
                .collect();
            let saturated = if saturated.is_empty() {
                "—".into()
            } else {
                format!(
                    "{:.3}",
                    saturated.iter().sum::<f64>() / saturated.len() as f64
                )
            };
            let ratio = d
                .first_to_last_gradient_ratio()
                .map_or("—".into(), |r| format!("{r:.3e}"));
            markdown.push_str(&format!(
                "| {epoch} | {:.4} | {ratio} | {dead:.3} | {saturated} |\n",
                d.loss
            ));
        }
    }
    emit(&report, markdown, format, out.as_deref())
}

#[derive(Serialize)]
struct CollapseReport {
    affine: nonlin_eval::collapse::AffineCollapse,
    trained: Vec<nonlin_eval::collapse::TrainedCollapse>,
}

#[allow(clippy::too_many_arguments)]
pub fn collapse(
    depth: usize,
    width: usize,
    samples: usize,
    seed: u64,
    datasets: &SpecList<DatasetSpec>,
    epochs: usize,
    (format, out): (Format, Option<PathBuf>),
    backend: BackendKind,
) -> Result<()> {
    let backend = Backend::select(backend)?;
    let affine = affine_collapse(depth, width, 2, 3, samples, seed, &backend)?;
    let mut trained = Vec::new();
    for dataset in &datasets.0 {
        let mut base = nonlin_train::ExperimentConfig {
            seed,
            ..Default::default()
        };
        base.data.dataset = dataset.clone();
        base.training = TrainingConfig {
            epochs,
            ..TrainingConfig::small_data()
        };
        trained.push(trained_collapse(&base, depth, width, &backend)?);
    }
    let mut md = format!(
        "# Linear collapse\n\nAn MLP with {depth} hidden layers of {width} units and Identity activations, multiplied out into \
         one affine map x ↦ xW + b (in f64), compared on {samples} random inputs:\n\n\
         | activations | max abs difference from xW + b | relative to max output ({:.3}) |\n| --- | ---: | ---: |\n\
         | identity | {:.3e} | {:.3e} |\n| relu (same weights) | {:.3e} | {:.3e} |\n",
        affine.output_scale,
        affine.identity_max_error,
        affine.identity_relative_error,
        affine.relu_max_error,
        affine.relu_relative_error
    );
    if !trained.is_empty() {
        md.push_str(&format!(
            "\nTrained ({epochs} epochs), test accuracy:\n\n| dataset | logistic regression | {depth}-layer linear | {depth}-layer ReLU |\n| --- | ---: | ---: | ---: |\n"
        ));
        for t in &trained {
            md.push_str(&format!(
                "| {} | {:.4} | {:.4} | {:.4} |\n",
                t.dataset, t.logistic_regression, t.deep_linear, t.deep_relu
            ));
        }
    }
    emit(
        &CollapseReport { affine, trained },
        md,
        format,
        out.as_deref(),
    )
}

pub fn separability_cmd(
    args: &TrainArgs,
    datasets: &SpecList<DatasetSpec>,
    (format, out): (Format, Option<PathBuf>),
    backend: BackendKind,
) -> Result<()> {
    let backend = Backend::select(backend)?;
    let mut results = Vec::new();
    for dataset in &datasets.0 {
        let mut base = args.experiment()?;
        base.data.dataset = dataset.clone();
        results.push(separability(&base, &backend)?);
    }
    let mut md = String::from(
        "# Separability\n\nTest accuracy of a linear classifier (logistic regression) on the raw inputs and on the \
         trained network's last hidden layer:\n\n| dataset | network | network accuracy | linear on inputs | linear on hidden layer |\n| --- | --- | ---: | ---: | ---: |\n",
    );
    for r in &results {
        md.push_str(&format!(
            "| {} | {} | {:.4} | {:.4} | {:.4} |\n",
            r.dataset, r.network, r.network_accuracy, r.linear_on_inputs, r.linear_on_hidden
        ));
    }
    emit(&results, md, format, out.as_deref())
}
