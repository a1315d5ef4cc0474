//! GELU with erf, tanh and sigmoid: maximum error, where it occurs, and speed.
//!
//! ```text
//! cargo run --release --example gelu_variants [-- --backend ndarray|flex|wgpu|auto]
//! ```
//!
//! The measurement lives in `src/demos/gelu_variants.rs`, where `tests/examples.rs` checks its verdict.

fn main() -> anyhow::Result<()> {
    nonlin::demos::main_for(nonlin::demos::gelu_variants::run)
}
