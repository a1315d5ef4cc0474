//! Sigmoid.
use super::prelude::*;

/// Logistic sigmoid, `σ(x) = 1 / (1 + exp(−x))`.
///
/// `σ'(x) = σ(x) (1 − σ(x))`: at most 1/4, and vanishing on both sides, so a deep sigmoid network
/// multiplies many factors ≤ 1/4 and its early layers get tiny gradients. Outputs are positive, so
/// every weight of a unit in the next layer gets a gradient of the same sign.
///
/// 0 at −inf and at −f32::MAX, 1 at +inf and f32::MAX, never NaN from a number.
///
/// PyTorch: `torch.nn.Sigmoid()`.
#[derive(Module, Debug, Default)]
pub struct Sigmoid;

impl Sigmoid {
    /// Creates the module.
    pub fn new() -> Self {
        Self
    }
}

super::pointwise_forward!(Sigmoid);

impl Pointwise for Sigmoid {
    #[inline(always)]
    fn value<R: Real>(&self, x: R) -> R {
        x.sigmoid()
    }
    #[inline(always)]
    fn derivative<R: Real>(&self, x: R) -> R {
        x.sigmoid_slope()
    }
    /// `a σ(b)`, exact where σ(b) alone is subnormal (see `Sigmoid::gated_and_complement`).
    #[inline(always)]
    fn gated_value<R: Real>(&self, a: R, b: R) -> R {
        Self::gated_and_complement(a, b).0
    }
    /// `a σ'(b) = (a e) / (1 + e)²`, `e = exp(−|b|)`, with `a e` from [`Real::mul_exp`].
    #[inline(always)]
    fn gated_chain<R: Real>(&self, a: R, b: R) -> R {
        let negative_abs = -b.abs();
        let e = negative_abs.clone().exp();
        let upper = (e.clone() + 1.0).rdiv(1.0);
        a.mul_exp(negative_abs, e) * upper.clone() * upper
    }
}

impl Sigmoid {
    /// `(a σ(b), σ(−b))` from one exponential `e = exp(−|b|)`: `a σ(b)` is `(a e) σ(|b|)` for
    /// `b < 0`, with `a e` from [`Real::mul_exp`] (right where σ(b) alone is subnormal: GLU at
    /// b = −88 on a GPU), else `a σ(|b|)`; `σ(−b)` is `σ(|b|)` or `e σ(|b|)`.
    #[inline(always)]
    pub(crate) fn gated_and_complement<R: Real>(a: R, b: R) -> (R, R) {
        let negative_abs = -b.clone().abs();
        let e = negative_abs.clone().exp();
        let upper = (e.clone() + 1.0).rdiv(1.0);
        let negative = b.lt(0.0);
        let scaled = a.clone().mul_exp(negative_abs, e.clone());
        let value = negative.clone().select(scaled, a) * upper.clone();
        let complement = negative.select(upper.clone(), e * upper);
        (value, complement)
    }
}

/// Catalog entry.
pub const INFO: ActivationInfo = ActivationInfo {
    name: "sigmoid",
    title: "Sigmoid",
    formula: "1/(1 + exp(-x))",
    derivative: "σ(x)·(1 - σ(x)) ≤ 1/4",
    range: "(0, 1)",
    zero_centred: false,
    saturation: Saturation::Both,
    monotone: true,
    smooth: true,
    learnable: &[],
    problems: &[
        "saturates: vanishing gradients in deep nets (σ' ≤ 1/4)",
        "outputs positive: weight gradients of a unit share one sign",
    ],
    pytorch: "torch.nn.Sigmoid()",
    reference: "-",
};

impl Entry for Sigmoid {
    const INFO: ActivationInfo = INFO;
    const ALIASES: &'static [&'static str] = &["logistic"];
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activations::test_util::*;

    #[test]
    fn saturates_without_nan() {
        let (y, dx) = value_and_grad(|x| Sigmoid::new().forward(x), &[0.0, f32::MAX, -f32::MAX]);
        assert_close(&y, &[0.5, 1.0, 0.0]);
        assert_close(&dx, &[0.25, 0.0, 0.0]);
    }
}
