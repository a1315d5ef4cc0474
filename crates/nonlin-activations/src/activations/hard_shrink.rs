//! HardShrink.
use super::prelude::*;

/// Configuration of [`HardShrink`].
#[derive(Config, Debug, PartialEq)]
pub struct HardShrinkConfig {
    /// Half-width λ of the zeroed band; PyTorch calls it `lambd`.
    #[config(default = 0.5)]
    pub lambd: f64,
}

impl HardShrinkConfig {
    /// Builds the module; λ must be finite and non-negative.
    pub fn init(&self) -> Result<HardShrink, ActivationError> {
        require_finite("hardshrink", "lambd", self.lambd)?;
        require(
            self.lambd >= 0.0,
            "hardshrink",
            "lambd",
            self.lambd,
            "must not be negative",
        )?;
        Ok(HardShrink { lambd: self.lambd })
    }
}

/// Hard shrinkage, `f(x) = 0` for `−λ ≤ x ≤ λ`, `x` otherwise.
///
/// `f'(x) = 0` for `−λ ≤ x ≤ λ` (0 at ±λ), `1` otherwise, as in PyTorch.
///
/// PyTorch: `torch.nn.HardShrink(lambd=0.5)`.
#[derive(Module, Debug)]
pub struct HardShrink {
    /// Half-width of the zeroed band.
    pub lambd: f64,
}

super::pointwise_forward!(HardShrink);

/// `-λ ≤ x ≤ λ`: the band both shrinkages zero, edges included (false for NaN).
#[inline(always)]
pub(crate) fn in_band<R: Real>(x: &R, lambd: f64) -> R::Mask {
    x.ge(-lambd).and(x.le(lambd))
}

/// The derivative of both shrinkages: 0 in the band (edges included), 1 outside, as in PyTorch.
#[inline(always)]
pub(crate) fn shrink_derivative<R: Real>(x: R, lambd: f64) -> R {
    shrink_chain(x.lit(1.0), x, lambd)
}

/// `grad` outside the band, else 0: a NaN input gets 0, as in PyTorch's (vectorised)
/// `hardshrink_backward` and `softshrink_backward`.
#[inline(always)]
pub(crate) fn shrink_chain<R: Real>(grad: R, x: R, lambd: f64) -> R {
    x.lt(-lambd).or(x.gt(lambd)).select(grad, x.lit(0.0))
}

impl Pointwise for HardShrink {
    #[inline(always)]
    fn value<R: Real>(&self, x: R) -> R {
        in_band(&x, self.lambd).select(x.lit(0.0), x)
    }
    #[inline(always)]
    fn derivative<R: Real>(&self, x: R) -> R {
        shrink_derivative(x, self.lambd)
    }
    #[inline(always)]
    fn chain<R: Real>(&self, grad: R, x: R) -> R {
        shrink_chain(grad, x, self.lambd)
    }
}

/// Catalog entry.
pub const INFO: ActivationInfo = ActivationInfo {
    name: "hardshrink",
    title: "HardShrink",
    formula: "0 if -lambd ≤ x ≤ lambd, else x",
    derivative: "0 if -lambd ≤ x ≤ lambd, else 1",
    range: "{0} ∪ |x| > lambd",
    zero_centred: true,
    saturation: Saturation::None,
    monotone: false,
    smooth: false,
    learnable: &[],
    problems: &["discontinuous at ±lambd", "no gradient inside the band"],
    pytorch: "torch.nn.HardShrink(lambd=0.5)",
    reference: "Donoho & Johnstone 1994",
};

impl Entry for HardShrink {
    const INFO: ActivationInfo = INFO;
    const PARAMS: &'static [&'static str] = &["lambd"];
}

super::device_free_entry!(HardShrinkConfig => HardShrink, |config, params| {
    params.f64("lambd", &mut config.lambd)
});

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activations::test_util::*;

    #[test]
    fn zero_band_includes_its_edges() {
        let m = HardShrinkConfig::new().init().unwrap();
        let (y, dx) = value_and_grad(|x| m.forward(x), &[-0.5, 0.5, 1.0]);
        assert_close(&y, &[0.0, 0.0, 1.0]);
        assert_close(&dx, &[0.0, 0.0, 1.0]);
    }
}
