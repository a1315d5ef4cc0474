//! The differentiable ops every activation runs through, on every backend.
//!
//! Two element-wise ops carry the element-wise activations:
//! - [`pointwise`]: `y = f(x)`, backward `dx = dy · f'(x)`;
//! - [`parametric`]: `y = f(x, p)` with a learnable `p` of the same shape (already broadcast),
//!   backward `dx = dy · ∂f/∂x`, `dp = dy · ∂f/∂p`;
//!
//! and two grouped reductions (`grouped`) carry Maxout and the GLU family.
//!
//! The autodiff graph keeps only the inputs (`x`, and `p`), never an intermediate, and the derivative
//! is the activation's own formula ([`formula`]), so kinks follow PyTorch's conventions and no
//! `inf · 0` appears where a composed chain would produce one (ELU at x ≥ 89, sigmoid at
//! ±f32::MAX, …).
//!
//! Backends: flex and ndarray run one vectorised pass over the float32/float64 buffer
//! (`crate::cpu`, [`crate::math::f32`]); other dtypes, and the CubeCL backends (wgpu), compose
//! tensor primitives (`composed`), which Burn's fusion merges into one kernel on wgpu. Each
//! backend takes part only with its Cargo feature (`backends`); on a backend without one the ops
//! compose tensor primitives on Burn's dispatch, and Burn's autodiff differentiates the
//! composition.

pub mod attention;
pub(crate) mod backends;
pub(crate) mod composed;
#[cfg(custom_ops)]
mod extension;
pub mod formula;
pub(crate) mod grouped;
pub mod layer_norm;
pub mod linear;
pub mod optim;
pub(crate) mod shapes;
pub mod softmax;
#[cfg(all(test, feature = "flex", feature = "ndarray"))]
mod test_support;

#[cfg(custom_ops)]
pub use extension::ActivationBackend;
pub use formula::{Gated, Parametric, Pointwise};

pub use crate::registry::kernels::{ParametricKernel, PointwiseKernel};
use burn::backend::Dispatch;
use burn::tensor::Tensor;

/// Applies an element-wise activation, differentiably, on whatever backend `x` lives on.
pub fn pointwise<const D: usize>(x: Tensor<D>, kernel: impl Into<PointwiseKernel>) -> Tensor<D> {
    let kernel = kernel.into();
    #[cfg(custom_ops)]
    if crate::ops::backends::has_custom_ops(&x.device()) {
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
    if crate::ops::backends::has_custom_ops(&x.device()) {
        return Tensor::from_dispatch(<Dispatch as ActivationBackend>::parametric(
            x.into_dispatch(),
            p.into_dispatch(),
            kernel,
        ));
    }
    let (x, p) = (x.into_dispatch(), p.into_dispatch());
    Tensor::from_dispatch(composed::parametric::<Dispatch>(x, p, kernel))
}
