//! A plain Burn model that takes any nonlin activation by config.
//!
//! ```text
//! cargo run --release --example use_in_your_model
//! NONLIN_BACKEND=ndarray cargo run --release --example use_in_your_model
//! ```

use burn::nn::{Linear, LinearConfig};
use burn::prelude::*;
use burn::tensor::Distribution;
use nonlin_activations::{Activation, ActivationConfig, ActivationError};
use nonlin_backend::{Backend, BackendKind};

/// Your model: it holds "an activation" and does not care which.
#[derive(Module, Debug)]
struct Mlp {
    hidden: Linear,
    activation: Activation,
    output: Linear,
}

impl Mlp {
    fn new(activation: &ActivationConfig, device: &Device) -> Result<Self, ActivationError> {
        let hidden = 16;
        // Maxout divides the width by k and the GLU family halves it; element-wise ones keep it.
        let activated = activation.output_width(hidden)?;
        Ok(Self {
            hidden: LinearConfig::new(2, hidden).init(device),
            activation: activation.init(device)?,
            output: LinearConfig::new(activated, 1).init(device),
        })
    }

    fn forward(&self, x: Tensor<2>) -> Tensor<2> {
        self.output
            .forward(self.activation.forward(self.hidden.forward(x)))
    }
}

fn main() -> anyhow::Result<()> {
    let backend = Backend::select(BackendKind::from_env_or(BackendKind::Auto)?)?;
    let device = backend.autodiff();
    println!("backend: {}", backend.describe());
    let x = Tensor::<2>::random([32, 2], Distribution::Normal(0.0, 1.0), &device);
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
        let loss = model.forward(x.clone()).powi_scalar(2).mean();
        let grads = loss.clone().backward();
        let hidden_grad = model
            .hidden
            .weight
            .grad(&grads)
            .expect("gradient reaches the first layer");
        println!(
            "{:<32} params {:>4}  loss {:.4}  |dL/dW1| {:.4}",
            config.spec(),
            model.num_params(),
            loss.into_scalar::<f32>(),
            hidden_grad.square().sum().sqrt().into_scalar::<f32>()
        );
    }
    Ok(())
}
