//! ReLU6.
use super::hard_tanh::{clamp_derivative, clamp_value};
use super::prelude::*;

/// ReLU6, `f(x) = min(max(0, x), 6)` (MobileNet).
///
/// `f'(x) = 1` for `0 < x < 6`, and `0` at and beyond both bounds: PyTorch's convention
/// (Burn 0.22's built-in passes gradient 1 at the bounds).
///
/// PyTorch: `torch.nn.ReLU6()`.
#[derive(Module, Debug, Default)]
pub struct Relu6;

impl Relu6 {
    /// Creates the module.
    pub fn new() -> Self {
        Self
    }
}

super::pointwise_forward!(Relu6);

impl Pointwise for Relu6 {
    #[inline(always)]
    fn value<R: Real>(&self, x: R) -> R {
        clamp_value(x, 0.0, 6.0)
    }
    #[inline(always)]
    fn derivative<R: Real>(&self, x: R) -> R {
        clamp_derivative(x, 0.0, 6.0)
    }
    #[inline(always)]
    fn chain<R: Real>(&self, grad: R, x: R) -> R {
        super::hard_tanh::clamp_chain(grad, x, 0.0, 6.0)
    }
}

/// Catalog entry.
pub const INFO: ActivationInfo = ActivationInfo {
    name: "relu6",
    title: "ReLU6",
    formula: "min(max(0, x), 6)",
    derivative: "1 if 0 < x < 6, else 0 (0 at both bounds)",
    range: "[0, 6]",
    zero_centred: false,
    saturation: Saturation::Both,
    monotone: true,
    smooth: false,
    learnable: &[],
    problems: &["dying units like ReLU", "no gradient above 6"],
    pytorch: "torch.nn.ReLU6()",
    reference: "Krizhevsky 2010; Howard et al. 2017",
};

impl Entry for Relu6 {
    const INFO: ActivationInfo = INFO;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activations::test_util::*;

    #[test]
    fn zero_gradient_at_both_bounds() {
        let (y, dx) = value_and_grad(|x| Relu6::new().forward(x), &[-1.0, 0.0, 3.0, 6.0, 7.0]);
        assert_close(&y, &[0.0, 0.0, 3.0, 6.0, 6.0]);
        assert_close(&dx, &[0.0, 0.0, 1.0, 0.0, 0.0]);
    }
}
