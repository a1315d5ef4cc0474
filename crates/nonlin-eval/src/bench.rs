//! Benchmarks measured the same way on every backend: warm-up runs, then repetitions whose median
//! and spread are reported; each timing ends by reading one value back, which waits for the device
//! (wgpu is asynchronous).
//!
//! - [`activations`]: forward and forward+backward time per activation and size, as elements/s,
//!   effective GB/s (4 bytes per element read and written forward), and the ratio to an
//!   element-wise pass (`x · 1`, a copy through the same backend) and to Burn's own op;
//! - [`training`]: training throughput (samples/s) of MLPs on MNIST-shaped random data;
//! - [`autodiff_memory`]: the resident memory an activation's autodiff graph keeps, nonlin's
//!   op against Burn's;
//! - [`matmul`]: Burn's matrix product against a plain sgemm of the same shape;
//! - [`language_model_training`]: training throughput of the character-level transformer.

mod language_model;
mod matmul;
mod steadiness;
pub use language_model::{LanguageModelBench, language_model_training};
pub use matmul::{MODEL_SHAPES, MatmulBench, matmul, plain_sgemm};
pub use steadiness::{Steadiness, StepObservation};

use crate::error::EvalError;
use burn::module::Module;
use burn::nn::loss::CrossEntropyLossConfig;
use burn::optim::GradientsParams;
use burn::tensor::activation as burn_act;
use burn::tensor::{Device, Distribution, Int, Tensor};
use nonlin_activations::{ActivationConfig, AnyActivation, GluVariant};
use nonlin_activations::{keep_workers_awake, workers_kept_awake};
use nonlin_backend::Backend;
use nonlin_train::{ModelConfig, ModelKind, TrainingConfig};
use serde::{Deserialize, Serialize};
use std::time::Instant;

/// Median and spread of repeated timings, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Timing {
    /// Median.
    pub median: f64,
    /// Fastest.
    pub min: f64,
    /// Slowest.
    pub max: f64,
    /// 10th percentile (nearest rank): with `p90`, the spread of the typical repetitions, which
    /// single slow ones (a host's hiccup on a shared VM) do not move as they move `max`.
    #[serde(default)]
    pub p10: f64,
    /// 90th percentile (nearest rank).
    #[serde(default)]
    pub p90: f64,
    /// Repetitions measured (after warm-up).
    pub runs: usize,
}

impl Timing {
    /// The summary of `times` (seconds, at least one).
    pub fn of(mut times: Vec<f64>) -> Self {
        times.sort_by(f64::total_cmp);
        let at = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
        Timing {
            median: times[times.len() / 2],
            min: times[0],
            max: times[times.len() - 1],
            p10: at(0.1),
            p90: at(0.9),
            runs: times.len(),
        }
    }

    /// `max ÷ min`.
    pub fn max_over_min(&self) -> f64 {
        self.max / self.min
    }

    /// `p90 ÷ p10`.
    pub fn p90_over_p10(&self) -> f64 {
        self.p90 / self.p10
    }
}

/// Times `f` `runs` times after `warmup` untimed calls, in one unbroken block: calls taken in turn
/// with other functions (to spread drift in the machine's speed evenly) were tried and measured
/// wrong on a VM, where a multi-threaded kernel that follows a pause or a single-threaded op runs
/// up to 2× slower for many calls while the idle second vCPU is woken.
pub fn time(warmup: usize, runs: usize, mut f: impl FnMut()) -> Timing {
    for _ in 0..warmup {
        f();
    }
    Timing::of(
        (0..runs.max(1))
            .map(|_| {
                let started = Instant::now();
                f();
                started.elapsed().as_secs_f64()
            })
            .collect(),
    )
}

/// Untimed training steps before the timed ones: at least [`STEP_WARMUP_CALLS`], and for at
/// least this many seconds. On a 2-vCPU VM the first steps after model setup run slow while the
/// idle second vCPU wakes (with 3 warm-up steps alone the first benchmarked model's slowest step
/// took 5× its fastest); half a second of steps settles it.
pub const STEP_WARMUP_SECONDS: f64 = 0.5;
/// The fewest untimed training steps.
pub const STEP_WARMUP_CALLS: usize = 3;

/// Times `steps` training steps `f` after [`STEP_WARMUP_CALLS`] untimed ones and at least
/// [`STEP_WARMUP_SECONDS`] of them (`scripts/pytorch_bench.py` warms up the same way), with how
/// steady the machine was meanwhile ([`Steadiness`]; `busy_threads`: how many threads run
/// through every step, [`workers_kept_awake`]).
pub fn time_steps(steps: usize, busy_threads: usize, mut f: impl FnMut()) -> (Timing, Steadiness) {
    let started = Instant::now();
    let mut calls = 0;
    while calls < STEP_WARMUP_CALLS || started.elapsed().as_secs_f64() < STEP_WARMUP_SECONDS {
        // observed as the timed steps are, the figures dropped: warmed up without the reads and
        // the reference loop between steps, the first timed steps ran up to 2.3× slower (in an
        // A/B of three `bench train` runs each, 5–7 of the 40 first-five steps over 1.3× the
        // fastest, against 0–1 with this warm-up)
        steadiness::observe(1, &mut f);
        calls += 1;
    }
    let observed = steadiness::observe(steps, f);
    (
        Timing::of(observed.iter().map(|o| o.step).collect()),
        Steadiness::of(observed, busy_threads),
    )
}

/// Waits for `t` by reading its first value.
fn sync<const D: usize>(t: Tensor<D>) {
    let first = t.flatten::<1>(0, D - 1).narrow(0, 0, 1);
    let _: f32 = first.into_scalar();
}

/// Burn 0.22's built-in for an activation, where it has one.
pub fn burn_builtin(config: &ActivationConfig) -> Option<fn(Tensor<1>) -> Tensor<1>> {
    use ActivationConfig as C;
    Some(match config {
        C::Relu => burn_act::relu,
        C::Gelu => burn_act::gelu,
        C::GeluTanh => burn_act::gelu_approximate,
        C::Sigmoid => burn_act::sigmoid,
        C::Tanh => burn_act::tanh,
        C::Silu => burn_act::silu,
        C::Mish => burn_act::mish,
        C::Softsign => burn_act::softsign,
        C::LogSigmoid => burn_act::log_sigmoid,
        C::HardSwish => burn_act::hard_swish,
        C::Selu => burn_act::selu,
        C::Relu6 => burn_act::relu6,
        C::TanhShrink => burn_act::tanhshrink,
        C::LeakyRelu(c) if c.negative_slope == 0.01 => |x| burn_act::leaky_relu(x, 0.01),
        C::Elu(c) if c.alpha == 1.0 => |x| burn_act::elu(x, 1.0),
        C::Celu(c) if c.alpha == 1.0 => |x| burn_act::celu(x, 1.0),
        C::Softplus(c) if c.beta == 1.0 && c.threshold == 20.0 => |x| burn_act::softplus(x, 1.0),
        C::Glu(c) if c.variant == GluVariant::Glu && c.dim == -1 => |x| burn_act::glu(x, -1),
        _ => return None,
    })
}

/// One activation at one size on one backend.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActivationBench {
    /// Backend description.
    pub backend: String,
    /// Activation spec (`copy` for the element-wise baseline).
    pub activation: String,
    /// Input elements.
    pub elements: usize,
    /// Output elements: fewer than the input's for Maxout (÷k) and the GLU family (÷2).
    pub outputs: usize,
    /// Forward time.
    pub forward: Timing,
    /// Forward + backward time (`y.sum().backward()` and reading the input gradient).
    pub forward_backward: Timing,
    /// Forward of Burn's own op, if Burn has one.
    pub burn_forward: Option<Timing>,
    /// Forward + backward of Burn's own op.
    pub burn_forward_backward: Option<Timing>,
}

impl ActivationBench {
    /// Elements per second, forward.
    pub fn elements_per_second(&self) -> f64 {
        self.elements as f64 / self.forward.median
    }

    /// Effective bandwidth of the forward pass, GB/s (4 bytes per element read and written).
    pub fn gigabytes_per_second(&self) -> f64 {
        4.0 * (self.elements + self.outputs) as f64 / self.forward.median / 1e9
    }
}

fn repetitions(elements: usize) -> (usize, usize) {
    match elements {
        n if n <= 1 << 16 => (20, 51),
        n if n <= 1 << 20 => (10, 31),
        _ => (1, 5),
    }
}

/// An activation as a function of a tensor.
type Apply<'a> = &'a (dyn Fn(Tensor<1>) -> Tensor<1> + Sync);

/// Forward and forward+backward timings of each function of `applies` (with the plain and the
/// autodiff form of each), all on the same `elements` normal(0, 3) values.
fn time_functions(
    backend: &Backend,
    elements: usize,
    applies: &[(Apply<'_>, Apply<'_>)],
) -> Vec<(Timing, Timing)> {
    let (warmup, runs) = repetitions(elements);
    let x = Tensor::<1>::random([elements], Distribution::Normal(0.0, 3.0), &backend.device);
    let xa = Tensor::<1>::from_data(x.clone().into_data(), &backend.autodiff());
    applies
        .iter()
        .map(|&(plain, autodiff)| {
            keep_workers_awake(&backend.device, || {
                let forward = time(warmup, runs, || sync(plain(x.clone())));
                let forward_backward = time(warmup, runs, || {
                    let input = xa.clone().require_grad();
                    let grads = autodiff(input.clone()).sum().backward();
                    sync(input.grad(&grads).expect("an input gradient"));
                });
                (forward, forward_backward)
            })
        })
        .collect()
}

/// The error, naming the flag to change, if a split activation (Maxout, the GLU family) cannot
/// split `elements` inputs.
/// Applies an activation to a benchmark input whose length [`check_splits`] has checked: Maxout's
/// `k` and the GLU family's 2 divide it, so the split cannot fail.
fn apply(activation: &AnyActivation, x: Tensor<1>) -> Tensor<1> {
    activation
        .try_forward(x)
        .unwrap_or_else(|e| unreachable!("check_splits accepted the size: {e}"))
}

fn check_splits(
    configs: &[ActivationConfig],
    elements: usize,
    flag: &str,
) -> Result<(), EvalError> {
    for config in configs {
        config.output_width(elements).map_err(|e| {
            EvalError::Invalid(format!(
                "`{}` at {elements} elements: {e}; choose {flag} that it divides",
                config.spec()
            ))
        })?;
    }
    Ok(())
}

/// Benchmarks the element-wise pass and each activation of `configs` at each size on `backend`.
pub fn activations(
    backend: &Backend,
    configs: &[ActivationConfig],
    sizes: &[usize],
) -> Result<Vec<ActivationBench>, EvalError> {
    let mut out = Vec::new();
    let device = backend.autodiff();
    for &elements in sizes {
        check_splits(configs, elements, "--sizes")?;
        let copy = |x| x * 1.0;
        let (forward, forward_backward) = time_functions(backend, elements, &[(&copy, &copy)])[0];
        out.push(ActivationBench {
            backend: backend.describe(),
            activation: "copy".into(),
            elements,
            outputs: elements,
            forward,
            forward_backward,
            burn_forward: None,
            burn_forward_backward: None,
        });
        for config in configs {
            let activation: AnyActivation = config
                .init_any(&device)
                .map_err(|e| EvalError::Invalid(e.to_string()))?;
            let plain = activation.clone().valid();
            let ours_plain = |x| apply(&plain, x);
            let ours = |x| apply(&activation, x);
            // Burn's op, where it has one, on the same input
            let burn = burn_builtin(config);
            let mut applies: Vec<(Apply<'_>, Apply<'_>)> = vec![(&ours_plain, &ours)];
            if let Some(burn) = &burn {
                applies.push((burn, burn));
            }
            let timings = time_functions(backend, elements, &applies);
            let (forward, forward_backward) = timings[0];
            let burn = timings.get(1).copied();
            out.push(ActivationBench {
                backend: backend.describe(),
                activation: config.spec(),
                elements,
                outputs: elements / config.width_factor(),
                forward,
                forward_backward,
                burn_forward: burn.map(|b| b.0),
                burn_forward_backward: burn.map(|b| b.1),
            });
        }
    }
    Ok(out)
}

/// Training throughput of one model at one batch size.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainingBench {
    /// Backend description.
    pub backend: String,
    /// Model description, e.g. `mlp 784-512-512-10 relu`.
    pub model: String,
    /// Samples per step.
    pub batch_size: usize,
    /// Time per training step (forward, backward, Adam update).
    pub step: Timing,
    /// Preemption and the machine's own speed while the steps were timed (absent in JSON
    /// written before it existed).
    #[serde(default)]
    pub steadiness: Option<Steadiness>,
}

impl TrainingBench {
    /// Samples per second at the median step time.
    pub fn samples_per_second(&self) -> f64 {
        self.batch_size as f64 / self.step.median
    }
}

/// Training steps of `model` on MNIST-shaped random batches (784 features, 10 classes) with Adam.
pub fn training(
    backend: &Backend,
    model: &ModelConfig,
    batch_sizes: &[usize],
    steps: usize,
) -> Result<Vec<TrainingBench>, EvalError> {
    let device = backend.autodiff();
    let mut out = Vec::new();
    for &batch in batch_sizes {
        let mut net = model.init(&[784], 10, &device)?;
        let mut optimizer = TrainingConfig::default().optimizer();
        let loss_fn = CrossEntropyLossConfig::new().init(&device);
        let x = Tensor::<2>::random([batch, 784], Distribution::Uniform(0.0, 1.0), &device);
        let y = Tensor::<1, Int>::random([batch], Distribution::Uniform(0.0, 10.0), &device);
        let (step, steadiness) = time_steps(steps, workers_kept_awake(&device), || {
            keep_workers_awake(&device, || {
                let loss = loss_fn.forward(net.forward(x.clone()), y.clone());
                let grads = GradientsParams::from_grads(loss.backward(), &net);
                net = optimizer.step(1e-3, net.clone(), grads);
                // the next step needs the updated weights; reading one waits for this step
                sync(net.dense().head.weight.val());
            })
        });
        out.push(TrainingBench {
            backend: backend.describe(),
            model: model.describe(784, 10),
            batch_size: batch,
            step,
            steadiness: Some(steadiness),
        });
    }
    Ok(out)
}

/// The benchmarked MLPs: 784-512-512-10 and 784-256-256-256-10 with `activation` (or Maxout).
pub fn training_models(activation: &ActivationConfig) -> Vec<ModelConfig> {
    let base = ModelConfig {
        activation: activation.clone(),
        ..ModelConfig::default()
    };
    let kind = if matches!(activation, ActivationConfig::Maxout(_)) {
        ModelKind::MaxoutMlp
    } else {
        ModelKind::Mlp
    };
    let maxout_k = match activation {
        ActivationConfig::Maxout(c) => c.k,
        _ => 2,
    };
    vec![
        ModelConfig {
            kind,
            hidden: vec![512, 512],
            maxout_k,
            ..base.clone()
        },
        ModelConfig {
            kind,
            hidden: vec![256, 256, 256],
            maxout_k,
            ..base
        },
    ]
}

/// Starts a new peak of this process's resident set: Linux resets `VmHWM` to the current resident
/// set when `5` is written to `/proc/self/clear_refs` (since 4.0). `false` where that is refused
/// or absent, and the peak read afterwards is the process's whole life.
fn reset_peak_resident() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// The peak resident set of this process since the last [`reset_peak_resident`] (or its start),
/// bytes (Linux; `None` elsewhere).
fn peak_resident_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// Resident memory of this process, bytes (Linux; `None` elsewhere).
fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

/// Memory held by an activation's autodiff graph.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MemoryBench {
    /// Activation spec.
    pub activation: String,
    /// Elements of the input.
    pub elements: usize,
    /// Resident memory added while nonlin's forward output and graph are alive, bytes.
    pub nonlin_bytes: u64,
    /// The same for Burn's own op.
    pub burn_bytes: Option<u64>,
}

/// The resident memory each activation's forward adds while its output and autodiff graph are alive
/// (the input is allocated before measuring): about one buffer for the output plus what the
/// backward keeps. Measured on the CPU backends, where device memory is process memory.
pub fn autodiff_memory(
    device: &Device,
    configs: &[ActivationConfig],
    elements: usize,
) -> Result<Vec<MemoryBench>, EvalError> {
    let measure = |f: &dyn Fn(Tensor<1>) -> Tensor<1>| -> Option<u64> {
        let x =
            Tensor::<1>::random([elements], Distribution::Normal(0.0, 3.0), device).require_grad();
        sync(x.clone());
        let before = resident_bytes()?;
        let y = f(x.clone());
        sync(y.clone());
        let after = resident_bytes()?;
        drop(y);
        Some(after.saturating_sub(before))
    };
    check_splits(configs, elements, "--elements")?;
    let mut out = Vec::new();
    for config in configs {
        let activation = config
            .init_any(device)
            .map_err(|e| EvalError::Invalid(e.to_string()))?;
        out.push(MemoryBench {
            activation: config.spec(),
            elements,
            nonlin_bytes: measure(&|x| apply(&activation, x)).unwrap_or(0),
            burn_bytes: burn_builtin(config).and_then(|f| measure(&f)),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timing_reports_median_and_spread() {
        let mut n = 0u64;
        let t = time(1, 5, || n += 1);
        assert_eq!((n, t.runs), (6, 5));
        assert!(t.min <= t.p10 && t.p10 <= t.median && t.median <= t.p90 && t.p90 <= t.max);
    }

    #[test]
    fn percentiles_are_nearest_ranks_and_ignore_single_outliers() {
        // 50 steps, as `bench train` takes: ranks 5 and 44 (0-based) of the sorted times
        let mut times: Vec<f64> = (1..=50).map(f64::from).collect();
        times.reverse();
        times[7] = 1000.0; // one slow step
        let t = Timing::of(times);
        assert_eq!(
            (t.min, t.p10, t.median, t.p90, t.max),
            (1.0, 6.0, 26.0, 46.0, 1000.0)
        );
        assert_eq!(t.runs, 50);
        assert_eq!(t.max_over_min(), 1000.0);
        assert!((t.p90_over_p10() - 46.0 / 6.0).abs() < 1e-12);
        let one = Timing::of(vec![2.0]);
        assert_eq!(
            (one.min, one.p10, one.median, one.p90, one.max),
            (2.0, 2.0, 2.0, 2.0, 2.0)
        );
        // JSON written before the percentiles existed still reads
        let old: Timing =
            serde_json::from_str(r#"{"median":2.0,"min":1.0,"max":3.0,"runs":5}"#).unwrap();
        assert_eq!((old.p10, old.p90), (0.0, 0.0));
    }

    #[test]
    fn burn_builtins_cover_the_common_activations() {
        for spec in [
            "relu",
            "gelu",
            "gelu_tanh",
            "sigmoid",
            "tanh",
            "silu",
            "mish",
            "elu",
            "leaky_relu",
            "softplus",
        ] {
            assert!(burn_builtin(&spec.parse().unwrap()).is_some(), "{spec}");
        }
        assert!(burn_builtin(&"elu(alpha=0.5)".parse().unwrap()).is_none());
    }
}
