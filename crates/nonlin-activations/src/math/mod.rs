//! The arithmetic the activation formulas are written in: the [`real::Real`] trait (f64 scalars,
//! backend tensors) and [`f32`](mod@f32), its vectorisable float32 implementation with its own `exp`, `ln`,
//! `tanh` and `erf`.

pub mod f32;
pub mod real;
