//! Sigmoid's positive outputs give all incoming-weight gradients of a unit one sign; tanh's do not;
//! the effect on training speed.
//!
//! ```text
//! cargo run --release --example zero_centred [-- --backend ndarray|flex|wgpu|auto]
//! ```
//!
//! The measurement lives in `src/demos/zero_centred.rs`, where `tests/examples.rs` checks its verdict.

fn main() -> anyhow::Result<()> {
    nonlin::demos::main_for(nonlin::demos::zero_centred::run)
}
