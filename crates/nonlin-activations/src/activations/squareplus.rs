//! Squareplus.
use super::prelude::*;

/// Configuration of [`Squareplus`].
#[derive(Config, Debug, PartialEq)]
pub struct SquareplusConfig {
    /// Curvature at 0; `b = 0` is ReLU.
    #[config(default = 4.0)]
    pub b: f64,
}

impl SquareplusConfig {
    /// Builds the module; `b` must be finite and non-negative.
    pub fn init(&self) -> Result<Squareplus, ActivationError> {
        require_finite("squareplus", "b", self.b)?;
        require(
            self.b >= 0.0,
            "squareplus",
            "b",
            self.b,
            "must not be negative",
        )?;
        Ok(Squareplus { b: self.b })
    }
}

/// Squareplus, `f(x) = (x + √(x² + b)) / 2` (Barron 2021): a softplus-like curve from only
/// algebraic operations.
///
/// `f'(x) = (1 + x / √(x² + b)) / 2`. For `x < 0` the value is evaluated as
/// `b / (2 (√(x² + b) − x))`, and `√(x² + b)` as `hypot(x, √b)`, so nothing cancels or overflows:
/// finite for every finite input.
///
/// PyTorch has no built-in; reference: the overflow-free expression above, in PyTorch.
#[derive(Module, Debug)]
pub struct Squareplus {
    /// Curvature at 0.
    pub b: f64,
}

super::pointwise_forward!(Squareplus);

impl Pointwise for Squareplus {
    #[inline(always)]
    fn value<R: Real>(&self, x: R) -> R {
        let root = x.clone().hypot(x.lit(self.b.sqrt()));
        let positive = x.clone() * 0.5 + root.clone() * 0.5;
        let negative = (root - x.clone()).rdiv(0.5 * self.b);
        x.ge(0.0).select(positive, negative)
    }
    #[inline(always)]
    fn derivative<R: Real>(&self, x: R) -> R {
        let root = x.clone().hypot(x.lit(self.b.sqrt()));
        (x / root) * 0.5 + 0.5
    }
}

/// Catalog entry.
pub const INFO: ActivationInfo = ActivationInfo {
    name: "squareplus",
    title: "Squareplus",
    formula: "(x + √(x² + b))/2",
    derivative: "(1 + x/√(x² + b))/2",
    range: "(0, inf)",
    zero_centred: false,
    saturation: Saturation::Negative,
    monotone: true,
    smooth: true,
    learnable: &[],
    problems: &["outputs positive, not zero-centred"],
    pytorch: "(x + torch.sqrt(x * x + b)) / 2",
    reference: "Barron 2021",
};

impl Entry for Squareplus {
    const INFO: ActivationInfo = INFO;
    const PARAMS: &'static [&'static str] = &["b"];
}

super::device_free_entry!(SquareplusConfig => Squareplus, |config, params| {
    params.f64("b", &mut config.b)
});

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activations::test_util::*;

    #[test]
    fn finite_at_the_ends_of_the_range() {
        let m = SquareplusConfig::new().init().unwrap();
        let (y, dx) = value_and_grad(|x| m.forward(x), &[0.0, f32::MAX, -f32::MAX]);
        assert_close(&y, &[1.0, f32::MAX, 0.0]);
        assert_close(&dx, &[0.5, 1.0, 0.0]);
    }
}
