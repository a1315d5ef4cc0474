//! Maxout units fit ReLU, |x| and a convex piecewise-linear function exactly.
//!
//! ```text
//! cargo run --release --example maxout [-- --backend ndarray|flex|wgpu|auto]
//! ```
//!
//! The measurement lives in `crates/nonlin-eval/src/claims/maxout.rs`, where
//! `crates/nonlin-eval/tests/claims.rs` checks its verdict.

fn main() -> anyhow::Result<()> {
    nonlin::example::main_for(nonlin_eval::claims::maxout::run)
}
