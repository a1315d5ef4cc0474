//! Threshold.
use super::prelude::*;

/// Configuration of [`Threshold`]; both fields are required, as in PyTorch.
#[derive(Config, Debug, PartialEq)]
pub struct ThresholdConfig {
    /// Inputs at or below this are replaced.
    pub threshold: f64,
    /// The replacement value.
    pub value: f64,
}

impl ThresholdConfig {
    /// Builds the module; neither field may be NaN.
    pub fn init(&self) -> Result<Threshold, ActivationError> {
        require(
            !self.threshold.is_nan(),
            "threshold",
            "threshold",
            self.threshold,
            "must not be NaN",
        )?;
        require(
            !self.value.is_nan(),
            "threshold",
            "value",
            self.value,
            "must not be NaN",
        )?;
        Ok(Threshold {
            threshold: self.threshold,
            value: self.value,
        })
    }
}

/// Threshold, `f(x) = x` for `x > threshold`, `value` otherwise.
///
/// `f'(x) = 1` for `x > threshold`, `0` otherwise (0 at the threshold), as in PyTorch.
/// With `threshold = value = 0` it is ReLU; with `value = 0` it is Burn's `ThresholdedRelu`.
///
/// PyTorch: `torch.nn.Threshold(threshold, value)`.
#[derive(Module, Debug)]
pub struct Threshold {
    /// Inputs at or below this are replaced.
    pub threshold: f64,
    /// The replacement value.
    pub value: f64,
}

super::pointwise_forward!(Threshold);

impl Pointwise for Threshold {
    #[inline(always)]
    fn value<R: Real>(&self, x: R) -> R {
        x.le(self.threshold).select(x.lit(self.value), x)
    }
    #[inline(always)]
    fn derivative<R: Real>(&self, x: R) -> R {
        x.le(self.threshold).select(x.lit(0.0), x.lit(1.0))
    }
    #[inline(always)]
    fn chain<R: Real>(&self, grad: R, x: R) -> R {
        x.le(self.threshold).select(x.lit(0.0), grad)
    }
}

/// Catalog entry.
pub const INFO: ActivationInfo = ActivationInfo {
    name: "threshold",
    title: "Threshold",
    formula: "x if x > threshold, else value",
    derivative: "1 if x > threshold, else 0",
    range: "{value} ∪ (threshold, inf)",
    zero_centred: false,
    saturation: Saturation::Negative,
    monotone: false,
    smooth: false,
    learnable: &[],
    problems: &[
        "discontinuous unless value = threshold",
        "dead below the threshold",
    ],
    pytorch: "torch.nn.Threshold(threshold, value)",
    reference: "-",
};

impl Entry for Threshold {
    const INFO: ActivationInfo = INFO;
    const PARAMS: &'static [&'static str] = &["threshold", "value"];
}

impl EntryConfig for ThresholdConfig {
    type Module = Threshold;
    fn template() -> Self {
        Self::new(f64::NAN, f64::NAN)
    }
    fn params(&mut self, params: &mut dyn Params) -> Result<(), ActivationError> {
        params.required_f64("threshold", &mut self.threshold)?;
        params.required_f64("value", &mut self.value)
    }
    fn check(&self) -> Result<(), ActivationError> {
        self.init().map(drop)
    }
    fn build(&self, _device: &Device) -> Result<Threshold, ActivationError> {
        self.init()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activations::test_util::*;

    #[test]
    fn replaces_at_and_below_the_threshold() {
        let m = ThresholdConfig::new(0.5, -1.0).init().unwrap();
        let (y, dx) = value_and_grad(|x| m.forward(x), &[0.5, 1.0, f32::NAN]);
        assert_close(&y, &[-1.0, 1.0, f32::NAN]);
        assert_close(&dx, &[0.0, 1.0, 1.0]);
    }

    #[test]
    fn rejects_nan() {
        let err = ThresholdConfig::new(f64::NAN, 0.0).init().unwrap_err();
        assert!(err.to_string().contains("must not be NaN"), "{err}");
    }
}
