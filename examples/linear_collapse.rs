//! A deep network without activations equals one affine map; with ReLU it does not; on XOR the deep
//! linear network is stuck at a linear classifier's accuracy.
//!
//! ```text
//! cargo run --release --example linear_collapse [-- --backend ndarray|flex|wgpu|auto]
//! ```
//!
//! The measurement lives in `crates/nonlin-eval/src/claims/linear_collapse.rs`, where
//! `crates/nonlin-eval/tests/claims.rs` checks its verdict.

fn main() -> anyhow::Result<()> {
    nonlin::example::main_for(nonlin_eval::claims::linear_collapse::run)
}
