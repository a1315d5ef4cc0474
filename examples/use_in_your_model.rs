//! A plain Burn model that takes any nonlin activation by config, in a few lines: the same MLP with
//! six activations, each doing a forward and backward pass that reaches the first layer.
//!
//! ```text
//! cargo run --release --example use_in_your_model [-- --backend ndarray]
//! ```

use burn::nn::{Linear, LinearConfig};
use burn::prelude::*;
use burn::tensor::Distribution;
use nonlin::example::Outcome;
use nonlin_activations::{ActivationConfig, ActivationError, AnyActivation};
use nonlin_backend::Backend;

/// Your model: it holds "an activation" and does not care which.
#[derive(Module, Debug)]
pub struct Mlp {
    hidden: Linear,
    // any entry of the catalog: an element-wise one (`nonlin_activations::Activation`, whose
    // `forward` cannot fail) would do where the spec is known to keep the width
    activation: AnyActivation,
    output: Linear,
}

impl Mlp {
    /// An MLP 2-16-1 with `activation` after the hidden layer.
    pub fn new(activation: &ActivationConfig, device: &Device) -> Result<Self, ActivationError> {
        let hidden = 16;
        // Maxout divides the width by k and the GLU family halves it; element-wise ones keep it.
        let activated = activation.output_width(hidden)?;
        Ok(Self {
            hidden: LinearConfig::new(2, hidden).init(device),
            activation: activation.init_any(device)?,
            output: LinearConfig::new(activated, 1).init(device),
        })
    }

    /// `[batch, 2] → [batch, 1]`; Maxout and the GLU family check that the width divides.
    pub fn forward(&self, x: Tensor<2>) -> Result<Tensor<2>, ActivationError> {
        let h = self.activation.try_forward(self.hidden.forward(x))?;
        Ok(self.output.forward(h))
    }
}

/// Builds the model with six activations and checks that each trains (a finite loss, a gradient
/// at the first layer).
pub fn run(backend: &Backend) -> anyhow::Result<Outcome> {
    nonlin_train::train::with_backend_rng(|| -> anyhow::Result<Outcome> {
        let device = backend.autodiff();
        device.seed(0);
        let x = Tensor::<2>::random([32, 2], Distribution::Normal(0.0, 1.0), &device);
        let mut report = String::new();
        let mut holds = true;
        for spec in [
            "relu",
            "leaky_relu(0.2)",
            "gelu_tanh",
            "swish(beta=learnable)",
            "maxout(k=4)",
            "swiglu",
        ] {
            let config: ActivationConfig = spec.parse()?;
            let model = Mlp::new(&config, &device)?;
            let loss = model.forward(x.clone())?.powi_scalar(2).mean();
            let grads = loss.clone().backward();
            let first = model
                .hidden
                .weight
                .grad(&grads)
                .map_or(0.0, |g| g.square().sum().sqrt().into_scalar::<f32>());
            let loss: f32 = loss.into_scalar();
            report.push_str(&format!(
                "  {:<32} params {:>4}  loss {loss:.4}  |dL/dW1| {first:.4}\n",
                config.spec(),
                model.num_params()
            ));
            holds &= loss.is_finite() && first.is_finite() && first > 0.0;
        }
        let verdict = "one model definition took six activations by spec string, and gradients reached its first layer with each".to_string();
        Ok(Outcome {
            report,
            holds,
            verdict,
        })
    })
}

#[allow(dead_code)] // the tests include this file for `run`, not for `main`
fn main() -> anyhow::Result<()> {
    nonlin::example::main_for(run)
}
