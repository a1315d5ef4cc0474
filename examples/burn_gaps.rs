//! Where Burn 0.22.1's built-in activations differ from PyTorch, measured next to nonlin.
//!
//! ```text
//! cargo run --release --example burn_gaps                  # auto backend
//! NONLIN_BACKEND=ndarray cargo run --release --example burn_gaps
//! ```
//!
//! PyTorch's numbers come from the fixtures that `scripts/pytorch_fixtures.py` generated; Burn's and
//! nonlin's are computed here, values and input gradients, with autodiff.

use anyhow::{Context, Result};
use burn::tensor::{Tensor, TensorData, activation as burn_act};
use nonlin_activations::ActivationConfig;
use nonlin_backend::{Backend, BackendKind};
use serde::Deserialize;

#[derive(Deserialize)]
struct Fixtures {
    grid: Vec<u32>,
    pointwise: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    spec: String,
    y: Vec<u32>,
    dx: Vec<u32>,
}

type BurnFn = fn(Tensor<1>) -> Tensor<1>;

fn main() -> Result<()> {
    let fixtures: Fixtures = serde_json::from_str(include_str!(
        "../crates/nonlin-activations/tests/fixtures/pytorch.json"
    ))?;
    let backend = Backend::select(BackendKind::from_env_or(BackendKind::Auto)?)?;
    let device = backend.autodiff();
    println!(
        "Burn 0.22.1 built-ins vs nonlin vs PyTorch, on {}\n",
        backend.describe()
    );

    let checks: [(&str, f32, &str, BurnFn); 11] = [
        ("elu", 89.0, "activation::elu(x, 1.0)", |x| {
            burn_act::elu(x, 1.0)
        }),
        ("celu", 89.0, "activation::celu(x, 1.0)", |x| {
            burn_act::celu(x, 1.0)
        }),
        ("selu", 0.0, "activation::selu(x)", burn_act::selu),
        ("selu", 89.0, "activation::selu(x)", burn_act::selu),
        ("leaky_relu", 0.0, "activation::leaky_relu(x, 0.01)", |x| {
            burn_act::leaky_relu(x, 0.01)
        }),
        ("relu6", 6.0, "activation::relu6(x)", burn_act::relu6),
        ("relu6", 0.0, "activation::relu6(x)", burn_act::relu6),
        ("hardtanh", 1.0, "activation::hardtanh(x, -1, 1)", |x| {
            burn_act::hardtanh(x, -1.0, 1.0)
        }),
        ("gelu", -3.0, "activation::gelu(x)", burn_act::gelu),
        ("hard_sigmoid", 1.0, "nn::HardSigmoid::default()", |x| {
            burn::nn::activation::HardSigmoidConfig::new()
                .init()
                .forward(x)
        }),
        (
            "hard_swish",
            3.0,
            "activation::hard_swish(x)",
            burn_act::hard_swish,
        ),
    ];

    println!(
        "{:<12} {:>5}  {:<33} {:>13} {:>13} {:>13}   {:>13} {:>13} {:>13}",
        "activation",
        "x",
        "Burn call",
        "f Burn",
        "f nonlin",
        "f PyTorch",
        "f' Burn",
        "f' nonlin",
        "f' PyTorch"
    );
    let mut gaps = 0;
    for (spec, x, call, burn_fn) in checks {
        let (burn_y, burn_dy) = value_and_grad(&device, x, burn_fn);
        let activation = spec.parse::<ActivationConfig>()?.init(&device)?;
        let (ours_y, ours_dy) = value_and_grad(&device, x, |t| activation.forward(t));
        let (torch_y, torch_dy) = pytorch(&fixtures, spec, x)?;
        let differs = |a: f32, b: f32| !(a == b || (a - b).abs() <= 1e-6_f32.max(4e-7 * b.abs()));
        let mark = if differs(burn_y, torch_y) || differs(burn_dy, torch_dy) {
            gaps += 1;
            "  <- Burn differs"
        } else {
            ""
        };
        println!(
            "{spec:<12} {x:>5}  {call:<33} {burn_y:>13.7} {ours_y:>13.7} {torch_y:>13.7}   {burn_dy:>13.7} {ours_dy:>13.7} {torch_dy:>13.7}{mark}"
        );
    }
    println!("\n{gaps} of 11 checks: Burn's built-in differs from PyTorch (value or gradient).");
    Ok(())
}

fn value_and_grad(
    device: &burn::tensor::Device,
    x: f32,
    f: impl Fn(Tensor<1>) -> Tensor<1>,
) -> (f32, f32) {
    let input = Tensor::<1>::from_data(TensorData::from([x]), device).require_grad();
    let y = f(input.clone());
    let grads = y.clone().sum().backward();
    let dy = input
        .grad(&grads)
        .map_or(f32::NAN, |g| g.into_scalar::<f32>());
    (y.into_scalar::<f32>(), dy)
}

fn pytorch(fixtures: &Fixtures, spec: &str, x: f32) -> Result<(f32, f32)> {
    let index = fixtures
        .grid
        .iter()
        .position(|&bits| f32::from_bits(bits) == x)
        .with_context(|| format!("{x} is not on the fixture grid"))?;
    let case = fixtures
        .pointwise
        .iter()
        .find(|c| c.spec == spec)
        .with_context(|| format!("no fixture for {spec}"))?;
    Ok((
        f32::from_bits(case.y[index]),
        f32::from_bits(case.dx[index]),
    ))
}
