//! Every activation, on every backend (ndarray, flex, and wgpu when an adapter exists), against the
//! values and gradients PyTorch computed (`scripts/pytorch_fixtures.py` →
//! `tests/fixtures/pytorch.json`).
//!
//! Each fixture holds PyTorch's float32 result and the float64 one (PyTorch again, same float32
//! inputs, rounded to float32: the exact answer to within rounding). Per element:
//! - a finite input never gives NaN (stricter than PyTorch, which returns NaN for GELU-tanh'(-1e30)
//!   and friends), and a NaN input gives a NaN value;
//! - at ±inf, where both references are NaN (inf · 0), any result is accepted;
//! - otherwise ours must agree with PyTorch float32 or with the float64 answer, where agree means
//!   both NaN, equal (-0.0 == 0.0, inf == inf), or `|ours − ref| ≤ max(1e-6, 4 ulp(ref))`.
//!
//! Matching the float64 answer covers the places where PyTorch's float32 arithmetic is itself off by
//! more than the tolerance (1 − σ(x) cancelling, an intermediate overflowing at f32::MAX).
//!
//! One documented gap: a GPU's float32 sine has no exact range reduction for huge arguments, so on
//! wgpu Snake is compared for |x| ≤ 1e5 and only checked for NaN beyond.

use burn::tensor::{Device, Tensor, TensorData};
use nonlin_activations::{Activation, ActivationConfig};
use nonlin_backend::{Backend, BackendKind, test_backends};
use serde::Deserialize;

#[derive(Deserialize)]
struct Fixtures {
    torch_version: String,
    grid: Vec<u32>,
    pointwise: Vec<PointwiseCase>,
    split: Vec<SplitCase>,
}

#[derive(Deserialize)]
struct PointwiseCase {
    spec: String,
    reference: String,
    y: Vec<u32>,
    dx: Vec<u32>,
    dparam: Option<Vec<u32>>,
    y64: Vec<u32>,
    dx64: Vec<u32>,
    dparam64: Option<Vec<u32>>,
}

#[derive(Deserialize)]
struct SplitCase {
    spec: String,
    shape: [usize; 2],
    x: Vec<u32>,
    upstream: Vec<u32>,
    y: Vec<u32>,
    dx: Vec<u32>,
    y64: Vec<u32>,
    dx64: Vec<u32>,
}

fn fixtures() -> Fixtures {
    let text = include_str!("fixtures/pytorch.json");
    serde_json::from_str(text).expect("fixtures/pytorch.json parses")
}

fn floats(bits: &[u32]) -> Vec<f32> {
    bits.iter().copied().map(f32::from_bits).collect()
}

/// The distance between `v` and the next float32 away from zero.
fn ulp(v: f32) -> f32 {
    let a = v.abs();
    if a == f32::MAX || a.is_infinite() {
        return f32::MAX - f32::from_bits(f32::MAX.to_bits() - 1);
    }
    f32::from_bits(a.to_bits() + 1) - a
}

/// Whether `ours` agrees with one reference value.
fn agrees(ours: f32, reference: f32) -> bool {
    if ours.is_nan() || reference.is_nan() {
        return ours.is_nan() && reference.is_nan();
    }
    ours == reference || (ours - reference).abs() <= 1e-6_f32.max(4.0 * ulp(reference))
}

/// Why `ours` disagrees with the references at input `x`, or `None` (see the module docs).
fn disagreement(x: f32, ours: f32, torch: f32, exact: f32, is_value: bool) -> Option<String> {
    if x.is_nan() && is_value && !ours.is_nan() {
        return Some("NaN in must give NaN out".into());
    }
    if x.is_finite() && ours.is_nan() {
        return Some("NaN from a finite input".into());
    }
    // Where both references are NaN (a finite input: checked above; ±inf: the limit is the
    // caller's business, e.g. SiLU'(+inf) = inf · 0), any number is accepted.
    if agrees(ours, torch)
        || agrees(ours, exact)
        || (!x.is_nan() && torch.is_nan() && exact.is_nan())
    {
        return None;
    }
    Some(format!(
        "off by {:e} from torch, {:e} from float64",
        (ours - torch).abs(),
        (ours - exact).abs()
    ))
}

struct Reference<'a> {
    torch: &'a [u32],
    exact: &'a [u32],
}

/// Inputs whose comparison is waived (the module docs' documented gap); NaN is still checked.
type Waiver = fn(f32) -> bool;

fn no_waiver(_: f32) -> bool {
    false
}

fn gpu_sine_of_huge_argument(x: f32) -> bool {
    x.abs() > 1e5
}

fn check(
    label: &str,
    xs: &[f32],
    ours: &[f32],
    reference: Reference,
    (is_value, waived): (bool, Waiver),
    failures: &mut Vec<String>,
) {
    let (torch, exact) = (floats(reference.torch), floats(reference.exact));
    assert_eq!(ours.len(), torch.len(), "{label}: length");
    let mut bad = 0;
    for (i, (&x, &o)) in xs.iter().zip(ours).enumerate() {
        let verdict = if waived(x) {
            (x.is_finite() && o.is_nan()).then(|| "NaN from a finite input".to_string())
        } else {
            disagreement(x, o, torch[i], exact[i], is_value)
        };
        if let Some(why) = verdict {
            if bad < 5 {
                failures.push(format!(
                    "{label} at x = {x:e}: ours {o:e}, torch {:e}, float64 {:e}: {why}",
                    torch[i], exact[i]
                ));
            }
            bad += 1;
        }
    }
    if bad >= 5 {
        failures.push(format!("{label}: {bad} elements disagree in all"));
    }
}

/// Builds the activation of `spec`; learnable parameters get one value per element (`n`), so the
/// per-element parameter gradients can be compared.
fn build(spec: &str, per_element: Option<usize>, device: &Device) -> Activation {
    let mut config: ActivationConfig = spec.parse().unwrap_or_else(|e| panic!("{spec}: {e}"));
    if let Some(n) = per_element {
        match &mut config {
            ActivationConfig::PRelu(c) => c.num_parameters = n,
            ActivationConfig::Swish(c) => c.num_parameters = n,
            ActivationConfig::Snake(c) => c.num_parameters = n,
            other => panic!("{spec}: {other:?} has no per-channel parameter"),
        }
    }
    config.init(device).unwrap()
}

fn to_vec<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data()
        .convert::<f32>()
        .try_into_vec::<f32>()
        .unwrap()
}

fn learnable_param(activation: &Activation) -> Tensor<1> {
    match activation {
        Activation::PRelu(m) => m.weight.val(),
        Activation::Swish(m) => m.beta.as_ref().expect("learnable beta").val(),
        Activation::Snake(m) => m.alpha.val(),
        _ => unreachable!(),
    }
}

fn pointwise_on(backend: &Backend, fx: &Fixtures, failures: &mut Vec<String>) {
    let device = backend.autodiff();
    let xs = floats(&fx.grid);
    let n = xs.len();
    for case in &fx.pointwise {
        let label = format!(
            "[{}] {} (torch: {})",
            backend.kind, case.spec, case.reference
        );
        let per_element = case.dparam.is_some().then_some(n);
        let waiver: Waiver = if backend.kind == BackendKind::Wgpu && case.spec.starts_with("snake")
        {
            gpu_sine_of_huge_argument
        } else {
            no_waiver
        };
        let activation = build(&case.spec, per_element, &device);
        // [1, n]: the channel dimension (1) indexes the grid, as in the fixture script
        let x = Tensor::<2>::from_data(TensorData::new(xs.clone(), [1, n]), &device).require_grad();
        let y = match &activation {
            // PyTorch's reference is RReLU in evaluation mode
            Activation::RRelu(m) => m.forward_eval(x.clone()),
            other => other.forward(x.clone()),
        };
        let grads = y.clone().sum().backward();
        let reference = |torch, exact| Reference { torch, exact };
        check(
            &format!("{label} value"),
            &xs,
            &to_vec(y),
            reference(&case.y, &case.y64),
            (true, waiver),
            failures,
        );
        let dx = x.grad(&grads).expect("input gradient");
        check(
            &format!("{label} d/dx"),
            &xs,
            &to_vec(dx),
            reference(&case.dx, &case.dx64),
            (false, waiver),
            failures,
        );
        if let (Some(dparam), Some(dparam64)) = (&case.dparam, &case.dparam64) {
            let dp = learnable_param(&activation)
                .grad(&grads)
                .expect("parameter gradient");
            let label = format!("{label} d/dparam");
            check(
                &label,
                &xs,
                &to_vec(dp),
                reference(dparam, dparam64),
                (false, waiver),
                failures,
            );
        }
    }
}

fn split_on(backend: &Backend, fx: &Fixtures, failures: &mut Vec<String>) {
    let device = backend.autodiff();
    for case in &fx.split {
        let label = format!("[{}] {}", backend.kind, case.spec);
        let activation = build(&case.spec, None, &device);
        let xs = floats(&case.x);
        let x =
            Tensor::<2>::from_data(TensorData::new(xs.clone(), case.shape), &device).require_grad();
        let y = activation.forward(x.clone());
        let out_shape = y.dims();
        let upstream =
            Tensor::<2>::from_data(TensorData::new(floats(&case.upstream), out_shape), &device);
        let grads = (y.clone() * upstream).sum().backward();
        let finite_inputs = vec![0.0; case.y.len()];
        let reference = |torch, exact| Reference { torch, exact };
        let y = to_vec(y);
        check(
            &format!("{label} value"),
            &finite_inputs,
            &y,
            reference(&case.y, &case.y64),
            (true, no_waiver),
            failures,
        );
        let dx = x.grad(&grads).expect("input gradient");
        check(
            &format!("{label} d/dx"),
            &xs,
            &to_vec(dx),
            reference(&case.dx, &case.dx64),
            (false, no_waiver),
            failures,
        );
    }
}

#[test]
fn every_activation_matches_pytorch_on_every_backend() {
    let fx = fixtures();
    assert!(
        fx.torch_version.starts_with("2."),
        "fixtures from PyTorch 2.x"
    );
    assert!(fx.pointwise.len() >= 40 && fx.split.len() == 7);
    let mut failures = Vec::new();
    let backends = test_backends();
    for backend in &backends {
        pointwise_on(backend, &fx, &mut failures);
        split_on(backend, &fx, &mut failures);
    }
    let names: Vec<String> = backends.iter().map(|b| b.describe()).collect();
    assert!(
        failures.is_empty(),
        "{} disagreements with PyTorch {} on {names:?}:\n{}",
        failures.len(),
        fx.torch_version,
        failures.join("\n")
    );
    eprintln!(
        "checked {} pointwise and {} split cases against PyTorch {} on {names:?}",
        fx.pointwise.len(),
        fx.split.len(),
        fx.torch_version
    );
}

#[test]
fn the_catalog_is_covered_by_the_fixtures() {
    let fx = fixtures();
    let tested: Vec<String> = fx
        .pointwise
        .iter()
        .map(|c| &c.spec)
        .chain(fx.split.iter().map(|c| &c.spec))
        .map(|s| s.parse::<ActivationConfig>().unwrap().name().to_string())
        .collect();
    for entry in nonlin_activations::CATALOG {
        assert!(
            tested.iter().any(|t| t == entry.name),
            "{} has no PyTorch fixture",
            entry.name
        );
    }
}

#[test]
fn disagreement_rule_rejects_what_it_should() {
    let d = |x, ours, torch, exact| disagreement(x, ours, torch, exact, false);
    assert!(d(1.0, 0.5, 0.5, 0.5).is_none());
    assert!(d(1.0, 0.500_000_5, 0.5, 0.5).is_none()); // within 1e-6
    assert!(d(1.0, 0.5001, 0.5, 0.5).is_some());
    assert!(d(1000.0, 1_000.000_2, 1000.0, 1000.0).is_none()); // 4 ulp(1000) = 2.4e-4
    assert!(d(1000.0, 1000.001, 1000.0, 1000.0).is_some());
    assert!(d(1.0, 0.318_350_4, 0.318_349_3, 0.318_350_4).is_none()); // float64 agrees, torch f32 is off
    assert!(disagreement(f32::NAN, 0.0, f32::NAN, f32::NAN, true).is_some()); // NaN in, NaN out
    assert!(d(3.0, f32::NAN, f32::NAN, f32::NAN).is_some()); // no NaN from a number
    assert!(d(f32::INFINITY, f32::NAN, f32::NAN, f32::NAN).is_none());
    assert!(d(f32::INFINITY, 1.0, f32::NAN, f32::NAN).is_none());
    assert!(d(f32::INFINITY, 1.0, 0.0, 0.0).is_some());
    assert!(d(f32::MAX, f32::MAX, f32::INFINITY, f32::MAX).is_none()); // torch overflowed
    assert!(d(1.0, f32::INFINITY, 1.0, 1.0).is_some());
}
