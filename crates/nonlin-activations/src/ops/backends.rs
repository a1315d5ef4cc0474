//! Which of Burn's backends this build of the crate serves with its own ops, from the Cargo
//! features (`build.rs` turns them into the cfgs `cpu_kernels` and `cube_backend`):
//!
//! | feature | backend | forward | backward |
//! | --- | --- | --- | --- |
//! | `flex`, `ndarray` | flex, ndarray | one vectorised pass (f32, f64) | hand-written, one pass |
//! | `wgpu`, `vulkan`, `metal`, `cuda`, `rocm` | CubeCL (`Device::wgpu()`, …) | composed, fused by Burn | hand-written |
//! | none | any other | composed | Burn's autodiff of the composition |
//!
//! The composed forward evaluates the same formula ([`crate::math::real::Real`]), so values agree on
//! every backend; gradients agree too, except where differentiating the composition by the chain
//! rule meets `0 · ∞` or a kink (ELU at x ≥ 89, sigmoid at ±f32::MAX, …), which the hand-written
//! backward avoids. Turn on the feature of each backend your `burn` dependency has.

use burn::tensor::Device;

/// The backends whose device takes the hand-written ops, with or without autodiff.
#[cfg_attr(not(custom_ops), allow(dead_code))]
#[cfg_attr(not(cube_backend), allow(unused_variables))]
fn served(device: &Device, cpu_only: bool) -> bool {
    #[allow(unused_imports)]
    use burn::backend::DispatchDevice as D;
    // without the autodiff wrapper: the op's autodiff arm serves the backend inside it
    let device = device.as_dispatch().clone().inner();
    #[allow(unreachable_patterns, clippy::match_like_matches_macro)]
    match device {
        #[cfg(feature = "flex")]
        D::Flex(_) => true,
        #[cfg(feature = "ndarray")]
        D::NdArray(_) => true,
        #[cfg(cube_backend)]
        D::Cube(_) => !cpu_only,
        _ => false,
    }
}

/// Whether `device` runs the element-wise ops with their hand-written backward.
pub(crate) fn has_custom_ops(device: &Device) -> bool {
    served(device, false)
}

/// Whether `device` has the single-pass CPU kernels (flex or ndarray, with their feature).
#[cfg_attr(not(cpu_kernels), allow(dead_code))]
pub(crate) fn has_cpu_kernels(device: &Device) -> bool {
    served(device, true)
}

/// Whether `device` takes this crate's hand-written backward (and, on flex and ndarray, its
/// single-pass kernels). `false` means the activations run composed from Burn's tensor ops there,
/// differentiated by Burn's autodiff: the crate was built without that backend's feature.
pub fn has_hand_written_backward(device: &Device) -> bool {
    has_custom_ops(device)
}
