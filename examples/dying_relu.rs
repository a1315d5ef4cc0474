//! A high learning rate or a negative initial bias kills ReLU units; Leaky ReLU, a small positive bias
//! and a lower learning rate each prevent it.
//!
//! ```text
//! cargo run --release --example dying_relu [-- --backend ndarray|flex|wgpu|auto]
//! ```
//!
//! The measurement lives in `crates/nonlin-eval/src/claims/dying_relu.rs`, where
//! `crates/nonlin-eval/tests/claims.rs` checks its verdict.

fn main() -> anyhow::Result<()> {
    nonlin::example::main_for(nonlin_eval::claims::dying_relu::run)
}
