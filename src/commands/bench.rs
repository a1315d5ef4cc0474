//! `nonlin bench …`: activations, training throughput (MLPs, the transformer), autodiff memory,
//! matmul against a plain sgemm, backend agreement.

use super::SpecList;
use super::train::TrainArgs;
use anyhow::Result;
use clap::Subcommand;
use nonlin_activations::ActivationConfig;
use nonlin_backend::{Backend, BackendKind};
use nonlin_eval::bench::{
    ActivationBench, MODEL_SHAPES, Steadiness, activations, autodiff_memory,
    language_model_training, matmul, training, training_models,
};
use nonlin_eval::compare::compare_backends;
use nonlin_eval::plot::{Lines, Series, save};
use nonlin_train::fs::write_atomic;
use nonlin_train::model::transformer::TransformerConfig;
use std::path::{Path, PathBuf};

const DEFAULT_ACTIVATIONS: &str = "relu;leaky_relu;elu;selu;gelu;gelu_tanh;quick_gelu;silu;mish;softplus;sigmoid;tanh;softsign;log_sigmoid;hard_swish;glu;swiglu;geglu;maxout(k=2)";

#[derive(Subcommand, Debug)]
pub enum BenchCommand {
    /// Forward and forward+backward time per activation, against an element-wise pass and Burn's op.
    Activations {
        /// Activations separated by `;`.
        #[arg(long, default_value = DEFAULT_ACTIVATIONS)]
        over_activations: SpecList<ActivationConfig>,
        /// Tensor sizes (elements).
        #[arg(long, value_delimiter = ',', default_value = "65536,1048576,16777216")]
        sizes: Vec<usize>,
        /// Backends to run on.
        #[arg(long, value_delimiter = ',', default_value = "ndarray,flex,wgpu")]
        backends: Vec<String>,
        /// Also write the results as JSON here.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Training throughput of MLP 784-512-512-10 and 784-256-256-256-10 per activation and batch size.
    Train {
        /// Activations separated by `;` (maxout(k=…) trains a Maxout MLP).
        #[arg(long, default_value = "relu;gelu;tanh;maxout(k=2)")]
        over_activations: SpecList<ActivationConfig>,
        /// Batch sizes.
        #[arg(long, value_delimiter = ',', default_value = "32,128,512")]
        batch_sizes: Vec<usize>,
        /// Timed steps per measurement (after at least 3 untimed ones and half a second of them).
        #[arg(long, default_value_t = 20)]
        steps: usize,
        /// Backends to run on.
        #[arg(long, value_delimiter = ',', default_value = "ndarray,flex,wgpu")]
        backends: Vec<String>,
        /// Also write the results as JSON here.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Training throughput of the character-level transformer on Tiny Shakespeare (AdamW steps),
    /// per feed-forward activation.
    Transformer {
        /// Feed-forward activations separated by `;` (the GLU family at matched parameter count).
        #[arg(long, default_value = "gelu;swiglu")]
        over_activations: SpecList<ActivationConfig>,
        /// Windows per step (the default run's).
        #[arg(long, default_value_t = 16)]
        batch_size: usize,
        /// Characters per window.
        #[arg(long, default_value_t = 128)]
        context: usize,
        /// Transformer blocks.
        #[arg(long, default_value_t = 4)]
        layers: usize,
        /// Width of the residual stream (the feed-forward width is 4×).
        #[arg(long, default_value_t = 128)]
        d_model: usize,
        /// Timed steps per activation (after at least 3 untimed ones and half a second of them).
        #[arg(long, default_value_t = 10)]
        steps: usize,
        /// Backends to run on.
        #[arg(long, value_delimiter = ',', default_value = "flex")]
        backends: Vec<String>,
        /// Also write the results as JSON here.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Resident memory an activation's forward keeps alive for the backward (CPU backends).
    Memory {
        /// Activations separated by `;`.
        #[arg(long, default_value = DEFAULT_ACTIVATIONS)]
        over_activations: SpecList<ActivationConfig>,
        /// Input elements.
        #[arg(long, default_value_t = 1 << 24)]
        elements: usize,
    },
    /// Burn's matrix product on each backend against a plain sgemm (the gemm crate) of the same
    /// shape; by default the shapes of the benchmarked MLP and of the transformer.
    Matmul {
        /// Shapes `MxKxN` (`[M, K] · [K, N]`), separated by commas.
        #[arg(long, value_delimiter = ',')]
        shapes: Vec<MatmulShape>,
        /// Timed products per shape (after 3 warm-up ones).
        #[arg(long, default_value_t = 20)]
        runs: usize,
        /// Backends to run on.
        #[arg(long, value_delimiter = ',', default_value = "ndarray,flex")]
        backends: Vec<String>,
        /// Also write the results as JSON here.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Train the same model from the same weights and batches on several backends and report how
    /// far losses, gradients and outputs drift apart.
    CompareBackends {
        #[command(flatten)]
        args: Box<TrainArgs>,
        /// Training steps.
        #[arg(long, default_value_t = 50)]
        steps: usize,
        /// Backends to compare.
        #[arg(long, value_delimiter = ',', default_value = "ndarray,flex,wgpu")]
        backends: Vec<String>,
        /// Draw the loss curves here (.png or .svg).
        #[arg(long)]
        plot: Option<PathBuf>,
        /// Also write the comparison as JSON here.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

/// `MxKxN`: the shape of `[M, K] · [K, N]`.
#[derive(Debug, Clone, Copy)]
pub struct MatmulShape([usize; 3]);

impl std::str::FromStr for MatmulShape {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let dims: Vec<usize> = s
            .split('x')
            .map(|d| d.trim().parse().ok().filter(|&d: &usize| d > 0))
            .collect::<Option<_>>()
            .filter(|d: &Vec<usize>| d.len() == 3)
            .ok_or_else(|| {
                format!("`{s}` is not a shape MxKxN of three whole numbers >= 1, e.g. 128x784x512")
            })?;
        Ok(Self([dims[0], dims[1], dims[2]]))
    }
}

/// The backends named, skipping (with a note) those this machine cannot run.
fn select_backends(names: &[String]) -> Result<Vec<Backend>> {
    let mut out = Vec::new();
    for name in names {
        let kind: BackendKind = name.parse()?;
        match Backend::select(kind) {
            Ok(b) => out.push(b),
            Err(e) => eprintln!("skipping {name}: {e}"),
        }
    }
    anyhow::ensure!(
        !out.is_empty(),
        "none of the backends {names:?} is available"
    );
    Ok(out)
}

fn write_json<T: serde::Serialize>(value: &T, out: Option<&Path>) -> Result<()> {
    if let Some(path) = out {
        write_atomic(path, serde_json::to_string_pretty(value)?.as_bytes())?;
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}

fn ms(t: f64) -> String {
    format!("{:.3}", t * 1e3)
}

/// The step tables' column for [`Steadiness`]: what made steps slow that was not their work.
const STEADINESS_HEADER: &str =
    "steps interrupted (max ÷ min of the rest) · reference loop p90 ÷ p10";

fn steadiness_cell(s: Option<&Steadiness>) -> String {
    let Some(s) = s else {
        return "—".into();
    };
    let rest = match (&s.interrupted_steps, &s.uninterrupted) {
        (Some(n), Some(rest)) => format!("{n} ({:.2})", rest.max_over_min()),
        (Some(n), None) => format!("{n} (—)"),
        (None, _) => "—".into(),
    };
    format!("{rest} · {:.2}", s.reference.p90_over_p10())
}

fn activation_table(results: &[ActivationBench]) -> String {
    let mut out = String::from(
        "| backend | activation | elements | fwd ms (min–max) | Gelem/s | GB/s | fwd ÷ copy | fwd ÷ Burn | fwd+bwd ms | fwd+bwd ÷ copy | fwd+bwd ÷ Burn |\n\
         | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n",
    );
    for r in results {
        let copy = results
            .iter()
            .find(|c| c.activation == "copy" && c.elements == r.elements && c.backend == r.backend)
            .expect("a copy baseline per size and backend");
        let ratio =
            |a: f64, b: Option<f64>| b.map_or("—".to_string(), |b| format!("{:.2}", a / b));
        out.push_str(&format!(
            "| {} | {} | {} | {} ({}–{}) | {:.3} | {:.2} | {:.2} | {} | {} | {:.2} | {} |\n",
            r.backend.split(' ').next().unwrap_or(&r.backend),
            r.activation,
            r.elements,
            ms(r.forward.median),
            ms(r.forward.min),
            ms(r.forward.max),
            r.elements_per_second() / 1e9,
            r.gigabytes_per_second(),
            r.forward.median / copy.forward.median,
            ratio(r.forward.median, r.burn_forward.map(|t| t.median)),
            ms(r.forward_backward.median),
            r.forward_backward.median / copy.forward_backward.median,
            ratio(
                r.forward_backward.median,
                r.burn_forward_backward.map(|t| t.median)
            ),
        ));
    }
    out
}

pub fn run(command: &BenchCommand) -> Result<()> {
    match command {
        BenchCommand::Activations {
            over_activations,
            sizes,
            backends,
            out,
        } => {
            let configs = over_activations.0.clone();
            let mut results = Vec::new();
            for backend in select_backends(backends)? {
                eprintln!("benchmarking activations on {}", backend.describe());
                results.extend(activations(&backend, &configs, sizes)?);
            }
            print!("{}", activation_table(&results));
            write_json(&results, out.as_deref())
        }
        BenchCommand::Train {
            over_activations,
            batch_sizes,
            steps,
            backends,
            out,
        } => {
            let configs = over_activations.0.clone();
            let mut results = Vec::new();
            println!(
                "| backend | model | batch | ms/step (min–max) | p90 ÷ p10 (max ÷ min) | {STEADINESS_HEADER} | samples/s |\n| --- | --- | ---: | ---: | ---: | ---: | ---: |"
            );
            for backend in select_backends(backends)? {
                for config in &configs {
                    for model in training_models(config) {
                        for r in training(&backend, &model, batch_sizes, *steps)? {
                            println!(
                                "| {} | {} | {} | {} ({}–{}) | {:.2} ({:.2}) | {} | {:.0} |",
                                backend.kind,
                                r.model,
                                r.batch_size,
                                ms(r.step.median),
                                ms(r.step.min),
                                ms(r.step.max),
                                r.step.p90_over_p10(),
                                r.step.max_over_min(),
                                steadiness_cell(r.steadiness.as_ref()),
                                r.samples_per_second()
                            );
                            results.push(r);
                        }
                    }
                }
            }
            write_json(&results, out.as_deref())
        }
        BenchCommand::Memory {
            over_activations,
            elements,
        } => {
            let configs = over_activations.0.clone();
            println!(
                "| backend | activation | input MB | nonlin: MB held (output + saved for backward) | Burn's op: MB held |\n| --- | --- | ---: | ---: | ---: |"
            );
            for kind in [BackendKind::Ndarray, BackendKind::Flex] {
                let backend = Backend::select(kind)?;
                for m in autodiff_memory(&backend.autodiff(), &configs, *elements)? {
                    let mb = |b: u64| format!("{:.0}", b as f64 / 1e6);
                    println!(
                        "| {kind} | {} | {:.0} | {} | {} |",
                        m.activation,
                        4.0 * m.elements as f64 / 1e6,
                        mb(m.nonlin_bytes),
                        m.burn_bytes.map_or("—".into(), mb)
                    );
                }
            }
            Ok(())
        }
        BenchCommand::Transformer {
            over_activations,
            batch_size,
            context,
            layers,
            d_model,
            steps,
            backends,
            out,
        } => {
            println!(
                "| backend | activation | model | batch × context | ms/step (min–max) | p90 ÷ p10 (max ÷ min) | {STEADINESS_HEADER} | characters/s | peak RSS MB |\n| --- | --- | --- | --- | ---: | ---: | ---: | ---: | ---: |"
            );
            let mut results = Vec::new();
            for backend in select_backends(backends)? {
                for activation in &over_activations.0 {
                    // vocab: the corpus's, set by the benchmark
                    let config = TransformerConfig::new(1)
                        .with_context(*context)
                        .with_layers(*layers)
                        .with_d_model(*d_model)
                        .with_d_ff(4 * d_model)
                        .with_activation(activation.clone());
                    let r = language_model_training(&backend, &config, *batch_size, *steps)?;
                    let peak = r
                        .peak_resident_bytes
                        .map_or("—".into(), |b| format!("{:.0}", b as f64 / 1e6));
                    if !r.peak_reset && r.peak_resident_bytes.is_some() {
                        eprintln!(
                            "the kernel refused to reset the peak resident set \
                             (/proc/self/clear_refs): this peak covers the process so far"
                        );
                    }
                    println!(
                        "| {} | {} | {} | {} × {} | {} ({}–{}) | {:.2} ({:.2}) | {} | {:.0} | {peak} |",
                        backend.kind,
                        r.activation,
                        r.model,
                        r.batch_size,
                        r.context,
                        ms(r.step.median),
                        ms(r.step.min),
                        ms(r.step.max),
                        r.step.p90_over_p10(),
                        r.step.max_over_min(),
                        steadiness_cell(r.steadiness.as_ref()),
                        r.tokens_per_second()
                    );
                    results.push(r);
                }
            }
            write_json(&results, out.as_deref())
        }
        BenchCommand::Matmul {
            shapes,
            runs,
            backends,
            out,
        } => {
            let shapes: Vec<[usize; 3]> = if shapes.is_empty() {
                MODEL_SHAPES.to_vec()
            } else {
                shapes.iter().map(|s| s.0).collect()
            };
            println!(
                "| backend | M×K×N | Burn ms (min–max) | Burn GFLOP/s | plain sgemm GFLOP/s | Burn ÷ plain time |\n| --- | --- | ---: | ---: | ---: | ---: |"
            );
            let mut results = Vec::new();
            for backend in select_backends(backends)? {
                for r in matmul(&backend, &shapes, *runs) {
                    let [m, k, n] = r.shape;
                    println!(
                        "| {} | {m}×{k}×{n} | {} ({}–{}) | {:.1} | {:.1} | {:.2} |",
                        backend.kind,
                        ms(r.burn.median),
                        ms(r.burn.min),
                        ms(r.burn.max),
                        r.flops() / r.burn.median / 1e9,
                        r.flops() / r.plain.median / 1e9,
                        r.burn.median / r.plain.median
                    );
                    results.push(r);
                }
            }
            write_json(&results, out.as_deref())
        }
        BenchCommand::CompareBackends {
            args,
            steps,
            backends,
            plot,
            out,
        } => compare(args, *steps, backends, plot.as_deref(), out.as_deref()),
    }
}

fn compare(
    args: &TrainArgs,
    steps: usize,
    backends: &[String],
    plot: Option<&Path>,
    out: Option<&Path>,
) -> Result<()> {
    let config = args.experiment()?;
    let backends = select_backends(backends)?;
    let comparison = compare_backends(&config, &backends, steps)?;
    print!("{}", comparison.markdown());
    if let Some(path) = plot {
        let figure = Lines {
            title: format!("training loss per step: {}", comparison.model),
            axes: ("step".into(), "cross-entropy".into()),
            series: comparison
                .runs
                .iter()
                .map(|r| Series {
                    name: r.backend.clone(),
                    points: r
                        .losses
                        .iter()
                        .enumerate()
                        .map(|(i, &l)| ((i + 1) as f64, l))
                        .collect(),
                })
                .collect(),
        };
        save(&figure, path)?;
        eprintln!("wrote {}", path.display());
    }
    write_json(&comparison, out)
}
