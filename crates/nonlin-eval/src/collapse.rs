//! Linear collapse: without a nonlinearity, a deep network is one affine map.
//!
//! [`affine_collapse`] builds a deep MLP with Identity activations, multiplies its layers out into
//! the single map `x ↦ x W + b` it equals (in f64), and measures max |f(x) − (x W + b)| on random
//! inputs: float rounding. The same weights with ReLU are far from any affine map.
//! [`trained_collapse`] trains a deep linear network, logistic regression and a ReLU network on a
//! data set: the deep linear one does no better than logistic regression.

use crate::error::EvalError;
use crate::floats;
use crate::study::train_on;
use burn::nn::Linear;
use burn::tensor::{Distribution, Tensor};
use nonlin_activations::{ActivationConfig, AnyActivation};
use nonlin_backend::Backend;
use nonlin_train::{ExperimentConfig, Model, ModelConfig};
use serde::{Deserialize, Serialize};

/// How far a network is from the affine map its layers multiply out to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AffineCollapse {
    /// Hidden layers.
    pub depth: usize,
    /// Units per hidden layer.
    pub width: usize,
    /// Input features.
    pub inputs: usize,
    /// Outputs.
    pub outputs: usize,
    /// Random inputs compared.
    pub samples: usize,
    /// Largest |output| of the Identity network (the scale of the comparison).
    pub output_scale: f64,
    /// max |f(x) − (x W + b)| with Identity activations.
    pub identity_max_error: f64,
    /// The same, relative to `output_scale`.
    pub identity_relative_error: f64,
    /// max |g(x) − (x W + b)| for the same weights with ReLU.
    pub relu_max_error: f64,
    /// The same, relative to `output_scale`.
    pub relu_relative_error: f64,
}

/// `(W, b)` of a Linear layer in f64, row-major `[inputs, outputs]` (Burn's `y = x W + b`).
fn affine_of(linear: &Linear) -> (Vec<Vec<f64>>, Vec<f64>) {
    let [rows, cols] = linear.weight.dims();
    let w = floats(linear.weight.val());
    let b = match &linear.bias {
        Some(bias) => floats(bias.val()),
        None => vec![0.0; cols],
    };
    let w = (0..rows)
        .map(|r| (0..cols).map(|c| f64::from(w[r * cols + c])).collect())
        .collect();
    (w, b.into_iter().map(f64::from).collect())
}

/// `(W₁ W₂ ⋯ W_L, ((b₁ W₂ + b₂) W₃ + …) + b_L)`: the single affine map of a chain of layers.
fn compose(layers: &[&Linear]) -> (Vec<Vec<f64>>, Vec<f64>) {
    let (mut w, mut b) = affine_of(layers[0]);
    for layer in &layers[1..] {
        let (w2, b2) = affine_of(layer);
        let cols = b2.len();
        w = w
            .iter()
            .map(|row| {
                (0..cols)
                    .map(|c| row.iter().zip(&w2).map(|(x, r)| x * r[c]).sum())
                    .collect()
            })
            .collect();
        b = (0..cols)
            .map(|c| b.iter().zip(&w2).map(|(x, r)| x * r[c]).sum::<f64>() + b2[c])
            .collect();
    }
    (w, b)
}

/// Measures the collapse of an MLP of `depth` hidden layers of `width` units.
pub fn affine_collapse(
    depth: usize,
    width: usize,
    inputs: usize,
    outputs: usize,
    samples: usize,
    seed: u64,
    backend: &Backend,
) -> Result<AffineCollapse, EvalError> {
    nonlin_train::train::with_backend_rng(|| -> Result<AffineCollapse, EvalError> {
        if depth == 0 || width == 0 || inputs == 0 || outputs == 0 || samples == 0 {
            return Err(EvalError::Invalid(
                "depth, width, inputs, outputs and samples must be positive".into(),
            ));
        }
        let device = &backend.device;
        device.seed(seed);
        let config = ModelConfig {
            hidden: vec![width; depth],
            activation: ActivationConfig::Identity,
            ..Default::default()
        };
        let Model::Mlp(identity) = config.init(&[inputs], outputs, device)? else {
            unreachable!("an MLP config")
        };
        let layers: Vec<&Linear> = identity.layers.iter().chain([&identity.head]).collect();
        let (w, b) = compose(&layers);
        let x = Tensor::<2>::random([samples, inputs], Distribution::Normal(0.0, 1.0), device);
        let xs: Vec<f32> = x.clone().into_data().try_into_vec().expect("inputs");
        let affine: Vec<f64> = (0..samples)
            .flat_map(|s| {
                let row = &xs[s * inputs..(s + 1) * inputs];
                (0..outputs)
                    .map(|c| {
                        row.iter()
                            .zip(&w)
                            .map(|(&v, r)| f64::from(v) * r[c])
                            .sum::<f64>()
                            + b[c]
                    })
                    .collect::<Vec<_>>()
            })
            .collect();
        let max_error = |y: Tensor<2>| -> (f64, f64) {
            let y: Vec<f32> = y.into_data().try_into_vec().expect("outputs");
            let error = y
                .iter()
                .zip(&affine)
                .map(|(&a, e)| (f64::from(a) - e).abs())
                .fold(0.0, f64::max);
            let scale = y.iter().map(|v| f64::from(v.abs())).fold(0.0, f64::max);
            (error, scale)
        };
        let (identity_error, scale) = max_error(identity.forward(x.clone()));
        let mut relu = identity.clone();
        relu.activations = vec![AnyActivation::Relu(nonlin_activations::Relu); depth];
        let (relu_error, _) = max_error(relu.forward(x));
        let relative = |e: f64| if scale > 0.0 { e / scale } else { e };
        Ok(AffineCollapse {
            depth,
            width,
            inputs,
            outputs,
            samples,
            output_scale: scale,
            identity_max_error: identity_error,
            identity_relative_error: relative(identity_error),
            relu_max_error: relu_error,
            relu_relative_error: relative(relu_error),
        })
    })
}

/// Test accuracies of three models trained on one data set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainedCollapse {
    /// Data set spec.
    pub dataset: String,
    /// Hidden layers of the deep networks.
    pub depth: usize,
    /// Logistic regression (no hidden layer).
    pub logistic_regression: f64,
    /// The deep network with Identity activations.
    pub deep_linear: f64,
    /// The same depth with ReLU.
    pub deep_relu: f64,
}

/// Trains logistic regression, a deep Identity network and a deep ReLU network on `base`'s data.
pub fn trained_collapse(
    base: &ExperimentConfig,
    depth: usize,
    width: usize,
    backend: &Backend,
) -> Result<TrainedCollapse, EvalError> {
    let splits = nonlin_train::data::load(&base.data, base.seed)?;
    let accuracy = |hidden: Vec<usize>, activation: ActivationConfig| -> Result<f64, EvalError> {
        let model = ModelConfig {
            hidden,
            activation,
            ..base.model.clone()
        };
        Ok(train_on(&model, &splits, base, backend, |_, _| {})?.test_accuracy(&splits, backend))
    };
    Ok(TrainedCollapse {
        dataset: base.data.dataset.to_string(),
        depth,
        logistic_regression: accuracy(vec![], ActivationConfig::Identity)?,
        deep_linear: accuracy(vec![width; depth], ActivationConfig::Identity)?,
        deep_relu: accuracy(vec![width; depth], ActivationConfig::Relu)?,
    })
}
