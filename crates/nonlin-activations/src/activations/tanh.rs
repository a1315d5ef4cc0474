//! Tanh.
use super::prelude::*;

/// Hyperbolic tangent, `tanh(x)`.
///
/// `tanh'(x) = 1 − tanh²(x)`: 1 at 0 (four times sigmoid's peak) and vanishing on both sides.
/// Zero-centred, which is why it is preferred over sigmoid for hidden layers.
///
/// ±1 at ±inf and ±f32::MAX, never NaN from a number.
///
/// PyTorch: `torch.nn.Tanh()`.
#[derive(Module, Debug, Default)]
pub struct Tanh;

impl Tanh {
    /// Creates the module.
    pub fn new() -> Self {
        Self
    }
}

super::pointwise_forward!(Tanh);

impl Pointwise for Tanh {
    #[inline(always)]
    fn value<R: Real>(&self, x: R) -> R {
        x.tanh()
    }
    #[inline(always)]
    fn derivative<R: Real>(&self, x: R) -> R {
        // 1 − tanh²(x), evaluated as 4σ(2x)σ(−2x) so it keeps its accuracy where tanh(x) ≈ ±1
        x.sech2()
    }
}

/// Catalog entry.
pub const INFO: ActivationInfo = ActivationInfo {
    name: "tanh",
    title: "Tanh",
    formula: "tanh(x)",
    derivative: "1 - tanh²(x)",
    range: "(-1, 1)",
    zero_centred: true,
    saturation: Saturation::Both,
    monotone: true,
    smooth: true,
    learnable: &[],
    problems: &["saturates: vanishing gradients in deep nets"],
    pytorch: "torch.nn.Tanh()",
    reference: "-",
};

impl Entry for Tanh {
    const INFO: ActivationInfo = INFO;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activations::test_util::*;

    #[test]
    fn saturates_without_nan() {
        let (y, dx) = value_and_grad(|x| Tanh::new().forward(x), &[0.0, f32::MAX, -f32::MAX]);
        assert_close(&y, &[0.0, 1.0, -1.0]);
        assert_close(&dx, &[1.0, 0.0, 0.0]);
    }
}
