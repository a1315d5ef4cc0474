//! ReLU's kink: the gradient at exactly 0 and how often a real training step lands on it.
//!
//! ```text
//! cargo run --release --example relu_subgradient [-- --backend ndarray|flex|wgpu|auto]
//! ```
//!
//! The measurement lives in `src/demos/relu_subgradient.rs`, where `tests/examples.rs` checks its verdict.

fn main() -> anyhow::Result<()> {
    nonlin::demos::main_for(nonlin::demos::relu_subgradient::run)
}
