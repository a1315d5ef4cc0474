//! Softmax whose autodiff node keeps only its output: `y = softmax(x)` along `dim`, backward
//! `dx = y ⊙ (dy − Σ dy ⊙ y)` (PyTorch's `_softmax_backward_data`).
//!
//! Under Burn 0.22.1's autodiff, `softmax` is differentiated as its composition (max, subtract,
//! exp, sum, divide): five passes forward with a scalar `exp` on flex, and the chain's backward.
//! Here the forward is the backend's own softmax (one fused, vectorised kernel on flex) and the
//! backward four element-wise passes. A transformer's attention runs it on every layer (issue 15:
//! the character transformer's step). On other backends (wgpu: Burn fuses the composition) and
//! without the `flex`/`ndarray` features it is Burn's softmax.

// burn-ndarray is deprecated in Burn 0.22, but ndarray is one of the backends users ask for.
#![allow(deprecated)]

use burn::tensor::Tensor;
#[cfg(cpu_kernels)]
use {burn::backend::Dispatch, extension::SoftmaxBackend};

/// The op and its autodiff node, where the crate has CPU kernels (features `flex`, `ndarray`).
#[cfg(cpu_kernels)]
pub(crate) mod extension {
    use burn::backend::autodiff::{
        Autodiff,
        checkpoint::{base::Checkpointer, strategy::CheckpointStrategy},
        grads::Gradients,
        ops::{Backward, Ops, OpsKind, unary},
    };
    use burn::backend::ops::ActivationOps;
    use burn::backend::{Backend, backend_extension, tensor::FloatTensor};

    /// Softmax along `dim`, routed by Burn's dispatch to flex, ndarray and their autodiff
    /// wrappers only.
    #[backend_extension(Flex: cfg(feature = "flex"), NdArray: cfg(feature = "ndarray"), Autodiff)]
    pub trait SoftmaxBackend: Backend {
        /// `exp(x − max) / Σ exp(x − max)` along `dim`: the backend's own kernel.
        fn softmax_along(x: FloatTensor<Self>, dim: usize) -> FloatTensor<Self> {
            <Self as ActivationOps<Self>>::softmax(x, dim)
        }
    }

    #[derive(Debug)]
    struct SoftmaxGrad {
        dim: usize,
    }

    impl<B: SoftmaxBackend> Backward<B, 1> for SoftmaxGrad {
        /// The output `y`.
        type State = FloatTensor<B>;

        fn backward(self, ops: Ops<Self::State, 1>, grads: &mut Gradients, _: &mut Checkpointer) {
            let y = ops.state;
            unary::<B, _>(ops.parents, ops.node, grads, |grad| {
                // dy ⊙ y − y ⊙ Σ(dy ⊙ y)
                let gy = B::float_mul(grad, y.clone());
                let sum = B::float_sum_dim(gy.clone(), self.dim);
                B::float_sub(gy, B::float_mul(y, sum))
            });
        }
    }

    impl<B: SoftmaxBackend, C: CheckpointStrategy> SoftmaxBackend for Autodiff<B, C> {
        fn softmax_along(x: FloatTensor<Self>, dim: usize) -> FloatTensor<Self> {
            let (x, guard) = x.into_parts();
            match (SoftmaxGrad { dim })
                .prepare::<C>([guard])
                .compute_bound()
                .stateful()
            {
                OpsKind::Tracked(prep) => {
                    let y = B::softmax_along(x, dim);
                    prep.finish(y.clone(), y)
                }
                OpsKind::UnTracked(prep) => prep.finish(B::softmax_along(x, dim)),
            }
        }
    }
}

/// `softmax(x)` along `dim` (negative counts from the end), differentiable on every backend; on
/// flex and ndarray (with their features) one kernel forward and a backward that keeps only the
/// output, elsewhere Burn's [`burn::tensor::activation::softmax`].
///
/// ```
/// use burn::tensor::{Tensor, Device};
/// let x = Tensor::<2>::from_floats([[1.0, 2.0, 3.0], [0.0, 0.0, f32::NEG_INFINITY]], &Device::default());
/// let y = nonlin_activations::softmax(x, -1);
/// let row: Vec<f32> = y.narrow(0, 1, 1).into_data().to_vec().unwrap();
/// assert_eq!(row, [0.5, 0.5, 0.0]);
/// ```
pub fn softmax<const D: usize>(x: Tensor<D>, dim: isize) -> Tensor<D> {
    let dim = if dim < 0 {
        (D as isize + dim).max(0) as usize
    } else {
        dim as usize
    };
    #[cfg(cpu_kernels)]
    if crate::ops::backends::has_cpu_kernels(&x.device()) {
        return Tensor::from_dispatch(<Dispatch as SoftmaxBackend>::softmax_along(
            x.into_dispatch(),
            dim,
        ));
    }
    burn::tensor::activation::softmax(x, dim)
}

#[cfg(all(test, feature = "flex", feature = "ndarray"))]
mod tests {
    use burn::tensor::{Device, Tensor, TensorData};

    fn values<const D: usize>(t: Tensor<D>) -> Vec<f32> {
        t.into_data().to_vec().unwrap()
    }

    /// Values and gradients against Burn's composed softmax (whose autodiff differentiates the
    /// chain), on causally masked rows of attention scores: equal to float32 rounding.
    #[test]
    fn values_and_gradients_match_the_composition_on_masked_rows() {
        let (rows, len) = (24, 16);
        let mut x = Vec::with_capacity(rows * len);
        let mut w = Vec::with_capacity(rows * len);
        for r in 0..rows {
            for c in 0..len {
                let v = ((r * 31 + c * 17) % 23) as f32 * 0.37 - 4.0;
                // the row's position: later columns are masked, as in causal attention
                x.push(if c > r % len {
                    f32::NEG_INFINITY
                } else {
                    v * (1 + r % 5) as f32
                });
                w.push(((r * 7 + c * 11) % 13) as f32 - 6.0);
            }
        }
        for device in [Device::flex(), Device::ndarray()] {
            let autodiff = device.clone().autodiff();
            let run = |fused: bool| {
                let input = Tensor::<3>::from_data(
                    TensorData::new(x.clone(), [2, rows / 2, len]),
                    &autodiff,
                )
                .require_grad();
                let weights = Tensor::<3>::from_data(
                    TensorData::new(w.clone(), [2, rows / 2, len]),
                    &autodiff,
                );
                let y = if fused {
                    super::softmax(input.clone(), -1)
                } else {
                    burn::tensor::activation::softmax(input.clone(), 2)
                };
                let grads = (y.clone() * weights).sum().backward();
                (values(y.detach()), values(input.grad(&grads).unwrap()))
            };
            let ((y, dx), (y_ref, dx_ref)) = (run(true), run(false));
            for (i, (a, b)) in y.iter().zip(&y_ref).enumerate() {
                assert!(
                    (a - b).abs() <= 2e-7 + 2e-6 * b.abs(),
                    "{device:?} y[{i}]: {a} vs {b}"
                );
            }
            for (i, (a, b)) in dx.iter().zip(&dx_ref).enumerate() {
                assert!(
                    (a - b).abs() <= 1e-6 + 1e-5 * b.abs(),
                    "{device:?} dx[{i}]: {a} vs {b}"
                );
            }
            // a masked entry has weight 0 and gradient 0
            assert_eq!(y[1], 0.0);
            assert_eq!(dx[1], 0.0);
            // every row sums to 1
            for row in y.chunks(len) {
                assert!((row.iter().sum::<f32>() - 1.0).abs() < 1e-6);
            }
        }
    }
}
