//! GELU with erf, tanh and sigmoid: maximum error, where it occurs, and speed.
//!
//! ```text
//! cargo run --release --example gelu_variants [-- --backend ndarray|flex|wgpu|auto]
//! ```
//!
//! The measurement lives in `crates/nonlin-eval/src/claims/gelu_variants.rs`, where
//! `crates/nonlin-eval/tests/claims.rs` checks its verdict.

fn main() -> anyhow::Result<()> {
    nonlin::example::main_for(nonlin_eval::claims::gelu_variants::run)
}
