//! # nonlin-eval
//!
//! Evaluation, gradient-flow diagnostics, and the seed's claims as measurements — linear collapse,
//! separability, vanishing gradients, dead units, saturation, zero-centredness — with plots (PNG and
//! SVG) and self-contained HTML reports.

pub mod bench;
pub mod claims;
pub mod collapse;
pub mod compare;
pub mod diagnose;
pub mod error;
pub mod evaluate;
pub mod plot;
pub mod report;
pub mod separability;
pub mod study;

pub use error::EvalError;
