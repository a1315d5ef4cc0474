//! SoftShrink.
use super::prelude::*;

/// Configuration of [`SoftShrink`].
#[derive(Config, Debug, PartialEq)]
pub struct SoftShrinkConfig {
    /// Half-width λ of the zeroed band; PyTorch calls it `lambd`.
    #[config(default = 0.5)]
    pub lambd: f64,
}

impl SoftShrinkConfig {
    /// Builds the module; λ must be finite and non-negative.
    pub fn init(&self) -> Result<SoftShrink, ActivationError> {
        require_finite("softshrink", "lambd", self.lambd)?;
        require(
            self.lambd >= 0.0,
            "softshrink",
            "lambd",
            self.lambd,
            "must not be negative",
        )?;
        Ok(SoftShrink { lambd: self.lambd })
    }
}

/// Soft shrinkage, `f(x) = x − λ` for `x > λ`, `x + λ` for `x < −λ`, `0` in between.
///
/// `f'(x) = 0` for `−λ ≤ x ≤ λ` (0 at ±λ), `1` otherwise, as in PyTorch.
///
/// PyTorch: `torch.nn.SoftShrink(lambd=0.5)`.
#[derive(Module, Debug)]
pub struct SoftShrink {
    /// Half-width of the zeroed band.
    pub lambd: f64,
}

super::pointwise_forward!(SoftShrink);

impl Pointwise for SoftShrink {
    #[inline(always)]
    fn value<R: Real>(&self, x: R) -> R {
        // x·0 in the band keeps a NaN input NaN, as PyTorch does.
        let inner = x.clone() * 0.0;
        x.gt(self.lambd).select(
            x.clone() - self.lambd,
            x.lt(-self.lambd).select(x.clone() + self.lambd, inner),
        )
    }
    #[inline(always)]
    fn derivative<R: Real>(&self, x: R) -> R {
        super::hard_shrink::shrink_derivative(x, self.lambd)
    }
    #[inline(always)]
    fn chain<R: Real>(&self, grad: R, x: R) -> R {
        super::hard_shrink::shrink_chain(grad, x, self.lambd)
    }
}

/// Catalog entry.
pub const INFO: ActivationInfo = ActivationInfo {
    name: "softshrink",
    title: "SoftShrink",
    formula: "x - lambd if x > lambd, x + lambd if x < -lambd, else 0",
    derivative: "0 if -lambd ≤ x ≤ lambd, else 1",
    range: "(-inf, inf)",
    zero_centred: true,
    saturation: Saturation::None,
    monotone: true,
    smooth: false,
    learnable: &[],
    problems: &["no gradient inside the band"],
    pytorch: "torch.nn.SoftShrink(lambd=0.5)",
    reference: "Donoho & Johnstone 1994",
};

impl Entry for SoftShrink {
    const INFO: ActivationInfo = INFO;
    const PARAMS: &'static [&'static str] = &["lambd"];
}

super::device_free_entry!(SoftShrinkConfig => SoftShrink, |config, params| {
    params.f64("lambd", &mut config.lambd)
});

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activations::test_util::*;

    #[test]
    fn shrinks_towards_zero() {
        let m = SoftShrinkConfig::new().init().unwrap();
        let (y, dx) = value_and_grad(|x| m.forward(x), &[-2.0, 0.5, 0.2, 3.0, f32::NAN]);
        assert_close(&y, &[-1.5, 0.0, 0.0, 2.5, f32::NAN]);
        assert_close(&dx, &[1.0, 0.0, 0.0, 1.0, 0.0]);
    }
}
