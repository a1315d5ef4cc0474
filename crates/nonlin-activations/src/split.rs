//! Ops that split a dimension into groups and reduce each group to one element: the GLU family
//! (two halves, `a · act(b)`) and Maxout (`k` consecutive pieces, their max).
//!
//! On flex and ndarray each is one pass over the buffer forward and one backward (`cpu.rs`), and
//! the autodiff graph keeps only the input. [`glu`] and [`maxout`] return `None` on other
//! backends (wgpu), and on flex and ndarray when the crate is built without their features; the
//! modules then compose tensor ops, which Burn fuses on wgpu.

// burn-ndarray is deprecated in Burn 0.22, but ndarray is one of the backends users ask for.
#![allow(deprecated)]

use crate::glu::GluVariant;
use burn::tensor::Tensor;
#[cfg(cpu_kernels)]
use {burn::backend::Dispatch, ops::SplitBackend};

/// The ops and their autodiff node, where the crate has CPU kernels (features `flex`, `ndarray`).
#[cfg(cpu_kernels)]
mod ops {
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
    pub trait SplitBackend: Backend {
        /// `a · act(b)`, with `a` and `b` the first and second halves of `dim`.
        fn glu_split(x: FloatTensor<Self>, variant: GluVariant, dim: usize) -> FloatTensor<Self>;

        /// The max over each group of `k` consecutive elements along `dim`: the first NaN, else the
        /// first maximum.
        fn maxout_groups(x: FloatTensor<Self>, k: usize, dim: usize) -> FloatTensor<Self>;
    }

    /// The backward kernels, which the autodiff wrapper calls on the inner backend.
    pub trait SplitBackward: Backend {
        /// The gradient of [`SplitBackend::glu_split`] with respect to `x`, given the output's.
        fn glu_split_backward(
            x: FloatTensor<Self>,
            grad: FloatTensor<Self>,
            variant: GluVariant,
            dim: usize,
        ) -> FloatTensor<Self>;

        /// The gradient of [`SplitBackend::maxout_groups`]: the output's gradient at each group's
        /// winning piece, 0 at the others.
        fn maxout_groups_backward(
            x: FloatTensor<Self>,
            grad: FloatTensor<Self>,
            k: usize,
            dim: usize,
        ) -> FloatTensor<Self>;
    }

    macro_rules! cpu_backend {
        ($backend:ty) => {
            impl SplitBackend for $backend {
                fn glu_split(
                    x: FloatTensor<Self>,
                    variant: GluVariant,
                    dim: usize,
                ) -> FloatTensor<Self> {
                    crate::cpu::glu_split::<Self>(x, variant, dim)
                }
                fn maxout_groups(x: FloatTensor<Self>, k: usize, dim: usize) -> FloatTensor<Self> {
                    crate::cpu::maxout::<Self>(x, k, dim)
                }
            }

            impl SplitBackward for $backend {
                fn glu_split_backward(
                    x: FloatTensor<Self>,
                    grad: FloatTensor<Self>,
                    variant: GluVariant,
                    dim: usize,
                ) -> FloatTensor<Self> {
                    crate::cpu::glu_split_backward::<Self>(x, grad, variant, dim)
                }
                fn maxout_groups_backward(
                    x: FloatTensor<Self>,
                    grad: FloatTensor<Self>,
                    k: usize,
                    dim: usize,
                ) -> FloatTensor<Self> {
                    crate::cpu::maxout_backward::<Self>(x, grad, k, dim)
                }
            }
        };
    }

    #[cfg(feature = "flex")]
    cpu_backend!(burn::backend::Flex);
    #[cfg(feature = "ndarray")]
    cpu_backend!(burn::backend::NdArray);

    /// Which split op an autodiff node differentiates.
    #[derive(Debug, Clone, Copy)]
    enum SplitOp {
        Glu(GluVariant),
        Maxout(usize),
    }

    impl SplitOp {
        fn forward<B: SplitBackend>(self, x: FloatTensor<B>, dim: usize) -> FloatTensor<B> {
            match self {
                Self::Glu(variant) => B::glu_split(x, variant, dim),
                Self::Maxout(k) => B::maxout_groups(x, k, dim),
            }
        }
    }

    #[derive(Debug)]
    struct SplitGrad {
        op: SplitOp,
        dim: usize,
    }

    impl<B: SplitBackend + SplitBackward> Backward<B, 1> for SplitGrad {
        type State = FloatTensor<B>;

        fn backward(self, ops: Ops<Self::State, 1>, grads: &mut Gradients, _: &mut Checkpointer) {
            let x = ops.state;
            unary::<B, _>(ops.parents, ops.node, grads, |grad| match self.op {
                SplitOp::Glu(variant) => B::glu_split_backward(x, grad, variant, self.dim),
                SplitOp::Maxout(k) => B::maxout_groups_backward(x, grad, k, self.dim),
            });
        }
    }

    /// The forward of `op` on the inner backend, recording a node whose backward keeps only `x`.
    fn tracked<B, C>(
        x: FloatTensor<Autodiff<B, C>>,
        op: SplitOp,
        dim: usize,
    ) -> FloatTensor<Autodiff<B, C>>
    where
        B: SplitBackend + SplitBackward,
        C: CheckpointStrategy,
    {
        let (x, guard) = x.into_parts();
        let node = SplitGrad { op, dim };
        match node.prepare::<C>([guard]).compute_bound().stateful() {
            OpsKind::Tracked(prep) => {
                let y = op.forward::<B>(x.clone(), dim);
                prep.finish(x, y)
            }
            OpsKind::UnTracked(prep) => prep.finish(op.forward::<B>(x, dim)),
        }
    }

    impl<B: SplitBackend + SplitBackward, C: CheckpointStrategy> SplitBackend for Autodiff<B, C> {
        fn glu_split(x: FloatTensor<Self>, variant: GluVariant, dim: usize) -> FloatTensor<Self> {
            tracked::<B, C>(x, SplitOp::Glu(variant), dim)
        }
        fn maxout_groups(x: FloatTensor<Self>, k: usize, dim: usize) -> FloatTensor<Self> {
            tracked::<B, C>(x, SplitOp::Maxout(k), dim)
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
    if crate::backends::has_cpu_kernels(&x.device()) {
        return Some(Tensor::from_dispatch(
            <Dispatch as SplitBackend>::glu_split(x.into_dispatch(), variant, dim),
        ));
    }
    let _ = (x, variant, dim);
    None
}

/// Maxout's single-pass op over groups of `k` along `dim`, or `None` where the backend has no
/// such kernel. The caller has checked that `k` divides the size of `dim`.
pub(crate) fn maxout<const D: usize>(x: Tensor<D>, k: usize, dim: usize) -> Option<Tensor<D>> {
    #[cfg(cpu_kernels)]
    if crate::backends::has_cpu_kernels(&x.device()) {
        return Some(Tensor::from_dispatch(
            <Dispatch as SplitBackend>::maxout_groups(x.into_dispatch(), k, dim),
        ));
    }
    let _ = (x, k, dim);
    None
}
