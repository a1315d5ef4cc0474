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

/// Runs one training step (`step`: forward, backward, optimizer update) so that the CPU backends
/// keep their worker threads busy between the step's parallel ops instead of letting them sleep
/// and waking them for the next one, as OpenMP does for PyTorch. On flex and ndarray (with their
/// features) `step` runs on rayon's pool while the other workers poll for its work, and they go
/// back to rayon's usual sleep when it returns; on any other device it runs as is.
///
/// Measured on a 2-vCPU VM (README Performance, `nonlin bench train` and `bench transformer`):
/// MLP steps 1.1–1.6× and transformer steps 1.06–1.25× faster. A panic in `step` propagates.
///
/// ```
/// # use burn::tensor::{Device, Tensor};
/// let device = Device::default();
/// let y = nonlin_activations::keep_workers_awake(&device, || {
///     Tensor::<1>::from_floats([1.0, -2.0], &device).abs().sum().into_scalar::<f32>()
/// });
/// assert_eq!(y, 3.0);
/// ```
pub fn keep_workers_awake<R: Send>(device: &Device, step: impl FnOnce() -> R + Send) -> R {
    #[cfg(cpu_kernels)]
    if has_cpu_kernels(device) {
        return crate::cpu::keep_workers_awake(step);
    }
    let _ = device;
    step()
}

/// How many threads [`keep_workers_awake`] keeps running for the whole of a step on `device`:
/// rayon's pool size on flex and ndarray (when this crate has their kernels and the pool has
/// more than one worker), else 0. A benchmark uses it to tell how long those threads were off
/// their CPUs during a step (`nonlin bench train`).
pub fn workers_kept_awake(device: &Device) -> usize {
    #[cfg(cpu_kernels)]
    if has_cpu_kernels(device) {
        return crate::cpu::workers_kept_awake();
    }
    let _ = device;
    0
}

/// Builds rayon's global pool (the one flex, ndarray and nonlin's CPU kernels run on) with each
/// worker pinned to a CPU of its own, and returns how many workers it pinned. It pins only when the
/// pool gets one worker per CPU this process may run on; under a CPU quota smaller than the CPU
/// set (a container's) or with `RAYON_NUM_THREADS` set to another count it leaves the pool to
/// rayon and returns 0, since every such process would pin onto the same first CPUs. Call it
/// first, before any parallel work: rayon builds its pool once per process, and after that this
/// returns [`WorkerPinError::PoolBuilt`] and changes nothing.
///
/// Why: [`keep_workers_awake`] keeps the other workers polling while a step runs. Unpinned, on a
/// 2-vCPU VM, Linux now and then put a poller on the vCPU of the worker running the step and the
/// two shared it until a scheduler tick (README Performance, `nonlin bench activations` with and
/// without `NONLIN_PIN_WORKERS=0`, four alternating pairs: unpinned, 14 of 20 rows had a call of
/// about 4 ms and many ran whole blocks at twice their fastest time; pinned, 1 of 20). The
/// `nonlin` binary calls it unless `NONLIN_PIN_WORKERS=0`. With the `flex` or `ndarray` feature.
///
/// ```no_run
/// // first thing in main, before any tensor work
/// if let Err(e) = nonlin_activations::pin_cpu_workers() {
///     eprintln!("{e}");
/// }
/// ```
#[cfg(cpu_kernels)]
pub fn pin_cpu_workers() -> Result<usize, crate::error::WorkerPinError> {
    crate::cpu::pin_cpu_workers()
}

#[cfg(all(test, feature = "flex", feature = "ndarray"))]
mod tests {
    use super::*;

    /// On flex and ndarray the step moves onto rayon's first worker (where the pool has two
    /// threads or more); the caller's thread takes it back with the result.
    // burn-ndarray is deprecated in Burn 0.22, but ndarray is one of the backends users ask for
    #[allow(deprecated)]
    #[test]
    fn a_cpu_step_runs_on_the_pool_and_returns_its_value() {
        for device in [Device::flex(), Device::ndarray()] {
            let (worker, value) =
                keep_workers_awake(&device, || (rayon::current_thread_index(), 42));
            assert_eq!(value, 42);
            if rayon::current_num_threads() > 1 {
                assert_eq!(worker, Some(0), "{device:?}");
            }
            // every worker polls through the step: a benchmark counts their time off the CPU
            let kept = workers_kept_awake(&device);
            let pool = rayon::current_num_threads();
            assert_eq!(kept, if pool > 1 { pool } else { 0 }, "{device:?}");
        }
    }

    /// Elsewhere (wgpu, when this build has it and this machine an adapter) the step runs on the
    /// caller's thread: a GPU step's host side should not share its cores with polling workers.
    #[cfg(feature = "wgpu")]
    #[test]
    fn a_gpu_step_runs_on_the_callers_thread() {
        let device = Device::default();
        if !has_cpu_kernels(&device) {
            assert_eq!(
                keep_workers_awake(&device, rayon::current_thread_index),
                None
            );
            assert_eq!(workers_kept_awake(&device), 0);
        }
    }
}
