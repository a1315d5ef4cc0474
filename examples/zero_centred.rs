//! Sigmoid's positive outputs give all incoming-weight gradients of a unit one sign; tanh's do not;
//! the effect on training speed.
//!
//! ```text
//! cargo run --release --example zero_centred [-- --backend ndarray|flex|wgpu|auto]
//! ```
//!
//! The measurement lives in `crates/nonlin-eval/src/claims/zero_centred.rs`, where
//! `crates/nonlin-eval/tests/claims.rs` checks its verdict.

fn main() -> anyhow::Result<()> {
    nonlin::example::main_for(nonlin_eval::claims::zero_centred::run)
}
