//! TanhShrink.
use super::prelude::*;

/// TanhShrink, `f(x) = x − tanh(x)`.
///
/// `f'(x) = tanh²(x)`.
///
/// PyTorch: `torch.nn.TanhShrink()`.
#[derive(Module, Debug, Default)]
pub struct TanhShrink;

impl TanhShrink {
    /// Creates the module.
    pub fn new() -> Self {
        Self
    }
}

super::pointwise_forward!(TanhShrink);

impl Pointwise for TanhShrink {
    #[inline(always)]
    fn value<R: Real>(&self, x: R) -> R {
        x.clone() - x.tanh()
    }
    #[inline(always)]
    fn derivative<R: Real>(&self, x: R) -> R {
        x.tanh().square()
    }
}

/// Catalog entry.
pub const INFO: ActivationInfo = ActivationInfo {
    name: "tanhshrink",
    title: "TanhShrink",
    formula: "x - tanh(x)",
    derivative: "tanh²(x)",
    range: "(-inf, inf)",
    zero_centred: true,
    saturation: Saturation::None,
    monotone: true,
    smooth: true,
    learnable: &[],
    problems: &["flat near 0: small inputs get almost no gradient"],
    pytorch: "torch.nn.TanhShrink()",
    reference: "-",
};

impl Entry for TanhShrink {
    const INFO: ActivationInfo = INFO;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activations::test_util::*;

    #[test]
    fn values_and_gradients() {
        let (y, dx) = value_and_grad(|x| TanhShrink::new().forward(x), &[0.0, 89.0]);
        assert_close(&y, &[0.0, 88.0]);
        assert_close(&dx, &[0.0, 1.0]);
    }
}
