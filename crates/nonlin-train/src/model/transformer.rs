//! A decoder-only character-level transformer (GPT-style, pre-norm) whose feed-forward activation
//! is any catalog spec.
//!
//! ```text
//! tokens [B, T] → embedding (+ learned positions) → dropout
//!   → layers × { x + drop(attention(norm(x))), x + drop(feed_forward(norm(x))) }
//!   → norm → logits [B, T, vocab] (tied to the embedding, or a projection of its own)
//! ```
//!
//! The feed-forward block is `W₂ · act(W₁ x)`, one code path for every entry of the catalog: `W₁`
//! maps `d_model` to `hidden · w`, where `w` is how much the activation narrows its input (1 for an
//! element-wise activation, `k` for Maxout, 2 for the GLU family, whose `act` is `a ⊗ gate(b)` over
//! the two halves of `W₁ x`, that is Shazeer's `(xW ⊗ act(xV))` with `W` and `V` side by side), and
//! `W₂` maps `hidden` back. With `match_parameters` (the default) `hidden = 2·d_ff / (w + 1)`, so
//! that every activation spends the same `2·d_model·d_ff` weights as the ungated block: the 2/3 of
//! Shazeer 2020 for the GLU family.
//!
//! Attention is written out (rather than Burn's `MultiHeadAttention`) so that rotary positions can
//! rotate queries and keys between the projection and the scores; it runs through
//! `nonlin_activations::causal_attention` on the packed projection (rotated q and k packed again),
//! and the norms through `nonlin_activations::layer_norm`.
//!
//! (About 590 lines: the config's checks, its parameter count, the modules and generation read
//! the same sizes and belong together; the tests are in `transformer/tests.rs`.)

use super::dense;
use crate::error::TrainError;
use crate::rng::Rng;
use burn::config::Config;
use burn::module::Module;
use burn::nn::loss::CrossEntropyLossConfig;
use burn::nn::{
    Dropout, DropoutConfig, Embedding, EmbeddingConfig, Initializer, LayerNorm, LayerNormConfig,
    Linear, LinearConfig, RotaryEncoding, RotaryEncodingConfig,
};
use burn::tensor::{Device, Int, Tensor, TensorData};
use nonlin_activations::{ActivationConfig, ActivationError, AnyActivation};
use serde::{Deserialize, Serialize};

/// How the model knows where a character stands.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Positions {
    /// A learned vector per position, added to the embedding (GPT-2, nanoGPT).
    #[default]
    Learned,
    /// Rotary position embedding of queries and keys (Su et al. 2021).
    Rotary,
}

/// The transformer's sizes as an experiment config holds them (`[model.transformer]`): the
/// vocabulary comes from the text, the feed-forward activation and the dropout from `[model]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TransformerShape {
    /// The longest context the model reads (and the training windows' length).
    pub context: usize,
    /// Transformer blocks.
    pub layers: usize,
    /// Width of the residual stream.
    pub d_model: usize,
    /// Attention heads.
    pub heads: usize,
    /// Hidden width of the ungated feed-forward block.
    pub d_ff: usize,
    /// Match every activation's feed-forward parameters to the ungated block's.
    pub match_parameters: bool,
    /// Learned or rotary positions.
    pub positions: Positions,
    /// Logits from the embedding matrix.
    pub tie_embeddings: bool,
    /// Biases in the attention and feed-forward projections.
    pub bias: bool,
}

impl Default for TransformerShape {
    fn default() -> Self {
        let c = TransformerConfig::new(1);
        Self {
            context: c.context,
            layers: c.layers,
            d_model: c.d_model,
            heads: c.heads,
            d_ff: c.d_ff,
            match_parameters: c.match_parameters,
            positions: c.positions,
            tie_embeddings: c.tie_embeddings,
            bias: c.bias,
        }
    }
}

impl TransformerShape {
    /// The model's full config for a vocabulary of `vocab` symbols.
    pub fn config(
        &self,
        vocab: usize,
        activation: ActivationConfig,
        dropout: f64,
    ) -> TransformerConfig {
        TransformerConfig {
            vocab,
            context: self.context,
            layers: self.layers,
            d_model: self.d_model,
            heads: self.heads,
            d_ff: self.d_ff,
            activation,
            match_parameters: self.match_parameters,
            dropout,
            positions: self.positions,
            tie_embeddings: self.tie_embeddings,
            bias: self.bias,
        }
    }
}

/// Sizes and choices of the transformer. In TOML, `activation` is a spec string.
#[derive(Config, Debug, PartialEq)]
pub struct TransformerConfig {
    /// Characters in the vocabulary (input and output size).
    pub vocab: usize,
    /// The longest context the model reads.
    #[config(default = 128)]
    pub context: usize,
    /// Transformer blocks.
    #[config(default = 4)]
    pub layers: usize,
    /// Width of the residual stream.
    #[config(default = 128)]
    pub d_model: usize,
    /// Attention heads (`d_model` must divide by it).
    #[config(default = 4)]
    pub heads: usize,
    /// Hidden width of the ungated feed-forward block (4 · d_model, as GPT).
    #[config(default = 512)]
    pub d_ff: usize,
    /// The feed-forward activation: any catalog spec.
    #[config(default = "ActivationConfig::Gelu")]
    pub activation: ActivationConfig,
    /// Scale the feed-forward hidden width so that every activation has the ungated block's
    /// parameter count (2/3 of `d_ff` for the GLU family).
    #[config(default = true)]
    pub match_parameters: bool,
    /// Dropout on the embedding and on each residual branch.
    #[config(default = 0.0)]
    pub dropout: f64,
    /// Learned or rotary positions.
    #[config(default = "Positions::Learned")]
    pub positions: Positions,
    /// Logits from the embedding matrix (tied) instead of a projection of their own.
    #[config(default = false)]
    pub tie_embeddings: bool,
    /// Biases in the attention and feed-forward projections (the norms always have theirs).
    #[config(default = false)]
    pub bias: bool,
}

impl TransformerConfig {
    /// A short description for logs and tables, e.g. `transformer 4×128 h4 ctx128 swiglu(ffn 341)`.
    pub fn describe(&self) -> String {
        format!(
            "transformer {}×{} h{} ctx{} {}(ffn {})",
            self.layers,
            self.d_model,
            self.heads,
            self.context,
            self.activation.spec(),
            self.ffn_hidden()
        )
    }

    /// How much the feed-forward activation narrows its input: 1, `k` (Maxout) or 2 (GLU).
    fn narrowing(&self) -> usize {
        self.activation.width_factor()
    }

    /// The feed-forward hidden width after the activation (see the module docs).
    pub fn ffn_hidden(&self) -> usize {
        if self.match_parameters {
            let w = self.narrowing();
            ((2 * self.d_ff) as f64 / (w + 1) as f64).round().max(1.0) as usize
        } else {
            self.d_ff
        }
    }

    /// Checks the sizes, naming the field and the fix.
    pub fn validate(&self) -> Result<(), TrainError> {
        let bad = |message: String| Err(TrainError::Config(message));
        for (name, value) in [
            ("vocab", self.vocab),
            ("context", self.context),
            ("layers", self.layers),
            ("d_model", self.d_model),
            ("heads", self.heads),
            ("d_ff", self.d_ff),
        ] {
            if value == 0 {
                return bad(format!("transformer {name} must be at least 1"));
            }
        }
        if !self.d_model.is_multiple_of(self.heads) {
            return bad(format!(
                "transformer d_model ({}) must divide by heads ({}); try d_model = {}",
                self.d_model,
                self.heads,
                self.d_model.div_ceil(self.heads) * self.heads
            ));
        }
        if self.positions == Positions::Rotary && !(self.d_model / self.heads).is_multiple_of(2) {
            return bad(format!(
                "rotary positions rotate pairs of features: d_model / heads = {} must be even",
                self.d_model / self.heads
            ));
        }
        if !(0.0..1.0).contains(&self.dropout) {
            return bad(format!(
                "transformer dropout {} must be in [0, 1)",
                self.dropout
            ));
        }
        self.activation.validate()?;
        if self.activation.channel_parameters() > 1 {
            return bad(format!(
                "{}: one parameter per channel does not fit a feed-forward block, whose channels \
                 are its last dimension; use num_parameters=1",
                self.activation.spec()
            ));
        }
        if self.parameter_count().is_none() {
            return bad("the transformer's parameter count overflows; use smaller sizes".into());
        }
        Ok(())
    }

    /// Trainable parameters (learnable activation parameters included), or `None` on overflow.
    pub fn parameter_count(&self) -> Option<u128> {
        let (v, d, t, l) = (
            self.vocab as u128,
            self.d_model as u128,
            self.context as u128,
            self.layers as u128,
        );
        let h = self.ffn_hidden() as u128;
        let w = self.narrowing() as u128;
        let b = u128::from(self.bias);
        let norm = 2 * d;
        let attention = d * 3 * d + 3 * d * b + d * d + d * b;
        let feed_forward = d * h * w + h * w * b + h * d + d * b;
        let activation = u128::from(self.activation.is_learnable());
        let block = norm + attention + norm + feed_forward + activation;
        let positions = match self.positions {
            Positions::Learned => t * d,
            Positions::Rotary => 0,
        };
        let head = if self.tie_embeddings { 0 } else { d * v };
        v.checked_mul(d)?
            .checked_add(positions)?
            .checked_add(l.checked_mul(block)?)?
            .checked_add(norm)?
            .checked_add(head)
    }

    /// Builds the model on `device`: weights `N(0, 0.02)`, the residual output projections
    /// scaled by `1/√(2·layers)` (GPT-2), biases 0.
    pub fn init(&self, device: &Device) -> Result<Transformer, TrainError> {
        self.validate()?;
        let normal = |std: f64| Initializer::Normal { mean: 0.0, std };
        let linear = |d_in: usize, d_out: usize, std: f64| {
            LinearConfig::new(d_in, d_out)
                .with_bias(self.bias)
                .with_initializer(normal(std))
                .init(device)
        };
        let residual_std = 0.02 / ((2 * self.layers) as f64).sqrt();
        let (d, heads) = (self.d_model, self.heads);
        let hidden = self.ffn_hidden();
        let blocks = (0..self.layers)
            .map(|_| {
                Ok(Block {
                    attention_norm: LayerNormConfig::new(d)
                        .with_epsilon(NORM_EPSILON)
                        .init(device),
                    attention: CausalSelfAttention {
                        qkv: linear(d, 3 * d, 0.02),
                        output: linear(d, d, residual_std),
                        heads,
                    },
                    feed_forward_norm: LayerNormConfig::new(d)
                        .with_epsilon(NORM_EPSILON)
                        .init(device),
                    feed_forward: FeedForward {
                        expand: linear(d, hidden * self.narrowing(), 0.02),
                        activation: self.activation.init_any(device)?,
                        contract: linear(hidden, d, residual_std),
                    },
                    dropout: DropoutConfig::new(self.dropout).init(),
                })
            })
            .collect::<Result<Vec<_>, TrainError>>()?;
        Ok(Transformer {
            embedding: EmbeddingConfig::new(self.vocab, d)
                .with_initializer(normal(0.02))
                .init(device),
            positions: match self.positions {
                Positions::Learned => Some(
                    EmbeddingConfig::new(self.context, d)
                        .with_initializer(normal(0.02))
                        .init(device),
                ),
                Positions::Rotary => None,
            },
            rotary: match self.positions {
                Positions::Learned => None,
                Positions::Rotary => {
                    Some(RotaryEncodingConfig::new(self.context, d / heads).init(device))
                }
            },
            dropout: DropoutConfig::new(self.dropout).init(),
            blocks,
            final_norm: LayerNormConfig::new(d)
                .with_epsilon(NORM_EPSILON)
                .init(device),
            head: (!self.tie_embeddings).then(|| {
                LinearConfig::new(d, self.vocab)
                    .with_bias(false)
                    .with_initializer(normal(0.02))
                    .init(device)
            }),
            context: self.context,
        })
    }
}

/// The layer norms' ε (Burn's and PyTorch's default).
const NORM_EPSILON: f64 = 1e-5;

/// A Burn [`LayerNorm`] built with [`NORM_EPSILON`] through nonlin's layer-norm op, one pass
/// forward and one backward on flex and ndarray (Burn differentiates its nine-op composition); the
/// same values and gradients as `norm.forward(x)`.
fn normalize(norm: &LayerNorm, x: Tensor<3>) -> Tensor<3> {
    nonlin_activations::layer_norm(
        x,
        norm.gamma.val(),
        norm.beta.as_ref().map(|b| b.val()),
        NORM_EPSILON,
    )
}

/// Multi-head causal self-attention: one projection to queries, keys and values, scaled dot
/// products where a position sees itself and what came before, and an output projection.
#[derive(Module, Debug)]
pub struct CausalSelfAttention {
    /// `[d_model, 3·d_model]`: queries, keys and values side by side.
    pub qkv: Linear,
    /// The output projection back into the residual stream.
    pub output: Linear,
    /// Heads.
    pub heads: usize,
}

impl CausalSelfAttention {
    /// `[B, T, d]` → `[B, T, d]`; position `t` attends to positions `0..=t` only.
    pub fn forward(&self, x: Tensor<3>, rotary: Option<&RotaryEncoding>) -> Tensor<3> {
        let mut qkv = dense(&self.qkv, x);
        if let Some(rotary) = rotary {
            qkv = rotate_queries_and_keys(qkv, self.heads, rotary);
        }
        // one op: reads q, k and v where the projection left them, writes the heads merged
        let context = nonlin_activations::causal_attention(qkv, self.heads);
        dense(&self.output, context)
    }
}

/// The packed projection `[B, T, 3·d]` with its queries and keys rotated (rotary positions),
/// packed again.
fn rotate_queries_and_keys(qkv: Tensor<3>, heads: usize, rotary: &RotaryEncoding) -> Tensor<3> {
    let [batch, length, width] = qkv.dims();
    let d_head = width / 3 / heads;
    // [B, T, 3, H, d_head] → [3, B, H, T, d_head]
    let parts = qkv
        .reshape([batch, length, 3, heads, d_head])
        .permute([2, 0, 3, 1, 4]);
    let part = |i: usize| {
        parts
            .clone()
            .narrow(0, i, 1)
            .reshape([batch, heads, length, d_head])
    };
    let (q, k, v) = (rotary.forward(part(0)), rotary.forward(part(1)), part(2));
    Tensor::stack::<5>(vec![q, k, v], 0)
        .permute([1, 3, 0, 2, 4])
        .reshape([batch, length, width])
}

/// `W₂ · act(W₁ x)` with any catalog activation (see the module docs).
#[derive(Module, Debug)]
pub struct FeedForward {
    /// `W₁`: `d_model` → `hidden · w`.
    pub expand: Linear,
    /// The activation, narrowing `hidden · w` to `hidden`.
    pub activation: AnyActivation,
    /// `W₂`: `hidden` → `d_model`.
    pub contract: Linear,
}

impl FeedForward {
    /// `[B, T, d]` → `[B, T, d]`, or the error of a hand-built block whose widths do not fit
    /// its activation (a config-built one always fits: its widths come from the narrowing).
    pub fn try_forward(&self, x: Tensor<3>) -> Result<Tensor<3>, ActivationError> {
        let hidden = dense(&self.expand, x);
        Ok(dense(&self.contract, self.activation.try_forward(hidden)?))
    }
}

/// One pre-norm transformer block.
#[derive(Module, Debug)]
pub struct Block {
    /// Norm before attention.
    pub attention_norm: LayerNorm,
    /// Causal self-attention.
    pub attention: CausalSelfAttention,
    /// Norm before the feed-forward block.
    pub feed_forward_norm: LayerNorm,
    /// The feed-forward block.
    pub feed_forward: FeedForward,
    /// Dropout on each residual branch.
    pub dropout: Dropout,
}

impl Block {
    fn try_forward(
        &self,
        x: Tensor<3>,
        rotary: Option<&RotaryEncoding>,
    ) -> Result<Tensor<3>, ActivationError> {
        let attended = self
            .attention
            .forward(normalize(&self.attention_norm, x.clone()), rotary);
        let x = x + self.dropout.forward(attended);
        let fed = self
            .feed_forward
            .try_forward(normalize(&self.feed_forward_norm, x.clone()))?;
        Ok(x + self.dropout.forward(fed))
    }
}

/// The character-level language model; build it with [`TransformerConfig::init`].
#[derive(Module, Debug)]
pub struct Transformer {
    /// Token embedding `[vocab, d_model]` (also the output matrix when tied).
    pub embedding: Embedding,
    /// Learned position embedding `[context, d_model]`, if positions are learned.
    pub positions: Option<Embedding>,
    /// Rotary encoding of queries and keys, if positions are rotary.
    pub rotary: Option<RotaryEncoding>,
    /// Dropout on the embedded input.
    pub dropout: Dropout,
    /// The blocks.
    pub blocks: Vec<Block>,
    /// Norm before the logits.
    pub final_norm: LayerNorm,
    /// The output projection, unless tied to the embedding.
    pub head: Option<Linear>,
    /// The longest context.
    pub context: usize,
}

impl Transformer {
    /// Logits `[B, T, vocab]` for tokens `[B, T]`, `T ≤ context`: position `t`'s logits predict
    /// token `t + 1` from tokens `0..=t`.
    ///
    /// # Panics
    /// If `T` is 0 or exceeds the context, or for a hand-built feed-forward block whose widths do
    /// not fit its activation ([`Self::try_forward`] returns these as errors).
    pub fn forward(&self, tokens: Tensor<2, Int>) -> Tensor<3> {
        self.try_forward(tokens).unwrap_or_else(|e| panic!("{e}"))
    }

    /// [`Self::forward`], or the error for an empty sequence or one longer than the context.
    pub fn try_forward(&self, tokens: Tensor<2, Int>) -> Result<Tensor<3>, TrainError> {
        let [batch, length] = tokens.dims();
        if length == 0 || length > self.context {
            return Err(TrainError::Config(format!(
                "a sequence of {length} tokens does not fit a context of {}; give 1 to {} tokens",
                self.context, self.context
            )));
        }
        let device = tokens.device();
        let mut x = self.embedding.forward(tokens);
        if let Some(positions) = &self.positions {
            let at = Tensor::<1, Int>::arange(0..length as i64, &device)
                .reshape([1, length])
                .expand([batch, length]);
            x = x + positions.forward(at);
        }
        x = self.dropout.forward(x);
        for block in &self.blocks {
            x = block.try_forward(x, self.rotary.as_ref())?;
        }
        let x = normalize(&self.final_norm, x);
        Ok(match &self.head {
            Some(head) => dense(head, x),
            None => nonlin_activations::linear(x, self.embedding.weight.val().transpose(), None),
        })
    }

    /// Continues `prompt` (token ids) by `tokens` more, each drawn from `softmax(logits / T)` at
    /// the last position with `rng`, reading at most the last `context` tokens; `temperature` 0
    /// takes the most likely token each time. Returns the new tokens only.
    pub fn generate(
        &self,
        prompt: &[u32],
        tokens: usize,
        temperature: f64,
        rng: &mut Rng,
    ) -> Result<Vec<u32>, TrainError> {
        if prompt.is_empty() {
            return Err(TrainError::Config(
                "an empty prompt gives the model nothing to continue; start with at least one \
                 character (a newline is how the plays start their lines)"
                    .into(),
            ));
        }
        if !(temperature.is_finite() && temperature >= 0.0) {
            return Err(TrainError::Config(format!(
                "temperature {temperature} must be a finite number ≥ 0 (0: always the most \
                 likely character; 1: the model's own distribution)"
            )));
        }
        let vocab = self.embedding.weight.dims()[0];
        if let Some(bad) = prompt.iter().find(|&&id| id as usize >= vocab) {
            return Err(TrainError::Config(format!(
                "prompt token {bad} is outside the vocabulary of {vocab}"
            )));
        }
        let device = self.embedding.weight.device();
        let mut text: Vec<u32> = prompt.to_vec();
        for _ in 0..tokens {
            let window = &text[text.len().saturating_sub(self.context)..];
            let ids: Vec<i64> = window.iter().map(|&id| i64::from(id)).collect();
            let input =
                Tensor::<2, Int>::from_data(TensorData::new(ids, [1, window.len()]), &device);
            let logits = self
                .try_forward(input)?
                .narrow(1, window.len() - 1, 1)
                .into_data()
                .convert::<f32>()
                .try_into_vec::<f32>()
                .map_err(|e| TrainError::Config(format!("reading the logits: {e:?}")))?;
            text.push(sample(&logits, temperature, rng));
        }
        Ok(text.split_off(prompt.len()))
    }

    /// Mean cross-entropy (nats per character) of the logits for `inputs` against `targets`,
    /// both `[B, T]`.
    pub fn loss(&self, inputs: Tensor<2, Int>, targets: Tensor<2, Int>) -> Tensor<1> {
        let logits = self.forward(inputs);
        let [batch, length, vocab] = logits.dims();
        CrossEntropyLossConfig::new()
            .init(&logits.device())
            .forward(
                logits.reshape([batch * length, vocab]),
                targets.reshape([batch * length]),
            )
    }
}

/// A token drawn from `softmax(logits / temperature)` (in f64, shifted by the maximum), or the
/// first most likely one at temperature 0.
fn sample(logits: &[f32], temperature: f64, rng: &mut Rng) -> u32 {
    let best = logits
        .iter()
        .enumerate()
        .fold(0, |best, (i, &l)| if l > logits[best] { i } else { best });
    if temperature == 0.0 {
        return best as u32;
    }
    let top = f64::from(logits[best]);
    let weights: Vec<f64> = logits
        .iter()
        .map(|&l| ((f64::from(l) - top) / temperature).exp())
        .collect();
    let mut draw = rng.uniform() * weights.iter().sum::<f64>();
    for (i, w) in weights.iter().enumerate() {
        if draw < *w {
            return i as u32;
        }
        draw -= w;
    }
    best as u32 // rounding left the draw past the last weight
}

#[cfg(test)]
mod tests;
