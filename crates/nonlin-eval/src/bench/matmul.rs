//! Burn's matrix product on a backend against a plain sgemm of the same shape: the `gemm` crate
//! (the one Burn's flex backend calls) on plain row-major `f32` buffers with all threads. The ratio
//! says how much of a training step's matmul time is Burn's own (dispatch, layout, allocation)
//! and how much is the multiplication itself.

use super::{Timing, sync, time};
use burn::tensor::{Distribution, Tensor};
use nonlin_backend::Backend;
use serde::{Deserialize, Serialize};

/// The shapes `[m, k, n]` of nonlin's benchmarked models: the MLP 784-512-512-10 at batch 128, and
/// the transformer's projections at its default size (64 windows of 128 characters, d_model 128,
/// d_ff 512, 65 symbols).
pub const MODEL_SHAPES: [[usize; 3]; 8] = [
    [128, 784, 512],
    [128, 512, 512],
    [128, 512, 10],
    [8192, 128, 384],
    [8192, 128, 128],
    [8192, 128, 512],
    [8192, 512, 128],
    [8192, 128, 65],
];

/// One shape on one backend.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MatmulBench {
    /// Backend description.
    pub backend: String,
    /// `[m, k, n]`: `[m, k] · [k, n]`.
    pub shape: [usize; 3],
    /// Burn's `matmul` on the backend, result read back.
    pub burn: Timing,
    /// The plain sgemm on the CPU (the same for every backend of one run).
    pub plain: Timing,
}

impl MatmulBench {
    /// Floating-point operations of one product.
    pub fn flops(&self) -> f64 {
        let [m, k, n] = self.shape;
        2.0 * (m * k * n) as f64
    }
}

/// Times Burn's matmul for each shape on `backend` and a plain sgemm of the same shape.
pub fn matmul(backend: &Backend, shapes: &[[usize; 3]], runs: usize) -> Vec<MatmulBench> {
    let device = &backend.device;
    shapes
        .iter()
        .map(|&shape| {
            let [m, k, n] = shape;
            let a = Tensor::<2>::random([m, k], Distribution::Uniform(-1.0, 1.0), device);
            let b = Tensor::<2>::random([k, n], Distribution::Uniform(-1.0, 1.0), device);
            let burn = time(3, runs, || sync(a.clone().matmul(b.clone())));
            MatmulBench {
                backend: backend.describe(),
                shape,
                burn,
                plain: plain_sgemm(shape, runs),
            }
        })
        .collect()
}

/// `C = A · B` for row-major `A [m, k]`, `B [k, n]` by the `gemm` crate, all threads.
pub fn plain_sgemm(shape: [usize; 3], runs: usize) -> Timing {
    let [m, k, n] = shape;
    let a: Vec<f32> = (0..m * k).map(|i| (i % 7) as f32 * 0.25 - 0.75).collect();
    let b: Vec<f32> = (0..k * n).map(|i| (i % 5) as f32 * 0.25 - 0.5).collect();
    let mut c = vec![0.0f32; m * n];
    let threads = std::thread::available_parallelism().map_or(1, |t| t.get());
    time(3, runs, || {
        sgemm(&mut c, &a, &b, shape, gemm::Parallelism::Rayon(threads));
        std::hint::black_box(&c);
    })
}

/// `c = a · b`, row-major `a [m, k]`, `b [k, n]`, `c [m, n]`.
fn sgemm(c: &mut [f32], a: &[f32], b: &[f32], [m, k, n]: [usize; 3], threads: gemm::Parallelism) {
    assert!(
        a.len() == m * k && b.len() == k * n && c.len() == m * n,
        "buffer sizes"
    );
    // SAFETY: the strides describe the three buffers, whose sizes are checked above; `c` does
    // not overlap the inputs (a `&mut` borrow) and is written only.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            c.as_mut_ptr(),
            1,
            n as isize,
            false,
            a.as_ptr(),
            1,
            k as isize,
            b.as_ptr(),
            1,
            n as isize,
            0.0,
            1.0,
            false,
            false,
            false,
            threads,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nonlin_backend::BackendKind;

    #[test]
    fn the_plain_sgemm_multiplies_and_burn_agrees() {
        // the plain product against Burn's on the same numbers: the benchmark compares like with like
        let [m, k, n] = [3, 4, 2];
        let a: Vec<f32> = (0..m * k).map(|i| i as f32).collect();
        let b: Vec<f32> = (0..k * n).map(|i| 1.0 - i as f32).collect();
        let mut c = vec![0.0f32; m * n];
        sgemm(&mut c, &a, &b, [m, k, n], gemm::Parallelism::None);
        let backend = Backend::select(BackendKind::Flex).unwrap();
        let ta = Tensor::<2>::from_data(burn::tensor::TensorData::new(a, [m, k]), &backend.device);
        let tb = Tensor::<2>::from_data(burn::tensor::TensorData::new(b, [k, n]), &backend.device);
        let burn: Vec<f32> = ta.matmul(tb).into_data().try_into_vec().unwrap();
        assert_eq!(burn, c);
        let r = &matmul(&backend, &[[8, 8, 8]], 2)[0];
        assert_eq!(r.flops(), 1024.0);
        assert!(r.burn.median > 0.0 && r.plain.median > 0.0);
    }
}
