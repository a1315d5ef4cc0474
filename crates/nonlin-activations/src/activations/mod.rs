//! The catalog: one file per activation, holding its formula, derivative, PyTorch conventions,
//! config, module, metadata and kink tests.

pub mod celu;
pub mod elu;
pub mod gelu;
pub mod gelu_tanh;
pub mod glu;
pub mod hard_shrink;
pub mod hard_sigmoid;
pub mod hard_swish;
pub mod hard_tanh;
pub mod identity;
pub mod leaky_relu;
pub mod log_sigmoid;
pub mod maxout;
pub mod mish;
pub mod prelu;
pub mod quick_gelu;
pub mod relu;
pub mod relu2;
pub mod relu6;
pub mod rrelu;
pub mod selu;
pub mod sigmoid;
pub mod silu;
pub mod snake;
pub mod soft_shrink;
pub mod softplus;
pub mod softsign;
pub mod squareplus;
pub mod swish;
pub mod tanh;
pub mod tanh_shrink;
pub mod threshold;

/// What every activation file uses.
pub(crate) mod prelude {
    pub use crate::error::ActivationError;
    pub use crate::info::{ActivationInfo, Saturation};
    pub use crate::math::real::{Mask, Real};
    pub use crate::ops::Pointwise;
    pub use crate::registry::spec::Params;
    pub use crate::registry::{Entry, EntryConfig};
    pub use burn::config::Config;
    pub use burn::module::Module;
    pub use burn::tensor::Device;
    pub use burn::tensor::Tensor;

    /// `Ok(())` if `value` is finite, else the typed error naming the parameter.
    pub fn require_finite(
        activation: &'static str,
        param: &'static str,
        value: f64,
    ) -> Result<(), ActivationError> {
        if value.is_finite() {
            Ok(())
        } else {
            Err(ActivationError::InvalidParameter {
                activation,
                param,
                value: value.to_string(),
                requirement: "must be a finite number",
            })
        }
    }

    /// `Ok(())` if `ok`, else the typed error naming the parameter and its requirement.
    pub fn require(
        ok: bool,
        activation: &'static str,
        param: &'static str,
        value: f64,
        requirement: &'static str,
    ) -> Result<(), ActivationError> {
        if ok {
            Ok(())
        } else {
            Err(ActivationError::InvalidParameter {
                activation,
                param,
                value: value.to_string(),
                requirement,
            })
        }
    }
}

/// The registry's view of a config whose `init()` needs no device: the spec starts from `new()`
/// (the `#[config(default)]`s), checking and building are `init()`, and the closure visits the
/// parameters in positional order (`|config, params| params.f64("alpha", &mut config.alpha)`).
macro_rules! device_free_entry {
    ($config:ty => $module:ty, |$c:ident, $p:ident| $params:block) => {
        impl $crate::registry::EntryConfig for $config {
            type Module = $module;
            fn template() -> Self {
                Self::new()
            }
            fn params(
                &mut self,
                $p: &mut dyn $crate::registry::spec::Params,
            ) -> Result<(), $crate::error::ActivationError> {
                let $c = self;
                $params
            }
            fn check(&self) -> Result<(), $crate::error::ActivationError> {
                self.init().map(drop)
            }
            fn build(
                &self,
                _device: &burn::tensor::Device,
            ) -> Result<$module, $crate::error::ActivationError> {
                self.init()
            }
        }
    };
}
pub(crate) use device_free_entry;

/// Gives an element-wise activation module its `forward`, through the differentiable kernel.
macro_rules! pointwise_forward {
    ($ty:ty) => {
        impl $ty {
            /// Applies the activation element-wise.
            ///
            /// # Shapes
            /// - input: `[..., any]`
            /// - output: same as input
            pub fn forward<const D: usize>(&self, input: Tensor<D>) -> Tensor<D> {
                crate::ops::pointwise(input, self.clone())
            }
        }
    };
}
pub(crate) use pointwise_forward;

#[cfg(test)]
pub(crate) mod test_util {
    use burn::tensor::{Device, Tensor, TensorData};

    /// Values and input gradients of `f` at `xs` on flex with autodiff: the kink conventions.
    pub fn value_and_grad(f: impl Fn(Tensor<1>) -> Tensor<1>, xs: &[f32]) -> (Vec<f32>, Vec<f32>) {
        let device = Device::flex().autodiff();
        let x = Tensor::<1>::from_data(TensorData::from(xs), &device).require_grad();
        let y = f(x.clone());
        let grads = y.clone().sum().backward();
        let dx = x.grad(&grads).expect("input gradient");
        (to_vec(y), to_vec(dx))
    }

    pub fn to_vec(t: Tensor<1>) -> Vec<f32> {
        t.into_data()
            .convert::<f32>()
            .try_into_vec::<f32>()
            .expect("f32 data")
    }

    /// Asserts element-wise equality within `1e-6` absolute or `4e-7` relative, NaN matching NaN.
    pub fn assert_close(actual: &[f32], expected: &[f32]) {
        assert_eq!(actual.len(), expected.len());
        for (i, (a, e)) in actual.iter().zip(expected).enumerate() {
            let ok = (a.is_nan() && e.is_nan())
                || a == e
                || (a - e).abs() <= 1e-6_f32.max(4e-7 * e.abs());
            assert!(ok, "element {i}: got {a}, expected {e} (all: {actual:?})");
        }
    }
}
