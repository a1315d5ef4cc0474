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
pub mod sample;
pub mod separability;
pub mod study;

pub use error::EvalError;

/// A float tensor's values as `f32`, whatever float type the backend stores (converting to `f32`
/// first is what makes reading them back infallible).
pub(crate) fn floats<const D: usize>(t: burn::tensor::Tensor<D>) -> Vec<f32> {
    t.into_data()
        .convert::<f32>()
        .try_into_vec::<f32>()
        .expect("float data converted to f32 reads back as f32")
}
