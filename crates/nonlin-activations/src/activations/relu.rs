//! ReLU.
use super::prelude::*;

/// Rectified linear unit, `ReLU(x) = max(0, x)`.
///
/// `ReLU'(x) = 1` for `x > 0`, `0` for `x ≤ 0`: PyTorch's subgradient convention `ReLU'(0) = 0`.
/// A NaN input gives a NaN output (and, as in PyTorch, gradient 1).
///
/// Does not saturate for `x > 0`, but a unit whose pre-activation is negative for every input
/// gets no gradient and can stay dead; outputs are never negative, so not zero-centred.
///
/// PyTorch: `torch.nn.ReLU()`.
#[derive(Module, Debug, Default)]
pub struct Relu;

impl Relu {
    /// Creates the module.
    pub fn new() -> Self {
        Self
    }
}

super::pointwise_forward!(Relu);

impl Pointwise for Relu {
    #[inline(always)]
    fn value<R: Real>(&self, x: R) -> R {
        x.le(0.0).select(x.lit(0.0), x)
    }
    #[inline(always)]
    fn derivative<R: Real>(&self, x: R) -> R {
        x.le(0.0).select(x.lit(0.0), x.lit(1.0))
    }
    #[inline(always)]
    fn chain<R: Real>(&self, grad: R, x: R) -> R {
        x.le(0.0).select(x.lit(0.0), grad)
    }
}

/// Catalog entry.
pub const INFO: ActivationInfo = ActivationInfo {
    name: "relu",
    title: "ReLU",
    formula: "max(0, x)",
    derivative: "1 if x > 0, else 0 (ReLU'(0) = 0)",
    range: "[0, inf)",
    zero_centred: false,
    saturation: Saturation::Negative,
    monotone: true,
    smooth: false,
    learnable: &[],
    problems: &[
        "dying units: a unit negative on every input gets no gradient",
        "outputs not zero-centred",
        "kink at 0 needs a subgradient convention",
    ],
    pytorch: "torch.nn.ReLU()",
    reference: "Nair & Hinton 2010; Glorot et al. 2011",
};

impl Entry for Relu {
    const INFO: ActivationInfo = INFO;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activations::test_util::*;

    #[test]
    fn kink_has_zero_gradient() {
        let (y, dx) = value_and_grad(|x| Relu::new().forward(x), &[-1.0, 0.0, 2.0, f32::NAN]);
        assert_close(&y, &[0.0, 0.0, 2.0, f32::NAN]);
        assert_close(&dx, &[0.0, 0.0, 1.0, 1.0]);
    }
}
