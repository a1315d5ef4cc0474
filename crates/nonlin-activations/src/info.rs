//! Metadata about each activation that tools can query at run time.

use serde::Serialize;

/// Where an activation's derivative goes to zero, so that gradients vanish.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Saturation {
    /// Never: the derivative stays away from zero on both sides (Identity, Leaky ReLU).
    None,
    /// For large negative inputs (ReLU is exactly flat there; ELU, GELU and SiLU approach zero).
    Negative,
    /// For large positive inputs.
    Positive,
    /// On both sides (sigmoid, tanh, hardtanh).
    Both,
}

/// What nonlin knows about an activation, independent of its parameters' values.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ActivationInfo {
    /// Canonical spec name, as `ActivationConfig` prints it.
    pub name: &'static str,
    /// Human-readable name.
    pub title: &'static str,
    /// `f(x)`.
    pub formula: &'static str,
    /// `f'(x)`, with the convention at kinks.
    pub derivative: &'static str,
    /// Output range at default parameters.
    pub range: &'static str,
    /// Whether outputs are centred on zero for inputs centred on zero (odd functions, and SELU by
    /// design). Non-zero-centred outputs give every weight of the next layer's unit a gradient of
    /// one sign.
    pub zero_centred: bool,
    /// Where the gradient vanishes.
    pub saturation: Saturation,
    /// Non-decreasing everywhere.
    pub monotone: bool,
    /// Continuously differentiable everywhere.
    pub smooth: bool,
    /// Names of learnable parameters (empty for fixed functions).
    pub learnable: &'static [&'static str],
    /// Known problems, in a few words each.
    pub problems: &'static [&'static str],
    /// The PyTorch equivalent.
    pub pytorch: &'static str,
    /// Where it comes from.
    pub reference: &'static str,
}
