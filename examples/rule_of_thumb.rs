//! ReLU first, then Leaky ReLU / Maxout / ELU, tanh over sigmoid: a small sweep on digits and spirals.
//!
//! ```text
//! cargo run --release --example rule_of_thumb [-- --backend ndarray|flex|wgpu|auto]
//! ```
//!
//! The measurement lives in `src/demos/rule_of_thumb.rs`, where `tests/examples.rs` checks its verdict.

fn main() -> anyhow::Result<()> {
    nonlin::demos::main_for(nonlin::demos::rule_of_thumb::run)
}
