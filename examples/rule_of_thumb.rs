//! ReLU first, then Leaky ReLU / Maxout / ELU, tanh over sigmoid: a small sweep on digits and spirals.
//!
//! ```text
//! cargo run --release --example rule_of_thumb [-- --backend ndarray|flex|wgpu|auto]
//! ```
//!
//! The measurement lives in `crates/nonlin-eval/src/claims/rule_of_thumb.rs`, where
//! `crates/nonlin-eval/tests/claims.rs` checks its verdict.

fn main() -> anyhow::Result<()> {
    nonlin::example::main_for(nonlin_eval::claims::rule_of_thumb::run)
}
