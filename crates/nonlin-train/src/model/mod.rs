//! Models whose activations are chosen by config: MLP (optionally one activation per layer),
//! Maxout MLP, a deep narrow MLP for gradient-flow studies, a small CNN for images, and (in
//! [`transformer`]) a character-level language model.
//! (Near 600 lines: the config's checks, its parameter count and the builders read the same
//! widths and belong together; the transformer of issue 16 gets a file of its own.)

mod init;
pub mod transformer;

pub use init::Init;
pub use transformer::{Positions, TransformerConfig, TransformerShape};

use crate::error::TrainError;
use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::pool::{MaxPool2d, MaxPool2dConfig};
use burn::nn::{
    BatchNorm, BatchNormConfig, Dropout, DropoutConfig, Linear, LinearConfig, PaddingConfig2d,
};
use burn::tensor::{Device, Tensor};
use nonlin_activations::{ActivationConfig, AnyActivation, MaxoutConfig};
use serde::{Deserialize, Serialize};

/// Which architecture.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModelKind {
    /// Fully connected layers of widths `hidden`.
    #[default]
    Mlp,
    /// An MLP whose every activation is Maxout with `maxout_k` pieces.
    MaxoutMlp,
    /// `depth` fully connected layers of `width` units, for gradient-flow studies.
    DeepMlp,
    /// Two 3×3 convolutions (`channels`) with 2×2 max pooling, then `hidden` dense layers.
    Cnn,
    /// A decoder-only character-level transformer (sizes in `transformer`, the feed-forward
    /// activation in `activation`), for text data sets.
    Transformer,
}

/// The most layers a `deep_mlp` may have.
pub const MAX_DEPTH: usize = 10_000;

/// A model, by configuration. In TOML, activations are spec strings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ModelConfig {
    /// The architecture.
    pub kind: ModelKind,
    /// Widths of the hidden dense layers (units after the activation).
    pub hidden: Vec<usize>,
    /// The activation of every hidden layer.
    #[serde(with = "nonlin_activations::spec_serde")]
    pub activation: ActivationConfig,
    /// One activation per hidden layer (dense layers after the convolutions for the CNN),
    /// overriding `activation`.
    #[serde(with = "specs_serde")]
    pub activations: Option<Vec<ActivationConfig>>,
    /// Dropout probability after each hidden activation.
    pub dropout: f64,
    /// Batch normalisation before each hidden activation.
    pub batch_norm: bool,
    /// Weight initialisation of the hidden layers.
    pub init: Init,
    /// Initial bias of the hidden layers; unset keeps the initializer's (a small positive value
    /// keeps ReLU units alive).
    pub bias_init: Option<f64>,
    /// Pieces per unit for `maxout_mlp`.
    pub maxout_k: usize,
    /// Layers of `deep_mlp`.
    pub depth: usize,
    /// Units per layer of `deep_mlp`.
    pub width: usize,
    /// Channels of the CNN's two convolutions.
    pub channels: Vec<usize>,
    /// Sizes of the `transformer` (its feed-forward activation is `activation`, its residual
    /// dropout `dropout`).
    pub transformer: TransformerShape,
}

impl Default for ModelConfig {
    fn default() -> Self {
        Self {
            kind: ModelKind::Mlp,
            hidden: vec![128],
            activation: ActivationConfig::Relu,
            activations: None,
            dropout: 0.0,
            batch_norm: false,
            init: Init::Pytorch,
            bias_init: None,
            maxout_k: 2,
            depth: 30,
            width: 32,
            channels: vec![16, 32],
            transformer: TransformerShape::default(),
        }
    }
}

mod specs_serde {
    use nonlin_activations::ActivationConfig;
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub fn serialize<S: Serializer>(
        v: &Option<Vec<ActivationConfig>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match v {
            None => s.serialize_none(),
            Some(list) => s.collect_seq(list.iter().map(ActivationConfig::spec)),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Vec<ActivationConfig>>, D::Error> {
        let specs: Option<Vec<String>> = Option::deserialize(d)?;
        specs
            .map(|list| {
                list.iter()
                    .map(|s| s.parse().map_err(D::Error::custom))
                    .collect()
            })
            .transpose()
    }
}

impl ModelConfig {
    /// The widths of the hidden dense layers.
    pub fn hidden_widths(&self) -> Vec<usize> {
        match self.kind {
            ModelKind::DeepMlp => vec![self.width; self.depth],
            _ => self.hidden.clone(),
        }
    }

    /// The activation of each hidden dense layer.
    pub fn layer_activations(&self) -> Result<Vec<ActivationConfig>, TrainError> {
        let layers = self.hidden_widths().len();
        if self.kind == ModelKind::MaxoutMlp {
            let maxout = ActivationConfig::Maxout(MaxoutConfig::new().with_k(self.maxout_k));
            return Ok(vec![maxout; layers]);
        }
        match &self.activations {
            Some(list) if list.len() != layers => Err(TrainError::Config(format!(
                "`activations` lists {} activations for {layers} hidden layers",
                list.len()
            ))),
            Some(list) => Ok(list.clone()),
            None => Ok(vec![self.activation.clone(); layers]),
        }
    }

    /// The transformer's full config for a vocabulary of `vocab` symbols.
    pub fn transformer_config(&self, vocab: usize) -> TransformerConfig {
        self.transformer
            .config(vocab, self.activation.clone(), self.dropout)
    }

    /// A short description for logs and tables, e.g. `mlp 64-128-10 relu`.
    pub fn describe(&self, inputs: usize, classes: usize) -> String {
        if self.kind == ModelKind::Transformer {
            return self.transformer_config(classes).describe();
        }
        let widths: Vec<String> = core::iter::once(inputs)
            .chain(self.hidden_widths())
            .chain([classes])
            .map(|w| w.to_string())
            .collect();
        let kind = match self.kind {
            ModelKind::Mlp => "mlp",
            ModelKind::MaxoutMlp => "maxout_mlp",
            ModelKind::DeepMlp => "deep_mlp",
            ModelKind::Cnn => "cnn",
            ModelKind::Transformer => "transformer",
        };
        let activation = match (&self.activations, self.kind) {
            (_, ModelKind::MaxoutMlp) => format!("maxout(k={})", self.maxout_k),
            (Some(list), _) => list
                .iter()
                .map(ActivationConfig::spec)
                .collect::<Vec<_>>()
                .join("/"),
            (None, _) => self.activation.spec(),
        };
        format!("{kind} {} {activation}", widths.join("-"))
    }

    /// Checks what can be checked without the data: widths, dropout, bias, and that split
    /// activations (Maxout, the GLU family) in dense layers split the feature dimension.
    pub fn validate(&self) -> Result<(), TrainError> {
        if self.kind == ModelKind::Transformer {
            if self.activations.is_some() {
                return Err(TrainError::Config(
                    "the transformer has one feed-forward activation (`activation`); leave \
                     `activations` (one per dense layer) unset"
                        .into(),
                ));
            }
            // the sizes, with a vocabulary that the text will replace
            return self.transformer_config(1).validate();
        }
        if self.kind == ModelKind::DeepMlp && self.depth > MAX_DEPTH {
            return Err(TrainError::Config(format!(
                "depth = {} is more than {MAX_DEPTH} layers",
                self.depth
            )));
        }
        let widths = self.hidden_widths();
        if widths.contains(&0) {
            return Err(TrainError::Config(format!(
                "hidden widths must be positive, got {widths:?}"
            )));
        }
        if !(0.0..1.0).contains(&self.dropout) {
            return Err(TrainError::Config(format!(
                "dropout = {} must be in [0, 1)",
                self.dropout
            )));
        }
        if let Some(bias) = self.bias_init.filter(|b| !b.is_finite()) {
            return Err(TrainError::Config(format!(
                "bias_init = {bias} must be finite"
            )));
        }
        for activation in self.layer_activations()? {
            let dim = match &activation {
                ActivationConfig::Maxout(c) => c.dim,
                ActivationConfig::Glu(c) => c.dim,
                _ => continue,
            };
            if dim != -1 && dim != 1 {
                return Err(TrainError::Config(format!(
                    "{} splits dimension {dim}, but a dense layer's output is [batch, features]: \
                     only the features (dim=-1, the default) can be split; write {}",
                    activation.spec(),
                    activation.with_split_dim(-1).spec()
                )));
            }
        }
        Ok(())
    }

    /// Parameters of the model for samples of `sample_shape` and `classes` classes; `None` if
    /// the count does not fit in 128 bits.
    /// (For the transformer, `classes` is the vocabulary and `sample_shape` is not read.)
    pub fn parameter_count(&self, sample_shape: &[usize], classes: usize) -> Option<u128> {
        if self.kind == ModelKind::Transformer {
            return self.transformer_config(classes).parameter_count();
        }
        let n = |v: usize| v as u128;
        let mut total: u128 = 0;
        let dense = |inputs: u128, total: &mut u128| -> Option<()> {
            let mut width_in = inputs;
            for (units, activation) in self.hidden_widths().into_iter().zip(
                self.layer_activations()
                    .ok()?
                    .iter()
                    .map(ActivationConfig::width_factor),
            ) {
                let width_out = n(units).checked_mul(n(activation))?;
                // weights and bias (and batch norm's four vectors)
                *total = total.checked_add(width_in.checked_add(5)?.checked_mul(width_out)?)?;
                width_in = n(units);
            }
            *total = total.checked_add(width_in.checked_add(1)?.checked_mul(n(classes))?)?;
            Some(())
        };
        match (self.kind, sample_shape) {
            (ModelKind::Cnn, &[channels_in, height, width]) => {
                let factor = n(self.activation.width_factor());
                let (mut c, mut h, mut w) = (n(channels_in), n(height), n(width));
                for &channels in &self.channels {
                    let out = n(channels).checked_mul(factor)?;
                    total =
                        total.checked_add(c.checked_mul(9)?.checked_add(1)?.checked_mul(out)?)?;
                    (c, h, w) = (n(channels), h / 2, w / 2);
                }
                dense(c.checked_mul(h)?.checked_mul(w)?, &mut total)?;
            }
            _ => {
                let inputs = sample_shape
                    .iter()
                    .try_fold(1u128, |acc, &d| acc.checked_mul(n(d)))?;
                dense(inputs, &mut total)?;
            }
        }
        Some(total)
    }

    /// [`Self::init`] for the samples and classes of `data`.
    pub fn init_for(&self, data: &crate::Dataset, device: &Device) -> Result<Model, TrainError> {
        self.init(&data.sample_shape, data.num_classes, device)
    }

    /// Builds the model for samples of `sample_shape` and `classes` classes on `device`, or says
    /// why this configuration cannot work (a CNN on tabular data, zero widths, invalid activations,
    /// more parameters than memory holds).
    pub fn init(
        &self,
        sample_shape: &[usize],
        classes: usize,
        device: &Device,
    ) -> Result<Model, TrainError> {
        self.validate()?;
        if self.kind == ModelKind::Transformer {
            return Err(TrainError::Config(
                "the transformer is a language model: train it on text (--dataset shakespeare \
                 or text(path=FILE)), or choose a classifier (mlp, maxout_mlp, deep_mlp, cnn)"
                    .into(),
            ));
        }
        // weights, gradients and two optimizer moments, 4 bytes each
        let bytes = self
            .parameter_count(sample_shape, classes)
            .and_then(|p| p.checked_mul(16));
        crate::memory::check(
            &format!(
                "the model {}",
                self.describe(sample_shape.iter().product(), classes)
            ),
            bytes,
            "use smaller hidden widths (or a smaller maxout k)",
        )
        .map_err(TrainError::Config)?;
        let widths = self.hidden_widths();
        let activations = self.layer_activations()?;
        let dense =
            |inputs: usize| self.dense_stack(inputs, &widths, &activations, classes, device);
        match self.kind {
            ModelKind::Cnn => {
                let &[channels_in, height, width] = sample_shape else {
                    return Err(TrainError::Config(format!(
                        "the CNN needs image samples [channels, height, width], but this data set's samples have shape {sample_shape:?}; use model kind mlp"
                    )));
                };
                Ok(Model::Cnn(self.cnn(
                    channels_in,
                    height,
                    width,
                    dense,
                    device,
                )?))
            }
            _ => Ok(Model::Mlp(dense(sample_shape.iter().product())?)),
        }
    }

    fn dense_stack(
        &self,
        inputs: usize,
        widths: &[usize],
        activations: &[ActivationConfig],
        classes: usize,
        device: &Device,
    ) -> Result<Mlp, TrainError> {
        let mut layers = Vec::new();
        let mut norms = Vec::new();
        let mut acts = Vec::new();
        let mut width_in = inputs;
        for (&units, activation) in widths.iter().zip(activations) {
            // Maxout and the GLU family consume `factor` features per output unit
            let width_out = units * activation.width_factor();
            let linear = self
                .init
                .linear(width_in, width_out, self.bias_init, device);
            layers.push(linear);
            if self.batch_norm {
                norms.push(BatchNormConfig::new(width_out).init(device));
            }
            acts.push(activation.init_any(device)?);
            width_in = units;
        }
        Ok(Mlp {
            layers,
            norms,
            activations: acts,
            dropout: DropoutConfig::new(self.dropout).init(),
            head: LinearConfig::new(width_in, classes).init(device),
        })
    }

    fn cnn(
        &self,
        channels_in: usize,
        height: usize,
        width: usize,
        dense: impl FnOnce(usize) -> Result<Mlp, TrainError>,
        device: &Device,
    ) -> Result<Cnn, TrainError> {
        if self.channels.is_empty() || self.channels.contains(&0) {
            return Err(TrainError::Config(format!(
                "CNN channels must be positive, got {:?}",
                self.channels
            )));
        }
        let conv_activation = self.activation.with_split_dim(1);
        let mut convs = Vec::new();
        let mut conv_acts = Vec::new();
        let (mut c, mut h, mut w) = (channels_in, height, width);
        for &channels in &self.channels {
            if h < 2 || w < 2 {
                return Err(TrainError::Config(format!(
                    "{} convolution blocks halve {height}×{width} images below 1 pixel; use fewer channels entries",
                    self.channels.len()
                )));
            }
            let out = channels * conv_activation.width_factor();
            convs.push(
                Conv2dConfig::new([c, out], [3, 3])
                    .with_padding(PaddingConfig2d::Same)
                    .init(device),
            );
            conv_acts.push(conv_activation.init_any(device)?);
            (c, h, w) = (channels, h / 2, w / 2);
        }
        Ok(Cnn {
            convs,
            conv_activations: conv_acts,
            pool: MaxPool2dConfig::new([2, 2]).init(),
            dense: dense(c * h * w)?,
            input_shape: [channels_in, height, width],
        })
    }
}

/// Applies a layer's activation. Each layer was built `units · width_factor()` wide (or with that
/// many channels), so Maxout's `k` and the GLU family's 2 divide the dimension they split, and the
/// split cannot fail: the typed error would mean a model built by hand with mismatched widths.
fn activate<const D: usize>(activation: &AnyActivation, z: Tensor<D>) -> Tensor<D> {
    activation
        .try_forward(z)
        .unwrap_or_else(|e| unreachable!("a layer is sized for its activation: {e}"))
}

/// A Burn [`Linear`] layer through nonlin's dense op, whose products write each output once on
/// flex and ndarray (burn-flex's matmul zero-fills and copies every output first); the same
/// values and gradients as `layer.forward(x)`.
pub(crate) fn dense<const D: usize>(layer: &Linear, x: Tensor<D>) -> Tensor<D> {
    nonlin_activations::linear(x, layer.weight.val(), layer.bias.as_ref().map(|b| b.val()))
}

/// Fully connected layers: `Linear → [BatchNorm] → activation → dropout`, then a linear head.
#[derive(Module, Debug)]
pub struct Mlp {
    /// The hidden linear layers.
    pub layers: Vec<Linear>,
    /// Batch norms, one per hidden layer when enabled, else empty.
    pub norms: Vec<BatchNorm>,
    /// The activation of each hidden layer.
    pub activations: Vec<AnyActivation>,
    /// Dropout after each activation.
    pub dropout: Dropout,
    /// The output layer (logits).
    pub head: Linear,
}

/// What one hidden layer computed: the pre-activation `z` and the activation's output `h`.
#[derive(Debug, Clone)]
pub struct LayerTrace {
    /// `W x + b` (after batch norm when enabled).
    pub pre_activation: Tensor<2>,
    /// `f(z)`.
    pub output: Tensor<2>,
}

impl Mlp {
    /// `[batch, inputs] → [batch, classes]` logits.
    pub fn forward(&self, x: Tensor<2>) -> Tensor<2> {
        self.forward_traced(x, |_, z| z).0
    }

    /// The forward pass that also returns each hidden layer's pre-activation and output.
    /// `probe(layer, z)` may replace each pre-activation before the activation (diagnostics add a
    /// zero leaf there to read `dL/dz`).
    pub fn forward_traced(
        &self,
        mut x: Tensor<2>,
        mut probe: impl FnMut(usize, Tensor<2>) -> Tensor<2>,
    ) -> (Tensor<2>, Vec<LayerTrace>) {
        let mut traces = Vec::with_capacity(self.layers.len());
        for (i, (linear, activation)) in self.layers.iter().zip(&self.activations).enumerate() {
            let mut z = dense(linear, x);
            if let Some(norm) = self.norms.get(i) {
                z = norm.forward(z);
            }
            let z = probe(i, z);
            let h = activate(activation, z.clone());
            traces.push(LayerTrace {
                pre_activation: z,
                output: h.clone(),
            });
            x = self.dropout.forward(h);
        }
        (dense(&self.head, x), traces)
    }
}

/// Two convolution blocks (`conv 3×3 → activation → max-pool 2×2`), then an [`Mlp`].
#[derive(Module, Debug)]
pub struct Cnn {
    /// The convolutions.
    pub convs: Vec<Conv2d>,
    /// Their activations (Maxout and the GLU family split channels).
    pub conv_activations: Vec<AnyActivation>,
    /// 2×2 max pooling.
    pub pool: MaxPool2d,
    /// The dense layers and head.
    pub dense: Mlp,
    /// `[channels, height, width]` of one sample.
    pub input_shape: [usize; 3],
}

impl Cnn {
    /// `[batch, c·h·w] → [batch, classes]` logits.
    pub fn forward(&self, x: Tensor<2>) -> Tensor<2> {
        self.dense.forward(self.features(x))
    }

    /// The flattened output of the convolution blocks.
    pub fn features(&self, x: Tensor<2>) -> Tensor<2> {
        let [batch, _] = x.dims();
        let [c, h, w] = self.input_shape;
        let mut x: Tensor<4> = x.reshape([batch, c, h, w]);
        for (conv, activation) in self.convs.iter().zip(&self.conv_activations) {
            x = self.pool.forward(activate(activation, conv.forward(x)));
        }
        x.flatten(1, 3)
    }
}

/// Any model of this crate.
#[derive(Module, Debug)]
#[allow(clippy::large_enum_variant)]
pub enum Model {
    /// An MLP (also Maxout and deep MLPs).
    Mlp(Mlp),
    /// A CNN.
    Cnn(Cnn),
}

impl Model {
    /// `[batch, features] → [batch, classes]` logits.
    pub fn forward(&self, x: Tensor<2>) -> Tensor<2> {
        match self {
            Model::Mlp(m) => m.forward(x),
            Model::Cnn(m) => m.forward(x),
        }
    }

    /// The dense part: the whole MLP, or the CNN's layers after the convolutions.
    pub fn dense(&self) -> &Mlp {
        match self {
            Model::Mlp(m) => m,
            Model::Cnn(m) => &m.dense,
        }
    }

    /// The input of the dense part for raw samples `x`.
    pub fn dense_input(&self, x: Tensor<2>) -> Tensor<2> {
        match self {
            Model::Mlp(_) => x,
            Model::Cnn(m) => m.features(x),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_follow_the_activation() {
        let device = Device::flex();
        for (spec, first_out) in [("relu", 16), ("maxout(k=3)", 48), ("swiglu", 32)] {
            let config = ModelConfig {
                hidden: vec![16, 8],
                activation: spec.parse().unwrap(),
                ..Default::default()
            };
            let model = config.init(&[4], 3, &device).unwrap();
            let Model::Mlp(mlp) = &model else { panic!() };
            assert_eq!(mlp.layers[0].weight.dims(), [4, first_out], "{spec}");
            assert_eq!(
                model.forward(Tensor::zeros([5, 4], &device)).dims(),
                [5, 3],
                "{spec}"
            );
        }
    }

    #[test]
    fn cnn_on_images_and_errors_on_tables() {
        let device = Device::flex();
        let config = ModelConfig {
            kind: ModelKind::Cnn,
            hidden: vec![32],
            ..Default::default()
        };
        let model = config.init(&[1, 8, 8], 10, &device).unwrap();
        assert_eq!(
            model.forward(Tensor::zeros([2, 64], &device)).dims(),
            [2, 10]
        );
        let glu_cnn = ModelConfig {
            activation: "glu".parse().unwrap(),
            ..config.clone()
        };
        assert_eq!(
            glu_cnn
                .init(&[1, 8, 8], 10, &device)
                .unwrap()
                .forward(Tensor::zeros([2, 64], &device))
                .dims(),
            [2, 10]
        );
        let err = config.init(&[2], 3, &device).unwrap_err().to_string();
        assert!(err.contains("use model kind mlp"), "{err}");
    }

    #[test]
    fn deep_and_maxout_mlps() {
        let deep = ModelConfig {
            kind: ModelKind::DeepMlp,
            depth: 20,
            width: 8,
            ..Default::default()
        };
        assert_eq!(deep.hidden_widths(), vec![8; 20]);
        assert_eq!(deep.describe(2, 3).split('-').count(), 22);
        let maxout = ModelConfig {
            kind: ModelKind::MaxoutMlp,
            maxout_k: 4,
            hidden: vec![10],
            ..Default::default()
        };
        assert_eq!(maxout.describe(2, 3), "maxout_mlp 2-10-3 maxout(k=4)");
        let wrong = ModelConfig {
            activations: Some(vec![ActivationConfig::Relu; 3]),
            ..Default::default()
        };
        assert!(
            wrong
                .init(&[2], 2, &Device::flex())
                .unwrap_err()
                .to_string()
                .contains("3 activations for 1")
        );
    }
}
