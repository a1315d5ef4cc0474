//! ReLU has a kink at 0 and needs a subgradient convention: nonlin uses PyTorch's ReLU'(0) = 0.
//! How often does a real training step land exactly on the kink? Every hidden pre-activation of an
//! MLP 64-128-128-10 training on the digits is checked for an exact 0 after each of 10 epochs; and
//! where the convention does matter (an all-zero input with a zero bias) the gradients under 0, ½
//! and 1 are shown.

use super::{Outcome, Result, floats};
use crate::study::train_on;
use burn::module::Module;
use burn::tensor::{Tensor, TensorData};
use nonlin_activations::activations::relu::Relu;
use nonlin_backend::Backend;
use nonlin_train::ExperimentConfig;

pub fn run(backend: &Backend) -> Result<Outcome> {
    nonlin_train::train::with_backend_rng(|| -> Result<Outcome> {
        // the convention, measured through nonlin's kernel
        let device = backend.autodiff();
        let x = Tensor::<1>::from_data(TensorData::from([-1e-30f32, 0.0, 1e-30]), &device)
            .require_grad();
        let grads = Relu::new().forward(x.clone()).sum().backward();
        let slopes = match x.grad(&grads) {
            Some(grad) => floats(grad),
            None => Vec::new(), // no gradient reached x: the claim below fails and says so
        };

        let mut config = ExperimentConfig::default();
        config.model.hidden = vec![128, 128];
        config.training.epochs = 10;
        let splits = nonlin_train::data::load(&config.data, config.seed)?;
        let indices: Vec<usize> = (0..splits.train.len()).collect();
        let (mut zeros, mut total) = (0usize, 0usize);
        train_on(&config.model, &splits, &config, backend, |m, _| {
            let batch = splits.train.batch(&indices, &backend.device);
            let (_, traces) = m.valid().dense().forward_traced(batch.x, |_, z| z);
            for t in traces {
                let values = t.pre_activation.into_data();
                zeros += values.iter::<f32>().filter(|&v| v == 0.0).count();
                total += values.num_elements();
            }
        })?;
        let fraction = zeros as f64 / total as f64;

        // where it matters: an all-zero input (padding) with a zero bias puts every unit on the kink
        let report = format!(
            "ReLU'(x) through nonlin's kernel at x = -1e-30, 0, +1e-30: {:?} (PyTorch's convention: ReLU'(0) = 0)\n\
         exact zeros among {total} hidden pre-activations seen over 10 epochs of digits training: {zeros} ({fraction:.2e})\n\
         on the kink (zero input, zero bias), the bias gradient of a unit with upstream gradient g is\n\
         \x20 0 · g under ReLU'(0) = 0 (PyTorch, TensorFlow, JAX, nonlin), g/2 under ½, g under 1: the\n\
         \x20 convention decides whether such a unit can ever move off the kink.",
            slopes
        );
        let holds = slopes == [0.0, 0.0, 1.0] && fraction < 1e-4;
        let verdict = format!(
            "ReLU'(0) = 0 as in PyTorch; real training landed exactly on the kink in {fraction:.1e} of pre-activations, so the convention only matters for exact zeros such as padding"
        );
        Ok(Outcome {
            report,
            holds,
            verdict,
        })
    })
}
