//! Softplus.
use super::prelude::*;

/// Configuration of [`Softplus`].
#[derive(Config, Debug, PartialEq)]
pub struct SoftplusConfig {
    /// Sharpness β.
    #[config(default = 1.0)]
    pub beta: f64,
    /// Above `β·x > threshold` the function is the identity.
    #[config(default = 20.0)]
    pub threshold: f64,
}

impl SoftplusConfig {
    /// Builds the module; β must be finite and positive, the threshold must not be NaN.
    pub fn init(&self) -> Result<Softplus, ActivationError> {
        require_finite("softplus", "beta", self.beta)?;
        require(
            self.beta > 0.0,
            "softplus",
            "beta",
            self.beta,
            "must be positive",
        )?;
        require(
            !self.threshold.is_nan(),
            "softplus",
            "threshold",
            self.threshold,
            "must not be NaN",
        )?;
        Ok(Softplus {
            beta: self.beta,
            threshold: self.threshold,
        })
    }
}

/// Softplus, `f(x) = ln(1 + exp(β x)) / β`, and `f(x) = x` where `β x > threshold` (PyTorch's
/// switch for numerical stability).
///
/// `f'(x) = σ(β x)` below the threshold and exactly `1` above it, as in PyTorch. The log is
/// evaluated as `max(z, 0) + ln(1 + exp(−|z|))`, which never overflows, so a large threshold does
/// not produce inf.
///
/// PyTorch: `torch.nn.Softplus(beta=1.0, threshold=20.0)`.
#[derive(Module, Debug)]
pub struct Softplus {
    /// Sharpness β.
    pub beta: f64,
    /// Identity above `β·x > threshold`.
    pub threshold: f64,
}

impl Softplus {
    /// Applies Softplus element-wise.
    ///
    /// # Shapes
    /// - input: `[..., any]`
    /// - output: same as input
    pub fn forward<const D: usize>(&self, input: Tensor<D>) -> Tensor<D> {
        if self.beta == 1.0 {
            // PyTorch's default gets a kernel without the division by β
            crate::ops::pointwise(input, self.with_unit_beta())
        } else {
            crate::ops::pointwise(input, self.clone())
        }
    }
}

/// `ln(1 + exp(z))` without overflow; NaN stays NaN.
#[inline(always)]
pub(crate) fn stable_softplus<R: Real>(z: R) -> R {
    let positive_part = z.gt(0.0).select(z.clone(), z.lit(0.0));
    positive_part + z.ln_1p_exp_neg_abs()
}

impl Pointwise for Softplus {
    #[inline(always)]
    fn value<R: Real>(&self, x: R) -> R {
        value::<R, false>(x, self.beta, self.threshold)
    }
    #[inline(always)]
    fn derivative<R: Real>(&self, x: R) -> R {
        derivative(x, self.beta, self.threshold)
    }
}

impl Softplus {
    /// The same function for β = 1, written without the division by β: the forward runs this
    /// kernel for PyTorch's default, since a division is the costliest instruction in the CPU
    /// loops and dividing by 1 changes nothing.
    pub(crate) fn with_unit_beta(&self) -> UnitBetaSoftplus {
        debug_assert_eq!(self.beta, 1.0);
        UnitBetaSoftplus {
            threshold: self.threshold,
        }
    }
}

/// [`Softplus`] with β = 1, as an element-wise kernel.
#[derive(Clone, Copy, Debug)]
pub struct UnitBetaSoftplus {
    threshold: f64,
}

impl Pointwise for UnitBetaSoftplus {
    #[inline(always)]
    fn value<R: Real>(&self, x: R) -> R {
        value::<R, true>(x, 1.0, self.threshold)
    }
    #[inline(always)]
    fn derivative<R: Real>(&self, x: R) -> R {
        derivative(x, 1.0, self.threshold)
    }
}

#[inline(always)]
fn value<R: Real, const UNIT_BETA: bool>(x: R, beta: f64, threshold: f64) -> R {
    let z = x.clone() * beta;
    let below = stable_softplus(z.clone());
    let below = if UNIT_BETA { below } else { below / beta };
    z.gt(threshold).select(x, below)
}

#[inline(always)]
fn derivative<R: Real>(x: R, beta: f64, threshold: f64) -> R {
    let z = x * beta;
    z.gt(threshold).select(z.lit(1.0), z.clone().sigmoid())
}

/// Catalog entry.
pub const INFO: ActivationInfo = ActivationInfo {
    name: "softplus",
    title: "Softplus",
    formula: "ln(1 + exp(beta·x))/beta; x where beta·x > threshold",
    derivative: "σ(beta·x); 1 where beta·x > threshold",
    range: "(0, inf)",
    zero_centred: false,
    saturation: Saturation::Negative,
    monotone: true,
    smooth: true,
    learnable: &[],
    problems: &[
        "outputs never negative, not zero-centred",
        "costlier than ReLU",
    ],
    pytorch: "torch.nn.Softplus(beta=1.0, threshold=20.0)",
    reference: "Dugas et al. 2001",
};

impl Entry for Softplus {
    const INFO: ActivationInfo = INFO;
    const PARAMS: &'static [&'static str] = &["beta", "threshold"];
}

super::device_free_entry!(SoftplusConfig => Softplus, |config, params| {
    params.f64("beta", &mut config.beta)?;
    params.f64("threshold", &mut config.threshold)
});

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activations::test_util::*;

    #[test]
    fn threshold_switch() {
        let m = SoftplusConfig::new().init().unwrap();
        let (y, dx) = value_and_grad(|x| m.forward(x), &[0.0, 20.0, 20.5, -200.0]);
        assert_close(&y, &[core::f32::consts::LN_2, 20.0, 20.5, 0.0]);
        assert_close(&dx, &[0.5, 1.0, 1.0, 0.0]);
    }

    #[test]
    fn large_threshold_stays_finite() {
        let m = SoftplusConfig::new().with_threshold(1e6).init().unwrap();
        let (y, dx) = value_and_grad(|x| m.forward(x), &[1000.0]);
        assert_close(&y, &[1000.0]);
        assert_close(&dx, &[1.0]);
    }
}
