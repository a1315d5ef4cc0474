//! ELU.
use super::prelude::*;

/// Configuration of [`Elu`].
#[derive(Config, Debug, PartialEq)]
pub struct EluConfig {
    /// Scale of the negative branch, which saturates at `-alpha`.
    #[config(default = 1.0)]
    pub alpha: f64,
}

impl EluConfig {
    /// Builds the module; `alpha` must be finite.
    pub fn init(&self) -> Result<Elu, ActivationError> {
        require_finite("elu", "alpha", self.alpha)?;
        Ok(Elu { alpha: self.alpha })
    }
}

/// Exponential linear unit, `ELU(x) = x` for `x > 0`, `α (exp(x) − 1)` for `x ≤ 0`.
///
/// `ELU'(x) = 1` for `x > 0`, `α exp(x)` for `x ≤ 0`: PyTorch's `ELU'(0) = α`. The negative
/// branch is evaluated only where it is selected, so large inputs (x ≥ 89, where `exp` overflows
/// in float32) give gradient 1, not the NaN of Burn 0.22's built-in.
///
/// PyTorch: `torch.nn.ELU(alpha=1.0)`.
#[derive(Module, Debug)]
pub struct Elu {
    /// Scale of the negative branch.
    pub alpha: f64,
}

super::pointwise_forward!(Elu);

impl Pointwise for Elu {
    #[inline(always)]
    fn value<R: Real>(&self, x: R) -> R {
        x.le(0.0).select(x.clone().exp_m1() * self.alpha, x)
    }
    #[inline(always)]
    fn derivative<R: Real>(&self, x: R) -> R {
        // a NaN input takes the exp branch and gives NaN, as PyTorch's (vectorised) elu_backward
        x.gt(0.0).select(x.lit(1.0), x.clone().exp() * self.alpha)
    }
}

/// Catalog entry.
pub const INFO: ActivationInfo = ActivationInfo {
    name: "elu",
    title: "ELU",
    formula: "x if x > 0, else alpha·(exp(x) - 1)",
    derivative: "1 if x > 0, else alpha·exp(x) (ELU'(0) = alpha)",
    range: "(-alpha, inf)",
    zero_centred: false,
    saturation: Saturation::Negative,
    monotone: true,
    smooth: false,
    learnable: &[],
    problems: &["exp is costlier than ReLU", "smooth only for alpha = 1"],
    pytorch: "torch.nn.ELU(alpha=1.0)",
    reference: "Clevert et al. 2015",
};

impl Entry for Elu {
    const INFO: ActivationInfo = INFO;
    const PARAMS: &'static [&'static str] = &["alpha"];
}

super::device_free_entry!(EluConfig => Elu, |config, params| {
    params.f64("alpha", &mut config.alpha)
});

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activations::test_util::*;

    #[test]
    fn gradient_at_zero_is_alpha_and_finite_for_large_inputs() {
        let m = EluConfig::new().with_alpha(0.5).init().unwrap();
        let (y, dx) = value_and_grad(|x| m.forward(x), &[0.0, 89.0, 1e30, -1e30]);
        assert_close(&y, &[0.0, 89.0, 1e30, -0.5]);
        assert_close(&dx, &[0.5, 1.0, 1.0, 0.0]);
    }
}
