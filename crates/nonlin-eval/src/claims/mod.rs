//! The seed's claims, measured in one place: one module per claim of the nonlinearity notes. Each
//! `run` trains or probes small models on the given backend, returns what it measured, and says
//! whether the claim held by the margins written in its module. The examples (`cargo run --example
//! NAME`) print these outcomes and `tests/claims.rs` asserts them, so a claim is measured by one
//! piece of code and its thresholds are written once.

pub mod dying_relu;
pub mod gelu_variants;
pub mod linear_collapse;
pub mod maxout;
pub mod relu_subgradient;
pub mod rule_of_thumb;
pub mod separability;
pub mod vanishing_gradients;
pub mod zero_centred;

use crate::EvalError;
use crate::floats;
use std::fmt;

type Result<T> = std::result::Result<T, EvalError>;

/// A claim's outcome: its measured numbers as text, and whether the claim held.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// What was measured, as a table or lines.
    pub report: String,
    /// Whether the claim held, by its module's stated margins.
    pub holds: bool,
    /// The one-line verdict.
    pub verdict: String,
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.report.trim_end())?;
        write!(
            f,
            "\nVERDICT: {} — {}",
            if self.holds { "holds" } else { "does NOT hold" },
            self.verdict
        )
    }
}
