//! The registry: one [`ActivationConfig`] enum and one [`Activation`] module enum, so a model holds
//! "an activation" and swaps it by config; spec strings (`leaky_relu(0.2)`, `maxout(k=3)`,
//! `swish(beta=learnable)`) that parse and print round-trip; PyTorch and Hugging Face names; and the
//! catalog of metadata.
//!
//! Adding an activation: its own file under `activations/`, then one line in each table here
//! (and in `kernel.rs` if it is element-wise).
//!
//! The file is long (over 1,000 lines with its tests) because each table is written out: the
//! module enums already come from one list (`activation_modules!`); the config enum, names, spec
//! printer, builder and catalog entries are next to be generated the same way.

use crate::activations::*;
use crate::error::ActivationError;
use crate::glu::{Glu, GluConfig, GluVariant};
use crate::info::ActivationInfo;
use crate::maxout::{MaxoutGroups, MaxoutGroupsConfig};
use crate::spec::{closest, normalize, parse_call};
use burn::config::Config;
use burn::module::Module;
use burn::tensor::{Device, Tensor};
use core::str::FromStr;

/// Any activation of the catalog, by configuration. Parse one from a spec string with
/// [`str::parse`], print it back with [`ActivationConfig::spec`], build it with
/// [`ActivationConfig::init`] (element-wise entries) or [`ActivationConfig::init_any`] (any entry).
#[derive(Config, Debug, PartialEq)]
pub enum ActivationConfig {
    /// [`identity::Identity`].
    Identity,
    /// [`relu::Relu`].
    Relu,
    /// [`leaky_relu::LeakyRelu`].
    LeakyRelu(leaky_relu::LeakyReluConfig),
    /// [`prelu::PRelu`].
    PRelu(prelu::PReluConfig),
    /// [`rrelu::RRelu`].
    RRelu(rrelu::RReluConfig),
    /// [`relu6::Relu6`].
    Relu6,
    /// [`elu::Elu`].
    Elu(elu::EluConfig),
    /// [`selu::Selu`].
    Selu,
    /// [`celu::Celu`].
    Celu(celu::CeluConfig),
    /// [`gelu::Gelu`].
    Gelu,
    /// [`gelu_tanh::GeluTanh`].
    GeluTanh,
    /// [`quick_gelu::QuickGelu`].
    QuickGelu,
    /// [`silu::Silu`].
    Silu,
    /// [`swish::Swish`].
    Swish(swish::SwishConfig),
    /// [`mish::Mish`].
    Mish,
    /// [`softplus::Softplus`].
    Softplus(softplus::SoftplusConfig),
    /// [`sigmoid::Sigmoid`].
    Sigmoid,
    /// [`hard_sigmoid::HardSigmoid`].
    HardSigmoid(hard_sigmoid::HardSigmoidConfig),
    /// [`tanh::Tanh`].
    Tanh,
    /// [`hardtanh::Hardtanh`].
    Hardtanh(hardtanh::HardtanhConfig),
    /// [`hard_swish::HardSwish`].
    HardSwish,
    /// [`softsign::Softsign`].
    Softsign,
    /// [`log_sigmoid::LogSigmoid`].
    LogSigmoid,
    /// [`tanhshrink::Tanhshrink`].
    Tanhshrink,
    /// [`threshold::Threshold`].
    Threshold(threshold::ThresholdConfig),
    /// [`hardshrink::Hardshrink`].
    Hardshrink(hardshrink::HardshrinkConfig),
    /// [`softshrink::Softshrink`].
    Softshrink(softshrink::SoftshrinkConfig),
    /// [`relu2::Relu2`].
    Relu2,
    /// [`squareplus::Squareplus`].
    Squareplus(squareplus::SquareplusConfig),
    /// [`snake::Snake`].
    Snake(snake::SnakeConfig),
    /// [`MaxoutGroups`]: divides the width by `k`.
    Maxout(MaxoutGroupsConfig),
    /// [`Glu`] and its variants: halves the width.
    Glu(GluConfig),
}

/// Declares the two module enums from one list of the element-wise entries: [`Activation`] (those
/// alone, shape-preserving, with an infallible `forward`) and [`AnyActivation`] (every catalog
/// entry, with Maxout and the GLU family, which split a dimension and so have `try_forward`). The
/// shared variants have the same names in both, so records (`activation.PRelu.weight`) read the same.
macro_rules! activation_modules {
    ($($variant:ident($module:ty)),* $(,)?) => {
        /// An element-wise activation of the catalog, as a module: the output has the input's
        /// shape, and `forward` cannot fail. Built by [`ActivationConfig::init`]; Maxout and the GLU
        /// family change the width of the dimension they split and are [`AnyActivation`]s.
        #[derive(Module, Debug)]
        pub enum Activation {
            $(#[allow(missing_docs)] $variant($module)),*
        }

        /// Any activation of the catalog, as a module: what a model built from a spec string
        /// holds. Maxout divides the width of the dimension it splits by `k` and the GLU family
        /// halves it, which an input can fail, so it runs with [`AnyActivation::try_forward`].
        /// Built by [`ActivationConfig::init_any`].
        #[derive(Module, Debug)]
        #[allow(clippy::large_enum_variant)]
        pub enum AnyActivation {
            $(#[allow(missing_docs)] $variant($module),)*
            /// [`MaxoutGroups`]: divides the width by `k`.
            Maxout(MaxoutGroups),
            /// [`Glu`] and its variants: halve the width.
            Glu(Glu),
        }

        impl Activation {
            /// Applies the activation; the output has the input's shape.
            pub fn forward<const D: usize>(&self, input: Tensor<D>) -> Tensor<D> {
                match self {
                    $(Self::$variant(m) => m.forward(input)),*
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
            /// the GLU family split a dimension, which must divide by `k` or 2).
            pub fn try_forward<const D: usize>(
                &self,
                input: Tensor<D>,
            ) -> Result<Tensor<D>, ActivationError> {
                // per-channel parameters constrain dimension 1: checked, as the splits are
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
    };
}

activation_modules! {
    Identity(identity::Identity),
    Relu(relu::Relu),
    LeakyRelu(leaky_relu::LeakyRelu),
    PRelu(prelu::PRelu),
    RRelu(rrelu::RRelu),
    Relu6(relu6::Relu6),
    Elu(elu::Elu),
    Selu(selu::Selu),
    Celu(celu::Celu),
    Gelu(gelu::Gelu),
    GeluTanh(gelu_tanh::GeluTanh),
    QuickGelu(quick_gelu::QuickGelu),
    Silu(silu::Silu),
    Swish(swish::Swish),
    Mish(mish::Mish),
    Softplus(softplus::Softplus),
    Sigmoid(sigmoid::Sigmoid),
    HardSigmoid(hard_sigmoid::HardSigmoid),
    Tanh(tanh::Tanh),
    Hardtanh(hardtanh::Hardtanh),
    HardSwish(hard_swish::HardSwish),
    Softsign(softsign::Softsign),
    LogSigmoid(log_sigmoid::LogSigmoid),
    Tanhshrink(tanhshrink::Tanhshrink),
    Threshold(threshold::Threshold),
    Hardshrink(hardshrink::Hardshrink),
    Softshrink(softshrink::Softshrink),
    Relu2(relu2::Relu2),
    Squareplus(squareplus::Squareplus),
    Snake(snake::Snake),
}

impl ActivationConfig {
    /// Builds any entry of the catalog on `device` (learnable parameters live there), or the typed
    /// error for an invalid parameter.
    pub fn init_any(&self, device: &Device) -> Result<AnyActivation, ActivationError> {
        use ActivationConfig as C;
        Ok(match self {
            C::Identity => AnyActivation::Identity(identity::Identity),
            C::Relu => AnyActivation::Relu(relu::Relu),
            C::LeakyRelu(c) => AnyActivation::LeakyRelu(c.init()?),
            C::PRelu(c) => AnyActivation::PRelu(c.init(device)?),
            C::RRelu(c) => AnyActivation::RRelu(c.init()?),
            C::Relu6 => AnyActivation::Relu6(relu6::Relu6),
            C::Elu(c) => AnyActivation::Elu(c.init()?),
            C::Selu => AnyActivation::Selu(selu::Selu),
            C::Celu(c) => AnyActivation::Celu(c.init()?),
            C::Gelu => AnyActivation::Gelu(gelu::Gelu),
            C::GeluTanh => AnyActivation::GeluTanh(gelu_tanh::GeluTanh),
            C::QuickGelu => AnyActivation::QuickGelu(quick_gelu::QuickGelu),
            C::Silu => AnyActivation::Silu(silu::Silu),
            C::Swish(c) => AnyActivation::Swish(c.init(device)?),
            C::Mish => AnyActivation::Mish(mish::Mish),
            C::Softplus(c) => AnyActivation::Softplus(c.init()?),
            C::Sigmoid => AnyActivation::Sigmoid(sigmoid::Sigmoid),
            C::HardSigmoid(c) => AnyActivation::HardSigmoid(c.init()?),
            C::Tanh => AnyActivation::Tanh(tanh::Tanh),
            C::Hardtanh(c) => AnyActivation::Hardtanh(c.init()?),
            C::HardSwish => AnyActivation::HardSwish(hard_swish::HardSwish),
            C::Softsign => AnyActivation::Softsign(softsign::Softsign),
            C::LogSigmoid => AnyActivation::LogSigmoid(log_sigmoid::LogSigmoid),
            C::Tanhshrink => AnyActivation::Tanhshrink(tanhshrink::Tanhshrink),
            C::Threshold(c) => AnyActivation::Threshold(c.init()?),
            C::Hardshrink(c) => AnyActivation::Hardshrink(c.init()?),
            C::Softshrink(c) => AnyActivation::Softshrink(c.init()?),
            C::Relu2 => AnyActivation::Relu2(relu2::Relu2),
            C::Squareplus(c) => AnyActivation::Squareplus(c.init()?),
            C::Snake(c) => AnyActivation::Snake(c.init(device)?),
            C::Maxout(c) => AnyActivation::Maxout(c.init()?),
            C::Glu(c) => AnyActivation::Glu(c.init(device)?),
        })
    }

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

    /// How many parameters per channel the activation has: `num_parameters` for PReLU, Snake and
    /// learnable Swish, else 1 (one shared value, or none).
    pub fn channel_parameters(&self) -> usize {
        match self {
            Self::PRelu(c) => c.num_parameters,
            Self::Snake(c) => c.num_parameters,
            Self::Swish(c) if c.learnable => c.num_parameters,
            _ => 1,
        }
    }

    /// Checks the parameters without building anything.
    pub fn validate(&self) -> Result<(), ActivationError> {
        self.init_any(&Device::flex()).map(|_| ())
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

    /// Whether the activation has learnable parameters.
    pub fn is_learnable(&self) -> bool {
        match self {
            Self::PRelu(_) | Self::Snake(_) => true,
            Self::Swish(c) => c.learnable,
            Self::Glu(c) => c.gate.as_ref().is_some_and(|gate| gate.is_learnable()),
            _ => false,
        }
    }

    /// The canonical spec name (`leaky_relu`, `swiglu`, …).
    pub fn name(&self) -> &'static str {
        use ActivationConfig as C;
        match self {
            C::Identity => "identity",
            C::Relu => "relu",
            C::LeakyRelu(_) => "leaky_relu",
            C::PRelu(_) => "prelu",
            C::RRelu(_) => "rrelu",
            C::Relu6 => "relu6",
            C::Elu(_) => "elu",
            C::Selu => "selu",
            C::Celu(_) => "celu",
            C::Gelu => "gelu",
            C::GeluTanh => "gelu_tanh",
            C::QuickGelu => "quick_gelu",
            C::Silu => "silu",
            C::Swish(_) => "swish",
            C::Mish => "mish",
            C::Softplus(_) => "softplus",
            C::Sigmoid => "sigmoid",
            C::HardSigmoid(_) => "hard_sigmoid",
            C::Tanh => "tanh",
            C::Hardtanh(_) => "hardtanh",
            C::HardSwish => "hard_swish",
            C::Softsign => "softsign",
            C::LogSigmoid => "log_sigmoid",
            C::Tanhshrink => "tanhshrink",
            C::Threshold(_) => "threshold",
            C::Hardshrink(_) => "hardshrink",
            C::Softshrink(_) => "softshrink",
            C::Relu2 => "relu2",
            C::Squareplus(_) => "squareplus",
            C::Snake(_) => "snake",
            C::Maxout(_) => "maxout",
            C::Glu(c) => c.name(),
        }
    }

    /// The spec string: the canonical name and every parameter that differs from its default,
    /// e.g. `leaky_relu(negative_slope=0.2)`. `spec.parse()` gives back an equal config.
    pub fn spec(&self) -> String {
        use ActivationConfig as C;
        let mut p = SpecParams::default();
        match self {
            C::LeakyRelu(c) => p.f64("negative_slope", c.negative_slope, 0.01),
            C::PRelu(c) => {
                p.usize("num_parameters", c.num_parameters, 1);
                p.f64("init", c.init, 0.25);
            }
            C::RRelu(c) => {
                let d = rrelu::RReluConfig::new();
                p.f64("lower", c.lower, d.lower);
                p.f64("upper", c.upper, d.upper);
            }
            C::Elu(c) => p.f64("alpha", c.alpha, 1.0),
            C::Celu(c) => p.f64("alpha", c.alpha, 1.0),
            C::Swish(c) => {
                match (c.learnable, c.beta == 1.0) {
                    (true, true) => p.raw("beta", "learnable".into()),
                    (true, false) => p.raw("beta", format!("learnable({})", format_number(c.beta))),
                    (false, _) => p.f64("beta", c.beta, 1.0),
                }
                p.usize("num_parameters", c.num_parameters, 1);
            }
            C::Softplus(c) => {
                p.f64("beta", c.beta, 1.0);
                p.f64("threshold", c.threshold, 20.0);
            }
            C::HardSigmoid(c) => {
                p.f64("lower", c.lower, -3.0);
                p.f64("upper", c.upper, 3.0);
            }
            C::Hardtanh(c) => {
                p.f64("min_val", c.min_val, -1.0);
                p.f64("max_val", c.max_val, 1.0);
            }
            C::Threshold(c) => {
                p.raw("threshold", format_number(c.threshold));
                p.raw("value", format_number(c.value));
            }
            C::Hardshrink(c) => p.f64("lambd", c.lambd, 0.5),
            C::Softshrink(c) => p.f64("lambd", c.lambd, 0.5),
            C::Squareplus(c) => p.f64("b", c.b, 4.0),
            C::Snake(c) => {
                p.f64("alpha", c.alpha, 1.0);
                p.usize("num_parameters", c.num_parameters, 1);
            }
            C::Maxout(c) => {
                // k is always printed: "maxout(k=3)" says what the layer does to the width.
                p.raw("k", c.k.to_string());
                p.isize("dim", c.dim, -1);
            }
            C::Glu(c) => {
                p.isize("dim", c.dim, -1);
                if let Some(gate) = &c.gate {
                    p.raw("gate", gate.spec());
                }
            }
            _ => {}
        }
        p.finish(self.name())
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
        let mut args = Args::bind(spec, entry, call.args)?;
        let config = build(entry.name, &mut args)?;
        config.validate()?;
        Ok(config)
    }
}

/// One line of the catalog: a canonical spec name, the other names it answers to, its parameters
/// in positional order, and its metadata.
#[derive(Debug, Clone, Copy)]
pub struct CatalogEntry {
    /// Canonical spec name.
    pub name: &'static str,
    /// Other accepted names (PyTorch, Hugging Face, common spellings), besides case and `_`/`-`
    /// variations of the canonical name.
    pub aliases: &'static [&'static str],
    /// Parameters, in the order positional arguments fill them.
    pub params: &'static [&'static str],
    /// Metadata.
    pub info: &'static ActivationInfo,
}

macro_rules! entry {
    ($name:literal, [$($alias:literal),*], [$($param:literal),*], $info:expr) => {
        CatalogEntry { name: $name, aliases: &[$($alias),*], params: &[$($param),*], info: &$info }
    };
}

/// Every activation, in the order `nonlin activations` lists them.
pub const CATALOG: &[CatalogEntry] = &[
    entry!("identity", ["linear", "none"], [], identity::INFO),
    entry!("relu", [], [], relu::INFO),
    entry!(
        "leaky_relu",
        ["lrelu"],
        ["negative_slope"],
        leaky_relu::INFO
    ),
    entry!("prelu", [], ["num_parameters", "init"], prelu::INFO),
    entry!("rrelu", [], ["lower", "upper"], rrelu::INFO),
    entry!("relu6", [], [], relu6::INFO),
    entry!("elu", [], ["alpha"], elu::INFO),
    entry!("selu", [], [], selu::INFO),
    entry!("celu", [], ["alpha"], celu::INFO),
    entry!(
        "gelu",
        ["gelu_erf", "gelu_python", "erf_gelu"],
        [],
        gelu::INFO
    ),
    entry!(
        "gelu_tanh",
        [
            "gelu_new",
            "gelu_pytorch_tanh",
            "gelu_fast",
            "gelu_accurate",
            "gelu_approximate",
            "tanh_gelu"
        ],
        [],
        gelu_tanh::INFO
    ),
    entry!(
        "quick_gelu",
        ["gelu_sigmoid", "sigmoid_gelu"],
        [],
        quick_gelu::INFO
    ),
    entry!("silu", ["swish1", "swish_1"], [], silu::INFO),
    entry!("swish", [], ["beta", "num_parameters"], swish::INFO),
    entry!("mish", [], [], mish::INFO),
    entry!("softplus", [], ["beta", "threshold"], softplus::INFO),
    entry!("sigmoid", ["logistic"], [], sigmoid::INFO),
    entry!("hard_sigmoid", [], ["lower", "upper"], hard_sigmoid::INFO),
    entry!("tanh", [], [], tanh::INFO),
    entry!("hardtanh", [], ["min_val", "max_val"], hardtanh::INFO),
    entry!("hard_swish", [], [], hard_swish::INFO),
    entry!("softsign", [], [], softsign::INFO),
    entry!("log_sigmoid", [], [], log_sigmoid::INFO),
    entry!("tanhshrink", [], [], tanhshrink::INFO),
    entry!("threshold", [], ["threshold", "value"], threshold::INFO),
    entry!("hardshrink", [], ["lambd"], hardshrink::INFO),
    entry!("softshrink", [], ["lambd"], softshrink::INFO),
    entry!(
        "relu2",
        ["squared_relu", "relu_squared", "relu_sq", "sqrelu"],
        [],
        relu2::INFO
    ),
    entry!("squareplus", [], ["b"], squareplus::INFO),
    entry!("snake", [], ["alpha", "num_parameters"], snake::INFO),
    entry!("maxout", [], ["k", "dim"], crate::maxout::INFO),
    entry!("glu", [], ["dim", "gate"], crate::glu::INFO[0]),
    entry!("geglu", [], ["dim"], crate::glu::INFO[1]),
    entry!("swiglu", [], ["dim"], crate::glu::INFO[2]),
    entry!("reglu", [], ["dim"], crate::glu::INFO[3]),
    entry!("bilinear", ["bilinear_glu"], ["dim"], crate::glu::INFO[4]),
];

/// Builds the config of catalog entry `name` from its bound arguments.
fn build(name: &str, a: &mut Args) -> Result<ActivationConfig, ActivationError> {
    use ActivationConfig as C;
    Ok(match name {
        "identity" => C::Identity,
        "relu" => C::Relu,
        "leaky_relu" => C::LeakyRelu(
            leaky_relu::LeakyReluConfig::new().with_negative_slope(a.f64("negative_slope", 0.01)?),
        ),
        "prelu" => C::PRelu(
            prelu::PReluConfig::new()
                .with_num_parameters(a.usize("num_parameters", 1)?)
                .with_init(a.f64("init", 0.25)?),
        ),
        "rrelu" => {
            let d = rrelu::RReluConfig::new();
            C::RRelu(
                rrelu::RReluConfig::new()
                    .with_lower(a.f64("lower", d.lower)?)
                    .with_upper(a.f64("upper", d.upper)?),
            )
        }
        "relu6" => C::Relu6,
        "elu" => C::Elu(elu::EluConfig::new().with_alpha(a.f64("alpha", 1.0)?)),
        "selu" => C::Selu,
        "celu" => C::Celu(celu::CeluConfig::new().with_alpha(a.f64("alpha", 1.0)?)),
        "gelu" => C::Gelu,
        "gelu_tanh" => C::GeluTanh,
        "quick_gelu" => C::QuickGelu,
        "silu" => C::Silu,
        "swish" => {
            let (beta, learnable) = a.learnable_f64("beta", 1.0)?;
            C::Swish(
                swish::SwishConfig::new()
                    .with_beta(beta)
                    .with_learnable(learnable)
                    .with_num_parameters(a.usize("num_parameters", 1)?),
            )
        }
        "mish" => C::Mish,
        "softplus" => C::Softplus(
            softplus::SoftplusConfig::new()
                .with_beta(a.f64("beta", 1.0)?)
                .with_threshold(a.f64("threshold", 20.0)?),
        ),
        "sigmoid" => C::Sigmoid,
        "hard_sigmoid" => C::HardSigmoid(
            hard_sigmoid::HardSigmoidConfig::new()
                .with_lower(a.f64("lower", -3.0)?)
                .with_upper(a.f64("upper", 3.0)?),
        ),
        "tanh" => C::Tanh,
        "hardtanh" => C::Hardtanh(
            hardtanh::HardtanhConfig::new()
                .with_min_val(a.f64("min_val", -1.0)?)
                .with_max_val(a.f64("max_val", 1.0)?),
        ),
        "hard_swish" => C::HardSwish,
        "softsign" => C::Softsign,
        "log_sigmoid" => C::LogSigmoid,
        "tanhshrink" => C::Tanhshrink,
        "threshold" => C::Threshold(threshold::ThresholdConfig::new(
            a.required_f64("threshold")?,
            a.required_f64("value")?,
        )),
        "hardshrink" => {
            C::Hardshrink(hardshrink::HardshrinkConfig::new().with_lambd(a.f64("lambd", 0.5)?))
        }
        "softshrink" => {
            C::Softshrink(softshrink::SoftshrinkConfig::new().with_lambd(a.f64("lambd", 0.5)?))
        }
        "relu2" => C::Relu2,
        "squareplus" => C::Squareplus(squareplus::SquareplusConfig::new().with_b(a.f64("b", 4.0)?)),
        "snake" => C::Snake(
            snake::SnakeConfig::new()
                .with_alpha(a.f64("alpha", 1.0)?)
                .with_num_parameters(a.usize("num_parameters", 1)?),
        ),
        "maxout" => C::Maxout(
            MaxoutGroupsConfig::new()
                .with_k(a.usize("k", 2)?)
                .with_dim(a.isize("dim", -1)?),
        ),
        glu => {
            let variant = GluVariant::ALL
                .into_iter()
                .find(|v| v.name() == glu)
                .expect("every catalog name is built above");
            let config = GluConfig::new(variant).with_dim(a.isize("dim", -1)?);
            match a.raw("gate") {
                // any element-wise entry of the catalog, by its spec (`glu(gate=leaky_relu(0.2))`)
                Some(gate) => C::Glu(config.gated_by(gate.parse()?)),
                None => C::Glu(config),
            }
        }
    })
}

/// Finds the catalog entry for a name or alias, or the error with the closest suggestion.
pub fn lookup(name: &str) -> Result<&'static CatalogEntry, ActivationError> {
    let wanted = normalize(name);
    let found = CATALOG
        .iter()
        .find(|e| normalize(e.name) == wanted || e.aliases.iter().any(|a| normalize(a) == wanted));
    found.ok_or_else(|| {
        let candidates = CATALOG
            .iter()
            .flat_map(|e| core::iter::once(e.name).chain(e.aliases.iter().copied()));
        ActivationError::UnknownName {
            name: name.to_string(),
            suggestion: closest(name, candidates),
        }
    })
}

/// Arguments bound to an entry's parameter names.
struct Args {
    entry: &'static CatalogEntry,
    values: Vec<(&'static str, String)>,
}

impl Args {
    /// Positional arguments fill the parameters in order; `key=value` ones go by name.
    fn bind(
        spec: &str,
        entry: &'static CatalogEntry,
        raw: Vec<(Option<&str>, &str)>,
    ) -> Result<Self, ActivationError> {
        let syntax = |reason: String| ActivationError::Syntax {
            spec: spec.to_string(),
            reason,
        };
        let mut values: Vec<(&'static str, String)> = Vec::new();
        let mut seen_keyword = false;
        for (position, (key, arg)) in raw.into_iter().enumerate() {
            let (param, value) = match key {
                Some(key) => {
                    seen_keyword = true;
                    (Self::param_named(entry, key)?, arg)
                }
                None if seen_keyword => {
                    return Err(syntax(format!(
                        "positional argument `{arg}` after a keyword argument"
                    )));
                }
                None => match entry.params.get(position) {
                    Some(param) => (*param, arg),
                    None => {
                        return Err(syntax(format!(
                            "{} takes {} argument(s) ({}), got more",
                            entry.name,
                            entry.params.len(),
                            entry.params.join(", ")
                        )));
                    }
                },
            };
            if values.iter().any(|(p, _)| *p == param) {
                return Err(syntax(format!("`{param}` is given twice")));
            }
            values.push((param, value.to_string()));
        }
        Ok(Self { entry, values })
    }

    fn param_named(
        entry: &'static CatalogEntry,
        key: &str,
    ) -> Result<&'static str, ActivationError> {
        // PyTorch spells λ `lambd`; accept the Greek-letter spelling and the short slope name too.
        let key = match normalize(key).as_str() {
            "lambda" => "lambd".to_string(),
            "slope" => "negativeslope".to_string(),
            k => k.to_string(),
        };
        entry
            .params
            .iter()
            .find(|p| normalize(p) == key)
            .copied()
            .ok_or_else(|| ActivationError::UnknownParameter {
                activation: entry.name,
                param: key.clone(),
                suggestion: closest(&key, entry.params.iter().copied()),
                expected: if entry.params.is_empty() {
                    "(none)".to_string()
                } else {
                    entry.params.join(", ")
                },
            })
    }

    fn raw(&self, param: &str) -> Option<&str> {
        self.values
            .iter()
            .find(|(p, _)| *p == param)
            .map(|(_, v)| v.as_str())
    }

    fn invalid(
        &self,
        param: &'static str,
        value: &str,
        requirement: &'static str,
    ) -> ActivationError {
        ActivationError::InvalidParameter {
            activation: self.entry.name,
            param,
            value: value.to_string(),
            requirement,
        }
    }

    fn f64(&self, param: &'static str, default: f64) -> Result<f64, ActivationError> {
        self.raw(param).map_or(Ok(default), |v| {
            parse_number(v).ok_or_else(|| self.invalid(param, v, "must be a number"))
        })
    }

    fn required_f64(&self, param: &'static str) -> Result<f64, ActivationError> {
        let v = self.raw(param).ok_or_else(|| ActivationError::Syntax {
            spec: self.entry.name.to_string(),
            reason: format!(
                "{} needs `{param}` (its parameters: {})",
                self.entry.name,
                self.entry.params.join(", ")
            ),
        })?;
        parse_number(v).ok_or_else(|| self.invalid(param, v, "must be a number"))
    }

    fn usize(&self, param: &'static str, default: usize) -> Result<usize, ActivationError> {
        self.raw(param).map_or(Ok(default), |v| {
            v.parse()
                .map_err(|_| self.invalid(param, v, "must be a whole number ≥ 0"))
        })
    }

    fn isize(&self, param: &'static str, default: isize) -> Result<isize, ActivationError> {
        self.raw(param).map_or(Ok(default), |v| {
            v.parse()
                .map_err(|_| self.invalid(param, v, "must be a whole number"))
        })
    }

    /// A number, `learnable` (learnable from `default`) or `learnable(init)`.
    fn learnable_f64(
        &self,
        param: &'static str,
        default: f64,
    ) -> Result<(f64, bool), ActivationError> {
        let Some(v) = self.raw(param) else {
            return Ok((default, false));
        };
        let requirement = "must be a number, `learnable` or `learnable(<initial value>)`";
        if normalize(v) == "learnable" {
            return Ok((default, true));
        }
        if let Some(init) = v
            .strip_prefix("learnable(")
            .and_then(|r| r.strip_suffix(')'))
        {
            return parse_number(init)
                .map(|x| (x, true))
                .ok_or_else(|| self.invalid(param, v, requirement));
        }
        parse_number(v)
            .map(|x| (x, false))
            .ok_or_else(|| self.invalid(param, v, requirement))
    }
}

fn parse_number(v: &str) -> Option<f64> {
    v.trim().parse::<f64>().ok()
}

/// Shortest text that parses back to the same `f64`.
fn format_number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v:?}")
    }
}

/// The `key=value` list of a spec, non-default values only.
#[derive(Default)]
struct SpecParams(Vec<String>);

impl SpecParams {
    fn raw(&mut self, key: &str, value: String) {
        self.0.push(format!("{key}={value}"));
    }
    fn f64(&mut self, key: &str, value: f64, default: f64) {
        if value.to_bits() != default.to_bits() {
            self.raw(key, format_number(value));
        }
    }
    fn usize(&mut self, key: &str, value: usize, default: usize) {
        if value != default {
            self.raw(key, value.to_string());
        }
    }
    fn isize(&mut self, key: &str, value: isize, default: isize) {
        if value != default {
            self.raw(key, value.to_string());
        }
    }
    fn finish(self, name: &str) -> String {
        if self.0.is_empty() {
            name.to_string()
        } else {
            format!("{name}({})", self.0.join(", "))
        }
    }
}

/// `#[serde(with = "nonlin_activations::spec_serde")]`: stores an [`ActivationConfig`] as its spec
/// string (`"leaky_relu(negative_slope=0.2)"`), which is what people write in TOML and JSON files.
pub mod spec_serde {
    use super::ActivationConfig;
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    /// Writes the spec string.
    pub fn serialize<S: Serializer>(config: &ActivationConfig, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&config.spec())
    }

    /// Parses the spec string; an invalid one is a deserialization error with the parser's message.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<ActivationConfig, D::Error> {
        let spec = String::deserialize(d)?;
        spec.parse().map_err(D::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_catalog_name_parses_and_round_trips() {
        for entry in CATALOG {
            // threshold has no defaults, as in PyTorch
            let spec = if entry.name == "threshold" {
                "threshold(1, 0)"
            } else {
                entry.name
            };
            let config: ActivationConfig = spec.parse().unwrap();
            assert_eq!(config.name(), entry.name);
            assert_eq!(entry.info.name, entry.name, "metadata of {}", entry.name);
            assert_eq!(config.spec().parse::<ActivationConfig>().unwrap(), config);
            for alias in entry.aliases {
                let alias_spec = spec.replacen(entry.name, alias, 1);
                assert_eq!(
                    alias_spec.parse::<ActivationConfig>().unwrap(),
                    config,
                    "{alias}"
                );
            }
        }
    }

    #[test]
    fn parameters_round_trip() {
        for spec in [
            "leaky_relu(negative_slope=0.2)",
            "maxout(k=3)",
            "maxout(k=4, dim=1)",
            "swish(beta=learnable)",
            "swish(beta=learnable(0.5), num_parameters=8)",
            "swish(beta=2)",
            "softplus(beta=2, threshold=10)",
            "threshold(threshold=0.5, value=-1)",
            "hardtanh(min_val=-2, max_val=3)",
            "snake(alpha=0.5)",
            "prelu(num_parameters=16, init=0.1)",
            "rrelu(lower=0.1, upper=0.3)",
            "swiglu(dim=1)",
            "elu(alpha=1e-6)",
        ] {
            let config: ActivationConfig = spec.parse().unwrap();
            assert_eq!(config.spec(), spec, "canonical form");
            assert_eq!(config.spec().parse::<ActivationConfig>().unwrap(), config);
        }
    }

    #[test]
    fn positional_pytorch_and_hugging_face_forms() {
        let parse = |s: &str| s.parse::<ActivationConfig>().unwrap().spec();
        assert_eq!(parse("leaky_relu(0.2)"), "leaky_relu(negative_slope=0.2)");
        assert_eq!(parse("LeakyReLU(0.2)"), "leaky_relu(negative_slope=0.2)");
        assert_eq!(parse("Hardswish"), "hard_swish");
        assert_eq!(parse("gelu_new"), "gelu_tanh");
        assert_eq!(parse("gelu_pytorch_tanh"), "gelu_tanh");
        assert_eq!(parse("GELU"), "gelu");
        assert_eq!(parse("softshrink(lambda=1)"), "softshrink(lambd=1)");
        assert_eq!(
            parse("threshold(0.5, -1)"),
            "threshold(threshold=0.5, value=-1)"
        );
        assert_eq!(parse("linear"), "identity");
        assert_eq!(parse("squared_relu"), "relu2");
    }

    #[test]
    fn misspelt_names_get_a_suggestion() {
        let err = "leaky_rleu".parse::<ActivationConfig>().unwrap_err();
        assert_eq!(
            err,
            ActivationError::UnknownName {
                name: "leaky_rleu".into(),
                suggestion: Some("leaky_relu".into())
            }
        );
        assert!(
            err.to_string().contains("did you mean `leaky_relu`"),
            "{err}"
        );
        let err = "swiglu(dmi=1)".parse::<ActivationConfig>().unwrap_err();
        assert!(err.to_string().contains("did you mean `dim`"), "{err}");
        assert!(matches!(
            "qwertyuiop".parse::<ActivationConfig>(),
            Err(ActivationError::UnknownName {
                suggestion: None,
                ..
            })
        ));
    }

    #[test]
    fn invalid_values_are_typed_errors() {
        for (spec, fragment) in [
            ("maxout(k=0)", "at least 1"),
            ("celu(alpha=0)", "must not be zero"),
            ("threshold(threshold=NaN, value=0)", "must not be NaN"),
            ("threshold(0.5)", "needs `value`"),
            ("elu(alpha=abc)", "must be a number"),
            ("relu(1)", "takes 0 argument"),
            ("leaky_relu(0.1, 0.2)", "takes 1 argument"),
            (
                "leaky_relu(negative_slope=0.1, negative_slope=0.2)",
                "given twice",
            ),
            ("leaky_relu(0.1", "must end with `)`"),
            ("", "empty"),
        ] {
            let err = spec.parse::<ActivationConfig>().unwrap_err().to_string();
            assert!(err.contains(fragment), "{spec}: {err}");
        }
    }

    #[test]
    fn glu_takes_any_element_wise_gate() {
        let gated: ActivationConfig = "glu(gate=gelu_tanh)".parse().unwrap();
        assert_eq!(gated.spec(), "glu(gate=gelu_tanh)");
        assert_eq!(gated.name(), "glu");
        let nested: ActivationConfig = "glu(gate=leaky_relu(0.2), dim=1)".parse().unwrap();
        assert_eq!(
            nested.spec(),
            "glu(dim=1, gate=leaky_relu(negative_slope=0.2))"
        );
        assert_eq!(nested.spec().parse::<ActivationConfig>().unwrap(), nested);
        // the named variants are the GLU with their gates
        for (spec, variant) in [("glu(gate=silu)", "swiglu"), ("glu(gate=gelu)", "geglu")] {
            assert_eq!(spec.parse::<ActivationConfig>().unwrap().spec(), variant);
        }
        assert_eq!(
            "glu(gate=sigmoid)"
                .parse::<ActivationConfig>()
                .unwrap()
                .spec(),
            "glu"
        );
        for bad in [
            "glu(gate=maxout)",
            "glu(gate=swiglu)",
            "glu(gate=nope)",
            "glu(gate=elu(nan))",
        ] {
            assert!(bad.parse::<ActivationConfig>().is_err(), "{bad}");
        }
        // nesting is bounded, so a hostile spec cannot exhaust the stack
        let deep = format!("{}relu{}", "glu(gate=".repeat(100_000), ")".repeat(100_000));
        assert!(deep.parse::<ActivationConfig>().is_err());
    }

    #[test]
    fn output_width_follows_the_split() {
        let maxout: ActivationConfig = "maxout(k=3)".parse().unwrap();
        assert_eq!(maxout.output_width(12).unwrap(), 4);
        assert!(maxout.output_width(10).is_err());
        let glu: ActivationConfig = "geglu".parse().unwrap();
        assert_eq!(glu.output_width(8).unwrap(), 4);
        assert!(
            glu.output_width(7)
                .unwrap_err()
                .to_string()
                .contains("e.g. 8")
        );
        assert_eq!(ActivationConfig::Relu.output_width(7).unwrap(), 7);
        assert_eq!(
            (
                maxout.width_factor(),
                glu.width_factor(),
                ActivationConfig::Relu.width_factor()
            ),
            (3, 2, 1)
        );
        assert_eq!(maxout.with_split_dim(1).spec(), "maxout(k=3, dim=1)");
    }

    #[test]
    fn serde_as_spec_string() {
        #[derive(serde::Serialize, serde::Deserialize)]
        struct Layer {
            #[serde(with = "spec_serde")]
            activation: ActivationConfig,
        }
        let json = r#"{"activation":"leaky_relu(0.2)"}"#;
        let layer: Layer = serde_json::from_str(json).unwrap();
        assert_eq!(
            serde_json::to_string(&layer).unwrap(),
            r#"{"activation":"leaky_relu(negative_slope=0.2)"}"#
        );
        assert!(serde_json::from_str::<Layer>(r#"{"activation":"relux"}"#).is_err());
    }
}
