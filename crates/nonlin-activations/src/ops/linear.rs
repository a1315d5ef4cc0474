//! The dense layer `y = x·W + b` as one op: Burn's [`burn::tensor::module::linear`] with, on flex
//! and ndarray, a forward and three gradients that each write their output once (`crate::cpu`'s
//! dense kernels: gemm on the buffers, transposes as strides). burn-flex 0.22.1's matmul
//! zero-fills and then copies every output before multiplying into it; a transformer step spends
//! 15% of its time there (README, Performance). The autodiff node keeps `x` and `W`, as Burn's.
//! Elsewhere (wgpu, other dtypes, without the `flex`/`ndarray` features) it is Burn's linear.

// burn-ndarray is deprecated in Burn 0.22, but ndarray is one of the backends users ask for.
#![allow(deprecated)]

use burn::tensor::Tensor;
#[cfg(cpu_kernels)]
use {burn::backend::Dispatch, extension::LinearBackend};

/// The op and its autodiff node, where the crate has CPU kernels (features `flex`, `ndarray`).
#[cfg(cpu_kernels)]
pub(crate) mod extension {
    use burn::backend::autodiff::{
        Autodiff,
        checkpoint::{base::Checkpointer, strategy::CheckpointStrategy},
        grads::Gradients,
        ops::{Backward, Ops, OpsKind},
    };
    use burn::backend::ops::ModuleOps;
    use burn::backend::{Backend, backend_extension, tensor::FloatTensor};

    /// `x·W (+ b)` and its gradients, routed by Burn's dispatch to flex, ndarray and their
    /// autodiff wrappers only. The default bodies are Burn's own (`ModuleOps`).
    #[backend_extension(Flex: cfg(feature = "flex"), NdArray: cfg(feature = "ndarray"), Autodiff)]
    pub trait LinearBackend: Backend {
        /// `x [.., K] · W [K, N]`.
        fn dense(x: FloatTensor<Self>, weight: FloatTensor<Self>) -> FloatTensor<Self> {
            <Self as ModuleOps<Self>>::linear(x, weight, None)
        }
        /// `x [.., K] · W [K, N] + b [N]` (two methods: the extension's dispatch takes no
        /// optional tensors).
        fn dense_biased(
            x: FloatTensor<Self>,
            weight: FloatTensor<Self>,
            bias: FloatTensor<Self>,
        ) -> FloatTensor<Self> {
            <Self as ModuleOps<Self>>::linear(x, weight, Some(bias))
        }
        /// `dy · Wᵀ`, shaped as `x`.
        fn dense_input_backward(
            weight: FloatTensor<Self>,
            grad: FloatTensor<Self>,
        ) -> FloatTensor<Self> {
            <Self as ModuleOps<Self>>::linear_x_backward(weight, grad)
        }
        /// `xᵀ · dy` over every leading position: `[K, N]`.
        fn dense_weight_backward(
            x: FloatTensor<Self>,
            grad: FloatTensor<Self>,
        ) -> FloatTensor<Self> {
            <Self as ModuleOps<Self>>::linear_weight_backward(x, grad)
        }
        /// `Σ dy` over every leading position: `[N]`.
        fn dense_bias_backward(grad: FloatTensor<Self>) -> FloatTensor<Self> {
            <Self as ModuleOps<Self>>::linear_bias_backward(grad)
        }
    }

    /// The node: `x` and `W` kept (each gradient needs the other), the bias only counted.
    #[derive(Debug)]
    struct DenseGrad;

    impl<B: LinearBackend> Backward<B, 3> for DenseGrad {
        type State = (FloatTensor<B>, FloatTensor<B>);

        fn backward(self, ops: Ops<Self::State, 3>, grads: &mut Gradients, _: &mut Checkpointer) {
            let (x, weight) = ops.state;
            let [x_node, weight_node, bias_node] = ops.parents;
            let grad = grads.consume::<B>(&ops.node);
            if let Some(node) = x_node {
                grads.register::<B>(node.id, B::dense_input_backward(weight, grad.clone()));
            }
            if let Some(node) = weight_node {
                grads.register::<B>(node.id, B::dense_weight_backward(x, grad.clone()));
            }
            if let Some(node) = bias_node {
                grads.register::<B>(node.id, B::dense_bias_backward(grad));
            }
        }
    }

    /// Without a bias: the same node over two parents.
    #[derive(Debug)]
    struct DenseNoBiasGrad;

    impl<B: LinearBackend> Backward<B, 2> for DenseNoBiasGrad {
        type State = (FloatTensor<B>, FloatTensor<B>);

        fn backward(self, ops: Ops<Self::State, 2>, grads: &mut Gradients, _: &mut Checkpointer) {
            let (x, weight) = ops.state;
            let [x_node, weight_node] = ops.parents;
            let grad = grads.consume::<B>(&ops.node);
            if let Some(node) = x_node {
                grads.register::<B>(node.id, B::dense_input_backward(weight, grad.clone()));
            }
            if let Some(node) = weight_node {
                grads.register::<B>(node.id, B::dense_weight_backward(x, grad));
            }
        }
    }

    impl<B: LinearBackend, C: CheckpointStrategy> LinearBackend for Autodiff<B, C> {
        fn dense(x: FloatTensor<Self>, weight: FloatTensor<Self>) -> FloatTensor<Self> {
            let (x, x_guard) = x.into_parts();
            let (weight, weight_guard) = weight.into_parts();
            match DenseNoBiasGrad
                .prepare::<C>([x_guard, weight_guard])
                .compute_bound()
                .stateful()
            {
                OpsKind::Tracked(prep) => {
                    let y = B::dense(x.clone(), weight.clone());
                    prep.finish((x, weight), y)
                }
                OpsKind::UnTracked(prep) => prep.finish(B::dense(x, weight)),
            }
        }

        fn dense_biased(
            x: FloatTensor<Self>,
            weight: FloatTensor<Self>,
            bias: FloatTensor<Self>,
        ) -> FloatTensor<Self> {
            let (x, x_guard) = x.into_parts();
            let (weight, weight_guard) = weight.into_parts();
            let (bias, bias_guard) = bias.into_parts();
            match DenseGrad
                .prepare::<C>([x_guard, weight_guard, bias_guard])
                .compute_bound()
                .stateful()
            {
                OpsKind::Tracked(prep) => {
                    let y = B::dense_biased(x.clone(), weight.clone(), bias);
                    prep.finish((x, weight), y)
                }
                OpsKind::UnTracked(prep) => prep.finish(B::dense_biased(x, weight, bias)),
            }
        }
    }
}

/// `x·W + b` over the last dimension of `x`, Burn's convention (`weight` is `[d_input, d_output]`,
/// not transposed as in PyTorch's `F.linear`), differentiable on every backend: on flex and
/// ndarray (with their features) each product writes its output once, elsewhere it is
/// [`burn::tensor::module::linear`]. A `burn::nn::Linear` layer runs through it as
/// `linear(x, layer.weight.val(), layer.bias.as_ref().map(|b| b.val()))`.
///
/// ```
/// use burn::tensor::{Device, Tensor};
/// let device = Device::default();
/// let x = Tensor::<2>::from_floats([[1.0, 2.0]], &device);
/// let w = Tensor::<2>::from_floats([[1.0, 0.0, 2.0], [0.0, 1.0, 3.0]], &device);
/// let b = Tensor::<1>::from_floats([0.5, 0.5, 0.5], &device);
/// let y: Vec<f32> = nonlin_activations::linear(x, w, Some(b)).into_data().to_vec().unwrap();
/// assert_eq!(y, [1.5, 2.5, 8.5]);
/// ```
pub fn linear<const D: usize>(
    x: Tensor<D>,
    weight: Tensor<2>,
    bias: Option<Tensor<1>>,
) -> Tensor<D> {
    #[cfg(cpu_kernels)]
    if D >= 2 && crate::ops::backends::has_cpu_kernels(&x.device()) {
        let (x, weight) = (x.into_dispatch(), weight.into_dispatch());
        return Tensor::from_dispatch(match bias {
            Some(bias) => {
                <Dispatch as LinearBackend>::dense_biased(x, weight, bias.into_dispatch())
            }
            None => <Dispatch as LinearBackend>::dense(x, weight),
        });
    }
    burn::tensor::module::linear(x, weight, bias)
}

#[cfg(all(test, feature = "flex", feature = "ndarray"))]
mod tests {
    use crate::ops::test_support::values;
    use burn::tensor::{Device, FloatDType, Tensor, TensorData};

    fn filled(n: usize, seed: usize) -> Vec<f32> {
        crate::ops::test_support::filled(n, seed, 0.11)
    }

    /// The op against Burn's `linear` (matmul composition, differentiated by Burn's autodiff)
    /// on flex and ndarray, float32 and float64, with and without a bias, on a 3-d input and on
    /// a transposed (strided) one: the same values and the same gradients of x, W and b.
    #[test]
    fn values_and_gradients_match_burns_linear() {
        let (b, t, k, n) = (3, 5, 7, 4);
        for device in [Device::flex(), Device::ndarray()] {
            let autodiff = device.clone().autodiff();
            for dtype in [FloatDType::F32, FloatDType::F64] {
                for with_bias in [true, false] {
                    for strided in [false, true] {
                        let run = |ours: bool| {
                            let tensor = |data: Vec<f32>, shape: Vec<usize>| {
                                Tensor::<3>::from_data(TensorData::new(data, shape), &autodiff)
                                    .cast(dtype)
                            };
                            // the strided input: [b, k, t] swapped to [b, t, k]
                            let x = if strided {
                                tensor(filled(b * t * k, 1), vec![b, k, t]).require_grad()
                            } else {
                                tensor(filled(b * t * k, 1), vec![b, t, k]).require_grad()
                            };
                            let input = if strided {
                                x.clone().swap_dims(1, 2)
                            } else {
                                x.clone()
                            };
                            let w = Tensor::<2>::from_data(
                                TensorData::new(filled(k * n, 2), [k, n]),
                                &autodiff,
                            )
                            .cast(dtype)
                            .require_grad();
                            let bias = with_bias.then(|| {
                                Tensor::<1>::from_data(
                                    TensorData::new(filled(n, 3), [n]),
                                    &autodiff,
                                )
                                .cast(dtype)
                                .require_grad()
                            });
                            let y = if ours {
                                super::linear(input, w.clone(), bias.clone())
                            } else {
                                burn::tensor::module::linear(input, w.clone(), bias.clone())
                            };
                            let weights = tensor(filled(b * t * n, 4), vec![b, t, n]);
                            let grads = (y.clone() * weights).sum().backward();
                            let dims = y.dims();
                            (
                                values(y.detach()),
                                values(x.grad(&grads).unwrap()),
                                values(w.grad(&grads).unwrap()),
                                bias.map(|b| values(b.grad(&grads).unwrap())),
                                dims,
                            )
                        };
                        let (ours, burns) = (run(true), run(false));
                        let case =
                            format!("{device:?} {dtype:?} bias {with_bias} strided {strided}");
                        assert_eq!(ours.4, [b, t, n], "{case}");
                        let close = |a: &[f64], b: &[f64], what: &str| {
                            assert_eq!(a.len(), b.len(), "{case} {what}");
                            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                                assert!(
                                    (x - y).abs() <= 1e-5 * (1.0 + y.abs()),
                                    "{case} {what}[{i}]: {x} vs {y}"
                                );
                            }
                        };
                        close(&ours.0, &burns.0, "y");
                        close(&ours.1, &burns.1, "dx");
                        close(&ours.2, &burns.2, "dW");
                        assert_eq!(ours.3.is_some(), with_bias);
                        if let (Some(a), Some(b)) = (&ours.3, &burns.3) {
                            close(a, b, "db");
                        }
                    }
                }
            }
        }
    }

    /// A product of 0-wide inner dimension is all bias (or zeros), as Burn's.
    #[test]
    fn an_empty_inner_dimension_gives_the_bias() {
        for device in [Device::flex(), Device::ndarray()] {
            let x = Tensor::<2>::zeros([3, 0], &device);
            let w = Tensor::<2>::zeros([0, 2], &device);
            let b = Tensor::<1>::from_floats([1.5, -2.0], &device);
            assert_eq!(
                values(super::linear(x.clone(), w.clone(), Some(b))),
                [1.5, -2.0, 1.5, -2.0, 1.5, -2.0]
            );
            assert_eq!(values(super::linear(x, w, None)), [0.0; 6]);
        }
    }
}
