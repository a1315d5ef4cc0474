//! The examples that are not one of the seed's claims (those are asserted in
//! `crates/nonlin-eval/tests/claims.rs`, on the code the examples print): using nonlin in your own
//! model, and the CubeCL GELU kernel on wgpu.

use nonlin::example::Outcome;
use nonlin_backend::{Backend, BackendKind};

#[path = "../examples/use_in_your_model.rs"]
mod use_in_your_model;

#[path = "../examples/wgpu_kernel_vs_fusion.rs"]
mod wgpu_kernel_vs_fusion;

fn flex() -> Backend {
    Backend::select(BackendKind::Flex).unwrap()
}

fn assert_holds(outcome: anyhow::Result<Outcome>) {
    let outcome = outcome.expect("the demo runs");
    eprintln!("{outcome}");
    assert!(outcome.holds, "{outcome}");
}

#[test]
fn use_in_your_model() {
    assert_holds(use_in_your_model::run(&flex()));
}

#[test]
fn the_cubecl_gelu_kernel_matches_nonlins_gelu_on_wgpu() {
    use burn::tensor::{Tensor, TensorData};
    let Some(wgpu) = nonlin_backend::test_backends()
        .into_iter()
        .find(|b| b.kind == BackendKind::Wgpu)
    else {
        return; // no adapter: `test_backends` has said so (or failed, if wgpu is required)
    };
    let mut xs: Vec<f32> = (-2000..2000).map(|i| i as f32 * 0.005).collect();
    xs.extend([
        f32::INFINITY,
        f32::NEG_INFINITY,
        f32::MAX,
        -f32::MAX,
        0.0,
        -0.0,
    ]);
    let x = Tensor::<1>::from_data(TensorData::from(xs.as_slice()), &wgpu.device);
    let by_kernel: Vec<f32> = wgpu_kernel_vs_fusion::gelu_by_kernel(x.clone())
        .into_data()
        .try_to_vec::<f32>()
        .unwrap();
    let composed: Vec<f32> = nonlin_activations::activations::gelu::Gelu::new()
        .forward(x)
        .into_data()
        .try_to_vec::<f32>()
        .unwrap();
    for ((x, k), c) in xs.iter().zip(&by_kernel).zip(&composed) {
        let agree =
            (k.is_nan() && c.is_nan()) || k == c || (k - c).abs() <= 1e-6 * c.abs().max(1.0);
        assert!(agree, "GELU({x}): kernel {k}, composed {c}");
    }
}
