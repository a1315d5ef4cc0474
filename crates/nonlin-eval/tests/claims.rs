//! The seed's claims, measured: linear collapse, separability, vanishing gradients in deep sigmoid
//! networks, one-sign weight gradients after sigmoid layers, dead ReLU units.

use nonlin_backend::{Backend, BackendKind};
use nonlin_eval::collapse::{affine_collapse, trained_collapse};
use nonlin_eval::separability::separability;
use nonlin_eval::study::diagnose_at_init;
use nonlin_train::model::{Init, ModelKind};
use nonlin_train::{ExperimentConfig, TrainingConfig};

fn flex() -> Backend {
    Backend::select(BackendKind::Flex).unwrap()
}

fn two_d(dataset: &str, hidden: Vec<usize>, activation: &str) -> ExperimentConfig {
    let mut c = ExperimentConfig::default();
    c.data.dataset = dataset.parse().unwrap();
    c.model.hidden = hidden;
    c.model.activation = activation.parse().unwrap();
    c.training = TrainingConfig::small_data();
    c
}

#[test]
fn a_deep_linear_network_is_one_affine_map() {
    let report = affine_collapse(8, 32, 2, 3, 1000, 1, &flex()).unwrap();
    assert!(report.identity_relative_error < 1e-5, "{report:?}");
    assert!(report.relu_relative_error > 1e-2, "{report:?}");
}

#[test]
fn trained_deep_linear_networks_do_no_better_than_logistic_regression() {
    for dataset in ["xor", "circles", "spirals"] {
        let base = two_d(dataset, vec![], "identity");
        let r = trained_collapse(&base, 4, 32, &flex()).unwrap();
        eprintln!(
            "{dataset}: logistic {:.3}, deep linear {:.3}, deep ReLU {:.3}",
            r.logistic_regression, r.deep_linear, r.deep_relu
        );
        // both are linear classifiers, whose fits on these sets land near chance in different
        // places: the margin allows for that, not for learning the nonlinear boundary
        assert!(
            r.deep_linear <= r.logistic_regression + 0.12 && r.deep_linear < 0.65,
            "{r:?}"
        );
        assert!(
            r.deep_relu >= 0.9 && r.deep_relu > r.deep_linear + 0.25,
            "{r:?}"
        );
    }
}

#[test]
fn spirals_become_linearly_separable_in_the_hidden_layer() {
    let r = separability(&two_d("spirals(arms=3)", vec![64, 64], "relu"), &flex()).unwrap();
    eprintln!("{r:?}");
    assert!(r.linear_on_inputs <= 0.60, "{r:?}");
    assert!(r.linear_on_hidden >= 0.95, "{r:?}");
}

fn deep(activation: &str, init: Init) -> (ExperimentConfig, nonlin_eval::diagnose::Diagnostics) {
    let mut c = ExperimentConfig::default();
    c.model.kind = ModelKind::DeepMlp;
    c.model.depth = 30;
    c.model.width = 32;
    c.model.activation = activation.parse().unwrap();
    c.model.init = init;
    let d = diagnose_at_init(&c, &flex(), 256, 1e-3).unwrap();
    (c, d)
}

#[test]
fn deep_sigmoid_gradients_vanish_and_relu_with_kaiming_does_not() {
    let (_, sigmoid) = deep("sigmoid", Init::Pytorch);
    let (_, relu) = deep("relu", Init::Kaiming);
    let s = sigmoid.first_to_last_gradient_ratio().unwrap();
    let r = relu.first_to_last_gradient_ratio().unwrap();
    eprintln!("first/last weight-gradient norm: sigmoid {s:.3e}, relu+kaiming {r:.3e}");
    assert!(s <= 1e-2, "sigmoid ratio {s}");
    assert!(r > 1e-2, "relu ratio {r}");
}

#[test]
fn after_a_sigmoid_layer_every_unit_gets_one_sign_weight_gradients() {
    let (_, sigmoid) = deep("sigmoid", Init::Pytorch);
    let (_, tanh) = deep("tanh", Init::Xavier);
    // every layer after the first reads sigmoid outputs (the first reads pixels in [0, 1])
    assert!(
        sigmoid.layers[1..]
            .iter()
            .all(|l| l.one_sign_fraction == 1.0)
    );
    assert!(
        sigmoid.layers.iter().all(|l| l.output_mean > 0.4),
        "sigmoid outputs are not zero-centred"
    );
    let tanh_later = tanh.layers[1..]
        .iter()
        .map(|l| l.one_sign_fraction)
        .sum::<f64>()
        / 29.0;
    assert!(tanh_later < 0.5, "tanh {tanh_later}");
}

#[test]
fn negative_bias_kills_relu_units_and_leaky_relu_keeps_them() {
    let dead = |activation: &str| {
        let mut c = ExperimentConfig::default();
        c.model.hidden = vec![64, 64];
        c.model.activation = activation.parse().unwrap();
        c.model.bias_init = Some(-3.0);
        let d = diagnose_at_init(&c, &flex(), 512, 1e-3).unwrap();
        d.layers.iter().map(|l| l.dead_fraction).fold(0.0, f64::max)
    };
    let relu = dead("relu");
    let leaky = dead("leaky_relu");
    eprintln!("dead fraction with bias -3: relu {relu:.2}, leaky_relu {leaky:.2}");
    assert!(relu >= 0.5, "{relu}");
    assert_eq!(leaky, 0.0);
}
