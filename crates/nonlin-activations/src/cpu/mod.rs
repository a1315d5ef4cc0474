//! Single-pass CPU kernels for flex and ndarray, and those backends' implementations of the
//! crate's ops beside them (as burn-flex keeps `impl ActivationOps<Flex> for Flex` beside its
//! loops).
//!
//! One loop over the input buffers computes each output element from the activation's formula:
//! float32 tensors in [`F32`](crate::math::f32::F32) lanes (vectorised float32), float64 tensors
//! in f64. Each activation gets its own loop, compiled for AVX2 or AVX-512 where the CPU has it.
//! Large tensors are split over rayon's pool. Tensors whose dtype is neither f32 nor f64 (f16,
//! bf16) take the composed tensor-primitive path (element-wise ops) or run in float32 and are
//! cast back (grouped ops).
//!
//! - [`buffer`]: a CPU tensor's elements as a slice;
//! - [`loops`]: chunking, threads and instruction-set dispatch;
//! - [`elementwise`]: `f(x)`, `grad · f'(x)`, `f(x, p)` and its partial derivatives;
//! - [`grouped`]: the GLU family and Maxout, forward and backward;
//! - [`dense`]: the dense layer `x·W + b` and its gradients (gemm on the buffers);
//! - [`attention`]: causal self-attention over a packed projection, forward and backward;
//! - [`layer_norm`]: layer normalisation over the last dimension, forward and backward;
//! - [`adam`]: Adam's and AdamW's parameter update in one pass;
//! - [`workers`]: rayon's workers kept polling for work while a training step runs.

// burn-ndarray is deprecated in Burn 0.22, but ndarray is one of the backends users ask for.
#![allow(deprecated)]

mod adam;
mod attention;
mod buffer;
mod dense;
mod elementwise;
mod float;
mod grouped;
mod layer_norm;
mod loops;
#[cfg(all(test, feature = "flex", feature = "ndarray"))]
mod tests;
mod workers;

pub(crate) use workers::{keep_workers_awake, pin_cpu_workers, workers_kept_awake};

use crate::ops::ActivationBackend;
use crate::ops::grouped::extension::{GroupedBackend, GroupedBackward};
use crate::registry::kernels::GluVariant;
use crate::registry::kernels::{ParametricKernel, PointwiseKernel};
use burn::backend::tensor::FloatTensor;

/// The crate's ops on a CPU backend: the element-wise ops and the grouped reductions, each one
/// pass over the buffers.
macro_rules! cpu_backend {
    ($backend:ty) => {
        impl ActivationBackend for $backend {
            fn pointwise(x: FloatTensor<Self>, kernel: PointwiseKernel) -> FloatTensor<Self> {
                elementwise::pointwise::<Self>(x, &kernel)
            }
            fn pointwise_backward(
                x: FloatTensor<Self>,
                grad: FloatTensor<Self>,
                kernel: PointwiseKernel,
            ) -> FloatTensor<Self> {
                elementwise::pointwise_backward::<Self>(x, grad, &kernel)
            }
            fn parametric(
                x: FloatTensor<Self>,
                p: FloatTensor<Self>,
                kernel: ParametricKernel,
            ) -> FloatTensor<Self> {
                elementwise::parametric::<Self>(x, p, kernel)
            }
            fn parametric_backward(
                x: FloatTensor<Self>,
                p: FloatTensor<Self>,
                grad: FloatTensor<Self>,
                kernel: ParametricKernel,
            ) -> (FloatTensor<Self>, FloatTensor<Self>) {
                elementwise::parametric_backward::<Self>(x, p, grad, kernel)
            }
        }

        impl crate::ops::softmax::extension::SoftmaxBackend for $backend {}

        impl crate::ops::linear::extension::LinearBackend for $backend {
            fn dense(x: FloatTensor<Self>, weight: FloatTensor<Self>) -> FloatTensor<Self> {
                dense::linear::<Self>(x, weight, None)
            }
            fn dense_biased(
                x: FloatTensor<Self>,
                weight: FloatTensor<Self>,
                bias: FloatTensor<Self>,
            ) -> FloatTensor<Self> {
                dense::linear::<Self>(x, weight, Some(bias))
            }
            fn dense_input_backward(
                weight: FloatTensor<Self>,
                grad: FloatTensor<Self>,
            ) -> FloatTensor<Self> {
                dense::linear_input_backward::<Self>(weight, grad)
            }
            fn dense_weight_backward(
                x: FloatTensor<Self>,
                grad: FloatTensor<Self>,
            ) -> FloatTensor<Self> {
                dense::linear_weight_backward::<Self>(x, grad)
            }
            fn dense_bias_backward(grad: FloatTensor<Self>) -> FloatTensor<Self> {
                dense::linear_bias_backward::<Self>(grad)
            }
        }

        impl crate::ops::attention::extension::AttentionBackend for $backend {
            fn causal_attention(qkv: FloatTensor<Self>, heads: usize) -> FloatTensor<Self> {
                attention::causal_attention::<Self>(qkv, heads).0
            }
        }

        impl crate::ops::attention::extension::AttentionKernels for $backend {
            fn causal_attention_weights(
                qkv: FloatTensor<Self>,
                heads: usize,
            ) -> (FloatTensor<Self>, FloatTensor<Self>) {
                attention::causal_attention::<Self>(qkv, heads)
            }
            fn causal_attention_backward(
                qkv: FloatTensor<Self>,
                weights: FloatTensor<Self>,
                grad: FloatTensor<Self>,
                heads: usize,
            ) -> FloatTensor<Self> {
                attention::causal_attention_backward::<Self>(qkv, weights, grad, heads)
            }
        }

        impl crate::ops::layer_norm::extension::LayerNormBackend for $backend {
            fn normalize(
                x: FloatTensor<Self>,
                gamma: FloatTensor<Self>,
                beta: FloatTensor<Self>,
                epsilon: f64,
            ) -> FloatTensor<Self> {
                layer_norm::layer_norm::<Self>(x, gamma, beta, epsilon).0
            }
        }

        impl crate::ops::layer_norm::extension::LayerNormKernels for $backend {
            fn normalize_with_stats(
                x: FloatTensor<Self>,
                gamma: FloatTensor<Self>,
                beta: FloatTensor<Self>,
                epsilon: f64,
            ) -> (FloatTensor<Self>, FloatTensor<Self>) {
                layer_norm::layer_norm::<Self>(x, gamma, beta, epsilon)
            }
            fn normalize_backward(
                x: FloatTensor<Self>,
                gamma: FloatTensor<Self>,
                stats: FloatTensor<Self>,
                grad: FloatTensor<Self>,
            ) -> (FloatTensor<Self>, FloatTensor<Self>, FloatTensor<Self>) {
                layer_norm::layer_norm_backward::<Self>(x, gamma, stats, grad)
            }
        }

        impl crate::ops::optim::extension::AdamBackend for $backend {
            fn adam_first(
                param: FloatTensor<Self>,
                grad: FloatTensor<Self>,
                update: crate::ops::optim::AdamUpdate,
            ) -> (FloatTensor<Self>, FloatTensor<Self>, FloatTensor<Self>) {
                adam::adam_update::<Self>(param, grad, None, &update)
            }
            fn adam_next(
                param: FloatTensor<Self>,
                grad: FloatTensor<Self>,
                moment_1: FloatTensor<Self>,
                moment_2: FloatTensor<Self>,
                update: crate::ops::optim::AdamUpdate,
            ) -> (FloatTensor<Self>, FloatTensor<Self>, FloatTensor<Self>) {
                adam::adam_update::<Self>(param, grad, Some((moment_1, moment_2)), &update)
            }
        }

        impl GroupedBackend for $backend {
            fn glu_halves(
                x: FloatTensor<Self>,
                variant: GluVariant,
                dim: usize,
            ) -> FloatTensor<Self> {
                grouped::glu_halves::<Self>(x, variant, dim)
            }
            fn maxout_groups(x: FloatTensor<Self>, k: usize, dim: usize) -> FloatTensor<Self> {
                grouped::maxout::<Self>(x, k, dim)
            }
        }

        impl GroupedBackward for $backend {
            fn glu_halves_backward(
                x: FloatTensor<Self>,
                grad: FloatTensor<Self>,
                variant: GluVariant,
                dim: usize,
            ) -> FloatTensor<Self> {
                grouped::glu_halves_backward::<Self>(x, grad, variant, dim)
            }
            fn maxout_groups_backward(
                x: FloatTensor<Self>,
                grad: FloatTensor<Self>,
                k: usize,
                dim: usize,
            ) -> FloatTensor<Self> {
                grouped::maxout_backward::<Self>(x, grad, k, dim)
            }
        }
    };
}

#[cfg(feature = "flex")]
cpu_backend!(burn::backend::Flex);
#[cfg(feature = "ndarray")]
cpu_backend!(burn::backend::NdArray);
