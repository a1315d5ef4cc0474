//! Grouped reductions: ops that split a dimension into groups and reduce each group to one element: the GLU family
//! (two halves, `a · act(b)`) and Maxout (`k` consecutive pieces, their max).
//!
//! On flex and ndarray each is one pass over the buffer forward and one backward (`crate::cpu`), and
//! the autodiff graph keeps only the input. [`glu`] and [`maxout`] return `None` on other
//! backends (wgpu), and on flex and ndarray when the crate is built without their features; the
//! modules then compose tensor ops, which Burn fuses on wgpu.

// burn-ndarray is deprecated in Burn 0.22, but ndarray is one of the backends users ask for.
#![allow(deprecated)]

use crate::registry::kernels::GluVariant;
use burn::tensor::Tensor;
#[cfg(cpu_kernels)]
use {burn::backend::Dispatch, extension::GroupedBackend};

/// The ops and their autodiff node, where the crate has CPU kernels (features `flex`, `ndarray`).
#[cfg(cpu_kernels)]
pub(crate) mod extension {
    use super::*;
    use burn::backend::autodiff::{
        Autodiff,
        checkpoint::{base::Checkpointer, strategy::CheckpointStrategy},
        grads::Gradients,
        ops::{Backward, Ops, OpsKind, unary},
    };
    use burn::backend::{Backend, backend_extension, tensor::FloatTensor};

    /// The forward ops, routed by Burn's dispatch to flex, ndarray and their autodiff wrappers only.
    #[backend_extension(Flex: cfg(feature = "flex"), NdArray: cfg(feature = "ndarray"), Autodiff)]
    pub trait GroupedBackend: Backend {
        /// `a · act(b)`, with `a` and `b` the first and second halves of `dim`.
        fn glu_halves(x: FloatTensor<Self>, variant: GluVariant, dim: usize) -> FloatTensor<Self>;

        /// The max over each group of `k` consecutive elements along `dim`: the first NaN, else the
        /// first maximum.
        fn maxout_groups(x: FloatTensor<Self>, k: usize, dim: usize) -> FloatTensor<Self>;
    }

    /// The backward kernels, which the autodiff wrapper calls on the inner backend.
    pub(crate) trait GroupedBackward: Backend {
        /// The gradient of [`GroupedBackend::glu_halves`] with respect to `x`, given the output's.
        fn glu_halves_backward(
            x: FloatTensor<Self>,
            grad: FloatTensor<Self>,
            variant: GluVariant,
            dim: usize,
        ) -> FloatTensor<Self>;

        /// The gradient of [`GroupedBackend::maxout_groups`]: the output's gradient at each group's
        /// winning piece, 0 at the others.
        fn maxout_groups_backward(
            x: FloatTensor<Self>,
            grad: FloatTensor<Self>,
            k: usize,
            dim: usize,
        ) -> FloatTensor<Self>;
    }

    /// Which grouped op an autodiff node differentiates.
    #[derive(Debug, Clone, Copy)]
    enum GroupedOp {
        Glu(GluVariant),
        Maxout(usize),
    }

    impl GroupedOp {
        fn forward<B: GroupedBackend>(self, x: FloatTensor<B>, dim: usize) -> FloatTensor<B> {
            match self {
                Self::Glu(variant) => B::glu_halves(x, variant, dim),
                Self::Maxout(k) => B::maxout_groups(x, k, dim),
            }
        }
    }

    #[derive(Debug)]
    struct GroupedGrad {
        op: GroupedOp,
        dim: usize,
    }

    impl<B: GroupedBackend + GroupedBackward> Backward<B, 1> for GroupedGrad {
        type State = FloatTensor<B>;

        fn backward(self, ops: Ops<Self::State, 1>, grads: &mut Gradients, _: &mut Checkpointer) {
            let x = ops.state;
            unary::<B, _>(ops.parents, ops.node, grads, |grad| match self.op {
                GroupedOp::Glu(variant) => B::glu_halves_backward(x, grad, variant, self.dim),
                GroupedOp::Maxout(k) => B::maxout_groups_backward(x, grad, k, self.dim),
            });
        }
    }

    /// The forward of `op` on the inner backend, recording a node whose backward keeps only `x`.
    fn tracked<B, C>(
        x: FloatTensor<Autodiff<B, C>>,
        op: GroupedOp,
        dim: usize,
    ) -> FloatTensor<Autodiff<B, C>>
    where
        B: GroupedBackend + GroupedBackward,
        C: CheckpointStrategy,
    {
        let (x, guard) = x.into_parts();
        let node = GroupedGrad { op, dim };
        match node.prepare::<C>([guard]).compute_bound().stateful() {
            OpsKind::Tracked(prep) => {
                let y = op.forward::<B>(x.clone(), dim);
                prep.finish(x, y)
            }
            OpsKind::UnTracked(prep) => prep.finish(op.forward::<B>(x, dim)),
        }
    }

    impl<B: GroupedBackend + GroupedBackward, C: CheckpointStrategy> GroupedBackend for Autodiff<B, C> {
        fn glu_halves(x: FloatTensor<Self>, variant: GluVariant, dim: usize) -> FloatTensor<Self> {
            tracked::<B, C>(x, GroupedOp::Glu(variant), dim)
        }
        fn maxout_groups(x: FloatTensor<Self>, k: usize, dim: usize) -> FloatTensor<Self> {
            tracked::<B, C>(x, GroupedOp::Maxout(k), dim)
        }
    }
}

/// The GLU variant's single-pass op over the halves of `dim`, or `None` where the backend has no
/// such kernel. The caller has checked that the size of `dim` is even.
pub(crate) fn glu<const D: usize>(
    x: Tensor<D>,
    variant: GluVariant,
    dim: usize,
) -> Option<Tensor<D>> {
    #[cfg(cpu_kernels)]
    if crate::ops::backends::has_cpu_kernels(&x.device()) {
        return Some(Tensor::from_dispatch(
            <Dispatch as GroupedBackend>::glu_halves(x.into_dispatch(), variant, dim),
        ));
    }
    let _ = (x, variant, dim);
    None
}

/// Maxout's single-pass op over groups of `k` along `dim`, or `None` where the backend has no
/// such kernel. The caller has checked that `k` divides the size of `dim`.
pub(crate) fn maxout<const D: usize>(x: Tensor<D>, k: usize, dim: usize) -> Option<Tensor<D>> {
    #[cfg(cpu_kernels)]
    if crate::ops::backends::has_cpu_kernels(&x.device()) {
        return Some(Tensor::from_dispatch(
            <Dispatch as GroupedBackend>::maxout_groups(x.into_dispatch(), k, dim),
        ));
    }
    let _ = (x, k, dim);
    None
}
