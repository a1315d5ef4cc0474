//! On wgpu: GELU as one hand-written CubeCL kernel against nonlin's GELU, whose composed tensor ops
//! Burn's fusion compiles into a kernel of its own. The faster one is what nonlin should use there.
//! (`tests/examples.rs` checks that the two agree.)
//!
//! ```text
//! cargo run --release --example wgpu_kernel_vs_fusion [-- ELEMENTS]   # default 2^20
//! ```

use burn::backend::{Backend, Dispatch, backend_extension, tensor::FloatTensor};
use burn::tensor::{Distribution, Tensor};
use burn_cubecl::{CubeBackend, kernel::into_contiguous, ops::numeric::empty_device_dtype};
use cubecl::std::tensor::layout::linear::{LinearView, LinearViewMut};
use cubecl::{calculate_cube_count_elemwise, prelude::*};
use nonlin_activations::activations::gelu::Gelu;
use nonlin_backend::{Backend as NonlinBackend, BackendKind};
use nonlin_eval::bench::time;
use std::f32::consts::FRAC_1_SQRT_2;

/// GELU (erf) by one CubeCL kernel.
#[backend_extension(Cube, Fusion)]
pub trait GeluKernel: Backend {
    #[fusion(dtype = x, shape = x)]
    fn gelu_kernel(x: FloatTensor<Self>) -> FloatTensor<Self>;
}

#[cube(launch_unchecked)]
fn gelu_erf<F: Float, N: Size>(
    input: LinearView<'_, Vector<F, N>>,
    mut output: LinearViewMut<'_, Vector<F, N>>,
    #[define(F)] _dtype: ElemType,
) {
    if !output.is_in_bounds(ABSOLUTE_POS) {
        terminate!();
    }
    let x = input.read(ABSOLUTE_POS);
    let half = Vector::new(F::new(0.5));
    let one = Vector::new(F::new(1.0));
    let scale = Vector::new(F::new(FRAC_1_SQRT_2));
    output.write(ABSOLUTE_POS, x * half * (one + Vector::erf(x * scale)));
}

impl GeluKernel for CubeBackend {
    fn gelu_kernel(x: FloatTensor<Self>) -> FloatTensor<Self> {
        let x = into_contiguous(x);
        let shape = x.meta.shape().clone();
        let n = shape.num_elements();
        let output = empty_device_dtype(x.client.clone(), x.device.clone(), shape, x.dtype);
        // 4 elements per thread where the length allows, as Burn's own element-wise kernels do
        let vector_size = if n.is_multiple_of(4) { 4 } else { 1 };
        let threads = n / vector_size;
        let cube_dim = CubeDim::new(&x.client, threads);
        let cube_count = calculate_cube_count_elemwise(&x.client, threads, cube_dim);
        let dtype = x.dtype;
        // SAFETY: one thread per vector of elements, each bounds-checked against the output.
        unsafe {
            gelu_erf::launch_unchecked(
                &output.client,
                cube_count,
                cube_dim,
                vector_size,
                x.into_linear_view(),
                output.clone().into_linear_view(),
                burn_backend::cubecl::dtype_to_storage_type(dtype),
            );
        }
        output
    }
}

/// GELU by the CubeCL kernel (wgpu tensors only).
pub fn gelu_by_kernel(x: Tensor<1>) -> Tensor<1> {
    Tensor::from_dispatch(Dispatch::gelu_kernel(x.into_dispatch()))
}

#[allow(dead_code)] // the tests include this file for `gelu_by_kernel`, not for `main`
fn main() -> anyhow::Result<()> {
    let elements: usize = std::env::args().nth(1).map_or(Ok(1 << 20), |s| s.parse())?;
    let device = NonlinBackend::select(BackendKind::Wgpu)?.device;
    let x = Tensor::<1>::random([elements], Distribution::Normal(0.0, 3.0), &device);
    let sync = |t: Tensor<1>| {
        let _: f32 = t.narrow(0, 0, 1).into_scalar();
    };
    let gelu = Gelu::new();
    let fused = time(10, 31, || sync(gelu.forward(x.clone())));
    let kernel = time(10, 31, || sync(gelu_by_kernel(x.clone())));
    let max_diff: f32 = (gelu.forward(x.clone()) - gelu_by_kernel(x.clone()))
        .abs()
        .max()
        .into_scalar();
    println!("GELU forward on wgpu, {elements} elements, median of 31 (min–max), ms:");
    println!(
        "  nonlin (composed, fused by Burn): {:.3} ({:.3}–{:.3})",
        fused.median * 1e3,
        fused.min * 1e3,
        fused.max * 1e3
    );
    println!(
        "  one CubeCL kernel:                {:.3} ({:.3}–{:.3})",
        kernel.median * 1e3,
        kernel.min * 1e3,
        kernel.max * 1e3
    );
    println!("  max |difference|: {max_diff:e}");
    Ok(())
}
