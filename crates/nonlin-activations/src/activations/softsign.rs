//! Softsign.
use super::prelude::*;

/// Softsign, `f(x) = x / (1 + |x|)`.
///
/// `f'(x) = 1 / (1 + |x|)²`: saturates polynomially, more slowly than tanh.
///
/// PyTorch: `torch.nn.Softsign()`.
#[derive(Module, Debug, Default)]
pub struct Softsign;

impl Softsign {
    /// Creates the module.
    pub fn new() -> Self {
        Self
    }
}

super::pointwise_forward!(Softsign);

impl Pointwise for Softsign {
    #[inline(always)]
    fn value<R: Real>(&self, x: R) -> R {
        x.clone() / (x.abs() + 1.0)
    }
    #[inline(always)]
    fn derivative<R: Real>(&self, x: R) -> R {
        (x.abs() + 1.0).square().rdiv(1.0)
    }
}

/// Catalog entry.
pub const INFO: ActivationInfo = ActivationInfo {
    name: "softsign",
    title: "Softsign",
    formula: "x/(1 + |x|)",
    derivative: "1/(1 + |x|)²",
    range: "(-1, 1)",
    zero_centred: true,
    saturation: Saturation::Both,
    monotone: true,
    smooth: true,
    learnable: &[],
    problems: &["saturates (slowly)"],
    pytorch: "torch.nn.Softsign()",
    reference: "Bergstra et al. 2009",
};

impl Entry for Softsign {
    const INFO: ActivationInfo = INFO;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activations::test_util::*;

    #[test]
    fn values_and_gradients() {
        let (y, dx) = value_and_grad(|x| Softsign::new().forward(x), &[-3.0, 0.0, f32::MAX]);
        assert_close(&y, &[-0.75, 0.0, 1.0]);
        assert_close(&dx, &[0.0625, 1.0, 0.0]);
    }
}
