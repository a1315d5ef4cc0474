//! # nonlin-eval
//!
//! Evaluation, gradient-flow diagnostics, and the seed's claims as measurements: linear collapse,
//! separability, vanishing gradients, dead units, saturation, zero-centredness.

pub mod collapse;
pub mod diagnose;
pub mod error;
pub mod evaluate;
pub mod separability;

pub use error::EvalError;
