//! The GLU family: gated linear units (Dauphin et al. 2017) and their variants (Shazeer 2020,
//! "GLU Variants Improve Transformer").
//!
//! Each variant multiplies a value by a gate passed through an activation:
//!
//! | variant    | gate activation | spec       |
//! |------------|-----------------|------------|
//! | GLU        | sigmoid         | `glu`      |
//! | GEGLU      | GELU (erf)      | `geglu`    |
//! | SwiGLU     | SiLU (Swish-1)  | `swiglu`   |
//! | ReGLU      | ReLU            | `reglu`    |
//! | Bilinear   | identity        | `bilinear` |
//!
//! Three forms:
//! - [`Glu`], parameter-free: splits a dimension into halves `a` (first) and `b` (second) and
//!   returns `a ⊗ act(b)`, PyTorch's `torch.nn.GLU` convention (the gate is the **second** half);
//! - [`GatedLinear`]: `act(x W) ⊗ (x V)`, two projections (Burn's `SwiGlu` layer, generalised);
//! - [`GluFeedForward`]: the transformer feed-forward block `(act(x W) ⊗ x V) W₂`, without biases
//!   by default, as in the paper.
//!
//! (Over 600 lines with its tests: the three forms share the variant table, the gate resolution
//! and the width checks, and are tested against each other.)

use crate::error::ActivationError;
use crate::info::{ActivationInfo, Saturation};
use crate::ops::shapes::resolve_dim;
pub use crate::registry::kernels::GluVariant;
use crate::registry::spec::{Params, SpecArgs};
use crate::registry::{Activation, ActivationConfig, CatalogEntry};
use burn::config::Config;
use burn::module::Module;
use burn::nn::{Initializer, Linear, LinearConfig};
use burn::tensor::{Device, Tensor};

/// Configuration of [`Glu`].
#[derive(Config, Debug, PartialEq)]
pub struct GluConfig {
    /// Which activation gates the value.
    pub variant: GluVariant,
    /// The dimension split in two halves; negative counts from the end.
    #[config(default = -1)]
    pub dim: isize,
    /// Any element-wise activation of the catalog as the gate, in place of the variant's own
    /// (`glu(gate=gelu_tanh)`: Gemma's GeGLU with the tanh GELU); `None` uses the variant's.
    #[config(default = "None")]
    pub gate_activation: Option<Box<ActivationConfig>>,
}

impl GluConfig {
    /// The canonical spec name: the variant's, or `glu` for another gate.
    pub fn name(&self) -> &'static str {
        match self.gate_activation {
            Some(_) => "glu",
            None => self.variant.name(),
        }
    }

    /// Checks the gate without building anything (and without a device).
    pub fn check(&self) -> Result<(), ActivationError> {
        check_gate(self.gate_activation.as_deref())
    }

    /// Builds the module on `device` (where a learnable gate's parameters live), or the typed
    /// error for a gate that is invalid or not element-wise.
    pub fn init(&self, device: &Device) -> Result<Glu, ActivationError> {
        Ok(Glu {
            variant: self.variant,
            dim: self.dim,
            gate_activation: gate_module(self.gate_activation.as_deref(), device)?,
        })
    }

    /// The output size of the split dimension for an input of size `size`, or the error if `size`
    /// is odd.
    pub fn output_size(&self, size: usize) -> Result<usize, ActivationError> {
        halve(self.name(), self.dim, size)
    }

    /// The config of catalog entry `name` (`glu`, `geglu`, …) from a spec's bound arguments:
    /// `dim`, and for `glu` any element-wise catalog entry as `gate` (`glu(gate=leaky_relu(0.2))`).
    pub(crate) fn from_spec(name: &str, args: &mut SpecArgs) -> Result<Self, ActivationError> {
        let variant = GluVariant::ALL
            .into_iter()
            .find(|v| v.name() == name)
            .expect("every other catalog name is an entry of the registry's list");
        let mut config = Self::new(variant);
        args.isize("dim", &mut config.dim)?;
        Ok(match args.raw("gate") {
            Some(gate) => config.gated_by(gate.parse()?),
            None => config,
        })
    }

    /// The spec string: the name, `dim` unless -1, and a gate other than the variant's own.
    pub fn spec(&self) -> String {
        let mut params = Vec::new();
        if self.dim != -1 {
            params.push(format!("dim={}", self.dim));
        }
        if let Some(gate) = &self.gate_activation {
            params.push(format!("gate={}", gate.spec()));
        }
        crate::registry::spec::call(self.name(), &params)
    }
}

/// The catalog's lines for the family: the GLU takes any gate, the named variants have theirs.
pub(crate) const CATALOG: [CatalogEntry; 5] = [
    entry(0, &[], &["dim", "gate"]),
    entry(1, &[], &["dim"]),
    entry(2, &[], &["dim"]),
    entry(3, &[], &["dim"]),
    entry(4, &["bilinear_glu"], &["dim"]),
];

const fn entry(
    variant: usize,
    aliases: &'static [&'static str],
    params: &'static [&'static str],
) -> CatalogEntry {
    CatalogEntry {
        name: INFO[variant].name,
        aliases,
        params,
        info: &INFO[variant],
    }
}

/// `gated_by` for the three forms, whose configs share the fields `variant` and `gate_activation`.
macro_rules! gated_by {
    ($($config:ty),*) => {$(
        impl $config {
            /// The same with `gate` as its gate: one of the named variants' own gates (sigmoid,
            /// gelu, silu, relu, identity) gives that variant (`glu(gate=silu)` is `swiglu`), any
            /// other element-wise activation of the catalog is kept as `gate_activation`.
            pub fn gated_by(self, gate: ActivationConfig) -> Self {
                let (variant, gate_activation) = canonical_gate(self.variant, gate);
                Self {
                    variant,
                    gate_activation,
                    ..self
                }
            }
        }
    )*};
}
gated_by!(GluConfig, GatedLinearConfig, GluFeedForwardConfig);

/// `gate` with one of the named variants' own gates as that variant (`silu` gives SwiGLU), else kept.
fn canonical_gate(
    variant: GluVariant,
    gate: ActivationConfig,
) -> (GluVariant, Option<Box<ActivationConfig>>) {
    match GluVariant::ALL
        .into_iter()
        .find(|v| v.gate_config() == gate)
    {
        Some(named) => (named, None),
        None => (variant, Some(Box::new(gate))),
    }
}

/// The gate module of a config's `gate`, or the typed error for one that is invalid or not
/// element-wise.
fn gate_module(
    gate: Option<&ActivationConfig>,
    device: &Device,
) -> Result<Option<Activation>, ActivationError> {
    check_gate(gate)?;
    gate.map(|gate| gate.init(device)).transpose()
}

/// A gate must be an element-wise activation (what [`ActivationConfig::init`] builds) with valid
/// parameters.
fn check_gate(gate: Option<&ActivationConfig>) -> Result<(), ActivationError> {
    let Some(gate) = gate else {
        return Ok(());
    };
    if gate.width_factor() != 1 {
        return Err(ActivationError::InvalidParameter {
            activation: "glu",
            param: "gate",
            value: gate.spec(),
            requirement: "must be an element-wise activation (not Maxout or the GLU family)",
        });
    }
    gate.validate()?;
    if gate.channel_parameters() > 1 {
        return Err(ActivationError::PerChannel { spec: gate.spec() });
    }
    Ok(())
}

fn halve(activation: &'static str, dim: isize, size: usize) -> Result<usize, ActivationError> {
    if !size.is_multiple_of(2) || size == 0 {
        return Err(ActivationError::IndivisibleDimension {
            activation,
            dim: dim.unsigned_abs(),
            size,
            multiple: 2,
        });
    }
    Ok(size / 2)
}

/// The gated unit: `a ⊗ act(b)` where `a` and `b` are the first and second halves of `dim`
/// (PyTorch's `torch.nn.functional.glu` convention). Halves the size of `dim`.
///
/// The named variants run as one op with a hand-written backward (one pass on the CPU backends);
/// another gate (`glu(gate=gelu_tanh)`) composes `a ⊗ gate(b)` from the gate's own op.
#[derive(Module, Debug)]
pub struct Glu {
    /// Which activation gates the value (unless `gate_activation` is set).
    #[module(skip)]
    pub variant: GluVariant,
    /// The dimension split in two halves.
    pub dim: isize,
    /// Another element-wise gate, in place of the variant's.
    pub gate_activation: Option<Activation>,
}

impl Glu {
    /// The output size of the split dimension for an input of size `size`, or the error if `size`
    /// is odd.
    pub fn output_size(&self, size: usize) -> Result<usize, ActivationError> {
        halve(self.name(), self.dim, size)
    }

    /// The spec name: the variant's, or `glu` for another gate.
    fn name(&self) -> &'static str {
        match self.gate_activation {
            Some(_) => "glu",
            None => self.variant.name(),
        }
    }

    /// Applies the gated unit, or says why the input's shape does not allow it.
    pub fn try_forward<const D: usize>(
        &self,
        input: Tensor<D>,
    ) -> Result<Tensor<D>, ActivationError> {
        let dim = resolve_dim(self.name(), self.dim, D)?;
        let half = self.output_size(input.dims()[dim])?;
        if let Some(gate) = &self.gate_activation {
            let value = input.clone().narrow(dim, 0, half);
            return Ok(value * gate.forward(input.narrow(dim, half, half)));
        }
        match crate::ops::grouped::glu(input.clone(), self.variant, dim) {
            Some(fused) => Ok(fused),
            None => Ok(self.variant.apply(
                input.clone().narrow(dim, 0, half),
                input.narrow(dim, half, half),
            )),
        }
    }

    /// Applies the gated unit.
    ///
    /// # Panics
    /// If the size of `dim` is odd (see [`Self::try_forward`]).
    pub fn forward<const D: usize>(&self, input: Tensor<D>) -> Tensor<D> {
        self.try_forward(input).unwrap_or_else(|e| panic!("{e}"))
    }
}

/// Configuration of [`GatedLinear`].
#[derive(Config, Debug)]
pub struct GatedLinearConfig {
    /// Input features.
    pub d_input: usize,
    /// Output features.
    pub d_output: usize,
    /// Which activation gates the value.
    pub variant: GluVariant,
    /// Whether the projections have biases (Shazeer 2020 uses none).
    #[config(default = false)]
    pub bias: bool,
    /// Weight initializer (Burn's `Linear` default).
    #[config(
        default = "Initializer::KaimingUniform{gain:0.577_350_269_189_625_8, fan_out_only:false}"
    )]
    pub initializer: Initializer,
    /// Any element-wise activation of the catalog as the gate, in place of the variant's own
    /// (Gemma's GeGLU gates with `gelu_tanh`); `None` uses the variant's.
    #[config(default = "None")]
    pub gate_activation: Option<Box<ActivationConfig>>,
}

impl GatedLinearConfig {
    /// Builds the layer on `device`, or the typed error for a gate that is invalid or not
    /// element-wise.
    pub fn init(&self, device: &Device) -> Result<GatedLinear, ActivationError> {
        let linear = |d_in, d_out| {
            LinearConfig::new(d_in, d_out)
                .with_bias(self.bias)
                .with_initializer(self.initializer.clone())
                .init(device)
        };
        Ok(GatedLinear {
            gate: linear(self.d_input, self.d_output),
            value: linear(self.d_input, self.d_output),
            variant: self.variant,
            gate_activation: gate_module(self.gate_activation.as_deref(), device)?,
        })
    }
}

impl From<burn::nn::activation::SwiGluConfig> for GatedLinearConfig {
    /// Burn's `SwiGlu` is `silu(linear_inner(x)) * linear_outer(x)`: a SwiGLU gated linear layer.
    fn from(c: burn::nn::activation::SwiGluConfig) -> Self {
        Self::new(c.d_input, c.d_output, GluVariant::Swiglu)
            .with_bias(c.bias)
            .with_initializer(c.initializer)
    }
}

/// `act(x W + b) ⊗ (x V + c)`: a gated linear layer.
#[derive(Module, Debug)]
pub struct GatedLinear {
    /// The gate projection `W`.
    pub gate: Linear,
    /// The value projection `V`.
    pub value: Linear,
    /// Which activation gates the value (unless `gate_activation` is set).
    #[module(skip)]
    pub variant: GluVariant,
    /// Another element-wise gate, in place of the variant's.
    pub gate_activation: Option<Activation>,
}

impl GatedLinear {
    /// # Shapes
    /// - input: `[..., d_input]`
    /// - output: `[..., d_output]`
    pub fn forward<const D: usize>(&self, input: Tensor<D>) -> Tensor<D> {
        let gate = self.gate.forward(input.clone());
        match &self.gate_activation {
            Some(activation) => self.value.forward(input) * activation.forward(gate),
            None => self.variant.apply(self.value.forward(input), gate),
        }
    }
}

/// Configuration of [`GluFeedForward`].
#[derive(Config, Debug)]
pub struct GluFeedForwardConfig {
    /// Model width (input and output features).
    pub d_model: usize,
    /// Hidden width of the gated layer (the paper uses 2/3 of the usual 4·d_model).
    pub d_hidden: usize,
    /// Which activation gates the value.
    pub variant: GluVariant,
    /// Whether the projections have biases (the paper uses none).
    #[config(default = false)]
    pub bias: bool,
    /// Any element-wise activation of the catalog as the gate, in place of the variant's own;
    /// `None` uses the variant's.
    #[config(default = "None")]
    pub gate_activation: Option<Box<ActivationConfig>>,
}

impl GluFeedForwardConfig {
    /// Builds the block on `device`, or the typed error for a gate that is invalid or not
    /// element-wise.
    pub fn init(&self, device: &Device) -> Result<GluFeedForward, ActivationError> {
        let gated = GatedLinearConfig::new(self.d_model, self.d_hidden, self.variant)
            .with_bias(self.bias)
            .with_gate_activation(self.gate_activation.clone());
        Ok(GluFeedForward {
            gated: gated.init(device)?,
            output: LinearConfig::new(self.d_hidden, self.d_model)
                .with_bias(self.bias)
                .init(device),
        })
    }
}

/// The transformer feed-forward block of Shazeer 2020: `FFN(x) = (act(x W) ⊗ x V) W₂`.
#[derive(Module, Debug)]
pub struct GluFeedForward {
    /// `act(x W) ⊗ x V`.
    pub gated: GatedLinear,
    /// `W₂`.
    pub output: Linear,
}

impl GluFeedForward {
    /// # Shapes
    /// - input: `[..., d_model]`
    /// - output: `[..., d_model]`
    pub fn forward<const D: usize>(&self, input: Tensor<D>) -> Tensor<D> {
        self.output.forward(self.gated.forward(input))
    }
}

const fn variant_info(
    name: &'static str,
    title: &'static str,
    formula: &'static str,
    derivative: &'static str,
    smooth: bool,
) -> ActivationInfo {
    ActivationInfo {
        name,
        title,
        formula,
        derivative,
        range: "(-inf, inf)",
        zero_centred: false,
        saturation: Saturation::None,
        monotone: false,
        smooth,
        learnable: &[],
        problems: &["halves the width of the split dimension, which must be even"],
        pytorch: "a, b = x.chunk(2, dim); a * act(b)",
        reference: "Dauphin et al. 2017; Shazeer 2020",
    }
}

/// Catalog entries of the split forms, one per [`GluVariant`], in [`GluVariant::ALL`] order.
pub const INFO: [ActivationInfo; 5] = [
    variant_info(
        "glu",
        "GLU",
        "a ⊗ σ(b), a|b = halves of dim; gate=g: a ⊗ g(b)",
        "d/da = σ(b); d/db = a·σ(b)(1 - σ(b)) (with gate=g: g(b) and a·g'(b))",
        true,
    ),
    variant_info(
        "geglu",
        "GEGLU",
        "a ⊗ GELU(b), a|b = halves of dim",
        "d/da = GELU(b); d/db = a·GELU'(b)",
        true,
    ),
    variant_info(
        "swiglu",
        "SwiGLU",
        "a ⊗ SiLU(b), a|b = halves of dim",
        "d/da = SiLU(b); d/db = a·SiLU'(b)",
        true,
    ),
    variant_info(
        "reglu",
        "ReGLU",
        "a ⊗ ReLU(b), a|b = halves of dim",
        "d/da = ReLU(b); d/db = a if b > 0, else 0",
        false,
    ),
    variant_info(
        "bilinear",
        "Bilinear",
        "a ⊗ b, a|b = halves of dim",
        "d/da = b; d/db = a",
        true,
    ),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activations::test_util::*;
    use burn::tensor::TensorData;

    #[test]
    fn gate_is_the_second_half() {
        let device = Device::flex();
        let x = Tensor::<1>::from_data(TensorData::from([2.0f32, -1.0, 0.0, 3.0]), &device);
        let y = GluConfig::new(GluVariant::Reglu)
            .init(&device)
            .unwrap()
            .forward(x);
        assert_close(&to_vec(y), &[0.0, -3.0]);
    }

    #[test]
    fn any_element_wise_gate() {
        let device = Device::flex();
        let x = Tensor::<1>::from_data(TensorData::from([2.0f32, -1.0, -2.0, 3.0]), &device);
        let tanh_gelu = ActivationConfig::GeluTanh;
        let glu = GluConfig::new(GluVariant::Glu).gated_by(tanh_gelu.clone());
        assert_eq!(glu.name(), "glu");
        let y = glu.init(&device).unwrap().forward(x.clone());
        let gate = crate::GeluTanh::new().forward(x.clone().narrow(0, 2, 2));
        assert_close(&to_vec(y), &to_vec(x.narrow(0, 0, 2) * gate));
        // a named variant's own gate gives that variant
        let silu = GluConfig::new(GluVariant::Glu).gated_by(ActivationConfig::Silu);
        assert_eq!(
            (silu.variant, silu.gate_activation),
            (GluVariant::Swiglu, None)
        );
        // a gate that changes the width is refused
        let maxout = ActivationConfig::Maxout(crate::MaxoutConfig::new());
        let err = GluConfig::new(GluVariant::Glu)
            .gated_by(maxout)
            .init(&device)
            .unwrap_err();
        assert!(err.to_string().contains("element-wise"), "{err}");
    }

    /// The single-pass split kernel (flex, ndarray) against the halves taken by `narrow`, gated
    /// by the element-wise module and multiplied, all differentiated by autodiff: values and
    /// gradients for every variant and split dimension.
    #[test]
    #[cfg(all(feature = "flex", feature = "ndarray"))] // the CPU kernels
    fn single_pass_kernel_matches_narrow_gate_and_multiply() {
        let xs: Vec<f32> = (0..4 * 6 * 2)
            .map(|i| ((i * 37 % 23) as f32 - 11.0) * 0.41)
            .collect();
        let upstream: Vec<f32> = (0..48).map(|i| 0.5 + (i % 5) as f32).collect();
        #[allow(deprecated)]
        for device in [Device::flex(), Device::ndarray()] {
            let device = device.autodiff();
            for variant in GluVariant::ALL {
                for dim in 0..3 {
                    let x = Tensor::<3>::from_data(TensorData::new(xs.clone(), [4, 6, 2]), &device);
                    let mut out = [4, 6, 2];
                    out[dim] /= 2;
                    let up = Tensor::<3>::from_data(
                        TensorData::new(upstream[..24].to_vec(), out),
                        &device,
                    );
                    let run = |fused: bool| {
                        let x = x.clone().require_grad();
                        let y = if fused {
                            crate::ops::grouped::glu(x.clone(), variant, dim)
                                .expect("a CPU backend")
                        } else {
                            let half = out[dim];
                            x.clone().narrow(dim, 0, half)
                                * variant.gate(x.clone().narrow(dim, half, half))
                        };
                        let grads = (y.clone() * up.clone()).sum().backward();
                        (
                            to_vec(y.flatten(0, 2)),
                            to_vec(x.grad(&grads).unwrap().flatten(0, 2)),
                        )
                    };
                    let (fused, reference) = (run(true), run(false));
                    assert_close(&fused.0, &reference.0);
                    assert_close(&fused.1, &reference.1);
                }
            }
        }
    }

    #[test]
    fn odd_width_is_a_typed_error() {
        let x = Tensor::<2>::zeros([2, 5], &Device::flex());
        let err = GluConfig::new(GluVariant::Swiglu)
            .init(&Device::flex())
            .unwrap()
            .try_forward(x)
            .unwrap_err();
        assert!(
            err.to_string().contains("multiple of 2") && err.to_string().contains("size 5"),
            "{err}"
        );
    }

    #[test]
    fn feed_forward_keeps_the_model_width() {
        let device = Device::flex();
        let ffn = GluFeedForwardConfig::new(8, 12, GluVariant::Geglu);
        let x = Tensor::<3>::ones([2, 3, 8], &device);
        assert_eq!(
            ffn.init(&device).unwrap().forward(x.clone()).dims(),
            [2, 3, 8]
        );
        // Gemma's GeGLU: the tanh GELU as the gate, the same output as gating by hand
        let gemma = ffn
            .gated_by(ActivationConfig::GeluTanh)
            .init(&device)
            .unwrap();
        let gated = &gemma.gated;
        let by_hand = gated.value.forward(x.clone())
            * crate::GeluTanh::new().forward(gated.gate.forward(x.clone()));
        assert_close(
            &to_vec(gemma.forward(x).flatten(0, 2)),
            &to_vec(gemma.output.forward(by_hand).flatten(0, 2)),
        );
        let bad = GatedLinearConfig::new(8, 4, GluVariant::Glu).gated_by("maxout".parse().unwrap());
        assert!(bad.init(&device).is_err());
    }
}
