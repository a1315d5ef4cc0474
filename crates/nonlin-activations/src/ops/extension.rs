//! The backend extension behind [`super::pointwise`] and [`super::parametric`]: one trait whose
//! default bodies compose tensor primitives ([`super::composed`]), overridden by flex and ndarray
//! (`crate::cpu`), and its autodiff implementation, which records a node that keeps only the
//! inputs and applies the activation's own derivative.

// burn-ndarray is deprecated in Burn 0.22, but ndarray is one of the backends users ask for.
#![allow(deprecated)]

use super::composed;
use crate::registry::kernels::{ParametricKernel, PointwiseKernel};
use burn::backend::autodiff::{
    Autodiff,
    checkpoint::{base::Checkpointer, strategy::CheckpointStrategy},
    grads::Gradients,
    ops::{Backward, Ops, OpsKind, unary},
};
use burn::backend::{Backend, backend_extension, tensor::FloatTensor};

/// The backend extension behind [`super::pointwise`] and [`super::parametric`]. The default bodies compose tensor
/// primitives; flex and ndarray override them with single-pass kernels; autodiff adds the backward.
#[backend_extension(
    Flex: cfg(feature = "flex"),
    NdArray: cfg(feature = "ndarray"),
    Cube: cfg(cube_backend),
    Autodiff
)]
pub trait ActivationBackend: Backend {
    /// `f(x)` element-wise.
    fn pointwise(x: FloatTensor<Self>, kernel: PointwiseKernel) -> FloatTensor<Self> {
        composed::pointwise::<Self>(x, &kernel)
    }

    /// `grad · f'(x)` element-wise.
    fn pointwise_backward(
        x: FloatTensor<Self>,
        grad: FloatTensor<Self>,
        kernel: PointwiseKernel,
    ) -> FloatTensor<Self> {
        composed::pointwise_backward::<Self>(x, grad, &kernel)
    }

    /// `f(x, p)` element-wise; `x` and `p` have the same shape.
    fn parametric(
        x: FloatTensor<Self>,
        p: FloatTensor<Self>,
        kernel: ParametricKernel,
    ) -> FloatTensor<Self> {
        composed::parametric::<Self>(x, p, kernel)
    }

    /// `(grad · ∂f/∂x, grad · ∂f/∂p)` element-wise.
    fn parametric_backward(
        x: FloatTensor<Self>,
        p: FloatTensor<Self>,
        grad: FloatTensor<Self>,
        kernel: ParametricKernel,
    ) -> (FloatTensor<Self>, FloatTensor<Self>) {
        composed::parametric_backward::<Self>(x, p, grad, kernel)
    }
}

#[cfg(cube_backend)]
impl ActivationBackend for burn::backend::Cube {}

impl<B: ActivationBackend, C: CheckpointStrategy> ActivationBackend for Autodiff<B, C> {
    fn pointwise(x: FloatTensor<Self>, kernel: PointwiseKernel) -> FloatTensor<Self> {
        #[derive(Debug)]
        struct PointwiseBackward(PointwiseKernel);

        impl<B: ActivationBackend> Backward<B, 1> for PointwiseBackward {
            type State = FloatTensor<B>;

            fn backward(
                self,
                ops: Ops<Self::State, 1>,
                grads: &mut Gradients,
                _: &mut Checkpointer,
            ) {
                let x = ops.state;
                unary::<B, _>(ops.parents, ops.node, grads, |grad| {
                    B::pointwise_backward(x, grad, self.0)
                });
            }
        }

        let (x, guard) = x.into_parts();
        match PointwiseBackward(kernel.clone())
            .prepare::<C>([guard])
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(prep) => {
                let y = B::pointwise(x.clone(), kernel);
                prep.finish(x, y)
            }
            OpsKind::UnTracked(prep) => prep.finish(B::pointwise(x, kernel)),
        }
    }

    fn parametric(
        x: FloatTensor<Self>,
        p: FloatTensor<Self>,
        kernel: ParametricKernel,
    ) -> FloatTensor<Self> {
        #[derive(Debug)]
        struct ParametricBackward(ParametricKernel);

        impl<B: ActivationBackend> Backward<B, 2> for ParametricBackward {
            type State = (FloatTensor<B>, FloatTensor<B>);

            fn backward(
                self,
                ops: Ops<Self::State, 2>,
                grads: &mut Gradients,
                _: &mut Checkpointer,
            ) {
                let (x, p) = ops.state;
                let [x_node, p_node] = ops.parents;
                let grad = grads.consume::<B>(&ops.node);
                let (dx, dp) = B::parametric_backward(x, p, grad, self.0);
                if let Some(node) = x_node {
                    grads.register::<B>(node.id, dx);
                }
                if let Some(node) = p_node {
                    grads.register::<B>(node.id, dp);
                }
            }
        }

        let (x, x_guard) = x.into_parts();
        let (p, p_guard) = p.into_parts();
        match ParametricBackward(kernel)
            .prepare::<C>([x_guard, p_guard])
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(prep) => {
                let y = B::parametric(x.clone(), p.clone(), kernel);
                prep.finish((x, p), y)
            }
            OpsKind::UnTracked(prep) => prep.finish(B::parametric(x, p, kernel)),
        }
    }
}
