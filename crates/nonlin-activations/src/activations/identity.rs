//! Identity: the linear baseline.
use super::prelude::*;

/// The identity, `f(x) = x`: a network with only this "activation" is one affine map, whatever its
/// depth (`nonlin collapse` measures it).
///
/// `f'(x) = 1` everywhere. The forward returns its input unchanged: no copy, no autodiff node.
///
/// PyTorch: `torch.nn.Identity()`.
#[derive(Module, Debug, Default)]
pub struct Identity;

impl Identity {
    /// Creates the module.
    pub fn new() -> Self {
        Self
    }

    /// Returns the input unchanged.
    pub fn forward<const D: usize>(&self, input: Tensor<D>) -> Tensor<D> {
        input
    }
}

/// The formula, for gates that may be the identity (the bilinear GLU variant). The module itself
/// skips the op: [`Identity::forward`] returns its input.
impl Pointwise for Identity {
    #[inline(always)]
    fn value<R: Real>(&self, x: R) -> R {
        x
    }
    #[inline(always)]
    fn derivative<R: Real>(&self, x: R) -> R {
        x.lit(1.0)
    }
}

/// Catalog entry.
pub const INFO: ActivationInfo = ActivationInfo {
    name: "identity",
    title: "Identity (linear)",
    formula: "x",
    derivative: "1",
    range: "(-inf, inf)",
    zero_centred: true,
    saturation: Saturation::None,
    monotone: true,
    smooth: true,
    learnable: &[],
    problems: &["no nonlinearity: stacked layers collapse to one affine map"],
    pytorch: "torch.nn.Identity()",
    reference: "-",
};

impl Entry for Identity {
    const INFO: ActivationInfo = INFO;
    const ALIASES: &'static [&'static str] = &["linear", "none"];
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activations::test_util::*;

    #[test]
    fn passes_values_and_unit_gradient() {
        let (y, dx) = value_and_grad(|x| Identity::new().forward(x), &[-2.0, 0.0, 3.5]);
        assert_close(&y, &[-2.0, 0.0, 3.5]);
        assert_close(&dx, &[1.0, 1.0, 1.0]);
    }
}
