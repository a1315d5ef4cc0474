//! Differentiable element-wise ops with a hand-written backward, on every backend.
//!
//! Two ops carry every activation in this crate:
//! - [`pointwise`]: `y = f(x)`, backward `dx = dy · f'(x)`;
//! - [`parametric`]: `y = f(x, p)` with a learnable `p` of the same shape (already broadcast),
//!   backward `dx = dy · ∂f/∂x`, `dp = dy · ∂f/∂p`.
//!
//! The autodiff graph keeps only the inputs (`x`, and `p`), never an intermediate, and the derivative
//! is the activation's own formula, so kinks follow PyTorch's conventions and no `inf · 0` appears
//! where a composed chain would produce one (ELU at x ≥ 89, sigmoid at ±f32::MAX, …).
//!
//! Backends: flex and ndarray run one vectorised pass over the float32/float64 buffer
//! (`cpu.rs`, [`crate::real32`]); other dtypes, and the CubeCL backends (wgpu), compose tensor
//! primitives, which Burn's fusion merges into one kernel on wgpu. Each backend takes part only
//! with its Cargo feature ([`crate::backends`]); on a backend without one the ops compose tensor
//! primitives on Burn's dispatch, and Burn's autodiff differentiates the composition.

// burn-ndarray is deprecated in Burn 0.22, but ndarray is one of the backends users ask for.
#![allow(deprecated)]

use crate::real::{Real, TensorReal};
#[cfg(custom_ops)]
use burn::backend::autodiff::{
    Autodiff,
    checkpoint::{base::Checkpointer, strategy::CheckpointStrategy},
    grads::Gradients,
    ops::{Backward, Ops, OpsKind, unary},
};
#[cfg(custom_ops)]
use burn::backend::backend_extension;
use burn::backend::{Backend, Dispatch, tensor::FloatTensor};
use burn::tensor::Tensor;

/// An element-wise function with its derivative, written once for scalars and tensors.
pub trait Pointwise {
    /// `f(x)`.
    fn value<R: Real>(&self, x: R) -> R;
    /// `f'(x)`, with PyTorch's convention at points where `f` is not differentiable.
    fn derivative<R: Real>(&self, x: R) -> R;
    /// `grad · f'(x)`, the backward. Activations whose PyTorch backward selects instead of
    /// multiplying (ReLU's `threshold_backward`, the clamps and shrinkages) override it, so that an
    /// infinite `grad` (or GLU value) gives 0 where `f'` is 0, as in PyTorch, not `∞ · 0 = NaN`.
    #[inline(always)]
    fn chain<R: Real>(&self, grad: R, x: R) -> R {
        grad * self.derivative(x)
    }
}

/// An element-wise function of an input `x` and a learnable parameter `p`.
pub trait Parametric {
    /// `f(x, p)`.
    fn value<R: Real>(&self, x: R, p: R) -> R;
    /// `∂f/∂x`.
    fn derivative_x<R: Real>(&self, x: R, p: R) -> R;
    /// `∂f/∂p`.
    fn derivative_p<R: Real>(&self, x: R, p: R) -> R;
}

/// Declares the registry of element-wise activations: the kernel enum passed through the backend
/// extension, and its delegation to each activation's own [`Pointwise`] implementation.
macro_rules! pointwise_registry {
    ($($variant:ident($ty:path)),* $(,)?) => {
        /// Every element-wise activation, as the argument of the [`pointwise`] op.
        #[derive(Clone, Debug)]
        pub enum PointwiseKernel { $($variant($ty)),* }

        impl Pointwise for PointwiseKernel {
            fn value<R: Real>(&self, x: R) -> R {
                match self { $(Self::$variant(f) => f.value(x)),* }
            }
            fn derivative<R: Real>(&self, x: R) -> R {
                match self { $(Self::$variant(f) => f.derivative(x)),* }
            }
            fn chain<R: Real>(&self, grad: R, x: R) -> R {
                match self { $(Self::$variant(f) => f.chain(grad, x)),* }
            }
        }

        #[cfg_attr(not(cpu_kernels), allow(dead_code))]
        impl PointwiseKernel {
            /// Calls `visitor` with the concrete activation, so code generic over [`Pointwise`]
            /// is compiled once per activation (a `match` per element would not vectorise).
            pub(crate) fn visit<V: VisitPointwise>(&self, visitor: V) -> V::Output {
                match self {
                    // PyTorch's default β = 1 gets a loop without the division by β
                    Self::Softplus(f) if f.beta == 1.0 => visitor.visit(&f.with_unit_beta()),
                    $(Self::$variant(f) => visitor.visit(f)),*
                }
            }
        }

        $(impl From<$ty> for PointwiseKernel {
            fn from(f: $ty) -> Self { Self::$variant(f) }
        })*
    };
}

pointwise_registry! {
    Relu(crate::activations::relu::Relu),
    LeakyRelu(crate::activations::leaky_relu::LeakyRelu),
    Relu6(crate::activations::relu6::Relu6),
    Elu(crate::activations::elu::Elu),
    Selu(crate::activations::selu::Selu),
    Celu(crate::activations::celu::Celu),
    Gelu(crate::activations::gelu::Gelu),
    GeluTanh(crate::activations::gelu_tanh::GeluTanh),
    QuickGelu(crate::activations::quick_gelu::QuickGelu),
    Silu(crate::activations::silu::Silu),
    Swish(crate::activations::swish::FixedSwish),
    Mish(crate::activations::mish::Mish),
    Softplus(crate::activations::softplus::Softplus),
    Sigmoid(crate::activations::sigmoid::Sigmoid),
    HardSigmoid(crate::activations::hard_sigmoid::HardSigmoid),
    Tanh(crate::activations::tanh::Tanh),
    Hardtanh(crate::activations::hardtanh::Hardtanh),
    HardSwish(crate::activations::hard_swish::HardSwish),
    Softsign(crate::activations::softsign::Softsign),
    LogSigmoid(crate::activations::log_sigmoid::LogSigmoid),
    Tanhshrink(crate::activations::tanhshrink::Tanhshrink),
    Threshold(crate::activations::threshold::Threshold),
    Hardshrink(crate::activations::hardshrink::Hardshrink),
    Softshrink(crate::activations::softshrink::Softshrink),
    Relu2(crate::activations::relu2::Relu2),
    Squareplus(crate::activations::squareplus::Squareplus),
}

/// Code generic over the concrete activation inside a [`PointwiseKernel`].
#[cfg_attr(not(cpu_kernels), allow(dead_code))]
pub(crate) trait VisitPointwise {
    /// What the visit returns.
    type Output;
    /// Runs with activation `f`.
    fn visit<P: Pointwise + Sync>(self, f: &P) -> Self::Output;
}

/// Every activation with a learnable (or random) parameter, as the argument of the [`parametric`] op.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParametricKernel {
    /// `x > 0 ? x : p·x` (PReLU, and RReLU with sampled slopes).
    NegativeSlope,
    /// `x·σ(p·x)` (Swish with learnable β).
    Swish,
    /// `x + sin²(p·x)/p` (Snake).
    Snake,
    /// `x · act(p)`: value `x` gated by `p` (the GLU family, see [`crate::glu::Gated`]).
    Gated(crate::glu::GluVariant),
}

/// Declares a unit type whose [`Parametric`] implementation is the formulas of an activation module
/// (`value`, `derivative_x`, `derivative_p`), so code generic over [`Parametric`] gets the concrete
/// formula.
macro_rules! parametric_formula {
    ($name:ident, $module:path) => {
        #[derive(Clone, Copy, Debug)]
        pub(crate) struct $name;

        impl Parametric for $name {
            #[inline(always)]
            fn value<R: Real>(&self, x: R, p: R) -> R {
                use $module as m;
                m::value(x, p)
            }
            #[inline(always)]
            fn derivative_x<R: Real>(&self, x: R, p: R) -> R {
                use $module as m;
                m::derivative_x(x, p)
            }
            #[inline(always)]
            fn derivative_p<R: Real>(&self, x: R, p: R) -> R {
                use $module as m;
                m::derivative_p(x, p)
            }
        }
    };
}

parametric_formula!(NegativeSlopeFormula, crate::activations::prelu);
parametric_formula!(SwishFormula, crate::activations::swish);
parametric_formula!(SnakeFormula, crate::activations::snake);

/// Evaluates `$body` with `$f` bound to the concrete [`Parametric`] formula of the kernel: the one
/// place that maps a [`ParametricKernel`] to its activation.
macro_rules! parametric_kernel {
    ($kernel:expr, |$f:ident| $body:expr) => {
        match $kernel {
            $crate::kernel::ParametricKernel::NegativeSlope => {
                let $f = $crate::kernel::NegativeSlopeFormula;
                $body
            }
            $crate::kernel::ParametricKernel::Swish => {
                let $f = $crate::kernel::SwishFormula;
                $body
            }
            $crate::kernel::ParametricKernel::Snake => {
                let $f = $crate::kernel::SnakeFormula;
                $body
            }
            $crate::kernel::ParametricKernel::Gated(variant) => {
                $crate::glu::with_gate!(variant, |gate| {
                    let $f = $crate::glu::Gated(gate);
                    $body
                })
            }
        }
    };
}
#[cfg(cpu_kernels)]
pub(crate) use parametric_kernel;

impl Parametric for ParametricKernel {
    fn value<R: Real>(&self, x: R, p: R) -> R {
        parametric_kernel!(self, |f| f.value(x, p))
    }
    fn derivative_x<R: Real>(&self, x: R, p: R) -> R {
        parametric_kernel!(self, |f| f.derivative_x(x, p))
    }
    fn derivative_p<R: Real>(&self, x: R, p: R) -> R {
        parametric_kernel!(self, |f| f.derivative_p(x, p))
    }
}

/// The backend extension behind [`pointwise`] and [`parametric`]. The default bodies compose tensor
/// primitives; flex and ndarray override them with single-pass kernels; autodiff adds the backward.
#[cfg(custom_ops)]
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

/// The ops as chains of tensor primitives: the path for GPUs (fused by Burn on wgpu) and for dtypes
/// the CPU kernels do not cover.
#[cfg_attr(not(custom_ops), allow(dead_code))] // the backward: only with the ops' own autodiff node
pub(crate) mod composed {
    use super::*;

    pub(crate) fn pointwise<B: Backend>(
        x: FloatTensor<B>,
        kernel: &PointwiseKernel,
    ) -> FloatTensor<B> {
        kernel.value(TensorReal::<B>(x)).0
    }

    pub(crate) fn pointwise_backward<B: Backend>(
        x: FloatTensor<B>,
        grad: FloatTensor<B>,
        kernel: &PointwiseKernel,
    ) -> FloatTensor<B> {
        kernel.chain(TensorReal::<B>(grad), TensorReal::<B>(x)).0
    }

    pub(crate) fn parametric<B: Backend>(
        x: FloatTensor<B>,
        p: FloatTensor<B>,
        kernel: ParametricKernel,
    ) -> FloatTensor<B> {
        kernel.value(TensorReal::<B>(x), TensorReal(p)).0
    }

    pub(crate) fn parametric_backward<B: Backend>(
        x: FloatTensor<B>,
        p: FloatTensor<B>,
        grad: FloatTensor<B>,
        kernel: ParametricKernel,
    ) -> (FloatTensor<B>, FloatTensor<B>) {
        let (x, p, grad) = (
            TensorReal::<B>(x),
            TensorReal::<B>(p),
            TensorReal::<B>(grad),
        );
        let dx = grad.clone() * kernel.derivative_x(x.clone(), p.clone());
        let dp = grad * kernel.derivative_p(x, p);
        (dx.0, dp.0)
    }
}

#[cfg(cube_backend)]
impl ActivationBackend for burn::backend::Cube {}

/// flex and ndarray: one pass over the buffers (see `cpu.rs`).
#[cfg(cpu_kernels)]
macro_rules! cpu_backend {
    ($backend:ty) => {
        impl ActivationBackend for $backend {
            fn pointwise(x: FloatTensor<Self>, kernel: PointwiseKernel) -> FloatTensor<Self> {
                crate::cpu::pointwise::<Self>(x, &kernel)
            }
            fn pointwise_backward(
                x: FloatTensor<Self>,
                grad: FloatTensor<Self>,
                kernel: PointwiseKernel,
            ) -> FloatTensor<Self> {
                crate::cpu::pointwise_backward::<Self>(x, grad, &kernel)
            }
            fn parametric(
                x: FloatTensor<Self>,
                p: FloatTensor<Self>,
                kernel: ParametricKernel,
            ) -> FloatTensor<Self> {
                crate::cpu::parametric::<Self>(x, p, kernel)
            }
            fn parametric_backward(
                x: FloatTensor<Self>,
                p: FloatTensor<Self>,
                grad: FloatTensor<Self>,
                kernel: ParametricKernel,
            ) -> (FloatTensor<Self>, FloatTensor<Self>) {
                crate::cpu::parametric_backward::<Self>(x, p, grad, kernel)
            }
        }
    };
}

#[cfg(feature = "flex")]
cpu_backend!(burn::backend::Flex);
#[cfg(feature = "ndarray")]
#[allow(deprecated)]
mod ndarray_impl {
    use super::*;
    cpu_backend!(burn::backend::NdArray);
}

#[cfg(custom_ops)]
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

/// Applies an element-wise activation, differentiably, on whatever backend `x` lives on.
pub fn pointwise<const D: usize>(x: Tensor<D>, kernel: impl Into<PointwiseKernel>) -> Tensor<D> {
    let kernel = kernel.into();
    #[cfg(custom_ops)]
    if crate::backends::has_custom_ops(&x.device()) {
        return Tensor::from_dispatch(<Dispatch as ActivationBackend>::pointwise(
            x.into_dispatch(),
            kernel,
        ));
    }
    Tensor::from_dispatch(composed::pointwise::<Dispatch>(x.into_dispatch(), &kernel))
}

/// Applies `f(x, p)` element-wise; `p` must already have the shape of `x` (expand it first: the
/// expansion's backward sums the parameter gradient back to the parameter's own shape).
pub fn parametric<const D: usize>(
    x: Tensor<D>,
    p: Tensor<D>,
    kernel: ParametricKernel,
) -> Tensor<D> {
    #[cfg(custom_ops)]
    if crate::backends::has_custom_ops(&x.device()) {
        return Tensor::from_dispatch(<Dispatch as ActivationBackend>::parametric(
            x.into_dispatch(),
            p.into_dispatch(),
            kernel,
        ));
    }
    let (x, p) = (x.into_dispatch(), p.into_dispatch());
    Tensor::from_dispatch(composed::parametric::<Dispatch>(x, p, kernel))
}
