//! HardSwish.
use super::prelude::*;

/// Hard swish, `f(x) = x · relu6(x + 3) / 6` (MobileNetV3).
///
/// `f'(x) = 0` for `x ≤ −3`, `x/3 + 1/2` for `−3 < x < 3`, `1` for `x ≥ 3`: PyTorch 2.15's
/// convention `HardSwish'(−3) = 0`, `HardSwish'(3) = 1` (older releases gave −0.5 and 1.5).
///
/// PyTorch: `torch.nn.Hardswish()`.
#[derive(Module, Debug, Default)]
pub struct HardSwish;

impl HardSwish {
    /// Creates the module.
    pub fn new() -> Self {
        Self
    }
}

super::pointwise_forward!(HardSwish);

impl Pointwise for HardSwish {
    #[inline(always)]
    fn value<R: Real>(&self, x: R) -> R {
        let middle = x.clone() * (x.clone() + 3.0) / 6.0;
        x.le(-3.0)
            .select(x.lit(0.0), x.ge(3.0).select(x.clone(), middle))
    }
    #[inline(always)]
    fn derivative<R: Real>(&self, x: R) -> R {
        // a NaN input falls through to the middle branch and gives NaN, as PyTorch's (vectorised)
        // hardswish_backward
        let middle = x.clone() / 3.0 + 0.5;
        x.le(-3.0)
            .select(x.lit(0.0), x.ge(3.0).select(x.lit(1.0), middle))
    }
    #[inline(always)]
    fn chain<R: Real>(&self, grad: R, x: R) -> R {
        let middle = grad.clone() * (x.clone() / 3.0 + 0.5);
        x.le(-3.0)
            .select(x.lit(0.0), x.ge(3.0).select(grad, middle))
    }
}

/// Catalog entry.
pub const INFO: ActivationInfo = ActivationInfo {
    name: "hard_swish",
    title: "HardSwish",
    formula: "x·relu6(x + 3)/6",
    derivative: "0 if x ≤ -3, x/3 + 1/2 if -3 < x < 3, 1 if x ≥ 3",
    range: "[-0.375, inf)",
    zero_centred: false,
    saturation: Saturation::Negative,
    monotone: false,
    smooth: false,
    learnable: &[],
    problems: &["zero gradient below -3"],
    pytorch: "torch.nn.Hardswish()",
    reference: "Howard et al. 2019",
};

impl Entry for HardSwish {
    const INFO: ActivationInfo = INFO;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activations::test_util::*;

    #[test]
    fn pytorch_2_15_kink_gradients() {
        let (y, dx) = value_and_grad(|x| HardSwish::new().forward(x), &[-3.0, 0.0, 3.0, 1.5]);
        assert_close(&y, &[0.0, 0.0, 3.0, 1.125]);
        assert_close(&dx, &[0.0, 0.5, 1.0, 1.0]);
    }
}
