//! The formula traits every activation implements once over [`Real`]: [`Pointwise`] (`f(x)` and
//! `f'(x)`) and [`Parametric`] (`f(x, p)` and both partial derivatives), and [`Gated`], the GLU
//! family's `a · act(b)` built from any [`Pointwise`] gate.

use crate::math::real::Real;

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
    /// `a · f(b)`, the GLU family's value with this gate. Gates whose `f(b)` can be subnormal
    /// while the product is not (σ, SiLU at b ≈ −88) override it to keep the product exact.
    #[inline(always)]
    fn gated_value<R: Real>(&self, a: R, b: R) -> R {
        a * self.value(b)
    }
    /// `a · f'(b)`, the gate's gradient in the GLU family ([`Pointwise::chain`] unless overridden,
    /// as for [`Pointwise::gated_value`]).
    #[inline(always)]
    fn gated_chain<R: Real>(&self, a: R, b: R) -> R {
        self.chain(a, b)
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

/// The formula of every GLU variant, `f(a, b) = a · act(b)` for value `a` and gate `b`, with its
/// partial derivatives `∂f/∂a = act(b)` and `∂f/∂b = a · act'(b)` (PyTorch's `glu_backward`), the
/// latter through the gate's [`Pointwise::chain`].
#[derive(Clone, Copy, Debug)]
pub struct Gated<P>(pub P);

impl<P: Pointwise> Parametric for Gated<P> {
    #[inline(always)]
    fn value<R: Real>(&self, a: R, b: R) -> R {
        self.0.gated_value(a, b)
    }
    #[inline(always)]
    fn derivative_x<R: Real>(&self, _a: R, b: R) -> R {
        self.0.value(b)
    }
    #[inline(always)]
    fn derivative_p<R: Real>(&self, a: R, b: R) -> R {
        // ReGLU: 0 where b ≤ 0 even for an infinite or NaN value a, as PyTorch's threshold_backward
        self.0.gated_chain(a, b)
    }
}
