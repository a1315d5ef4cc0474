//! nonlin-activations from another Burn project, flex only.
//!
//! 1. Trains a two-layer network with a GLU-family activation and one with GELU on a noisy XOR
//!    (four clusters, two classes: no linear model separates them) with Burn's Adam, and checks that
//!    both reach at least 95% accuracy.
//! 2. Runs every catalog entry forward and backward on flex (the crate's kernels, feature `flex`)
//!    and on ndarray (no `ndarray` feature here: composed from Burn's tensor ops, differentiated by
//!    Burn's autodiff) and checks that values and gradients agree at ordinary inputs.
//!
//! Exits with status 1 when a check fails.

use burn::nn::{Linear, LinearConfig};
use burn::optim::{AdamConfig, GradientsParams};
use burn::prelude::*;
use burn::tensor::Distribution;
use nonlin_activations::{ActivationConfig, AnyActivation, CATALOG, has_hand_written_backward};

#[derive(Module, Debug)]
struct TwoLayer {
    hidden: Linear,
    activation: AnyActivation,
    output: Linear,
}

impl TwoLayer {
    fn new(activation: &ActivationConfig, device: &Device) -> TwoLayer {
        let hidden = 32;
        TwoLayer {
            // GLU variants halve the width they get: the next layer takes what comes out
            output: LinearConfig::new(activation.output_width(hidden).unwrap(), 2).init(device),
            hidden: LinearConfig::new(2, hidden).init(device),
            activation: activation.init_any(device).unwrap(),
        }
    }

    fn forward(&self, x: Tensor<2>) -> Tensor<2> {
        let h = self.activation.try_forward(self.hidden.forward(x)).unwrap();
        self.output.forward(h)
    }
}

/// Noisy XOR: clusters at (±1, ±1), class 1 where the signs differ.
fn xor(n: usize, device: &Device) -> (Tensor<2>, Tensor<1, Int>) {
    let corners = Tensor::<2>::random([n, 2], Distribution::Bernoulli(0.5), device) * 2.0 - 1.0;
    let labels = corners
        .clone()
        .prod_dim(1)
        .lower_elem(0.0)
        .int()
        .squeeze_dim(1);
    let noise = Tensor::<2>::random([n, 2], Distribution::Normal(0.0, 0.25), device);
    (corners + noise, labels)
}

fn accuracy(model: &TwoLayer, x: Tensor<2>, y: Tensor<1, Int>) -> f32 {
    let predicted = model.forward(x).argmax(1).squeeze_dim(1);
    predicted.equal(y).float().mean().into_scalar()
}

fn train(spec: &str, device: &Device) -> f32 {
    device.seed(7);
    let config: ActivationConfig = spec.parse().unwrap();
    let (x, y) = xor(512, device);
    let (test_x, test_y) = xor(512, device);
    let mut model = TwoLayer::new(&config, device);
    let mut optim = AdamConfig::new().init();
    let loss_fn = burn::nn::loss::CrossEntropyLossConfig::new().init(device);
    for _ in 0..200 {
        let loss = loss_fn.forward(model.forward(x.clone()), y.clone());
        let grads = GradientsParams::from_grads(loss.backward(), &model);
        model = optim.step(1e-2, model, grads);
    }
    accuracy(&model, test_x, test_y)
}

/// Values and input gradients of `spec` on `device` at 256 points in [-6, 6].
fn values_and_gradients(config: &ActivationConfig, device: &Device) -> (Vec<f32>, Vec<f32>) {
    let device = device.clone().autodiff();
    let x = Tensor::<1>::from_floats(
        core::array::from_fn::<f32, 256, _>(|i| -6.0 + 12.0 * i as f32 / 255.0),
        &device,
    )
    .reshape([4, 64])
    .require_grad();
    let activation = config.init_any(&device).unwrap();
    let y = activation.try_forward(x.clone()).unwrap();
    let grads = (y.clone() * y.clone().sin()).sum().backward();
    let dx = x.grad(&grads).unwrap();
    let values = |t: Tensor<2>| t.into_data().try_into_vec::<f32>().unwrap();
    (values(y), values(dx))
}

fn main() {
    let mut failures = Vec::new();

    for spec in ["gelu", "swiglu"] {
        let accuracy = train(spec, &Device::flex().autodiff());
        println!("noisy XOR, 2-32-2 with {spec:<7} test accuracy {accuracy:.3}");
        if accuracy < 0.95 {
            failures.push(format!("{spec} reached only {accuracy:.3} on noisy XOR"));
        }
    }

    // ndarray is deprecated in Burn 0.22; here it stands for any backend the crate was built without
    #[allow(deprecated)]
    let (flex, ndarray) = (Device::flex(), Device::ndarray());
    println!(
        "hand-written backward on flex: {}, on ndarray: {}",
        has_hand_written_backward(&flex),
        has_hand_written_backward(&ndarray)
    );
    if !has_hand_written_backward(&flex) || has_hand_written_backward(&ndarray) {
        failures.push("the feature `flex` alone should serve flex and not ndarray".into());
    }

    let mut compared = 0;
    for entry in CATALOG {
        // rrelu draws its slopes at random in training: nothing to compare across backends
        if entry.name == "rrelu" {
            continue;
        }
        let spec = match entry.name {
            "threshold" => "threshold(0.5, -1)",
            name => name,
        };
        let config: ActivationConfig = spec.parse().unwrap();
        let (y_kernel, dx_kernel) = values_and_gradients(&config, &flex);
        let (y_composed, dx_composed) = values_and_gradients(&config, &ndarray);
        let worst = |a: &[f32], b: &[f32]| {
            a.iter()
                .zip(b)
                .map(|(a, b)| (a - b).abs() / a.abs().max(b.abs()).max(1.0))
                .fold(0.0f32, f32::max)
        };
        let (dy, dg) = (
            worst(&y_kernel, &y_composed),
            worst(&dx_kernel, &dx_composed),
        );
        if !(dy <= 1e-5 && dg <= 1e-4) {
            failures.push(format!(
                "{spec}: flex and ndarray differ by {dy:e} (values), {dg:e} (gradients)"
            ));
        }
        compared += 1;
    }
    println!("{compared} catalog entries: flex kernels and the composed path on ndarray agree");

    if !failures.is_empty() {
        for failure in &failures {
            eprintln!("FAILED: {failure}");
        }
        std::process::exit(1);
    }
}
