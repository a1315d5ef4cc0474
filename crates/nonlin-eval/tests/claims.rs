//! The seed's claims, asserted once: each test runs the measurement of `nonlin_eval::claims` that
//! `cargo run --example NAME` prints, on flex, and fails unless the claim holds by the margins
//! written in that module.

use nonlin_backend::{Backend, BackendKind};
use nonlin_eval::EvalError;
use nonlin_eval::claims::{self, Outcome};

fn flex() -> Backend {
    Backend::select(BackendKind::Flex).unwrap()
}

fn assert_holds(outcome: Result<Outcome, EvalError>) {
    let outcome = outcome.expect("the measurement runs");
    eprintln!("{outcome}");
    assert!(outcome.holds, "{outcome}");
}

#[test]
fn stacked_linear_layers_collapse_to_one_affine_map() {
    assert_holds(claims::linear_collapse::run(&flex()));
}

#[test]
fn a_nonlinear_hidden_layer_makes_the_data_linearly_separable() {
    let plots = tempfile::tempdir().unwrap();
    assert_holds(claims::separability::run(&flex(), plots.path()));
    for name in ["xor", "circles", "spirals"] {
        let png = plots.path().join(format!("separability-{name}-hidden.png"));
        assert!(png.metadata().is_ok_and(|m| m.len() > 0), "{png:?}");
    }
}

#[test]
fn relu_units_die_and_leaky_relu_or_a_positive_bias_prevents_it() {
    assert_holds(claims::dying_relu::run(&flex()));
}

#[test]
fn sigmoid_and_tanh_gradients_vanish_in_deep_networks() {
    assert_holds(claims::vanishing_gradients::run(&flex()));
}

#[test]
fn sigmoid_outputs_are_not_zero_centred_and_give_one_sign_weight_gradients() {
    assert_holds(claims::zero_centred::run(&flex()));
}

#[test]
fn relus_kink_follows_pytorchs_subgradient_and_training_rarely_lands_on_it() {
    assert_holds(claims::relu_subgradient::run(&flex()));
}

#[test]
fn the_rule_of_thumb_holds_in_a_sweep() {
    assert_holds(claims::rule_of_thumb::run(&flex()));
}

#[test]
fn gelus_tanh_approximation_is_closer_than_the_sigmoid_one() {
    assert_holds(claims::gelu_variants::run(&flex()));
}

#[test]
fn one_maxout_unit_represents_convex_piecewise_linear_functions() {
    assert_holds(claims::maxout::run(&flex()));
}
