//! A deep network without activations equals one affine map; with ReLU it does not; on XOR the deep
//! linear network is stuck at a linear classifier's accuracy.
//!
//! ```text
//! cargo run --release --example linear_collapse [-- --backend ndarray|flex|wgpu|auto]
//! ```
//!
//! The measurement lives in `src/demos/linear_collapse.rs`, where `tests/examples.rs` checks its verdict.

fn main() -> anyhow::Result<()> {
    nonlin::demos::main_for(nonlin::demos::linear_collapse::run)
}
