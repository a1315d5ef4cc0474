//! Every example's claim, asserted: each runs the same code as `cargo run --example NAME` on flex
//! and must reach its verdict by the margins stated in its module.

use nonlin::demos::{self, Outcome};
use nonlin_backend::{Backend, BackendKind};

#[path = "../examples/use_in_your_model.rs"]
mod use_in_your_model;

fn flex() -> Backend {
    Backend::select(BackendKind::Flex).unwrap()
}

fn assert_holds(outcome: anyhow::Result<Outcome>) {
    let outcome = outcome.expect("the demo runs");
    eprintln!("{outcome}");
    assert!(outcome.holds, "{outcome}");
}

#[test]
fn linear_collapse() {
    assert_holds(demos::linear_collapse::run(&flex()));
}

#[test]
fn separability() {
    let plots = std::env::temp_dir().join(format!("nonlin-example-plots-{}", std::process::id()));
    assert_holds(demos::separability::run(&flex(), &plots));
    assert!(plots.join("separability-xor-hidden.png").exists());
    std::fs::remove_dir_all(plots).unwrap();
}

#[test]
fn dying_relu() {
    assert_holds(demos::dying_relu::run(&flex()));
}

#[test]
fn vanishing_gradients() {
    assert_holds(demos::vanishing_gradients::run(&flex()));
}

#[test]
fn zero_centred() {
    assert_holds(demos::zero_centred::run(&flex()));
}

#[test]
fn relu_subgradient() {
    assert_holds(demos::relu_subgradient::run(&flex()));
}

#[test]
fn rule_of_thumb() {
    assert_holds(demos::rule_of_thumb::run(&flex()));
}

#[test]
fn gelu_variants() {
    assert_holds(demos::gelu_variants::run(&flex()));
}

#[test]
fn maxout() {
    assert_holds(demos::maxout::run(&flex()));
}

#[test]
fn use_in_your_model() {
    assert_holds(use_in_your_model::run(&flex()));
}
