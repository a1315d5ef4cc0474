//! Deep sigmoid vs tanh vs ReLU vs GELU: per-layer gradient norms at initialisation and after a few
//! epochs, and which networks learn at all.
//!
//! ```text
//! cargo run --release --example vanishing_gradients [-- --backend ndarray|flex|wgpu|auto]
//! ```
//!
//! The measurement lives in `crates/nonlin-eval/src/claims/vanishing_gradients.rs`, where
//! `crates/nonlin-eval/tests/claims.rs` checks its verdict.

fn main() -> anyhow::Result<()> {
    nonlin::example::main_for(nonlin_eval::claims::vanishing_gradients::run)
}
