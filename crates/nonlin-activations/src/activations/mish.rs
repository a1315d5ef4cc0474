//! Mish.
use super::prelude::*;

/// Mish, `f(x) = x tanh(softplus(x))` (Misra 2019).
///
/// `f'(x) = tanh(sp) + x σ(x) sech²(sp)` with `sp = softplus(x)`, PyTorch's form. Both `tanh(sp)`
/// and `sech²(sp)` come from one exponential (see `softplus_terms`) instead of an exp, a log
/// and a tanh: no intermediate overflows, finite values and gradients for every finite input.
///
/// PyTorch: `torch.nn.Mish()`.
#[derive(Module, Debug, Default)]
pub struct Mish;

impl Mish {
    /// Creates the module.
    pub fn new() -> Self {
        Self
    }
}

super::pointwise_forward!(Mish);

/// Above this, `tanh(softplus(x))` is 1 and `x σ(x) sech²(softplus(x))` below half an ulp of 1, in
/// float64 as in float32 (`sech² ≈ 4e^{−2x}`), and `e^{2x}` would overflow float32 soon after.
const SATURATED_ABOVE: f64 = 20.0;

/// Whether `x` is past [`SATURATED_ABOVE`], and `e = eˣ`, `n = e (e + 2) = (1 + e)² − 1` and
/// `d = n + 2` with `x` capped there. For `sp = softplus(x) = ln(1 + eˣ)`: `tanh(sp) = n / d`,
/// `sech²(sp) = 4 (n + 1) / d²` (no cancellation: `d² − n² = 4n + 4` is taken exactly) and
/// `σ(x) = e / (1 + e)`. Each caller computes only the terms it needs.
#[inline(always)]
fn softplus_terms<R: Real>(x: &R) -> (R::Mask, R, R, R) {
    let saturated = x.gt(SATURATED_ABOVE);
    let e = saturated
        .clone()
        .select(x.lit(SATURATED_ABOVE), x.clone())
        .exp();
    let n = e.clone() * (e.clone() + 2.0);
    let d = n.clone() + 2.0;
    (saturated, e, n, d)
}

impl Pointwise for Mish {
    #[inline(always)]
    fn value<R: Real>(&self, x: R) -> R {
        let (saturated, _, n, d) = softplus_terms(&x);
        saturated.select(x.clone(), x * (n / d))
    }
    #[inline(always)]
    fn derivative<R: Real>(&self, x: R) -> R {
        let (saturated, e, n, d) = softplus_terms(&x);
        let tanh = n.clone() / d.clone();
        let sech2 = (n + 1.0) * 4.0 / d.square();
        let sigmoid = e.clone() / (e + 1.0);
        // `x − x` is 0, or NaN at +inf, where PyTorch's `inf · 0` gives NaN too
        let one = (x.clone() - x.clone()) + 1.0;
        saturated.select(one, tanh + x * sigmoid * sech2)
    }
}

/// Catalog entry.
pub const INFO: ActivationInfo = ActivationInfo {
    name: "mish",
    title: "Mish",
    formula: "x·tanh(softplus(x))",
    derivative: "tanh(sp) + x·σ(x)·(1 - tanh²(sp)), sp = softplus(x)",
    range: "[-0.309, inf)",
    zero_centred: false,
    saturation: Saturation::Negative,
    monotone: false,
    smooth: true,
    learnable: &[],
    problems: &["costlier than ReLU (an exp and two divisions)"],
    pytorch: "torch.nn.Mish()",
    reference: "Misra 2019",
};

impl Entry for Mish {
    const INFO: ActivationInfo = INFO;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activations::test_util::*;

    #[test]
    fn gradient_at_zero_and_far_out() {
        let (y, dx) = value_and_grad(|x| Mish::new().forward(x), &[0.0, 100.0, -100.0]);
        assert_close(&y, &[0.0, 100.0, 0.0]);
        assert_close(&dx, &[0.6, 1.0, 0.0]);
    }
}
