//! # nonlin-activations
//!
//! Activation functions for [Burn](https://burn.dev) 0.22 whose values and gradients match
//! PyTorch's on every backend (ndarray, flex, wgpu), checked against fixtures that PyTorch
//! generated (`scripts/pytorch_fixtures.py`).
//!
//! - Every activation is a Burn [`Module`](burn::module::Module) with a
//!   [`Config`](burn::config::Config) whose defaults are PyTorch's; see [`activations`].
//! - [`ActivationConfig`] / [`Activation`] (element-wise) and [`AnyActivation`] (any entry, Maxout
//!   and the GLU family included) hold any of them, so a model swaps activations by
//!   config; [`ActivationConfig`] parses and prints spec strings (`"leaky_relu(0.2)"`,
//!   `"maxout(k=3)"`, `"swish(beta=learnable)"`), PyTorch names and Hugging Face `hidden_act`
//!   names.
//! - [`ActivationConfig::info`] gives each activation's formula, derivative, range, saturation,
//!   monotonicity and known problems.
//! - [`activations::maxout`] (Goodfellow et al. 2013) and the [`activations::glu`] family (GLU,
//!   GEGLU, SwiGLU, ReGLU, Bilinear) as parameter-free ops and as layers with their own
//!   projections.
//!
//! Element-wise activations run through one differentiable op with a hand-written backward
//! ([`ops`]), which keeps only the input and applies the activation's own derivative, so kinks
//! follow PyTorch's conventions and no NaN appears where PyTorch's gradient is finite.
//!
//! Every module and its config are also at the crate root, as in `burn::nn`, and [`prelude`]
//! brings the usual ones into scope. Configs whose parameters can be out of range (a NaN slope, a
//! `k` of 0) return a `Result` from `init()`; modules without parameters have `new()`.
//!
//! ```
//! use burn::prelude::*;
//! use nonlin_activations::prelude::*;
//!
//! let device = Device::flex();
//! let x = Tensor::<2>::from_floats([[-1.0, 0.0, 2.0]], &device);
//! // a module directly, as burn::nn::Gelu::new()
//! let y = nonlin_activations::Gelu::new().forward(x.clone());
//! // a config with a parameter
//! let leaky = LeakyReluConfig::new().with_negative_slope(0.2).init().unwrap();
//! assert_eq!(leaky.forward(x.clone()).into_data().to_vec::<f32>().unwrap(), [-0.2, 0.0, 2.0]);
//! // any activation by name, as a model's config holds it
//! let act: Activation = "gelu".parse::<ActivationConfig>().unwrap().init(&device).unwrap();
//! assert_eq!(act.forward(x.clone()).into_data(), y.into_data());
//! // Maxout and the GLU family change the width: an `AnyActivation`, checked at run time
//! let glu = "swiglu".parse::<ActivationConfig>().unwrap().init_any(&device).unwrap();
//! assert!(glu.try_forward(x).is_err()); // 3 features do not halve
//! ```

/// The crate README's example, compiled and run as a doc test.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

pub mod activations;
#[cfg(cpu_kernels)]
mod cpu;
pub mod error;
pub mod info;
pub mod math;
pub mod ops;
pub mod registry;

pub use registry::spec;

// Every module and config at the crate root, as burn-nn has them: `nonlin_activations::Gelu::new()`,
// `nonlin_activations::LeakyReluConfig::new().with_negative_slope(0.2).init()?`.
pub use activations::glu::{
    GatedLinear, GatedLinearConfig, Glu, GluConfig, GluFeedForward, GluFeedForwardConfig,
    GluVariant,
};
pub use activations::maxout::{Maxout, MaxoutConfig, MaxoutLinear, MaxoutLinearConfig};
pub use activations::{
    celu::{Celu, CeluConfig},
    elu::{Elu, EluConfig},
    gelu::Gelu,
    gelu_tanh::GeluTanh,
    hard_shrink::{HardShrink, HardShrinkConfig},
    hard_sigmoid::{HardSigmoid, HardSigmoidConfig},
    hard_swish::HardSwish,
    hard_tanh::{HardTanh, HardTanhConfig},
    identity::Identity,
    leaky_relu::{LeakyRelu, LeakyReluConfig},
    log_sigmoid::LogSigmoid,
    mish::Mish,
    prelu::{PRelu, PReluConfig},
    quick_gelu::QuickGelu,
    relu::Relu,
    relu2::Relu2,
    relu6::Relu6,
    rrelu::{RRelu, RReluConfig},
    selu::Selu,
    sigmoid::Sigmoid,
    silu::Silu,
    snake::{Snake, SnakeConfig},
    soft_shrink::{SoftShrink, SoftShrinkConfig},
    softplus::{Softplus, SoftplusConfig},
    softsign::Softsign,
    squareplus::{Squareplus, SquareplusConfig},
    swish::{FixedSwish, Swish, SwishConfig},
    tanh::Tanh,
    tanh_shrink::TanhShrink,
    threshold::{Threshold, ThresholdConfig},
};
pub use error::{ActivationError, WorkerPinError};
pub use info::{ActivationInfo, Saturation};
pub use ops::attention::causal_attention;
#[cfg(cpu_kernels)]
pub use ops::backends::pin_cpu_workers;
pub use ops::backends::{has_hand_written_backward, keep_workers_awake, workers_kept_awake};
pub use ops::layer_norm::layer_norm;
pub use ops::linear::linear;
pub use ops::softmax::softmax;
pub use registry::{
    Activation, ActivationConfig, AnyActivation, CATALOG, CatalogEntry, lookup, spec_serde,
};

/// The registry and the most used modules and configs, for `use nonlin_activations::prelude::*`.
pub mod prelude {
    pub use crate::{
        Activation, ActivationConfig, ActivationError, AnyActivation, Elu, EluConfig, Gelu,
        GeluTanh, Glu, GluConfig, GluFeedForward, GluFeedForwardConfig, GluVariant, LeakyRelu,
        LeakyReluConfig, Maxout, MaxoutConfig, MaxoutLinear, MaxoutLinearConfig, Mish, PRelu,
        PReluConfig, Relu, Sigmoid, Silu, Swish, SwishConfig, Tanh,
    };
}
