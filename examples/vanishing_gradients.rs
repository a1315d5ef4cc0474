//! Deep sigmoid vs tanh vs ReLU vs GELU: per-layer gradient norms at initialisation and after a few
//! epochs, and which networks learn at all.
//!
//! ```text
//! cargo run --release --example vanishing_gradients [-- --backend ndarray|flex|wgpu|auto]
//! ```
//!
//! The measurement lives in `src/demos/vanishing_gradients.rs`, where `tests/examples.rs` checks its verdict.

fn main() -> anyhow::Result<()> {
    nonlin::demos::main_for(nonlin::demos::vanishing_gradients::run)
}
