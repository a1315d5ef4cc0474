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

/// What a tracked training run saw: diagnostics at initialisation (epoch 0) and after every epoch,
/// and the final test accuracy.
pub struct Tracked {
    /// `(epoch, diagnostics on the probe)`.
    pub epochs: Vec<(usize, nonlin_eval::diagnose::Diagnostics)>,
    /// Test accuracy after the last epoch.
    pub test_accuracy: f64,
    /// Validation accuracy per epoch.
    pub valid_accuracy: Vec<f64>,
}

/// Trains `config` in memory on `backend`, diagnosing the first `probe` training samples before
/// training and after each epoch.
pub fn train_tracked(
    config: &nonlin_train::ExperimentConfig,
    backend: &Backend,
    probe: usize,
) -> anyhow::Result<Tracked> {
    nonlin_train::train::with_backend_rng(|| -> anyhow::Result<Tracked> {
        use burn::module::Module;
        use nonlin_eval::diagnose::diagnose;
        let splits = nonlin_train::data::load(&config.data, config.seed)?;
        let device = backend.autodiff();
        device.seed(config.seed);
        let model = config.model.init(
            &splits.train.sample_shape,
            splits.train.num_classes,
            &device,
        )?;
        let activations = config.model.layer_activations()?;
        let probe = splits
            .train
            .subset(&(0..probe.min(splits.train.len())).collect::<Vec<_>>());
        let mut epochs = vec![(0, diagnose(&model, &activations, &probe, &device, 1e-3)?)];
        let mut failure = None;
        let (model, history) = nonlin_train::train::fit(
            model,
            &splits,
            &config.training,
            config.seed,
            backend,
            |m, metrics| match diagnose(m, &activations, &probe, &device, 1e-3) {
                Ok(d) => epochs.push((metrics.epoch, d)),
                Err(e) => failure = Some(e),
            },
        )?;
        if let Some(e) = failure {
            return Err(e.into());
        }
        let test_accuracy =
            nonlin_train::train::evaluate(&model.valid(), &splits.test, 512, &backend.device).1;
        Ok(Tracked {
            epochs,
            test_accuracy,
            valid_accuracy: history.iter().map(|m| m.valid_accuracy).collect(),
        })
    })
}

impl Tracked {
    /// Mean over layers of the dead-unit fraction at each recorded epoch.
    pub fn dead(&self) -> Vec<f64> {
        self.epochs
            .iter()
            .map(|(_, d)| {
                d.layers.iter().map(|l| l.dead_fraction).sum::<f64>() / d.layers.len().max(1) as f64
            })
            .collect()
    }
}
