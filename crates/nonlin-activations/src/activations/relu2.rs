//! Squared ReLU.
use super::prelude::*;

/// Squared ReLU, `f(x) = max(0, x)²` (Primer, So et al. 2021; Hugging Face `relu2`).
///
/// `f'(x) = 2x` for `x > 0`, `0` otherwise: continuous, so the kink at 0 needs no convention.
///
/// PyTorch has no built-in; reference: `torch.square(torch.relu(x))`.
#[derive(Module, Debug, Default)]
pub struct Relu2;

impl Relu2 {
    /// Creates the module.
    pub fn new() -> Self {
        Self
    }
}

super::pointwise_forward!(Relu2);

impl Pointwise for Relu2 {
    #[inline(always)]
    fn value<R: Real>(&self, x: R) -> R {
        x.le(0.0).select(x.lit(0.0), x.square())
    }
    #[inline(always)]
    fn derivative<R: Real>(&self, x: R) -> R {
        x.le(0.0).select(x.lit(0.0), x * 2.0)
    }
}

/// Catalog entry.
pub const INFO: ActivationInfo = ActivationInfo {
    name: "relu2",
    title: "Squared ReLU",
    formula: "max(0, x)²",
    derivative: "2x if x > 0, else 0",
    range: "[0, inf)",
    zero_centred: false,
    saturation: Saturation::Negative,
    monotone: true,
    smooth: false,
    learnable: &[],
    problems: &[
        "dying units like ReLU",
        "unbounded growth: large activations",
    ],
    pytorch: "torch.square(torch.relu(x))",
    reference: "So et al. 2021 (Primer)",
};

impl Entry for Relu2 {
    const INFO: ActivationInfo = INFO;
    const ALIASES: &'static [&'static str] = &["squared_relu", "relu_squared", "relu_sq", "sqrelu"];
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activations::test_util::*;

    #[test]
    fn values_and_gradients() {
        let (y, dx) = value_and_grad(|x| Relu2::new().forward(x), &[-1.0, 0.0, 3.0]);
        assert_close(&y, &[0.0, 0.0, 9.0]);
        assert_close(&dx, &[0.0, 0.0, 6.0]);
    }
}
