//! Swish, with a fixed or learnable β.
use super::prelude::*;
use crate::ops::{ParametricKernel, parametric};
use burn::module::Param;
use burn::tensor::Device;

/// Configuration of [`Swish`].
#[derive(Config, Debug, PartialEq)]
pub struct SwishConfig {
    /// β: the fixed value, or the initial value when learnable.
    #[config(default = 1.0)]
    pub beta: f64,
    /// Whether β is a learnable parameter.
    #[config(default = false)]
    pub learnable: bool,
    /// Number of learnable βs: 1, or one per channel (dimension 1 of the input, as PReLU).
    #[config(default = 1)]
    pub num_parameters: usize,
}

impl SwishConfig {
    /// Checks the parameters without building anything (no device needed).
    pub fn check(&self) -> Result<(), ActivationError> {
        require_finite("swish", "beta", self.beta)?;
        require(
            self.num_parameters >= 1,
            "swish",
            "num_parameters",
            self.num_parameters as f64,
            "must be at least 1",
        )?;
        Ok(())
    }

    /// Builds the module on `device` (where a learnable β lives).
    pub fn init(&self, device: &Device) -> Result<Swish, ActivationError> {
        self.check()?;
        let beta = self.learnable.then(|| {
            Param::from_tensor(Tensor::<1>::full([self.num_parameters], self.beta, device))
        });
        Ok(Swish {
            beta,
            fixed_beta: FixedSwish { beta: self.beta },
        })
    }
}

/// Swish, `f(x) = x σ(β x)`; β = 1 is SiLU, β → ∞ approaches ReLU.
///
/// `∂f/∂x = σ(βx) (1 + βx (1 − σ(βx)))`, `∂f/∂β = x² σ(βx) (1 − σ(βx))`.
///
/// With a learnable β there is one per channel (dimension 1 of the input; the only dimension of a
/// 1-D input), or one shared by all elements, exactly like PReLU's weight.
///
/// PyTorch has no built-in; reference: `x * torch.sigmoid(beta * x)`.
#[derive(Module, Debug)]
pub struct Swish {
    /// The learnable β, if any.
    pub beta: Option<Param<Tensor<1>>>,
    /// The fixed β (also the initial value of a learnable one).
    pub fixed_beta: FixedSwish,
}

impl Swish {
    /// Applies Swish element-wise.
    ///
    /// # Shapes
    /// - input: `[..., any]`, with dimension 1 of size `num_parameters` when that is above 1
    /// - output: same as input
    ///
    /// # Panics
    /// If β is learnable per channel and dimension 1 of the input does not have that many channels
    /// (see [`Self::try_forward`]).
    pub fn forward<const D: usize>(&self, input: Tensor<D>) -> Tensor<D> {
        self.try_forward(input).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Applies the activation, or says why the input's channels do not match the β parameters.
    pub fn try_forward<const D: usize>(
        &self,
        input: Tensor<D>,
    ) -> Result<Tensor<D>, ActivationError> {
        Ok(match &self.beta {
            None => crate::ops::pointwise(input, self.fixed_beta.clone()),
            Some(beta) => {
                let beta = crate::ops::shapes::broadcast_channels("swish", beta.val(), &input)?;
                parametric(input, beta, ParametricKernel::Swish)
            }
        })
    }
}

/// Swish with a fixed β, as an element-wise kernel.
#[derive(Module, Debug)]
pub struct FixedSwish {
    /// β.
    pub beta: f64,
}

impl Pointwise for FixedSwish {
    #[inline(always)]
    fn value<R: Real>(&self, x: R) -> R {
        value(x.clone(), x.lit(self.beta))
    }
    #[inline(always)]
    fn derivative<R: Real>(&self, x: R) -> R {
        derivative_x(x.clone(), x.lit(self.beta))
    }
}

#[inline(always)]
pub(crate) fn value<R: Real>(x: R, beta: R) -> R {
    x.clone() * (beta * x).sigmoid()
}

// With z = βx: σ(z) + β · x σ'(z) and x · x σ'(z). Grouping x σ'(z) first keeps the result a
// number when βx or x² overflows (σ' is 0 there).
#[inline(always)]
pub(crate) fn derivative_x<R: Real>(x: R, beta: R) -> R {
    let (sigmoid, slope) = (beta.clone() * x.clone()).sigmoid_and_slope();
    sigmoid + beta * (x * slope)
}

#[inline(always)]
pub(crate) fn derivative_p<R: Real>(x: R, beta: R) -> R {
    let z = beta * x.clone();
    x.clone() * (x * z.sigmoid_slope())
}

/// Catalog entry.
pub const INFO: ActivationInfo = ActivationInfo {
    name: "swish",
    title: "Swish",
    formula: "x·σ(beta·x)",
    derivative: "σ(βx)·(1 + βx·(1 - σ(βx))); d/dβ = x²·σ(βx)·(1 - σ(βx))",
    range: "[-0.278/beta, inf)",
    zero_centred: false,
    saturation: Saturation::Negative,
    monotone: false,
    smooth: true,
    learnable: &["beta (optional)"],
    problems: &["non-monotone dip for x < 0"],
    pytorch: "x * torch.sigmoid(beta * x)",
    reference: "Ramachandran et al. 2017",
};

impl Entry for Swish {
    const INFO: ActivationInfo = INFO;
    const PARAMS: &'static [&'static str] = &["beta", "num_parameters"];
}

impl EntryConfig for SwishConfig {
    type Module = Swish;
    fn template() -> Self {
        Self::new()
    }
    fn params(&mut self, params: &mut dyn Params) -> Result<(), ActivationError> {
        params.learnable_f64("beta", &mut self.beta, &mut self.learnable)?;
        params.usize("num_parameters", &mut self.num_parameters, false)
    }
    fn check(&self) -> Result<(), ActivationError> {
        SwishConfig::check(self)
    }
    fn build(&self, device: &Device) -> Result<Swish, ActivationError> {
        self.init(device)
    }
    fn channel_parameters(&self) -> usize {
        if self.learnable {
            self.num_parameters
        } else {
            1
        }
    }
    fn is_learnable(&self) -> bool {
        self.learnable
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activations::test_util::*;
    use burn::tensor::TensorData;

    #[test]
    fn learnable_beta_gets_its_gradient() {
        let device = Device::flex().autodiff();
        let m = SwishConfig::new()
            .with_learnable(true)
            .init(&device)
            .unwrap();
        let x = Tensor::<1>::from_data(TensorData::from([1.0f32, -2.0]), &device);
        let grads = m.forward(x).sum().backward();
        let dbeta = m.beta.as_ref().unwrap().val().grad(&grads).unwrap();
        // Σ x² σ(x)(1 − σ(x)) = 0.196612 + 4 · 0.104994
        assert_close(&to_vec(dbeta), &[0.196_612 + 4.0 * 0.104_993_59]);
    }

    #[test]
    fn fixed_beta_has_no_parameter() {
        let m = SwishConfig::new()
            .with_beta(2.0)
            .init(&Device::flex())
            .unwrap();
        assert!(m.beta.is_none());
        let (y, _) = value_and_grad(|x| m.forward(x), &[1.0]);
        assert_close(&y, &[0.880_797_1]);
    }
}
