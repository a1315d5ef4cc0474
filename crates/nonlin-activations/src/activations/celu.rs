//! CELU.
use super::prelude::*;

/// Configuration of [`Celu`].
#[derive(Config, Debug, PartialEq)]
pub struct CeluConfig {
    /// Scale of the negative branch; must not be zero.
    #[config(default = 1.0)]
    pub alpha: f64,
}

impl CeluConfig {
    /// Builds the module; `alpha` must be finite and non-zero (it divides the input).
    pub fn init(&self) -> Result<Celu, ActivationError> {
        require_finite("celu", "alpha", self.alpha)?;
        require(
            self.alpha != 0.0,
            "celu",
            "alpha",
            self.alpha,
            "must not be zero (CELU divides by alpha)",
        )?;
        Ok(Celu { alpha: self.alpha })
    }
}

/// Continuously differentiable ELU, `CELU(x) = x` for `x > 0`, `α (exp(x/α) − 1)` for `x ≤ 0`.
///
/// `CELU'(x) = 1` for `x > 0`, `exp(x/α)` for `x ≤ 0`, so `CELU'(0) = 1` for every α (PyTorch's
/// convention), and no NaN for large inputs.
///
/// PyTorch: `torch.nn.CELU(alpha=1.0)`.
#[derive(Module, Debug)]
pub struct Celu {
    /// Scale of the negative branch.
    pub alpha: f64,
}

super::pointwise_forward!(Celu);

impl Pointwise for Celu {
    #[inline(always)]
    fn value<R: Real>(&self, x: R) -> R {
        x.le(0.0)
            .select((x.clone() / self.alpha).exp_m1() * self.alpha, x)
    }
    #[inline(always)]
    fn derivative<R: Real>(&self, x: R) -> R {
        // a NaN input takes the exp branch and gives NaN, as PyTorch's (vectorised) elu_backward
        x.gt(0.0).select(x.lit(1.0), (x.clone() / self.alpha).exp())
    }
}

/// Catalog entry.
pub const INFO: ActivationInfo = ActivationInfo {
    name: "celu",
    title: "CELU",
    formula: "x if x > 0, else alpha·(exp(x/alpha) - 1)",
    derivative: "1 if x > 0, else exp(x/alpha) (CELU'(0) = 1)",
    range: "(-alpha, inf)",
    zero_centred: false,
    saturation: Saturation::Negative,
    monotone: true,
    smooth: true,
    learnable: &[],
    problems: &["exp is costlier than ReLU"],
    pytorch: "torch.nn.CELU(alpha=1.0)",
    reference: "Barron 2017",
};

impl Entry for Celu {
    const INFO: ActivationInfo = INFO;
    const PARAMS: &'static [&'static str] = &["alpha"];
}

super::device_free_entry!(CeluConfig => Celu, |config, params| {
    params.f64("alpha", &mut config.alpha)
});

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activations::test_util::*;

    #[test]
    fn gradient_at_zero_is_one() {
        let m = CeluConfig::new().with_alpha(0.5).init().unwrap();
        let (_, dx) = value_and_grad(|x| m.forward(x), &[0.0, 95.0]);
        assert_close(&dx, &[1.0, 1.0]);
    }

    #[test]
    fn rejects_zero_alpha() {
        let err = CeluConfig::new().with_alpha(0.0).init().unwrap_err();
        assert!(err.to_string().contains("must not be zero"), "{err}");
    }
}
