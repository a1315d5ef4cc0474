//! # nonlin-activations
//!
//! Activation functions for [Burn](https://burn.dev) 0.22 whose values and gradients match
//! PyTorch's on every backend (ndarray, flex, wgpu), checked against fixtures that PyTorch
//! generated (`scripts/pytorch_fixtures.py`).
//!
//! - Every activation is a Burn [`Module`](burn::module::Module) with a
//!   [`Config`](burn::config::Config) whose defaults are PyTorch's; see [`activations`].
//! - [`ActivationConfig`] / [`Activation`] hold any of them, so a model swaps activations by
//!   config; [`ActivationConfig`] parses and prints spec strings (`"leaky_relu(0.2)"`,
//!   `"maxout(k=3)"`, `"swish(beta=learnable)"`), PyTorch names and Hugging Face `hidden_act`
//!   names.
//! - [`ActivationConfig::info`] gives each activation's formula, derivative, range, saturation,
//!   monotonicity and known problems.
//! - [`maxout`] (Goodfellow et al. 2013) and the [`glu`] family (GLU, GEGLU, SwiGLU, ReGLU,
//!   Bilinear) as parameter-free ops and as layers with their own projections.
//!
//! Element-wise activations run through one differentiable op with a hand-written backward
//! ([`kernel`]), which keeps only the input and applies the activation's own derivative, so kinks
//! follow PyTorch's conventions and no NaN appears where PyTorch's gradient is finite.
//!
//! ```no_run
//! use burn::prelude::*;
//! use nonlin_activations::{Activation, ActivationConfig};
//!
//! let device = Device::flex().autodiff();
//! let act: Activation = "gelu".parse::<ActivationConfig>().unwrap().init(&device).unwrap();
//! let y = act.forward(Tensor::<2>::ones([2, 3], &device));
//! ```

pub mod activations;
mod burn_compat;
pub mod catalog;
mod cpu;
pub mod error;
pub mod glu;
pub mod info;
pub mod kernel;
pub mod maxout;
pub mod real;
pub mod real32;
pub mod spec;
mod split;

pub use catalog::{Activation, ActivationConfig, CATALOG, CatalogEntry, lookup, spec_serde};
pub use error::ActivationError;
pub use glu::{
    GatedLinear, GatedLinearConfig, Glu, GluConfig, GluFeedForward, GluFeedForwardConfig,
    GluVariant,
};
pub use info::{ActivationInfo, Saturation};
pub use maxout::{Maxout, MaxoutConfig, MaxoutGroups, MaxoutGroupsConfig};
