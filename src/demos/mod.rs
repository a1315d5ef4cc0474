//! One module per claim of the nonlinearity notes. Each `run` trains or probes small models on the
//! chosen backend, returns what it measured, and says whether the claim held.

pub mod dying_relu;
pub mod gelu_variants;
pub mod linear_collapse;
pub mod maxout;
pub mod relu_subgradient;
pub mod rule_of_thumb;
pub mod separability;
pub mod vanishing_gradients;
pub mod zero_centred;

use nonlin_backend::{Backend, BackendKind};
use std::fmt;

/// A demo's outcome: its measured numbers as text, and whether the claim held.
pub struct Outcome {
    /// What was measured, as a table or lines.
    pub report: String,
    /// Whether the claim held, by the demo's stated margins.
    pub holds: bool,
    /// The one-line verdict.
    pub verdict: String,
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.report.trim_end())?;
        write!(
            f,
            "\nVERDICT: {} — {}",
            if self.holds { "holds" } else { "does NOT hold" },
            self.verdict
        )
    }
}

/// The backend an example runs on: `--backend NAME` on its command line, else `NONLIN_BACKEND`,
/// else flex (the examples are CPU-sized).
pub fn backend_from_args() -> anyhow::Result<Backend> {
    let args: Vec<String> = std::env::args().collect();
    let kind = match args.iter().position(|a| a == "--backend") {
        Some(i) => args
            .get(i + 1)
            .ok_or_else(|| anyhow::anyhow!("--backend needs a value: ndarray, flex, wgpu or auto"))?
            .parse()?,
        None => BackendKind::from_env_or(BackendKind::Flex)?,
    };
    Ok(Backend::select(kind)?)
}

/// Runs an example's demo and prints its outcome; a claim that does not hold exits with status 1.
pub fn main_for(run: impl FnOnce(&Backend) -> anyhow::Result<Outcome>) -> anyhow::Result<()> {
    let backend = backend_from_args()?;
    eprintln!("backend: {}", backend.describe());
    let outcome = run(&backend)?;
    println!("{outcome}");
    if !outcome.holds {
        std::process::exit(1);
    }
    Ok(())
}
