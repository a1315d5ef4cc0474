//! Maxout units fit ReLU, |x| and a convex piecewise-linear function exactly.
//!
//! ```text
//! cargo run --release --example maxout [-- --backend ndarray|flex|wgpu|auto]
//! ```
//!
//! The measurement lives in `src/demos/maxout.rs`, where `tests/examples.rs` checks its verdict.

fn main() -> anyhow::Result<()> {
    nonlin::demos::main_for(nonlin::demos::maxout::run)
}
