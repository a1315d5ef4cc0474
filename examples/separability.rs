//! XOR and circles are not linearly separable; one hidden layer with a nonlinearity makes them so (a
//! linear probe on the hidden features reaches ~100%). The hidden space is drawn into `plots/`.
//!
//! ```text
//! cargo run --release --example separability [-- --backend ndarray|flex|wgpu|auto]
//! ```
//!
//! The measurement lives in `src/demos/separability.rs`, where `tests/examples.rs` checks its verdict.

fn main() -> anyhow::Result<()> {
    nonlin::demos::main_for(|backend| {
        nonlin::demos::separability::run(backend, std::path::Path::new("plots"))
    })
}
