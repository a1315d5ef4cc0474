//! Snake.
use super::prelude::*;
use crate::ops::{ParametricKernel, parametric};
use burn::module::Param;
use burn::tensor::Device;

/// Configuration of [`Snake`].
#[derive(Config, Debug, PartialEq)]
pub struct SnakeConfig {
    /// Initial frequency α; must not be zero.
    #[config(default = 1.0)]
    pub alpha: f64,
    /// 1 (shared) or the number of channels (dimension 1 of the input, as PReLU).
    #[config(default = 1)]
    pub num_parameters: usize,
}

impl SnakeConfig {
    /// Checks the parameters without building anything (no device needed).
    pub fn check(&self) -> Result<(), ActivationError> {
        require_finite("snake", "alpha", self.alpha)?;
        require(
            self.alpha != 0.0,
            "snake",
            "alpha",
            self.alpha,
            "must not be zero (Snake divides by alpha)",
        )?;
        require(
            self.num_parameters >= 1,
            "snake",
            "num_parameters",
            self.num_parameters as f64,
            "must be at least 1",
        )?;
        Ok(())
    }

    /// Builds the module on `device`.
    pub fn init(&self, device: &Device) -> Result<Snake, ActivationError> {
        self.check()?;
        Ok(Snake {
            alpha: Param::from_tensor(Tensor::<1>::full([self.num_parameters], self.alpha, device)),
        })
    }
}

/// Snake, `f(x) = x + sin²(α x) / α` with a learnable frequency α (Ziyin et al. 2020): a periodic
/// activation that keeps a linear trend, used in audio models (BigVGAN, DAC).
///
/// `∂f/∂x = 1 + sin(2αx)`, `∂f/∂α = x sin(2αx) / α − sin²(αx) / α²`.
///
/// α must stay away from 0, where the formula divides by zero; as in the paper there is no ε.
/// On GPUs (wgpu), the device's sine loses accuracy for |αx| beyond about 1e5 (float32 range
/// reduction); the CPU backends are exact to rounding everywhere.
///
/// PyTorch has no built-in; reference: `x + torch.sin(a * x) ** 2 / a`.
#[derive(Module, Debug)]
pub struct Snake {
    /// The frequencies, `[num_parameters]`.
    pub alpha: Param<Tensor<1>>,
}

impl Snake {
    /// Applies Snake element-wise.
    ///
    /// # Shapes
    /// - input: `[..., any]`, with dimension 1 of size `num_parameters` when that is above 1
    /// - output: same as input
    ///
    /// # Panics
    /// If there are several α and dimension 1 of the input does not have that many channels (see
    /// [`Self::try_forward`]).
    pub fn forward<const D: usize>(&self, input: Tensor<D>) -> Tensor<D> {
        self.try_forward(input).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Applies the activation, or says why the input's channels do not match the α parameters.
    pub fn try_forward<const D: usize>(
        &self,
        input: Tensor<D>,
    ) -> Result<Tensor<D>, ActivationError> {
        let alpha = crate::ops::shapes::broadcast_channels("snake", self.alpha.val(), &input)?;
        Ok(parametric(input, alpha, ParametricKernel::Snake))
    }
}

#[inline(always)]
pub(crate) fn value<R: Real>(x: R, a: R) -> R {
    let s = (a.clone() * x.clone()).sin();
    x + s.square() / a
}

/// `sin(2ax) = 2 sin(ax) cos(ax)`, clamped to [−1, 1]: a no-op in exact arithmetic, and a bound
/// where a device's sine of a huge argument is inaccurate. (2ax itself would overflow at f32::MAX.)
#[inline(always)]
fn sin_twice<R: Real>(ax: R) -> R {
    let product = ax.clone().sin() * ax.cos() * 2.0;
    super::hard_tanh::clamp_value(product, -1.0, 1.0)
}

#[inline(always)]
pub(crate) fn derivative_x<R: Real>(x: R, a: R) -> R {
    sin_twice(a * x) + 1.0
}

#[inline(always)]
pub(crate) fn derivative_p<R: Real>(x: R, a: R) -> R {
    let ax = a.clone() * x.clone();
    sin_twice(ax.clone()) * x / a.clone() - ax.sin().square() / a.square()
}

/// Catalog entry.
pub const INFO: ActivationInfo = ActivationInfo {
    name: "snake",
    title: "Snake",
    formula: "x + sin²(alpha·x)/alpha (alpha learnable)",
    derivative: "1 + sin(2·alpha·x); d/dalpha = x·sin(2αx)/α - sin²(αx)/α²",
    range: "(-inf, inf)",
    zero_centred: false,
    saturation: Saturation::None,
    monotone: true,
    smooth: true,
    learnable: &["alpha"],
    problems: &[
        "alpha near 0 divides by zero",
        "periodic: many equivalent minima",
    ],
    pytorch: "x + torch.sin(alpha * x) ** 2 / alpha",
    reference: "Ziyin et al. 2020",
};

impl Entry for Snake {
    const INFO: ActivationInfo = INFO;
    const PARAMS: &'static [&'static str] = &["alpha", "num_parameters"];
}

impl EntryConfig for SnakeConfig {
    type Module = Snake;
    fn template() -> Self {
        Self::new()
    }
    fn params(&mut self, params: &mut dyn Params) -> Result<(), ActivationError> {
        params.f64("alpha", &mut self.alpha)?;
        params.usize("num_parameters", &mut self.num_parameters, false)
    }
    fn check(&self) -> Result<(), ActivationError> {
        SnakeConfig::check(self)
    }
    fn build(&self, device: &Device) -> Result<Snake, ActivationError> {
        self.init(device)
    }
    fn channel_parameters(&self) -> usize {
        self.num_parameters
    }
    fn is_learnable(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activations::test_util::*;

    #[test]
    fn value_and_gradient_at_zero() {
        let m = SnakeConfig::new().init(&Device::flex().autodiff()).unwrap();
        let (y, dx) = value_and_grad(|x| m.forward(x), &[0.0, core::f32::consts::FRAC_PI_2]);
        assert_close(&y, &[0.0, core::f32::consts::FRAC_PI_2 + 1.0]);
        assert_close(&dx, &[1.0, 1.0]);
    }

    #[test]
    fn rejects_zero_alpha() {
        assert!(
            SnakeConfig::new()
                .with_alpha(0.0)
                .init(&Device::flex())
                .is_err()
        );
    }
}
