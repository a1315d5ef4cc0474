//! LogSigmoid.
use super::prelude::*;

/// Log-sigmoid, `f(x) = ln σ(x) = min(x, 0) − ln(1 + exp(−|x|))`, the stable form PyTorch uses.
///
/// `f'(x) = 1 − σ(x) = σ(−x)`.
///
/// PyTorch: `torch.nn.LogSigmoid()`.
#[derive(Module, Debug, Default)]
pub struct LogSigmoid;

impl LogSigmoid {
    /// Creates the module.
    pub fn new() -> Self {
        Self
    }
}

super::pointwise_forward!(LogSigmoid);

impl Pointwise for LogSigmoid {
    #[inline(always)]
    fn value<R: Real>(&self, x: R) -> R {
        let negative_part = x.lt(0.0).select(x.clone(), x.lit(0.0));
        negative_part - x.ln_1p_exp_neg_abs()
    }
    #[inline(always)]
    fn derivative<R: Real>(&self, x: R) -> R {
        (-x).sigmoid()
    }
}

/// Catalog entry.
pub const INFO: ActivationInfo = ActivationInfo {
    name: "log_sigmoid",
    title: "LogSigmoid",
    formula: "ln σ(x) = min(x, 0) - ln(1 + exp(-|x|))",
    derivative: "σ(-x)",
    range: "(-inf, 0)",
    zero_centred: false,
    saturation: Saturation::Positive,
    monotone: true,
    smooth: true,
    learnable: &[],
    problems: &["outputs never positive"],
    pytorch: "torch.nn.LogSigmoid()",
    reference: "-",
};

impl Entry for LogSigmoid {
    const INFO: ActivationInfo = INFO;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activations::test_util::*;

    #[test]
    fn stable_at_both_ends() {
        let (y, dx) = value_and_grad(|x| LogSigmoid::new().forward(x), &[0.0, -1000.0, 1000.0]);
        assert_close(&y, &[-core::f32::consts::LN_2, -1000.0, 0.0]);
        assert_close(&dx, &[0.5, 1.0, 0.0]);
    }
}
