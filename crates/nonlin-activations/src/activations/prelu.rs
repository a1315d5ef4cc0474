//! PReLU.
use super::prelude::*;
use crate::ops::{ParametricKernel, parametric, shapes::broadcast_channels};
use burn::module::Param;
use burn::tensor::Device;

/// Configuration of [`PRelu`].
#[derive(Config, Debug, PartialEq)]
pub struct PReluConfig {
    /// 1 (one slope shared by all channels) or the number of channels (dimension 1 of the input).
    #[config(default = 1)]
    pub num_parameters: usize,
    /// Initial slope (PyTorch's `init`).
    #[config(default = 0.25)]
    pub alpha: f64,
}

impl PReluConfig {
    /// Checks the parameters without building anything (no device needed).
    pub fn check(&self) -> Result<(), ActivationError> {
        require_finite("prelu", "alpha", self.alpha)?;
        require(
            self.num_parameters >= 1,
            "prelu",
            "num_parameters",
            self.num_parameters as f64,
            "must be at least 1",
        )?;
        Ok(())
    }

    /// Builds the module on `device`.
    pub fn init(&self, device: &Device) -> Result<PRelu, ActivationError> {
        self.check()?;
        Ok(PRelu {
            weight: Param::from_tensor(Tensor::<1>::full(
                [self.num_parameters],
                self.alpha,
                device,
            )),
        })
    }
}

/// Parametric ReLU, `f(x) = x` for `x > 0`, `a · x` otherwise, with a learnable slope `a`
/// (He et al. 2015).
///
/// `∂f/∂x = 1` for `x > 0`, `a` for `x ≤ 0` (PyTorch: `PReLU'(0) = a`); `∂f/∂a = 0` for `x > 0`,
/// `x` otherwise.
///
/// With `num_parameters > 1` there is one slope per channel, the channel being dimension 1 of the
/// input (dimension 0 for a 1-D input), as in PyTorch.
///
/// PyTorch: `torch.nn.PReLU(num_parameters=1, init=0.25)`.
#[derive(Module, Debug)]
pub struct PRelu {
    /// The slopes, `[num_parameters]`.
    pub weight: Param<Tensor<1>>,
}

impl PRelu {
    /// Applies PReLU element-wise.
    ///
    /// # Shapes
    /// - input: `[..., any]`, with dimension 1 of size `num_parameters` when that is above 1
    /// - output: same as input
    ///
    /// # Panics
    /// If there are several slopes and dimension 1 of the input does not have that many channels
    /// (see [`Self::try_forward`]).
    pub fn forward<const D: usize>(&self, input: Tensor<D>) -> Tensor<D> {
        self.try_forward(input).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Applies the activation, or says why the input's channels do not match the slopes.
    pub fn try_forward<const D: usize>(
        &self,
        input: Tensor<D>,
    ) -> Result<Tensor<D>, ActivationError> {
        let weight = broadcast_channels("prelu", self.weight.val(), &input)?;
        Ok(parametric(input, weight, ParametricKernel::NegativeSlope))
    }
}

#[inline(always)]
pub(crate) fn value<R: Real>(x: R, a: R) -> R {
    x.gt(0.0).select(x.clone(), a * x)
}

#[inline(always)]
pub(crate) fn derivative_x<R: Real>(x: R, a: R) -> R {
    x.gt(0.0).select(x.lit(1.0), a)
}

#[inline(always)]
pub(crate) fn derivative_p<R: Real>(x: R, _a: R) -> R {
    x.gt(0.0).select(x.lit(0.0), x)
}

/// Catalog entry.
pub const INFO: ActivationInfo = ActivationInfo {
    name: "prelu",
    title: "PReLU",
    formula: "x if x > 0, else a·x (a learnable)",
    derivative: "1 if x > 0, else a (f'(0) = a); d/da = 0 if x > 0, else x",
    range: "(-inf, inf)",
    zero_centred: false,
    saturation: Saturation::None,
    monotone: true,
    smooth: false,
    learnable: &["weight (slope a)"],
    problems: &[
        "not monotone if a learns a negative slope",
        "can overfit on small data",
    ],
    pytorch: "torch.nn.PReLU(num_parameters=1, init=0.25)",
    reference: "He et al. 2015",
};

impl Entry for PRelu {
    const INFO: ActivationInfo = INFO;
    const PARAMS: &'static [&'static str] = &["num_parameters", "alpha"];
}

impl EntryConfig for PReluConfig {
    type Module = PRelu;
    fn template() -> Self {
        Self::new()
    }
    fn params(&mut self, params: &mut dyn Params) -> Result<(), ActivationError> {
        params.usize("num_parameters", &mut self.num_parameters, false)?;
        params.f64("alpha", &mut self.alpha)
    }
    fn check(&self) -> Result<(), ActivationError> {
        PReluConfig::check(self)
    }
    fn build(&self, device: &Device) -> Result<PRelu, ActivationError> {
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
    use burn::tensor::TensorData;

    #[test]
    fn per_channel_slopes_and_their_gradients() {
        let device = Device::flex().autodiff();
        let m = PReluConfig::new()
            .with_num_parameters(2)
            .init(&device)
            .unwrap();
        let x = Tensor::<2>::from_data(TensorData::from([[-1.0f32, 2.0], [-3.0, 0.0]]), &device)
            .require_grad();
        let y = m.forward(x.clone());
        let grads = y.clone().sum().backward();
        assert_close(&to_vec(y.flatten(0, 1)), &[-0.25, 2.0, -0.75, 0.0]);
        assert_close(
            &to_vec(x.grad(&grads).unwrap().flatten(0, 1)),
            &[0.25, 1.0, 0.25, 0.25],
        );
        // channel 0 sees x = -1 and -3; channel 1 sees 2 (positive) and 0 (kink: gradient x = 0)
        assert_close(&to_vec(m.weight.val().grad(&grads).unwrap()), &[-4.0, 0.0]);
    }
}
