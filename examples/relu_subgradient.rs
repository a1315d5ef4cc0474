//! ReLU's kink: the gradient at exactly 0 and how often a real training step lands on it.
//!
//! ```text
//! cargo run --release --example relu_subgradient [-- --backend ndarray|flex|wgpu|auto]
//! ```
//!
//! The measurement lives in `crates/nonlin-eval/src/claims/relu_subgradient.rs`, where
//! `crates/nonlin-eval/tests/claims.rs` checks its verdict.

fn main() -> anyhow::Result<()> {
    nonlin::example::main_for(nonlin_eval::claims::relu_subgradient::run)
}
