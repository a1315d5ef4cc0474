//! SELU.
use super::prelude::*;

/// SELU's α (Klambauer et al. 2017), as in PyTorch.
pub const SELU_ALPHA: f64 = 1.673_263_242_354_377_284_817_042_991_671_7;
/// SELU's λ (scale), as in PyTorch.
pub const SELU_SCALE: f64 = 1.050_700_987_355_480_493_419_334_985_294_6;

/// Scaled exponential linear unit, `SELU(x) = λ x` for `x > 0`, `λ α (exp(x) − 1)` for `x ≤ 0`,
/// with α ≈ 1.6733 and λ ≈ 1.0507 chosen so that activations keep zero mean and unit variance
/// through a deep network with LeCun-normal weights.
///
/// `SELU'(x) = λ` for `x > 0`, `λ α exp(x)` for `x ≤ 0`: PyTorch's `SELU'(0) = λα` (Burn 0.22's
/// built-in gives λ), and no NaN for x ≥ 89.
///
/// PyTorch: `torch.nn.SELU()`.
#[derive(Module, Debug, Default)]
pub struct Selu;

impl Selu {
    /// Creates the module.
    pub fn new() -> Self {
        Self
    }
}

super::pointwise_forward!(Selu);

impl Pointwise for Selu {
    #[inline(always)]
    fn value<R: Real>(&self, x: R) -> R {
        x.le(0.0).select(
            x.clone().exp_m1() * (SELU_SCALE * SELU_ALPHA),
            x * SELU_SCALE,
        )
    }
    #[inline(always)]
    fn derivative<R: Real>(&self, x: R) -> R {
        // a NaN input takes the exp branch and gives NaN, as PyTorch's (vectorised) elu_backward
        x.gt(0.0).select(
            x.lit(SELU_SCALE),
            x.clone().exp() * (SELU_SCALE * SELU_ALPHA),
        )
    }
}

/// Catalog entry.
pub const INFO: ActivationInfo = ActivationInfo {
    name: "selu",
    title: "SELU",
    formula: "scale·x if x > 0, else scale·alpha·(exp(x) - 1)",
    derivative: "scale if x > 0, else scale·alpha·exp(x) (SELU'(0) = scale·alpha)",
    range: "(-1.7581, inf)",
    zero_centred: true,
    saturation: Saturation::Negative,
    monotone: true,
    smooth: false,
    learnable: &[],
    problems: &["self-normalisation needs LeCun-normal init and no batch norm"],
    pytorch: "torch.nn.SELU()",
    reference: "Klambauer et al. 2017",
};

impl Entry for Selu {
    const INFO: ActivationInfo = INFO;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activations::test_util::*;

    #[test]
    fn gradient_at_zero_is_scale_times_alpha() {
        let (y, dx) = value_and_grad(|x| Selu::new().forward(x), &[0.0, 1.0, 100.0]);
        assert_close(&y, &[0.0, SELU_SCALE as f32, 100.0 * SELU_SCALE as f32]);
        assert_close(
            &dx,
            &[
                (SELU_SCALE * SELU_ALPHA) as f32,
                SELU_SCALE as f32,
                SELU_SCALE as f32,
            ],
        );
    }
}
