//! A high learning rate or a negative initial bias kills ReLU units; Leaky ReLU, a small positive bias
//! and a lower learning rate each prevent it.
//!
//! ```text
//! cargo run --release --example dying_relu [-- --backend ndarray|flex|wgpu|auto]
//! ```
//!
//! The measurement lives in `src/demos/dying_relu.rs`, where `tests/examples.rs` checks its verdict.

fn main() -> anyhow::Result<()> {
    nonlin::demos::main_for(nonlin::demos::dying_relu::run)
}
