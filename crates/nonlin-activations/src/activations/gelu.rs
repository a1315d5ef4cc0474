//! GELU (exact, with erf).
use super::prelude::*;

/// Gaussian error linear unit, `GELU(x) = x Φ(x) = x · ½ (1 + erf(x / √2))`.
///
/// `GELU'(x) = Φ(x) + x φ(x)` with `φ(x) = exp(−x²/2) / √(2π)`: the exact derivative (Burn 0.22's
/// built-in backward uses the tanh approximation on ndarray and wgpu, off by 3.6e-4 at x = −3).
/// Φ is computed as `½ erfc(−x/√2)` so the far negative tail keeps its relative accuracy. At −inf
/// the float32 CPU kernels give the limit −0 (PyTorch and the f64 path: NaN, from −∞ · 0).
///
/// PyTorch: `torch.nn.GELU()` (`approximate='none'`).
#[derive(Module, Debug, Default)]
pub struct Gelu;

impl Gelu {
    /// Creates the module.
    pub fn new() -> Self {
        Self
    }
}

super::pointwise_forward!(Gelu);

impl Pointwise for Gelu {
    #[inline(always)]
    fn value<R: Real>(&self, x: R) -> R {
        x.times_normal_cdf()
    }
    #[inline(always)]
    fn derivative<R: Real>(&self, x: R) -> R {
        let (cdf, pdf) = x.clone().normal_cdf_and_pdf();
        cdf + x * pdf
    }
}

/// Catalog entry.
pub const INFO: ActivationInfo = ActivationInfo {
    name: "gelu",
    title: "GELU (erf)",
    formula: "x·Φ(x) = x·(1 + erf(x/√2))/2",
    derivative: "Φ(x) + x·φ(x)",
    range: "[-0.17, inf)",
    zero_centred: false,
    saturation: Saturation::Negative,
    monotone: false,
    smooth: true,
    learnable: &[],
    problems: &[
        "non-monotone dip near x = -0.75",
        "erf is costlier than ReLU",
    ],
    pytorch: "torch.nn.GELU()",
    reference: "Hendrycks & Gimpel 2016",
};

impl Entry for Gelu {
    const INFO: ActivationInfo = INFO;
    const ALIASES: &'static [&'static str] = &["gelu_erf", "gelu_python", "erf_gelu"];
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activations::test_util::*;

    #[test]
    fn exact_derivative_at_minus_three() {
        // Φ(-3) + (-3)φ(-3) = 0.0013498980 - 3 * 0.0044318484 = -0.0119456472
        let (_, dx) = value_and_grad(|x| Gelu::new().forward(x), &[-3.0, 0.0]);
        assert_close(&dx, &[-0.011_945_647, 0.5]);
    }
}
