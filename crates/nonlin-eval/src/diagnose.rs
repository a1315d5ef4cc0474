//! Gradient-flow diagnostics, per hidden layer of a model's dense part, on a probe batch:
//!
//! - `weight_grad_norm`: ‖∂L/∂W‖ (Frobenius) of the layer's weights;
//! - `pre_activation_grad_norm`: ‖∂L/∂z‖ over the probe batch, read through a zero leaf added to
//!   the pre-activation `z` (which leaves the graph intact);
//! - `dead_fraction`: units whose output is exactly 0 for every probe sample;
//! - `saturated_fraction`: pre-activations where |f'(z)| < ε (element-wise activations only);
//! - `output_mean`, `output_std`: how far from zero-centred the outputs are;
//! - `one_sign_fraction`: for each probe sample and unit, whether all incoming-weight gradients
//!   `a_i · δ_j` share one sign — always so when the layer's inputs `a` are all positive (sigmoid
//!   outputs), which is the seed's claim;
//! - `one_sign_batch_fraction`: the same for the batch's summed gradient `∂L/∂W[:, j]`.
//!
//! The loss is the mean cross-entropy of the probe batch.

use crate::error::EvalError;
use crate::floats;
use burn::module::Module;
use burn::nn::loss::CrossEntropyLossConfig;
use burn::tensor::{Device, Tensor};
use nonlin_activations::{ActivationConfig, AnyActivation};
use nonlin_train::{Dataset, Model};
use serde::{Deserialize, Serialize};

/// One hidden layer's numbers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LayerDiagnostics {
    /// 1-based layer index.
    pub layer: usize,
    /// Activation spec.
    pub activation: String,
    /// Units after the activation.
    pub units: usize,
    /// ‖∂L/∂W‖.
    pub weight_grad_norm: f64,
    /// ‖∂L/∂z‖ over the batch.
    pub pre_activation_grad_norm: f64,
    /// Share of units with zero output on every probe sample.
    pub dead_fraction: f64,
    /// Share of pre-activations with |f'(z)| < ε; `None` for Maxout and the GLU family.
    pub saturated_fraction: Option<f64>,
    /// Mean output.
    pub output_mean: f64,
    /// Standard deviation of the outputs.
    pub output_std: f64,
    /// Per sample and unit: share whose incoming-weight gradients share one sign.
    pub one_sign_fraction: f64,
    /// Share of units whose summed incoming-weight gradient column shares one sign.
    pub one_sign_batch_fraction: f64,
}

/// The diagnostics of a model on a probe batch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Diagnostics {
    /// Probe samples.
    pub probe_samples: usize,
    /// The saturation threshold ε.
    pub epsilon: f64,
    /// Mean cross-entropy on the probe batch.
    pub loss: f64,
    /// Per hidden layer, input side first.
    pub layers: Vec<LayerDiagnostics>,
}

impl Diagnostics {
    /// ‖∂L/∂W‖ of the first hidden layer divided by that of the last: ≪ 1 when gradients vanish
    /// on their way back.
    pub fn first_to_last_gradient_ratio(&self) -> Option<f64> {
        let first = self.layers.first()?.weight_grad_norm;
        let last = self.layers.last()?.weight_grad_norm;
        (last > 0.0).then(|| first / last)
    }
}

fn norm<const D: usize>(t: Tensor<D>) -> f64 {
    f64::from(t.square().sum().sqrt().into_scalar::<f32>())
}

/// Diagnoses `model`, which must live on an autodiff device (`device`), on the samples of `probe`.
pub fn diagnose(
    model: &Model,
    activations: &[ActivationConfig],
    probe: &Dataset,
    device: &Device,
    epsilon: f64,
) -> Result<Diagnostics, EvalError> {
    if probe.is_empty() {
        return Err(EvalError::EmptyProbe);
    }
    let indices: Vec<usize> = (0..probe.len()).collect();
    let batch = probe.batch(&indices, device);
    let input = model.dense_input(batch.x);
    let dense = model.dense();
    let mut leaves = Vec::new();
    let (logits, traces) = dense.forward_traced(input.clone(), |_, z| {
        let leaf = Tensor::<2>::zeros(z.dims(), device).require_grad();
        leaves.push(leaf.clone());
        z + leaf
    });
    let loss = CrossEntropyLossConfig::new()
        .init(device)
        .forward(logits, batch.y);
    let loss_value = f64::from(loss.clone().into_scalar::<f32>());
    let grads = loss.backward();

    let mut layers = Vec::with_capacity(traces.len());
    let mut layer_input = input.detach();
    for (i, trace) in traces.iter().enumerate() {
        let linear = &dense.layers[i];
        let weight_grad = linear
            .weight
            .val()
            .grad(&grads)
            .expect("weights are tracked");
        let delta = leaves[i].grad(&grads).expect("the probe leaf is tracked");
        let output = trace.output.clone().detach();
        let [samples, units] = output.dims();
        let values = floats(output.clone());
        let dead = (0..units)
            .filter(|&u| (0..samples).all(|s| values[s * units + u] == 0.0))
            .count();
        let mean = values.iter().map(|&v| f64::from(v)).sum::<f64>() / values.len() as f64;
        let var = values
            .iter()
            .map(|&v| (f64::from(v) - mean).powi(2))
            .sum::<f64>()
            / values.len() as f64;
        let saturated = saturation(
            &dense.activations[i],
            trace.pre_activation.clone().detach(),
            device,
            epsilon,
        );
        let (one_sign, one_sign_batch) =
            one_sign_fractions(layer_input.clone(), delta.clone(), weight_grad.clone());
        layers.push(LayerDiagnostics {
            layer: i + 1,
            activation: activations
                .get(i)
                .map_or_else(String::new, ActivationConfig::spec),
            units,
            weight_grad_norm: norm(weight_grad),
            pre_activation_grad_norm: norm(delta),
            dead_fraction: dead as f64 / units as f64,
            saturated_fraction: saturated,
            output_mean: mean,
            output_std: var.sqrt(),
            one_sign_fraction: one_sign,
            one_sign_batch_fraction: one_sign_batch,
        });
        layer_input = output;
    }
    Ok(Diagnostics {
        probe_samples: probe.len(),
        epsilon,
        loss: loss_value,
        layers,
    })
}

/// The share of `|f'(z)| < ε` over the entries of `z`, by differentiating the activation alone
/// (element-wise activations only).
fn saturation(
    activation: &AnyActivation,
    z: Tensor<2>,
    device: &Device,
    epsilon: f64,
) -> Option<f64> {
    let z = Tensor::<2>::from_data(z.into_data(), device).require_grad();
    let h = activation.try_forward(z.clone()).ok()?;
    if h.dims() != z.dims() {
        return None; // Maxout and the GLU family are not element-wise
    }
    let grads = h.sum().backward();
    let derivative = floats(z.grad(&grads)?);
    let saturated = derivative
        .iter()
        .filter(|d| f64::from(d.abs()) < epsilon)
        .count();
    Some(saturated as f64 / derivative.len() as f64)
}

/// `(per sample and unit, per unit over the batch)` shares of incoming-weight gradients with one
/// sign. Per sample, the gradient of weight `W[i, j]` is `a_i δ_j`: all of unit `j`'s share one sign
/// iff the non-zero inputs `a_i` do (or `δ_j` is 0).
fn one_sign_fractions(inputs: Tensor<2>, delta: Tensor<2>, weight_grad: Tensor<2>) -> (f64, f64) {
    let [samples, fan_in] = inputs.dims();
    let [_, units] = delta.dims();
    let a = floats(inputs);
    let d = floats(delta);
    let one_sign =
        |values: &[f32]| !(values.iter().any(|&v| v > 0.0) && values.iter().any(|&v| v < 0.0));
    let mut per_sample = 0usize;
    for s in 0..samples {
        let inputs_one_sign = one_sign(&a[s * fan_in..(s + 1) * fan_in]);
        per_sample += (0..units)
            .filter(|&j| inputs_one_sign || d[s * units + j] == 0.0)
            .count();
    }
    let w = floats(weight_grad); // [fan_in, units], row-major
    let columns = (0..units)
        .filter(|&j| one_sign(&(0..fan_in).map(|i| w[i * units + j]).collect::<Vec<_>>()))
        .count();
    (
        per_sample as f64 / (samples * units) as f64,
        columns as f64 / units as f64,
    )
}

impl Diagnostics {
    /// The diagnostics as a Markdown table.
    pub fn markdown(&self) -> String {
        let mut out = format!(
            "probe samples: {}, loss {:.4}, saturation threshold ε = {}\n\n\
             | layer | activation | units | ‖∂L/∂W‖ | ‖∂L/∂z‖ | dead | saturated | mean out | std out | one-sign (sample) | one-sign (batch) |\n\
             | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n",
            self.probe_samples, self.loss, self.epsilon
        );
        for l in &self.layers {
            out.push_str(&format!(
                "| {} | {} | {} | {:.3e} | {:.3e} | {:.3} | {} | {:.4} | {:.4} | {:.3} | {:.3} |\n",
                l.layer,
                l.activation,
                l.units,
                l.weight_grad_norm,
                l.pre_activation_grad_norm,
                l.dead_fraction,
                l.saturated_fraction
                    .map_or("—".to_string(), |s| format!("{s:.3}")),
                l.output_mean,
                l.output_std,
                l.one_sign_fraction,
                l.one_sign_batch_fraction
            ));
        }
        if let Some(ratio) = self.first_to_last_gradient_ratio() {
            out.push_str(&format!(
                "\nfirst/last layer weight-gradient norm: {ratio:.3e}\n"
            ));
        }
        out
    }
}

/// `model` moved onto `device` (for diagnosing a model loaded without autodiff).
pub fn on_device(model: Model, device: &Device) -> Model {
    model.to_device(device)
}
