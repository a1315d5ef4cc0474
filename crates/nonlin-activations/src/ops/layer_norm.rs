//! Layer normalisation as one op: Burn's [`burn::tensor::module::layer_norm`] (`(x − μ)/√(σ² + ε)
//! · γ + β` over the last dimension, biased variance) with, on flex and ndarray, a forward and a
//! backward that are each one task per block of rows (`crate::cpu`'s layer-norm kernels, as
//! PyTorch's fused `native_layer_norm`). Under Burn 0.22.1's autodiff the norm is differentiated as
//! its composition of nine tensor ops; this node keeps `x`, `γ` and each row's mean and `1/σ`.
//! Elsewhere (wgpu, other backends) it is Burn's layer norm.

// burn-ndarray is deprecated in Burn 0.22, but ndarray is one of the backends users ask for.
#![allow(deprecated)]

use burn::tensor::Tensor;
#[cfg(cpu_kernels)]
use {burn::backend::Dispatch, extension::LayerNormBackend};

/// The op and its autodiff node, where the crate has CPU kernels (features `flex`, `ndarray`).
#[cfg(cpu_kernels)]
pub(crate) mod extension {
    use burn::backend::autodiff::{
        Autodiff,
        checkpoint::{base::Checkpointer, strategy::CheckpointStrategy},
        grads::Gradients,
        ops::{Backward, Ops, OpsKind},
    };
    use burn::backend::{Backend, backend_extension, tensor::FloatTensor};

    /// The forward, routed by Burn's dispatch to flex, ndarray and their autodiff wrappers only.
    #[backend_extension(Flex: cfg(feature = "flex"), NdArray: cfg(feature = "ndarray"), Autodiff)]
    pub trait LayerNormBackend: Backend {
        /// `(x − μ)/√(σ² + ε) · γ + β` over the last dimension (`β` always given: the
        /// extension's dispatch takes no optional tensors).
        fn normalize(
            x: FloatTensor<Self>,
            gamma: FloatTensor<Self>,
            beta: FloatTensor<Self>,
            epsilon: f64,
        ) -> FloatTensor<Self>;
    }

    /// The kernels the autodiff wrapper calls on the inner backend.
    pub(crate) trait LayerNormKernels: Backend {
        /// The output and each row's `[mean, 1/σ]` (`[rows, 2]`).
        fn normalize_with_stats(
            x: FloatTensor<Self>,
            gamma: FloatTensor<Self>,
            beta: FloatTensor<Self>,
            epsilon: f64,
        ) -> (FloatTensor<Self>, FloatTensor<Self>);

        /// `(dx, dγ, dβ)` given the input, `γ`, the stats and the output's gradient.
        fn normalize_backward(
            x: FloatTensor<Self>,
            gamma: FloatTensor<Self>,
            stats: FloatTensor<Self>,
            grad: FloatTensor<Self>,
        ) -> (FloatTensor<Self>, FloatTensor<Self>, FloatTensor<Self>);
    }

    #[derive(Debug)]
    struct LayerNormGrad;

    impl<B: LayerNormKernels> Backward<B, 3> for LayerNormGrad {
        /// The input, `γ` and the stats.
        type State = (FloatTensor<B>, FloatTensor<B>, FloatTensor<B>);

        fn backward(self, ops: Ops<Self::State, 3>, grads: &mut Gradients, _: &mut Checkpointer) {
            let (x, gamma, stats) = ops.state;
            let [x_node, gamma_node, beta_node] = ops.parents;
            let grad = grads.consume::<B>(&ops.node);
            let (dx, d_gamma, d_beta) = B::normalize_backward(x, gamma, stats, grad);
            for (node, grad) in [(x_node, dx), (gamma_node, d_gamma), (beta_node, d_beta)] {
                if let Some(node) = node {
                    grads.register::<B>(node.id, grad);
                }
            }
        }
    }

    impl<B: LayerNormBackend + LayerNormKernels, C: CheckpointStrategy> LayerNormBackend
        for Autodiff<B, C>
    {
        fn normalize(
            x: FloatTensor<Self>,
            gamma: FloatTensor<Self>,
            beta: FloatTensor<Self>,
            epsilon: f64,
        ) -> FloatTensor<Self> {
            let (x, x_guard) = x.into_parts();
            let (gamma, gamma_guard) = gamma.into_parts();
            let (beta, beta_guard) = beta.into_parts();
            match LayerNormGrad
                .prepare::<C>([x_guard, gamma_guard, beta_guard])
                .compute_bound()
                .stateful()
            {
                OpsKind::Tracked(prep) => {
                    let (y, stats) =
                        B::normalize_with_stats(x.clone(), gamma.clone(), beta, epsilon);
                    prep.finish((x, gamma, stats), y)
                }
                OpsKind::UnTracked(prep) => prep.finish(B::normalize(x, gamma, beta, epsilon)),
            }
        }
    }
}

/// Layer normalisation over the last dimension of `x`, Burn's
/// [`burn::tensor::module::layer_norm`] (`(x − mean) / √(var + ε) · γ + β`, biased variance; a
/// missing `β` is 0), differentiable on every backend: on flex and ndarray (with their features)
/// forward and backward are each one pass over the rows, elsewhere it is Burn's. A
/// `burn::nn::LayerNorm` runs through it as `layer_norm(x, norm.gamma.val(),
/// norm.beta.as_ref().map(|b| b.val()), ε)` with the ε of its config (1e-5 by default).
///
/// ```
/// use burn::tensor::{Device, Tensor};
/// let device = Device::default();
/// let x = Tensor::<2>::from_floats([[1.0, 3.0]], &device);
/// let gamma = Tensor::<1>::from_floats([2.0, 2.0], &device);
/// let beta = Tensor::<1>::from_floats([0.5, 0.5], &device);
/// let y: Vec<f32> = nonlin_activations::layer_norm(x, gamma, Some(beta), 0.0)
///     .into_data()
///     .to_vec()
///     .unwrap();
/// assert_eq!(y, [-1.5, 2.5]);
/// ```
pub fn layer_norm<const D: usize>(
    x: Tensor<D>,
    gamma: Tensor<1>,
    beta: Option<Tensor<1>>,
    epsilon: f64,
) -> Tensor<D> {
    #[cfg(cpu_kernels)]
    if D >= 1 && crate::ops::backends::has_cpu_kernels(&x.device()) {
        let beta = beta.unwrap_or_else(|| gamma.zeros_like());
        return Tensor::from_dispatch(<Dispatch as LayerNormBackend>::normalize(
            x.into_dispatch(),
            gamma.into_dispatch(),
            beta.into_dispatch(),
            epsilon,
        ));
    }
    burn::tensor::module::layer_norm(x, gamma, beta, epsilon)
}

#[cfg(all(test, feature = "flex", feature = "ndarray"))]
mod tests {
    use crate::ops::test_support::values;
    use burn::tensor::{Device, FloatDType, Tensor, TensorData};

    /// The shared pattern, shifted by the seed (so that rows differ in mean).
    fn filled(n: usize, seed: usize) -> Vec<f32> {
        crate::ops::test_support::filled(n, seed, 0.17)
            .into_iter()
            .map(|v| v + seed as f32 * 0.3)
            .collect()
    }

    /// The op against Burn's `layer_norm` (its composition, differentiated by Burn's autodiff) on
    /// flex and ndarray, float32 and float64, with and without β, widths below, at and above the
    /// 16 lanes of the row loops, more rows than one task holds, and a transposed (strided)
    /// input: the same values and the same gradients of x, γ and β.
    #[test]
    fn values_and_gradients_match_burns_layer_norm() {
        for device in [Device::flex(), Device::ndarray()] {
            let autodiff = device.clone().autodiff();
            for dtype in [FloatDType::F32, FloatDType::F64] {
                for (rows, d) in [(3, 5), (70, 16), (33, 37)] {
                    for with_beta in [true, false] {
                        for strided in [false, true] {
                            let run = |ours: bool| {
                                let n = rows * d;
                                let shape = if strided { [d, rows] } else { [rows, d] };
                                let x = Tensor::<2>::from_data(
                                    TensorData::new(filled(n, 1), shape),
                                    &autodiff,
                                )
                                .cast(dtype)
                                .require_grad();
                                let input = if strided {
                                    x.clone().transpose()
                                } else {
                                    x.clone()
                                };
                                let vector = |seed| {
                                    Tensor::<1>::from_data(
                                        TensorData::new(filled(d, seed), [d]),
                                        &autodiff,
                                    )
                                    .cast(dtype)
                                    .require_grad()
                                };
                                let (gamma, beta) = (vector(2), with_beta.then(|| vector(3)));
                                let y = if ours {
                                    super::layer_norm(input, gamma.clone(), beta.clone(), 1e-5)
                                } else {
                                    burn::tensor::module::layer_norm(
                                        input,
                                        gamma.clone(),
                                        beta.clone(),
                                        1e-5,
                                    )
                                };
                                let weights = Tensor::<2>::from_data(
                                    TensorData::new(filled(n, 4), [rows, d]),
                                    &autodiff,
                                )
                                .cast(dtype);
                                let grads = (y.clone() * weights).sum().backward();
                                (
                                    values(y.detach()),
                                    values(x.grad(&grads).unwrap()),
                                    values(gamma.grad(&grads).unwrap()),
                                    beta.map(|b| values(b.grad(&grads).unwrap())),
                                )
                            };
                            let (ours, burns) = (run(true), run(false));
                            let case = format!(
                                "{device:?} {dtype:?} {rows}×{d} beta {with_beta} \
                                 strided {strided}"
                            );
                            // float64: Burn's ε passes through float32 (relative 1e-8 of ε)
                            let tolerance = if dtype == FloatDType::F64 { 1e-9 } else { 2e-5 };
                            let close = |a: &[f64], b: &[f64], what: &str| {
                                assert_eq!(a.len(), b.len(), "{case} {what}");
                                for (i, (x, y)) in a.iter().zip(b).enumerate() {
                                    assert!(
                                        (x - y).abs() <= tolerance * (1.0 + y.abs()),
                                        "{case} {what}[{i}]: {x} vs {y}"
                                    );
                                }
                            };
                            close(&ours.0, &burns.0, "y");
                            close(&ours.1, &burns.1, "dx");
                            close(&ours.2, &burns.2, "dγ");
                            assert_eq!(ours.3.is_some(), with_beta, "{case}");
                            if let (Some(a), Some(b)) = (&ours.3, &burns.3) {
                                close(a, b, "dβ");
                            }
                        }
                    }
                }
            }
        }
    }

    /// Edge rows: a constant row normalises to β (σ = 0, so ε alone scales), ±1e30 stays finite
    /// through the centred two-pass variance as far as float32 allows, NaN stays in its row.
    #[test]
    fn constant_large_and_nan_rows() {
        let device = Device::flex();
        let d = 4;
        let data = vec![
            2.5,
            2.5,
            2.5,
            2.5, // constant
            1e18,
            -1e18,
            1e18,
            -1e18, // large: variance 1e36 fits float32
            1.0,
            f32::NAN,
            2.0,
            3.0, // NaN
            1.0,
            2.0,
            3.0,
            4.0, // ordinary
        ];
        let x = Tensor::<2>::from_data(TensorData::new(data, [4, d]), &device);
        let gamma = Tensor::<1>::ones([d], &device);
        let beta = Tensor::<1>::from_floats([0.1, 0.2, 0.3, 0.4], &device);
        let ours = values(super::layer_norm(
            x.clone(),
            gamma.clone(),
            Some(beta.clone()),
            1e-5,
        ));
        let burns = values(burn::tensor::module::layer_norm(x, gamma, Some(beta), 1e-5));
        for (i, (a, b)) in ours.iter().zip(&burns).enumerate() {
            if b.is_nan() {
                assert!(a.is_nan(), "[{i}]: {a} vs NaN");
            } else {
                assert!((a - b).abs() <= 1e-5 * (1.0 + b.abs()), "[{i}]: {a} vs {b}");
            }
        }
        assert_eq!(
            &ours[..4],
            &[0.1f32 as f64, 0.2f32 as f64, 0.3f32 as f64, 0.4f32 as f64]
        );
        assert!(ours[8..12].iter().all(|v| v.is_nan()));
        assert!(ours[12..].iter().all(|v| v.is_finite()));
    }

    /// float16 runs in float32 and is cast back.
    #[test]
    fn half_precision_runs_in_float32() {
        let device = Device::flex();
        let x = Tensor::<2>::from_data(TensorData::new(filled(24, 5), [4, 6]), &device);
        let gamma = Tensor::<1>::ones([6], &device);
        let full = values(super::layer_norm(x.clone(), gamma.clone(), None, 1e-5));
        let half = super::layer_norm(
            x.cast(FloatDType::F16),
            gamma.cast(FloatDType::F16),
            None,
            1e-5,
        );
        assert_eq!(half.dtype(), burn::tensor::DType::F16);
        for (h, f) in values(half).iter().zip(&full) {
            assert!((h - f).abs() <= 4e-3 * (1.0 + f.abs()), "{h} vs {f}");
        }
    }
}
