//! Sigmoid and tanh saturate and kill gradients in deep networks: per-layer weight-gradient norms
//! of a 20-layer MLP (32 units, digits) at initialisation and after 10 epochs, and which networks
//! learn at all (10 classes: chance is 0.1). ReLU and GELU use Kaiming initialisation, sigmoid and tanh PyTorch's default.

use super::{Outcome, Result};
use crate::study::track;
use nonlin_backend::Backend;
use nonlin_train::ExperimentConfig;
use nonlin_train::model::{Init, ModelKind};

pub fn run(backend: &Backend) -> Result<Outcome> {
    let mut report = String::from(
        "20 layers of 32 units on digits; ‖dL/dW‖ of layers 1, 10, 20 at init | first/last at init -> after 10 epochs | test accuracy\n",
    );
    let mut results = Vec::new();
    for (activation, init) in [
        ("sigmoid", Init::Pytorch),
        ("tanh", Init::Pytorch),
        ("relu", Init::Kaiming),
        ("gelu", Init::Kaiming),
    ] {
        let mut config = ExperimentConfig::default();
        config.model.kind = ModelKind::DeepMlp;
        config.model.depth = 20;
        config.model.width = 32;
        config.model.activation = activation.parse()?;
        config.model.init = init;
        config.training.epochs = 10;
        let tracked = track(&config, backend, 256, 1e-3)?;
        let init_d = &tracked.epochs[0].1;
        let norm = |i: usize| init_d.layers[i].weight_grad_norm;
        let ratio =
            |d: &crate::diagnose::Diagnostics| d.first_to_last_gradient_ratio().unwrap_or(0.0);
        let (at_init, trained) = (ratio(init_d), ratio(&tracked.epochs.last().unwrap().1));
        report.push_str(&format!(
            "  {activation:<8} {:>9.2e} {:>9.2e} {:>9.2e} | {at_init:>9.2e} -> {trained:>9.2e} | {:.4}\n",
            norm(0),
            norm(9),
            norm(19),
            tracked.test_accuracy
        ));
        results.push((activation, at_init, tracked.test_accuracy));
    }
    let find = |name: &str| results.iter().find(|r| r.0 == name).copied().unwrap();
    let (sigmoid, tanh, relu, gelu) = (find("sigmoid"), find("tanh"), find("relu"), find("gelu"));
    let holds = sigmoid.1 < 1e-3
        && sigmoid.2 <= 0.2
        && relu.1 > 1e-2
        && relu.2 >= 0.5
        && gelu.2 >= 0.5
        && tanh.1 > sigmoid.1;
    let verdict = format!(
        "the first layer gets {:.0e}× the last layer's gradient with sigmoid (learns to {:.2}), {:.0e}× with tanh; ReLU {:.2}× and GELU learn ({:.2}, {:.2})",
        sigmoid.1, sigmoid.2, tanh.1, relu.1, relu.2, gelu.2
    );
    Ok(Outcome {
        report,
        holds,
        verdict,
    })
}
