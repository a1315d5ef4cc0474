//! SiLU.
use super::prelude::*;
use super::sigmoid::Sigmoid;

/// Sigmoid linear unit, `SiLU(x) = x σ(x)` (Swish with β = 1).
///
/// `SiLU'(x) = σ(x) (1 + x (1 − σ(x)))`, PyTorch's form of the derivative.
///
/// PyTorch: `torch.nn.SiLU()`; Hugging Face `silu`, `swish`.
#[derive(Module, Debug, Default)]
pub struct Silu;

impl Silu {
    /// Creates the module.
    pub fn new() -> Self {
        Self
    }
}

super::pointwise_forward!(Silu);

impl Pointwise for Silu {
    #[inline(always)]
    fn value<R: Real>(&self, x: R) -> R {
        x.clone() * x.sigmoid()
    }
    #[inline(always)]
    fn derivative<R: Real>(&self, x: R) -> R {
        // σ(x) + x σ'(x), which is PyTorch's σ(x)(1 + x(1 − σ(x))) multiplied out
        let (sigmoid, slope) = x.clone().sigmoid_and_slope();
        sigmoid + x * slope
    }
    /// `(a σ(b)) · b`, σ's gated value first, which stays right where σ(b) is subnormal.
    #[inline(always)]
    fn gated_value<R: Real>(&self, a: R, b: R) -> R {
        Sigmoid::gated_and_complement(a, b.clone()).0 * b
    }
    /// `(a σ(b)) · (1 + b σ(−b))`, PyTorch's `σ(b)(1 + b(1 − σ(b)))` with σ's gated value as the
    /// first factor.
    #[inline(always)]
    fn gated_chain<R: Real>(&self, a: R, b: R) -> R {
        let (value, complement) = Sigmoid::gated_and_complement(a, b.clone());
        value * (b * complement + 1.0)
    }
}

/// Catalog entry.
pub const INFO: ActivationInfo = ActivationInfo {
    name: "silu",
    title: "SiLU",
    formula: "x·σ(x)",
    derivative: "σ(x)·(1 + x·(1 - σ(x)))",
    range: "[-0.278, inf)",
    zero_centred: false,
    saturation: Saturation::Negative,
    monotone: false,
    smooth: true,
    learnable: &[],
    problems: &["non-monotone dip near x = -1.28"],
    pytorch: "torch.nn.SiLU()",
    reference: "Elfwing et al. 2017; Ramachandran et al. 2017",
};

impl Entry for Silu {
    const INFO: ActivationInfo = INFO;
    const ALIASES: &'static [&'static str] = &["swish1", "swish_1"];
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activations::test_util::*;

    #[test]
    fn values_and_gradients() {
        let (y, dx) = value_and_grad(|x| Silu::new().forward(x), &[0.0, 1.0, f32::MAX]);
        assert_close(&y, &[0.0, 0.731_058_6, f32::MAX]);
        assert_close(&dx, &[0.5, 0.927_670_6, 1.0]);
    }
}
