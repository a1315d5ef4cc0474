//! RReLU.
use super::prelude::*;
use crate::ops::{ParametricKernel, parametric};
use burn::module::{Flag, Param};
use burn::tensor::Distribution;

/// Configuration of [`RRelu`].
#[derive(Config, Debug, PartialEq)]
pub struct RReluConfig {
    /// Lower bound of the random negative slope.
    #[config(default = 0.125)]
    pub lower: f64,
    /// Upper bound of the random negative slope.
    #[config(default = 0.333_333_333_333_333_3)]
    pub upper: f64,
}

impl RReluConfig {
    /// Builds the module; bounds must be finite with `lower <= upper`.
    pub fn init(&self) -> Result<RRelu, ActivationError> {
        require_finite("rrelu", "lower", self.lower)?;
        require_finite("rrelu", "upper", self.upper)?;
        require(
            self.lower <= self.upper,
            "rrelu",
            "upper",
            self.upper,
            "must be at least lower",
        )?;
        Ok(RRelu {
            lower: self.lower,
            upper: self.upper,
            eval_slope: super::leaky_relu::LeakyRelu {
                negative_slope: (self.lower + self.upper) / 2.0,
            },
            training: Param::from_bool(true),
        })
    }
}

/// Randomized leaky ReLU (Xu et al. 2015): `f(x) = x` for `x ≥ 0`, `a · x` otherwise, where in
/// training `a ~ U(lower, upper)` is drawn anew for every element of every forward pass, and in
/// evaluation `a = (lower + upper) / 2`.
///
/// `f'(x) = 1` for `x > 0` and the slope `a` that was used for `x ≤ 0`, as in PyTorch.
///
/// [`forward`](Self::forward) follows Burn's `Dropout`: random slopes when the `training` flag is
/// enabled and the input lives on an autodiff device (a training step), the mean slope otherwise;
/// [`forward_train`](Self::forward_train) and [`forward_eval`](Self::forward_eval) choose
/// explicitly.
///
/// PyTorch: `torch.nn.RReLU(lower=1/8, upper=1/3)`.
#[derive(Module, Debug)]
pub struct RRelu {
    /// Lower bound of the random slope.
    pub lower: f64,
    /// Upper bound of the random slope.
    pub upper: f64,
    /// The evaluation-mode function: Leaky ReLU with the mean slope.
    pub eval_slope: super::leaky_relu::LeakyRelu,
    /// Whether this layer may draw random slopes (on an autodiff device).
    pub training: Param<Flag>,
}

impl RRelu {
    /// Random slopes in a training step, the mean slope otherwise.
    pub fn forward<const D: usize>(&self, input: Tensor<D>) -> Tensor<D> {
        if self.training.is_enabled() && input.device().is_autodiff() {
            self.forward_train(input)
        } else {
            self.forward_eval(input)
        }
    }

    /// Training mode: one slope drawn from `U(lower, upper)` per element.
    pub fn forward_train<const D: usize>(&self, input: Tensor<D>) -> Tensor<D> {
        let slopes = Tensor::<D>::random(
            input.shape(),
            Distribution::Uniform(self.lower, self.upper),
            &input.device(),
        );
        parametric(input, slopes, ParametricKernel::NegativeSlope)
    }

    /// Evaluation mode: Leaky ReLU with slope `(lower + upper) / 2`.
    pub fn forward_eval<const D: usize>(&self, input: Tensor<D>) -> Tensor<D> {
        self.eval_slope.forward(input)
    }
}

/// Catalog entry.
pub const INFO: ActivationInfo = ActivationInfo {
    name: "rrelu",
    title: "RReLU",
    formula: "x if x > 0, else a·x, a ~ U(lower, upper) in training, (lower+upper)/2 in eval",
    derivative: "1 if x > 0, else a (the slope used)",
    range: "(-inf, inf)",
    zero_centred: false,
    saturation: Saturation::None,
    monotone: true,
    smooth: false,
    learnable: &[],
    problems: &["random in training: runs are reproducible only with a seeded backend"],
    pytorch: "torch.nn.RReLU(lower=1/8, upper=1/3)",
    reference: "Xu et al. 2015",
};

impl Entry for RRelu {
    const INFO: ActivationInfo = INFO;
    const PARAMS: &'static [&'static str] = &["lower", "upper"];
}

super::device_free_entry!(RReluConfig => RRelu, |config, params| {
    params.f64("lower", &mut config.lower)?;
    params.f64("upper", &mut config.upper)
});

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activations::test_util::*;
    use burn::tensor::{Device, TensorData};

    #[test]
    fn training_slopes_lie_in_bounds_and_match_the_gradient() {
        let m = RReluConfig::new().init().unwrap();
        let device = Device::flex().autodiff();
        let x = Tensor::<1>::from_data(TensorData::from([-1.0f32; 1000]), &device).require_grad();
        let y = m.forward(x.clone());
        let grads = y.clone().sum().backward();
        let slopes: Vec<f32> = to_vec(y).iter().map(|v| -v).collect();
        let dx = to_vec(x.grad(&grads).unwrap());
        assert!(
            slopes.iter().all(|&a| (0.125..=0.333_334).contains(&a)),
            "{slopes:?}"
        );
        assert_close(&dx, &slopes);
        let spread = slopes.iter().cloned().fold(f32::MIN, f32::max)
            - slopes.iter().cloned().fold(f32::MAX, f32::min);
        assert!(spread > 0.15, "slopes should vary, spread {spread}");
    }

    #[test]
    fn eval_uses_the_mean_slope() {
        let m = RReluConfig::new().init().unwrap();
        let x = Tensor::<1>::from_data(TensorData::from([-6.0f32, 2.0]), &Device::flex());
        assert_close(&to_vec(m.forward(x)), &[-6.0 * 0.229_166_67, 2.0]);
    }
}
