//! Helpers the ops' tests share.

use burn::tensor::{FloatDType, Tensor};

/// The elements as float64, whatever the dtype.
pub(crate) fn values<const D: usize>(t: Tensor<D>) -> Vec<f64> {
    t.cast(FloatDType::F64).into_data().try_to_vec().unwrap()
}

/// `n` values in `[-14·step, 14·step]` in a pattern that repeats every 29 and starts where `seed`
/// puts it: inputs that differ between tensors and positions without a random generator.
pub(crate) fn filled(n: usize, seed: usize, step: f32) -> Vec<f32> {
    (0..n)
        .map(|i| (((i * 37 + seed * 101) % 29) as f32 - 14.0) * step)
        .collect()
}
