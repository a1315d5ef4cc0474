//! What the examples share: the backend from their command line, and printing a claim's outcome.
//! The claims themselves are measured in `nonlin_eval::claims`.

use nonlin_backend::{Backend, BackendKind};
pub use nonlin_eval::claims::Outcome;

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

/// Runs an example's measurement and prints its outcome; a claim that does not hold exits with
/// status 1.
pub fn main_for<E>(run: impl FnOnce(&Backend) -> Result<Outcome, E>) -> anyhow::Result<()>
where
    anyhow::Error: From<E>,
{
    let backend = backend_from_args()?;
    eprintln!("backend: {}", backend.describe());
    let outcome = run(&backend)?;
    println!("{outcome}");
    if !outcome.holds {
        std::process::exit(1);
    }
    Ok(())
}
