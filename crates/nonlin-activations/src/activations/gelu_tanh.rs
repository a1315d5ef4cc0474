//! GELU, tanh approximation.
use super::prelude::*;

const SQRT_2_OVER_PI: f64 = 0.797_884_560_802_865_4;
const CUBIC: f64 = 0.044_715;

/// GELU with the tanh approximation,
/// `f(x) = ½ x (1 + tanh(√(2/π) (x + 0.044715 x³)))` (= `x σ(2u)` with `u` the tanh argument).
///
/// `f'(x) = ½ (1 + t) + ½ x (1 − t²) √(2/π) (1 + 3 · 0.044715 x²)` with `t = tanh(u)`, evaluated
/// in the sigmoid form so that it is 0, not NaN, for large negative finite inputs (where PyTorch
/// returns NaN).
///
/// PyTorch: `torch.nn.GELU(approximate='tanh')`; Hugging Face `gelu_new`, `gelu_pytorch_tanh`,
/// `gelu_fast`.
#[derive(Module, Debug, Default)]
pub struct GeluTanh;

impl GeluTanh {
    /// Creates the module.
    pub fn new() -> Self {
        Self
    }
}

super::pointwise_forward!(GeluTanh);

/// `2u`, where `(1 + tanh(u)) / 2 = σ(2u)`; `x³` overflows to ±inf far out, which σ maps to 0 or 1.
#[inline(always)]
fn twice_u<R: Real>(x: R) -> R {
    (x.clone() + x.clone().square() * x * CUBIC) * (2.0 * SQRT_2_OVER_PI)
}

impl Pointwise for GeluTanh {
    #[inline(always)]
    fn value<R: Real>(&self, x: R) -> R {
        x.clone() * twice_u(x).sigmoid()
    }
    #[inline(always)]
    fn derivative<R: Real>(&self, x: R) -> R {
        let z = twice_u(x.clone());
        // ½(1 − t²) = 2 σ'(2u); the polynomial factor only matters where σ' is not 0, so clamping
        // its argument avoids inf · 0 without changing any finite result.
        let x_mid = super::hard_tanh::clamp_value(x.clone(), -1e4, 1e4);
        let du = (x_mid.square() * (3.0 * CUBIC) + 1.0) * SQRT_2_OVER_PI;
        let (sigmoid, slope) = z.sigmoid_and_slope();
        sigmoid + x * slope * 2.0 * du
    }
}

/// Catalog entry.
pub const INFO: ActivationInfo = ActivationInfo {
    name: "gelu_tanh",
    title: "GELU (tanh approximation)",
    formula: "x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))/2",
    derivative: "(1 + t)/2 + x·(1 - t²)/2·√(2/π)·(1 + 0.134145·x²)",
    range: "[-0.17, inf)",
    zero_centred: false,
    saturation: Saturation::Negative,
    monotone: false,
    smooth: true,
    learnable: &[],
    problems: &["approximates GELU to within 4e-4"],
    pytorch: "torch.nn.GELU(approximate='tanh')",
    reference: "Hendrycks & Gimpel 2016",
};

impl Entry for GeluTanh {
    const INFO: ActivationInfo = INFO;
    const ALIASES: &'static [&'static str] = &[
        "gelu_new",
        "gelu_pytorch_tanh",
        "gelu_fast",
        "gelu_accurate",
        "gelu_approximate",
        "tanh_gelu",
    ];
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activations::test_util::*;

    #[test]
    fn no_nan_gradient_far_out() {
        let (y, dx) = value_and_grad(
            |x| GeluTanh::new().forward(x),
            &[-f32::MAX, -1e30, 1e30, 0.0],
        );
        assert_close(&y, &[0.0, 0.0, 1e30, 0.0]);
        assert_close(&dx, &[0.0, 0.0, 1.0, 0.5]);
    }
}
