//! HardSigmoid.
use super::prelude::*;

/// Configuration of [`HardSigmoid`]: the input interval over which it rises linearly from 0 to 1.
///
/// PyTorch's `relu6(x + 3) / 6` is `lower = -3, upper = 3` (the default). Burn's
/// `HardSigmoid { alpha, beta }` = `clamp(alpha·x + beta, 0, 1)` is
/// `lower = -beta/alpha, upper = (1 - beta)/alpha` (its default alpha = 0.2 gives ±2.5).
#[derive(Config, Debug, PartialEq)]
pub struct HardSigmoidConfig {
    /// Below this input the output is 0.
    #[config(default = -3.0)]
    pub lower: f64,
    /// Above this input the output is 1.
    #[config(default = 3.0)]
    pub upper: f64,
}

impl HardSigmoidConfig {
    /// Builds the module; the bounds must be finite with `lower < upper`.
    pub fn init(&self) -> Result<HardSigmoid, ActivationError> {
        require_finite("hard_sigmoid", "lower", self.lower)?;
        require_finite("hard_sigmoid", "upper", self.upper)?;
        require(
            self.lower < self.upper,
            "hard_sigmoid",
            "upper",
            self.upper,
            "must be greater than lower",
        )?;
        Ok(HardSigmoid {
            lower: self.lower,
            upper: self.upper,
        })
    }
}

/// Hard sigmoid, `f(x) = clamp((x − lower) / (upper − lower), 0, 1)`; by default PyTorch's
/// `relu6(x + 3) / 6` (Burn 0.22's module defaults to `0.2 x + 0.5` instead).
///
/// `f'(x) = 1 / (upper − lower)` for `lower < x < upper` and `0` elsewhere: PyTorch's
/// `HardSigmoid'(±3) = 0`.
///
/// PyTorch: `torch.nn.Hardsigmoid()`.
#[derive(Module, Debug)]
pub struct HardSigmoid {
    /// Below this input the output is 0.
    pub lower: f64,
    /// Above this input the output is 1.
    pub upper: f64,
}

impl Default for HardSigmoid {
    fn default() -> Self {
        Self {
            lower: -3.0,
            upper: 3.0,
        }
    }
}

super::pointwise_forward!(HardSigmoid);

impl Pointwise for HardSigmoid {
    #[inline(always)]
    fn value<R: Real>(&self, x: R) -> R {
        let ramp = (x.clone() - self.lower) / (self.upper - self.lower);
        x.le(self.lower)
            .select(x.lit(0.0), x.ge(self.upper).select(x.lit(1.0), ramp))
    }
    #[inline(always)]
    fn derivative<R: Real>(&self, x: R) -> R {
        x.gt(self.lower)
            .and(x.lt(self.upper))
            .select(x.lit(1.0 / (self.upper - self.lower)), x.lit(0.0))
    }
    #[inline(always)]
    fn chain<R: Real>(&self, grad: R, x: R) -> R {
        let slope = grad / (self.upper - self.lower);
        x.gt(self.lower)
            .and(x.lt(self.upper))
            .select(slope, x.lit(0.0))
    }
}

/// Catalog entry.
pub const INFO: ActivationInfo = ActivationInfo {
    name: "hard_sigmoid",
    title: "HardSigmoid",
    formula: "clamp((x - lower)/(upper - lower), 0, 1); default relu6(x + 3)/6",
    derivative: "1/(upper - lower) if lower < x < upper, else 0 (0 at ±3)",
    range: "[0, 1]",
    zero_centred: false,
    saturation: Saturation::Both,
    monotone: true,
    smooth: false,
    learnable: &[],
    problems: &[
        "zero gradient outside (-3, 3)",
        "outputs positive, not zero-centred",
    ],
    pytorch: "torch.nn.Hardsigmoid()",
    reference: "Courbariaux et al. 2015; Howard et al. 2019",
};

impl Entry for HardSigmoid {
    const INFO: ActivationInfo = INFO;
    const PARAMS: &'static [&'static str] = &["lower", "upper"];
}

super::device_free_entry!(HardSigmoidConfig => HardSigmoid, |config, params| {
    params.f64("lower", &mut config.lower)?;
    params.f64("upper", &mut config.upper)
});

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activations::test_util::*;

    #[test]
    fn pytorch_default_with_zero_gradient_at_the_bounds() {
        let m = HardSigmoidConfig::new().init().unwrap();
        let (y, dx) = value_and_grad(|x| m.forward(x), &[-3.0, 0.0, 3.0, 1.5]);
        assert_close(&y, &[0.0, 0.5, 1.0, 0.75]);
        assert_close(&dx, &[0.0, 1.0 / 6.0, 0.0, 1.0 / 6.0]);
    }
}
