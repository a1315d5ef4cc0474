//! The registry: one list of the activations (the `registry!` invocation below), from which
//! come the [`ActivationConfig`] enum, the [`Activation`] and [`AnyActivation`] module enums, the
//! kernel enum the ops carry ([`kernels::PointwiseKernel`]), spec-string parsing and printing,
//! and the [`CATALOG`]. Each activation's file says the rest about it: its formula, config and
//! module, and its [`Entry`] (metadata, aliases, parameters) and [`EntryConfig`] (how a spec
//! binds and prints its parameters, and how it builds).
//!
//! Adding an activation:
//! 1. a file under `activations/` (copy one with the same kind of parameters): the formula as a
//!    [`Pointwise`](crate::ops::Pointwise) implementation, the module, its config if it has
//!    parameters, `INFO`, and the `Entry` (and `EntryConfig`) implementations;
//! 2. one line in the list below: `Variant(module[, config]) [kernel type]`, where `kernel` names
//!    the [`Pointwise`](crate::ops::Pointwise) type the ops run (the module itself for most).

mod burn_compat;
mod catalog;
pub mod kernels;
pub mod spec;

pub use catalog::{CatalogEntry, lookup};
pub use spec::spec_serde;

use crate::activations::glu::{Glu, GluConfig};
use crate::activations::maxout::{Maxout, MaxoutConfig};
use crate::activations::*;
use crate::error::ActivationError;
use crate::info::ActivationInfo;
use burn::config::Config;
use burn::module::Module;
use burn::tensor::{Device, Tensor};
use core::str::FromStr;
use spec::{Params, SpecArgs, SpecWriter, parse_call};

/// What the registry knows of an activation from its file: its metadata (whose `name` is the
/// canonical spec name), the other names it answers to, and its parameters in positional order.
/// Implemented by the module.
pub trait Entry {
    /// Metadata.
    const INFO: ActivationInfo;
    /// Other accepted names (PyTorch, Hugging Face, common spellings), besides case and `_`/`-`
    /// variations of the canonical name.
    const ALIASES: &'static [&'static str] = &[];
    /// Parameters, in the order positional arguments fill them (as [`EntryConfig::params`]
    /// visits them).
    const PARAMS: &'static [&'static str] = &[];
}

/// An activation config as the registry uses it: built from a spec's arguments, printed back,
/// and turned into its module. Each default lives in the config's own `#[config(default)]`.
pub trait EntryConfig: Clone + Sized {
    /// The module the config builds.
    type Module: Entry;
    /// The config a spec starts from: the defaults (required parameters unset).
    fn template() -> Self;
    /// Visits every parameter in positional order: binds them from a spec, or prints them.
    fn params(&mut self, params: &mut dyn Params) -> Result<(), ActivationError>;
    /// Checks the parameters without building anything (no device needed: a build of the crate
    /// may have no backend of its own).
    fn check(&self) -> Result<(), ActivationError>;
    /// Builds the module on `device` (where learnable parameters live), or the typed error for
    /// a parameter out of range.
    fn build(&self, device: &Device) -> Result<Self::Module, ActivationError>;
    /// How many parameters per channel the module has (PReLU, Snake, learnable Swish), else 1.
    fn channel_parameters(&self) -> usize {
        1
    }
    /// Whether the module has learnable parameters.
    fn is_learnable(&self) -> bool {
        false
    }
}

/// The config of `C` bound from a spec's arguments.
fn bind<C: EntryConfig>(args: &mut SpecArgs) -> Result<C, ActivationError> {
    let mut config = C::template();
    config.params(args)?;
    Ok(config)
}

/// The spec string of `config`: its name and the parameters that differ from the defaults.
fn print<C: EntryConfig>(config: &C) -> String {
    spec::call(<C::Module as Entry>::INFO.name, &print_params(config))
}

fn print_params<C: EntryConfig>(config: &C) -> Vec<String> {
    let mut defaults = SpecWriter::default();
    // printing visits never fail: the writer accepts every value
    let _ = C::template().params(&mut defaults);
    let mut writer = SpecWriter::against(defaults);
    let _ = config.clone().params(&mut writer);
    writer.into_params()
}

/// `$then` for a row of the list with a config, `$else` for one without.
macro_rules! if_config {
    ([], { $($then:tt)* }, { $($else:tt)* }) => { $($else)* };
    ([$config:ty], { $($then:tt)* }, { $($else:tt)* }) => { $($then)* };
}

/// Generates everything that lists the activations from one list of the element-wise entries;
/// Maxout and the GLU family, which change the width, are written out inside.
macro_rules! registry {
    (
        $( $variant:ident($module:ty $(, $config:ty)?) $(kernel $kernel:ty)? ),* $(,)?
        ; extra kernels: $( $extra:ident($extra_ty:ty) ),* $(,)?
    ) => {
        /// Any activation of the catalog, by configuration. Parse one from a spec string with
        /// [`str::parse`], print it back with [`ActivationConfig::spec`], build it with
        /// [`ActivationConfig::init`] (element-wise entries) or [`ActivationConfig::init_any`]
        /// (any entry).
        #[derive(Config, Debug, PartialEq)]
        pub enum ActivationConfig {
            $(
                #[doc = concat!("[`", stringify!($module), "`].")]
                $variant $(($config))?,
            )*
            /// [`Maxout`]: divides the width by `k`.
            Maxout(MaxoutConfig),
            /// [`Glu`] and its variants: halves the width.
            Glu(GluConfig),
        }

        /// An element-wise activation of the catalog, as a module: the output has the input's
        /// shape, and `forward` cannot fail on one built by [`ActivationConfig::init`] (see
        /// [`Activation::forward`] for the one by-hand exception). Maxout and the GLU family
        /// change the width of the dimension they split and are [`AnyActivation`]s.
        #[derive(Module, Debug)]
        pub enum Activation {
            $(#[allow(missing_docs)] $variant($module)),*
        }

        /// Any activation of the catalog, as a module: what a model built from a spec string
        /// holds. Maxout divides the width of the dimension it splits by `k` and the GLU family
        /// halves it, which an input can fail, so it runs with [`AnyActivation::try_forward`].
        /// Built by [`ActivationConfig::init_any`]. The variants shared with [`Activation`] have the
        /// same names, so records (`activation.PRelu.weight`) read the same.
        #[derive(Module, Debug)]
        #[allow(clippy::large_enum_variant)]
        pub enum AnyActivation {
            $(#[allow(missing_docs)] $variant($module),)*
            /// [`Maxout`]: divides the width by `k`.
            Maxout(Maxout),
            /// [`Glu`] and its variants: halve the width.
            Glu(Glu),
        }

        impl Activation {
            /// Applies the activation; the output has the input's shape.
            ///
            /// # Panics
            /// Never for an activation built by [`ActivationConfig::init`] (or loaded with
            /// burn-store into one, which checks parameter shapes). Only a PReLU, Swish or Snake
            /// module built by hand with one parameter per channel can meet an input whose
            /// dimension 1 has another size; [`Self::try_forward`] returns that as an error.
            pub fn forward<const D: usize>(&self, input: Tensor<D>) -> Tensor<D> {
                match self {
                    $(Self::$variant(m) => m.forward(input)),*
                }
            }

            /// Applies the activation, or says why a hand-built per-channel PReLU, Swish or
            /// Snake does not match the input's channels (the only way it can fail).
            pub fn try_forward<const D: usize>(
                &self,
                input: Tensor<D>,
            ) -> Result<Tensor<D>, ActivationError> {
                #[allow(unreachable_patterns)]
                match self {
                    Self::PRelu(m) => m.try_forward(input),
                    Self::Swish(m) => m.try_forward(input),
                    Self::Snake(m) => m.try_forward(input),
                    $(Self::$variant(m) => Ok(m.forward(input)),)*
                }
            }
        }

        impl From<Activation> for AnyActivation {
            fn from(activation: Activation) -> Self {
                match activation {
                    $(Activation::$variant(m) => Self::$variant(m)),*
                }
            }
        }

        impl AnyActivation {
            /// The element-wise activation, or `None` for Maxout and the GLU family.
            pub fn into_elementwise(self) -> Option<Activation> {
                match self {
                    $(Self::$variant(m) => Some(Activation::$variant(m)),)*
                    Self::Maxout(_) | Self::Glu(_) => None,
                }
            }

            /// Applies the activation, or says why the input's shape does not allow it (Maxout and
            /// the GLU family split a dimension, which must divide by `k` or 2; per-channel
            /// parameters need that many channels in dimension 1).
            pub fn try_forward<const D: usize>(
                &self,
                input: Tensor<D>,
            ) -> Result<Tensor<D>, ActivationError> {
                #[allow(unreachable_patterns)]
                match self {
                    Self::PRelu(m) => m.try_forward(input),
                    Self::Swish(m) => m.try_forward(input),
                    Self::Snake(m) => m.try_forward(input),
                    Self::Maxout(m) => m.try_forward(input),
                    Self::Glu(m) => m.try_forward(input),
                    $(Self::$variant(m) => Ok(m.forward(input)),)*
                }
            }
        }

        impl ActivationConfig {
            /// Builds any entry of the catalog on `device` (learnable parameters live there), or
            /// the typed error for an invalid parameter.
            pub fn init_any(&self, device: &Device) -> Result<AnyActivation, ActivationError> {
                use ActivationConfig as C;
                let _ = device;
                Ok(match self {
                    $(
                        if_config!([$($config)?], { C::$variant(c) }, { C::$variant }) =>
                            AnyActivation::$variant(if_config!(
                                [$($config)?],
                                { EntryConfig::build(c, device)? },
                                { <$module>::new() }
                            )),
                    )*
                    C::Maxout(c) => AnyActivation::Maxout(c.init()?),
                    C::Glu(c) => AnyActivation::Glu(c.init(device)?),
                })
            }

            /// Checks the parameters without building anything (and without a device).
            pub fn validate(&self) -> Result<(), ActivationError> {
                use ActivationConfig as C;
                match self {
                    $(
                        if_config!([$($config)?], { C::$variant(c) }, { C::$variant }) =>
                            if_config!([$($config)?], { EntryConfig::check(c) }, { Ok(()) }),
                    )*
                    C::Maxout(c) => EntryConfig::check(c),
                    C::Glu(c) => c.check(),
                }
            }

            /// The canonical spec name (`leaky_relu`, `swiglu`, …).
            pub fn name(&self) -> &'static str {
                use ActivationConfig as C;
                match self {
                    $(
                        if_config!([$($config)?], { C::$variant(_) }, { C::$variant }) =>
                            <$module as Entry>::INFO.name,
                    )*
                    C::Maxout(_) => <Maxout as Entry>::INFO.name,
                    C::Glu(c) => c.name(),
                }
            }

            /// The spec string: the canonical name and every parameter that differs from its
            /// default, e.g. `leaky_relu(negative_slope=0.2)`. `spec.parse()` gives back an equal
            /// config.
            pub fn spec(&self) -> String {
                use ActivationConfig as C;
                match self {
                    $(
                        if_config!([$($config)?], { C::$variant(c) }, { C::$variant }) =>
                            if_config!([$($config)?], { print(c) }, { self.name().to_string() }),
                    )*
                    C::Maxout(c) => print(c),
                    C::Glu(c) => c.spec(),
                }
            }

            /// How many parameters per channel the activation has: `num_parameters` for PReLU,
            /// Snake and learnable Swish, else 1 (one shared value, or none).
            pub fn channel_parameters(&self) -> usize {
                use ActivationConfig as C;
                match self {
                    $(
                        if_config!([$($config)?], { C::$variant(c) }, { C::$variant }) =>
                            if_config!([$($config)?], { EntryConfig::channel_parameters(c) }, { 1 }),
                    )*
                    C::Maxout(_) | C::Glu(_) => 1,
                }
            }

            /// Whether the activation has learnable parameters.
            pub fn is_learnable(&self) -> bool {
                use ActivationConfig as C;
                match self {
                    $(
                        if_config!([$($config)?], { C::$variant(c) }, { C::$variant }) =>
                            if_config!([$($config)?], { EntryConfig::is_learnable(c) }, { false }),
                    )*
                    C::Maxout(_) => false,
                    C::Glu(c) => c.gate_activation.as_ref().is_some_and(|gate| gate.is_learnable()),
                }
            }
        }

        #[cfg(test)]
        impl ActivationConfig {
            /// The names of the parameters as the config's [`EntryConfig::params`] visits them
            /// (`None` for the GLU family, whose gate is not a visited parameter).
            fn visited_params(&self) -> Option<Vec<String>> {
                use ActivationConfig as C;
                fn names<C: EntryConfig>(config: &C) -> Option<Vec<String>> {
                    let mut writer = SpecWriter::default();
                    let _ = config.clone().params(&mut writer);
                    let printed = writer.into_params();
                    Some(printed.iter().map(|p| p.split('=').next().unwrap_or("").to_string()).collect())
                }
                match self {
                    $(
                        if_config!([$($config)?], { C::$variant(c) }, { C::$variant }) =>
                            if_config!([$($config)?], { names(c) }, { Some(Vec::new()) }),
                    )*
                    C::Maxout(c) => names(c),
                    C::Glu(_) => None,
                }
            }
        }

        /// Builds the config of catalog entry `name` from its bound arguments.
        fn build(name: &str, args: &mut SpecArgs) -> Result<ActivationConfig, ActivationError> {
            use ActivationConfig as C;
            let _ = &args;
            $(
                if name == <$module as Entry>::INFO.name {
                    return Ok(if_config!(
                        [$($config)?],
                        { C::$variant(bind::<$($config)?>(args)?) },
                        { C::$variant }
                    ));
                }
            )*
            if name == <Maxout as Entry>::INFO.name {
                return Ok(C::Maxout(bind(args)?));
            }
            Ok(C::Glu(GluConfig::from_spec(name, args)?))
        }

        /// Every activation, in the order `nonlin activations` lists them.
        pub const CATALOG: &[CatalogEntry] = &[
            $(CatalogEntry {
                name: <$module as Entry>::INFO.name,
                aliases: <$module as Entry>::ALIASES,
                params: <$module as Entry>::PARAMS,
                info: &<$module as Entry>::INFO,
            },)*
            CatalogEntry {
                name: <Maxout as Entry>::INFO.name,
                aliases: <Maxout as Entry>::ALIASES,
                params: <Maxout as Entry>::PARAMS,
                info: &<Maxout as Entry>::INFO,
            },
            glu::CATALOG[0],
            glu::CATALOG[1],
            glu::CATALOG[2],
            glu::CATALOG[3],
            glu::CATALOG[4],
        ];

        kernels::pointwise_registry! {
            $($( $variant($kernel), )?)*
            $( $extra($extra_ty), )*
        }
    };
}

registry! {
    Identity(identity::Identity),
    Relu(relu::Relu) kernel relu::Relu,
    LeakyRelu(leaky_relu::LeakyRelu, leaky_relu::LeakyReluConfig) kernel leaky_relu::LeakyRelu,
    PRelu(prelu::PRelu, prelu::PReluConfig),
    RRelu(rrelu::RRelu, rrelu::RReluConfig),
    Relu6(relu6::Relu6) kernel relu6::Relu6,
    Elu(elu::Elu, elu::EluConfig) kernel elu::Elu,
    Selu(selu::Selu) kernel selu::Selu,
    Celu(celu::Celu, celu::CeluConfig) kernel celu::Celu,
    Gelu(gelu::Gelu) kernel gelu::Gelu,
    GeluTanh(gelu_tanh::GeluTanh) kernel gelu_tanh::GeluTanh,
    QuickGelu(quick_gelu::QuickGelu) kernel quick_gelu::QuickGelu,
    Silu(silu::Silu) kernel silu::Silu,
    Swish(swish::Swish, swish::SwishConfig) kernel swish::FixedSwish,
    Mish(mish::Mish) kernel mish::Mish,
    Softplus(softplus::Softplus, softplus::SoftplusConfig) kernel softplus::Softplus,
    Sigmoid(sigmoid::Sigmoid) kernel sigmoid::Sigmoid,
    HardSigmoid(hard_sigmoid::HardSigmoid, hard_sigmoid::HardSigmoidConfig) kernel hard_sigmoid::HardSigmoid,
    Tanh(tanh::Tanh) kernel tanh::Tanh,
    HardTanh(hard_tanh::HardTanh, hard_tanh::HardTanhConfig) kernel hard_tanh::HardTanh,
    HardSwish(hard_swish::HardSwish) kernel hard_swish::HardSwish,
    Softsign(softsign::Softsign) kernel softsign::Softsign,
    LogSigmoid(log_sigmoid::LogSigmoid) kernel log_sigmoid::LogSigmoid,
    TanhShrink(tanh_shrink::TanhShrink) kernel tanh_shrink::TanhShrink,
    Threshold(threshold::Threshold, threshold::ThresholdConfig) kernel threshold::Threshold,
    HardShrink(hard_shrink::HardShrink, hard_shrink::HardShrinkConfig) kernel hard_shrink::HardShrink,
    SoftShrink(soft_shrink::SoftShrink, soft_shrink::SoftShrinkConfig) kernel soft_shrink::SoftShrink,
    Relu2(relu2::Relu2) kernel relu2::Relu2,
    Squareplus(squareplus::Squareplus, squareplus::SquareplusConfig) kernel squareplus::Squareplus,
    Snake(snake::Snake, snake::SnakeConfig),
    ; extra kernels:
    // Softplus with β = 1 runs a loop without the division by β (see softplus.rs)
    UnitBetaSoftplus(softplus::UnitBetaSoftplus),
}

impl ActivationConfig {
    /// Builds an element-wise activation on `device`, or the typed error for an invalid parameter;
    /// Maxout and the GLU family, which change the width, are [`ActivationError::ChangesWidth`]
    /// (build them with [`Self::init_any`]).
    ///
    /// PReLU, Swish and Snake with one parameter per channel (`num_parameters > 1`) constrain
    /// dimension 1 of their input, and are [`ActivationError::PerChannel`] here for the same
    /// reason: an `Activation` built by `init` runs on any input.
    pub fn init(&self, device: &Device) -> Result<Activation, ActivationError> {
        if self.channel_parameters() > 1 {
            return Err(ActivationError::PerChannel { spec: self.spec() });
        }
        self.init_any(device)?
            .into_elementwise()
            .ok_or_else(|| ActivationError::ChangesWidth { spec: self.spec() })
    }

    /// The catalog entry of this activation.
    pub fn entry(&self) -> &'static CatalogEntry {
        let name = self.name();
        CATALOG
            .iter()
            .find(|e| e.name == name)
            .expect("every config has a catalog entry")
    }

    /// Metadata: formula, derivative, range, saturation, …
    pub fn info(&self) -> &'static ActivationInfo {
        self.entry().info
    }

    /// The width this activation outputs for an input of `width` features along its split
    /// dimension: `width` for element-wise activations, `width / k` for Maxout, `width / 2` for
    /// the GLU family, or the error if `width` does not divide.
    pub fn output_width(&self, width: usize) -> Result<usize, ActivationError> {
        match self {
            Self::Maxout(c) => c.init()?.output_size(width),
            Self::Glu(c) => c.output_size(width),
            _ => Ok(width),
        }
    }

    /// How many input features one output feature consumes along the split dimension: `k` for
    /// Maxout, 2 for the GLU family, 1 for element-wise activations. A layer that should end with
    /// `units` features after this activation outputs `units · width_factor()` before it.
    pub fn width_factor(&self) -> usize {
        match self {
            Self::Maxout(c) => c.k.max(1),
            Self::Glu(_) => 2,
            _ => 1,
        }
    }

    /// The same activation splitting dimension `dim` (Maxout and the GLU family; others are
    /// returned unchanged). Convolutional layers split the channel dimension, `1`.
    pub fn with_split_dim(&self, dim: isize) -> Self {
        match self {
            Self::Maxout(c) => Self::Maxout(c.clone().with_dim(dim)),
            Self::Glu(c) => Self::Glu(c.clone().with_dim(dim)),
            other => other.clone(),
        }
    }
}

impl FromStr for ActivationConfig {
    type Err = ActivationError;

    /// Parses `name`, `name(v1, v2)` or `name(key=value, …)`. Names are matched ignoring case,
    /// `_` and `-`, so PyTorch's class names (`LeakyReLU`, `Hardswish`) work, as do Hugging Face's
    /// `hidden_act` names (`gelu_new`, `gelu_pytorch_tanh`, `quick_gelu`, `silu`, `swish`, `relu2`).
    fn from_str(spec: &str) -> Result<Self, Self::Err> {
        let call = parse_call(spec).map_err(|reason| ActivationError::Syntax {
            spec: spec.to_string(),
            reason,
        })?;
        let entry = lookup(call.name)?;
        let mut args = SpecArgs::bind(spec, entry, call.args)?;
        let config = build(entry.name, &mut args)?;
        config.validate()?;
        Ok(config)
    }
}

#[cfg(test)]
mod tests;
