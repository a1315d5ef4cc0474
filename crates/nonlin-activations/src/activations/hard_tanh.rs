//! HardTanh.
use super::prelude::*;

/// Configuration of [`HardTanh`].
#[derive(Config, Debug, PartialEq)]
pub struct HardTanhConfig {
    /// Lower bound.
    #[config(default = -1.0)]
    pub min_val: f64,
    /// Upper bound.
    #[config(default = 1.0)]
    pub max_val: f64,
}

impl HardTanhConfig {
    /// Builds the module; the bounds must be finite and `min_val < max_val`.
    pub fn init(&self) -> Result<HardTanh, ActivationError> {
        require_finite("hardtanh", "min_val", self.min_val)?;
        require_finite("hardtanh", "max_val", self.max_val)?;
        require(
            self.min_val < self.max_val,
            "hardtanh",
            "max_val",
            self.max_val,
            "must be greater than min_val",
        )?;
        Ok(HardTanh {
            min_val: self.min_val,
            max_val: self.max_val,
        })
    }
}

/// HardTanh, `f(x) = clamp(x, min_val, max_val)`.
///
/// `f'(x) = 1` for `min_val < x < max_val`, and `0` at and beyond the bounds: PyTorch's convention
/// (Burn 0.22's built-in clamp passes gradient 1 at the bounds).
///
/// PyTorch: `torch.nn.HardTanh(min_val=-1.0, max_val=1.0)`.
#[derive(Module, Debug)]
pub struct HardTanh {
    /// Lower bound.
    pub min_val: f64,
    /// Upper bound.
    pub max_val: f64,
}

super::pointwise_forward!(HardTanh);

/// `clamp(x, lo, hi)` with NaN passing through, and its derivative, 0 at and beyond the bounds.
#[inline(always)]
pub(crate) fn clamp_value<R: Real>(x: R, lo: f64, hi: f64) -> R {
    x.le(lo)
        .select(x.lit(lo), x.ge(hi).select(x.lit(hi), x.clone()))
}

#[inline(always)]
pub(crate) fn clamp_derivative<R: Real>(x: R, lo: f64, hi: f64) -> R {
    clamp_chain(x.lit(1.0), x, lo, hi)
}

/// `grad` strictly inside the bounds, else 0: a NaN input gets 0, as in PyTorch's (vectorised)
/// `hardtanh_backward`.
#[inline(always)]
pub(crate) fn clamp_chain<R: Real>(grad: R, x: R, lo: f64, hi: f64) -> R {
    x.gt(lo).and(x.lt(hi)).select(grad, x.lit(0.0))
}

impl Pointwise for HardTanh {
    #[inline(always)]
    fn value<R: Real>(&self, x: R) -> R {
        clamp_value(x, self.min_val, self.max_val)
    }
    #[inline(always)]
    fn derivative<R: Real>(&self, x: R) -> R {
        clamp_derivative(x, self.min_val, self.max_val)
    }
    #[inline(always)]
    fn chain<R: Real>(&self, grad: R, x: R) -> R {
        clamp_chain(grad, x, self.min_val, self.max_val)
    }
}

/// Catalog entry.
pub const INFO: ActivationInfo = ActivationInfo {
    name: "hardtanh",
    title: "HardTanh",
    formula: "clamp(x, min_val, max_val)",
    derivative: "1 if min_val < x < max_val, else 0 (0 at the bounds)",
    range: "[-1, 1]",
    zero_centred: true,
    saturation: Saturation::Both,
    monotone: true,
    smooth: false,
    learnable: &[],
    problems: &["zero gradient beyond the bounds"],
    pytorch: "torch.nn.HardTanh(min_val=-1.0, max_val=1.0)",
    reference: "Collobert 2004",
};

impl Entry for HardTanh {
    const INFO: ActivationInfo = INFO;
    const PARAMS: &'static [&'static str] = &["min_val", "max_val"];
}

super::device_free_entry!(HardTanhConfig => HardTanh, |config, params| {
    params.f64("min_val", &mut config.min_val)?;
    params.f64("max_val", &mut config.max_val)
});

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activations::test_util::*;

    #[test]
    fn zero_gradient_at_the_bounds() {
        let m = HardTanhConfig::new().init().unwrap();
        let (y, dx) = value_and_grad(|x| m.forward(x), &[-2.0, -1.0, 0.5, 1.0, 3.0]);
        assert_close(&y, &[-1.0, -1.0, 0.5, 1.0, 1.0]);
        assert_close(&dx, &[0.0, 0.0, 1.0, 0.0, 0.0]);
    }

    #[test]
    fn rejects_inverted_bounds() {
        let err = HardTanhConfig::new().with_min_val(2.0).init().unwrap_err();
        assert!(err.to_string().contains("greater than min_val"), "{err}");
    }
}
