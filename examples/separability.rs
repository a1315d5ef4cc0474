//! XOR and circles are not linearly separable; one hidden layer with a nonlinearity makes them so (a
//! linear probe on the hidden features reaches ~100%). The hidden space is drawn into `plots/`.
//!
//! ```text
//! cargo run --release --example separability [-- --backend ndarray|flex|wgpu|auto]
//! ```
//!
//! The measurement lives in `crates/nonlin-eval/src/claims/separability.rs`, where
//! `crates/nonlin-eval/tests/claims.rs` checks its verdict.

fn main() -> anyhow::Result<()> {
    nonlin::example::main_for(|backend| {
        nonlin_eval::claims::separability::run(backend, std::path::Path::new("plots"))
    })
}
