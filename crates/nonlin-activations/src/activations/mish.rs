//! Mish.
use super::prelude::*;

/// Mish, `f(x) = x tanh(softplus(x))` (Misra 2019).
///
/// `f'(x) = tanh(sp) + x σ(x) (1 − tanh²(sp))` with `sp = softplus(x)`, PyTorch's form. Softplus
/// is evaluated as `max(x, 0) + ln(1 + exp(−|x|))`, so no intermediate overflows: finite values
/// and gradients for every finite input.
///
/// PyTorch: `torch.nn.Mish()`.
#[derive(Module, Debug, Default)]
pub struct Mish;

impl Mish {
    /// Creates the module.
    pub fn new() -> Self {
        Self
    }
}

super::pointwise_forward!(Mish);

impl Pointwise for Mish {
    #[inline(always)]
    fn value<R: Real>(&self, x: R) -> R {
        x.clone() * super::softplus::stable_softplus(x).tanh()
    }
    #[inline(always)]
    fn derivative<R: Real>(&self, x: R) -> R {
        let sp = super::softplus::stable_softplus(x.clone());
        // 1 − tanh²(sp) as sech²(sp), which keeps its accuracy where tanh(sp) is close to 1
        sp.clone().tanh() + x.clone() * x.sigmoid() * sp.sech2()
    }
}

/// Catalog entry.
pub const INFO: ActivationInfo = ActivationInfo {
    name: "mish",
    title: "Mish",
    formula: "x·tanh(softplus(x))",
    derivative: "tanh(sp) + x·σ(x)·(1 - tanh²(sp)), sp = softplus(x)",
    range: "[-0.309, inf)",
    zero_centred: false,
    saturation: Saturation::Negative,
    monotone: false,
    smooth: true,
    learnable: &[],
    problems: &["costlier than ReLU (exp, log, tanh)"],
    pytorch: "torch.nn.Mish()",
    reference: "Misra 2019",
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activations::test_util::*;

    #[test]
    fn gradient_at_zero_and_far_out() {
        let (y, dx) = value_and_grad(|x| Mish::new().forward(x), &[0.0, 100.0, -100.0]);
        assert_close(&y, &[0.0, 100.0, 0.0]);
        assert_close(&dx, &[0.6, 1.0, 0.0]);
    }
}
