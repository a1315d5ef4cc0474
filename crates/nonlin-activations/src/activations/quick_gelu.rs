//! QuickGELU.
use super::prelude::*;

const SCALE: f64 = 1.702;

/// QuickGELU, the sigmoid approximation of GELU: `f(x) = x σ(1.702 x)` (CLIP, Hugging Face
/// `quick_gelu`).
///
/// `f'(x) = σ(1.702x) + 1.702 x σ(1.702x)(1 − σ(1.702x))`.
///
/// PyTorch has no built-in; reference: `x * torch.sigmoid(1.702 * x)`.
#[derive(Module, Debug, Default)]
pub struct QuickGelu;

impl QuickGelu {
    /// Creates the module.
    pub fn new() -> Self {
        Self
    }
}

super::pointwise_forward!(QuickGelu);

impl Pointwise for QuickGelu {
    #[inline(always)]
    fn value<R: Real>(&self, x: R) -> R {
        x.clone() * (x * SCALE).sigmoid()
    }
    #[inline(always)]
    fn derivative<R: Real>(&self, x: R) -> R {
        let (sigmoid, slope) = (x.clone() * SCALE).sigmoid_and_slope();
        sigmoid + x * slope * SCALE
    }
}

/// Catalog entry.
pub const INFO: ActivationInfo = ActivationInfo {
    name: "quick_gelu",
    title: "QuickGELU",
    formula: "x·σ(1.702·x)",
    derivative: "σ(1.702x) + 1.702·x·σ(1.702x)·(1 - σ(1.702x))",
    range: "[-0.16, inf)",
    zero_centred: false,
    saturation: Saturation::Negative,
    monotone: false,
    smooth: true,
    learnable: &[],
    problems: &["approximates GELU to within 2e-2"],
    pytorch: "x * torch.sigmoid(1.702 * x)",
    reference: "Hendrycks & Gimpel 2016; Radford et al. 2021 (CLIP)",
};

impl Entry for QuickGelu {
    const INFO: ActivationInfo = INFO;
    const ALIASES: &'static [&'static str] = &["gelu_sigmoid", "sigmoid_gelu"];
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activations::test_util::*;

    #[test]
    fn half_slope_at_zero() {
        let (y, dx) = value_and_grad(|x| QuickGelu::new().forward(x), &[0.0, -f32::MAX]);
        assert_close(&y, &[0.0, 0.0]);
        assert_close(&dx, &[0.5, 0.0]);
    }
}
