//! Mish.
use super::prelude::*;

/// Mish, `f(x) = x tanh(softplus(x))` (Misra 2019).
///
/// `f'(x) = tanh(sp) + x σ(x) sech²(sp)` with `sp = softplus(x)`, PyTorch's form. Both `tanh(sp)`
/// and `sech²(sp)` come from one exponential (see [`tanh_sech2_softplus`]) instead of an exp, a log
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

/// `(tanh(sp), sech²(sp), σ(x))` for `sp = softplus(x) = ln(1 + eˣ)`, from `e = eˣ` alone: with
/// `n = e (e + 2) = (1 + e)² − 1`, `tanh(sp) = n / (n + 2)` and `sech²(sp) = 4 (n + 1) / (n + 2)²`
/// (no cancellation: `(n + 2)² − n² = 4n + 4` is taken exactly), `σ(x) = e / (1 + e)`.
#[inline(always)]
fn tanh_sech2_softplus<R: Real>(x: R) -> (R, R, R) {
    let below = x.gt(SATURATED_ABOVE).select(x.lit(SATURATED_ABOVE), x);
    let e = below.exp();
    let n = e.clone() * (e.clone() + 2.0);
    let d = n.clone() + 2.0;
    let tanh = n.clone() / d.clone();
    let sech2 = (n + 1.0) * 4.0 / d.square();
    let sigmoid = e.clone() / (e + 1.0);
    (tanh, sech2, sigmoid)
}

impl Pointwise for Mish {
    #[inline(always)]
    fn value<R: Real>(&self, x: R) -> R {
        let (tanh, _, _) = tanh_sech2_softplus(x.clone());
        let saturated = x.gt(SATURATED_ABOVE);
        saturated.select(x.clone(), x * tanh)
    }
    #[inline(always)]
    fn derivative<R: Real>(&self, x: R) -> R {
        let (tanh, sech2, sigmoid) = tanh_sech2_softplus(x.clone());
        let saturated = x.gt(SATURATED_ABOVE);
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
