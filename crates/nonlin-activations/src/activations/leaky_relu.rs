//! Leaky ReLU.
use super::prelude::*;

/// Configuration of [`LeakyRelu`].
#[derive(Config, Debug, PartialEq)]
pub struct LeakyReluConfig {
    /// Slope for negative inputs.
    #[config(default = 0.01)]
    pub negative_slope: f64,
}

impl LeakyReluConfig {
    /// Builds the module; the slope must be finite.
    pub fn init(&self) -> Result<LeakyRelu, ActivationError> {
        require_finite("leaky_relu", "negative_slope", self.negative_slope)?;
        Ok(LeakyRelu {
            negative_slope: self.negative_slope,
        })
    }
}

/// Leaky ReLU, `f(x) = x` for `x > 0`, `negative_slope · x` otherwise.
///
/// `f'(x) = 1` for `x > 0`, `negative_slope` for `x ≤ 0`: PyTorch's `LeakyReLU'(0) = slope`
/// (Burn 0.22's built-in gives 1 there).
///
/// Keeps a small gradient for negative inputs, so units cannot die.
///
/// PyTorch: `torch.nn.LeakyReLU(negative_slope=0.01)`.
#[derive(Module, Debug)]
pub struct LeakyRelu {
    /// Slope for negative inputs.
    pub negative_slope: f64,
}

super::pointwise_forward!(LeakyRelu);

impl Pointwise for LeakyRelu {
    #[inline(always)]
    fn value<R: Real>(&self, x: R) -> R {
        x.gt(0.0).select(x.clone(), x * self.negative_slope)
    }
    #[inline(always)]
    fn derivative<R: Real>(&self, x: R) -> R {
        x.gt(0.0).select(x.lit(1.0), x.lit(self.negative_slope))
    }
}

/// Catalog entry.
pub const INFO: ActivationInfo = ActivationInfo {
    name: "leaky_relu",
    title: "Leaky ReLU",
    formula: "x if x > 0, else negative_slope·x",
    derivative: "1 if x > 0, else negative_slope (f'(0) = negative_slope)",
    range: "(-inf, inf)",
    zero_centred: false,
    saturation: Saturation::None,
    monotone: true,
    smooth: false,
    learnable: &[],
    problems: &[
        "outputs not zero-centred",
        "slope is one more hyper-parameter",
    ],
    pytorch: "torch.nn.LeakyReLU(negative_slope=0.01)",
    reference: "Maas et al. 2013",
};

impl Entry for LeakyRelu {
    const INFO: ActivationInfo = INFO;
    const ALIASES: &'static [&'static str] = &["lrelu"];
    const PARAMS: &'static [&'static str] = &["negative_slope"];
}

super::device_free_entry!(LeakyReluConfig => LeakyRelu, |config, params| {
    params.f64("negative_slope", &mut config.negative_slope)
});

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activations::test_util::*;

    #[test]
    fn gradient_at_zero_is_the_slope() {
        let m = LeakyReluConfig::new()
            .with_negative_slope(0.2)
            .init()
            .unwrap();
        let (y, dx) = value_and_grad(|x| m.forward(x), &[-1.0, 0.0, 2.0]);
        assert_close(&y, &[-0.2, 0.0, 2.0]);
        assert_close(&dx, &[0.2, 0.2, 1.0]);
    }

    #[test]
    fn rejects_nan_slope() {
        assert!(
            LeakyReluConfig::new()
                .with_negative_slope(f64::NAN)
                .init()
                .is_err()
        );
    }
}
