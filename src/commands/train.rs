//! `nonlin train`: flags over an optional TOML experiment file, then `nonlin_train::train`.

use super::SpecList;
use anyhow::{Context, Result};
use clap::{Args, ValueEnum};
use nonlin_activations::ActivationConfig;
use nonlin_backend::{Backend, BackendKind};
use nonlin_train::model::Positions;
use nonlin_train::run_dir::RunDir;
use nonlin_train::train::{OptimizerKind, Schedule};
use nonlin_train::{DatasetSpec, ExperimentConfig, ModelKind, ProgressMode, RunOptions, train};
use std::path::PathBuf;

/// Everything settable for one training run; each flag overrides the TOML file.
#[derive(Args, Debug, Default)]
pub struct TrainArgs {
    /// A TOML experiment file (sections [data], [model], [training]; see README).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Data set: digits, xor, circles, moons, spirals(arms=3), blobs, linear, mnist, fashion_mnist,
    /// csv(path=FILE, label=COLUMN).
    #[arg(long)]
    pub dataset: Option<String>,
    /// Directory of MNIST-style IDX files (for mnist and fashion_mnist).
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Model: mlp, maxout_mlp, deep_mlp, cnn, or transformer (a character-level language model,
    /// for text data sets).
    #[arg(long, value_enum)]
    pub model: Option<ModelArg>,
    /// Hidden widths, e.g. 64,64.
    #[arg(long, value_delimiter = ',')]
    pub hidden: Option<Vec<usize>>,
    /// Activation of every hidden layer, e.g. relu, "leaky_relu(0.2)", gelu, "maxout(k=3)".
    #[arg(long)]
    pub activation: Option<String>,
    /// One activation per hidden layer, separated by `;`, e.g. "relu;tanh".
    #[arg(long)]
    pub activations: Option<SpecList<ActivationConfig>>,
    /// Dropout after each hidden activation.
    #[arg(long)]
    pub dropout: Option<f64>,
    /// Batch normalisation before each hidden activation.
    #[arg(long)]
    pub batch_norm: bool,
    /// Weight init: pytorch, kaiming, xavier, normal(STD).
    #[arg(long)]
    pub init: Option<String>,
    /// Constant initial bias of hidden layers (e.g. 0.01 for ReLU).
    #[arg(long, allow_negative_numbers = true)]
    pub bias_init: Option<f64>,
    /// Pieces per unit of maxout_mlp.
    #[arg(long)]
    pub maxout_k: Option<usize>,
    /// Layers of deep_mlp.
    #[arg(long)]
    pub depth: Option<usize>,
    /// Units per layer of deep_mlp.
    #[arg(long)]
    pub width: Option<usize>,
    /// Transformer: characters of context (also the training windows' length).
    #[arg(long)]
    pub context: Option<usize>,
    /// Transformer: blocks.
    #[arg(long)]
    pub layers: Option<usize>,
    /// Transformer: width of the residual stream.
    #[arg(long)]
    pub d_model: Option<usize>,
    /// Transformer: attention heads.
    #[arg(long)]
    pub heads: Option<usize>,
    /// Transformer: hidden width of the ungated feed-forward block (the GLU family gets 2/3 of
    /// it, so that parameter counts match).
    #[arg(long)]
    pub d_ff: Option<usize>,
    /// Transformer: keep d_ff for every activation instead of matching parameter counts.
    #[arg(long)]
    pub no_match_parameters: bool,
    /// Transformer: learned or rotary positions.
    #[arg(long, value_enum)]
    pub positions: Option<PositionsArg>,
    /// Transformer: logits from the embedding matrix.
    #[arg(long)]
    pub tie_embeddings: bool,
    /// Epochs (a language model's epoch is --steps-per-epoch steps).
    #[arg(long)]
    pub epochs: Option<usize>,
    /// Language models: optimizer steps per epoch (each epoch ends with an evaluation and a
    /// checkpoint).
    #[arg(long)]
    pub steps_per_epoch: Option<usize>,
    /// Language models: validation windows per epoch's evaluation (0: the whole validation part).
    #[arg(long)]
    pub eval_windows: Option<usize>,
    /// Batch size.
    #[arg(long)]
    pub batch_size: Option<usize>,
    /// Optimizer: adam, adamw or sgd.
    #[arg(long, value_enum)]
    pub optimizer: Option<OptimizerArg>,
    /// Learning rate.
    #[arg(long)]
    pub lr: Option<f64>,
    /// SGD momentum.
    #[arg(long)]
    pub momentum: Option<f64>,
    /// Weight decay.
    #[arg(long)]
    pub weight_decay: Option<f64>,
    /// Learning-rate schedule: constant, step or cosine.
    #[arg(long, value_enum)]
    pub schedule: Option<ScheduleArg>,
    /// Warm-up epochs.
    #[arg(long)]
    pub warmup: Option<usize>,
    /// Clip the gradient norm.
    #[arg(long)]
    pub grad_clip: Option<f64>,
    /// Early-stopping patience in epochs (validation loss).
    #[arg(long)]
    pub early_stopping: Option<usize>,
    /// Report the first epoch reaching this validation accuracy.
    #[arg(long)]
    pub target_accuracy: Option<f64>,
    /// Seed of data, split, initialisation and shuffles.
    #[arg(long)]
    pub seed: Option<u64>,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum ModelArg {
    Mlp,
    MaxoutMlp,
    DeepMlp,
    Cnn,
    Transformer,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum PositionsArg {
    Learned,
    Rotary,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum OptimizerArg {
    Adam,
    Adamw,
    Sgd,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum ScheduleArg {
    Constant,
    Step,
    Cosine,
}

#[derive(Clone, Copy, Debug, Default, ValueEnum)]
pub enum ProgressArg {
    #[default]
    Auto,
    Bar,
    Lines,
    Quiet,
}

impl TrainArgs {
    /// The TOML file (or the defaults) with every given flag applied. Without a file, a text
    /// data set or `--model transformer` starts from the language-model defaults.
    pub fn experiment(&self) -> Result<ExperimentConfig> {
        self.experiment_over(self.defaults())
    }

    /// Whether the flags ask for a language model: a text data set or `--model transformer`.
    pub fn is_language_model(&self) -> bool {
        let text = self
            .dataset
            .as_deref()
            .and_then(|spec| spec.parse::<DatasetSpec>().ok())
            .is_some_and(|d| d.is_text());
        text || matches!(self.model, Some(ModelArg::Transformer))
    }

    /// The defaults these flags start from (when no TOML file is given).
    pub fn defaults(&self) -> ExperimentConfig {
        if self.is_language_model() {
            ExperimentConfig::language_model()
        } else {
            ExperimentConfig::default()
        }
    }

    /// The TOML file (or `base`) with every given flag applied.
    pub fn experiment_over(&self, base: ExperimentConfig) -> Result<ExperimentConfig> {
        let mut c = match &self.config {
            Some(path) => ExperimentConfig::load(path)?,
            None => base,
        };
        if let Some(spec) = &self.dataset {
            c.data.dataset = spec.parse().with_context(|| format!("--dataset {spec}"))?;
        }
        if let Some(dir) = &self.data_dir {
            match &mut c.data.dataset {
                DatasetSpec::Mnist { dir: d, .. } => *d = dir.clone(),
                other => {
                    anyhow::bail!("--data-dir applies to mnist and fashion_mnist, not {other}")
                }
            }
        }
        let m = &mut c.model;
        if let Some(kind) = self.model {
            m.kind = match kind {
                ModelArg::Mlp => ModelKind::Mlp,
                ModelArg::MaxoutMlp => ModelKind::MaxoutMlp,
                ModelArg::DeepMlp => ModelKind::DeepMlp,
                ModelArg::Cnn => ModelKind::Cnn,
                ModelArg::Transformer => ModelKind::Transformer,
            };
        }
        let shape = &mut m.transformer;
        set(&mut shape.context, self.context);
        set(&mut shape.layers, self.layers);
        set(&mut shape.d_model, self.d_model);
        set(&mut shape.heads, self.heads);
        set(&mut shape.d_ff, self.d_ff);
        shape.match_parameters &= !self.no_match_parameters;
        shape.tie_embeddings |= self.tie_embeddings;
        if let Some(p) = self.positions {
            shape.positions = match p {
                PositionsArg::Learned => Positions::Learned,
                PositionsArg::Rotary => Positions::Rotary,
            };
        }
        if let Some(hidden) = &self.hidden {
            m.hidden = hidden.clone();
        }
        if let Some(spec) = &self.activation {
            m.activation = spec
                .parse()
                .with_context(|| format!("--activation {spec}"))?;
        }
        if let Some(list) = &self.activations {
            m.activations = Some(list.0.clone());
        }
        set(&mut m.dropout, self.dropout);
        m.batch_norm |= self.batch_norm;
        if let Some(init) = &self.init {
            m.init = init.parse().map_err(anyhow::Error::msg)?;
        }
        if self.bias_init.is_some() {
            m.bias_init = self.bias_init;
        }
        set(&mut m.maxout_k, self.maxout_k);
        set(&mut m.depth, self.depth);
        set(&mut m.width, self.width);
        let t = &mut c.training;
        set(&mut t.epochs, self.epochs);
        if self.steps_per_epoch.is_some() {
            t.steps_per_epoch = self.steps_per_epoch;
        }
        set(&mut t.eval_windows, self.eval_windows);
        set(&mut t.batch_size, self.batch_size);
        if let Some(o) = self.optimizer {
            t.optimizer = match o {
                OptimizerArg::Adam => OptimizerKind::Adam,
                OptimizerArg::Adamw => OptimizerKind::Adamw,
                OptimizerArg::Sgd => OptimizerKind::Sgd,
            };
        }
        set(&mut t.learning_rate, self.lr);
        set(&mut t.momentum, self.momentum);
        set(&mut t.weight_decay, self.weight_decay);
        if let Some(s) = self.schedule {
            t.schedule = match s {
                ScheduleArg::Constant => Schedule::Constant,
                ScheduleArg::Step => Schedule::Step,
                ScheduleArg::Cosine => Schedule::Cosine,
            };
        }
        set(&mut t.warmup_epochs, self.warmup);
        if self.grad_clip.is_some() {
            t.grad_clip = self.grad_clip;
        }
        if self.early_stopping.is_some() {
            t.early_stopping = self.early_stopping;
        }
        if self.target_accuracy.is_some() {
            t.target_accuracy = self.target_accuracy;
        }
        set(&mut c.seed, self.seed);
        c.validate()?;
        Ok(c)
    }
}

fn set<T: Copy>(field: &mut T, value: Option<T>) {
    if let Some(v) = value {
        *field = v;
    }
}

impl From<ProgressArg> for ProgressMode {
    fn from(p: ProgressArg) -> Self {
        match p {
            ProgressArg::Auto => ProgressMode::Auto,
            ProgressArg::Bar => ProgressMode::Bar,
            ProgressArg::Lines => ProgressMode::Lines,
            ProgressArg::Quiet => ProgressMode::Quiet,
        }
    }
}

/// A directory name for a run that does not name one: data set, activation, seed and time.
fn default_out_dir(config: &ExperimentConfig) -> PathBuf {
    let dataset = config.data.dataset.to_string();
    let dataset = dataset.split('(').next().unwrap_or("run");
    let activation: String = config
        .model
        .activation
        .name()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    PathBuf::from("runs").join(format!("{dataset}-{activation}-s{}-{secs}", config.seed))
}

/// Where and how `nonlin train` writes.
pub struct RunTarget {
    /// `--out`.
    pub out: Option<PathBuf>,
    /// `--resume`.
    pub resume: bool,
    /// `--exist-ok`.
    pub exist_ok: bool,
    /// `--progress`.
    pub progress: ProgressArg,
}

pub fn run(args: &TrainArgs, target: RunTarget, backend: BackendKind) -> Result<()> {
    let RunTarget {
        out,
        resume,
        exist_ok,
        progress,
    } = target;
    let (config, out_dir) = match (out, resume) {
        (Some(dir), true) => {
            // a resumed run starts from its own config; flags given again must agree with it
            let run = RunDir::new(&dir);
            // a run another process is writing is not read half-way
            run.check_unlocked()?;
            let saved = run
                .saved_config()
                .with_context(|| format!("reading the run in {}", dir.display()))?;
            let config = match saved {
                Some(saved) => args.experiment_over(saved)?,
                None => args.experiment()?,
            };
            (config, dir)
        }
        (Some(dir), false) => (args.experiment()?, dir),
        (None, true) => anyhow::bail!("--resume needs --out, the run directory to continue"),
        (None, false) => {
            let config = args.experiment()?;
            let dir = default_out_dir(&config);
            (config, dir)
        }
    };
    let backend = Backend::select(backend)?;
    let options = RunOptions {
        out_dir,
        resume,
        progress: progress.into(),
        stop_after: None,
        exist_ok,
    };
    eprintln!(
        "training {} on {} ({}), seed {}, {} epochs -> {}",
        config.model.activation.spec(),
        config.data.dataset,
        backend.describe(),
        config.seed,
        config.training.epochs,
        options.out_dir.display()
    );
    let summary = train(&config, &backend, &options).context("training failed")?;
    for skipped in &summary.skipped_checkpoints {
        eprintln!(
            "warning: passed over damaged checkpoint {}: {}",
            skipped.dir.display(),
            skipped.reason
        );
    }
    println!("model          {}", summary.model);
    println!("dataset        {}", summary.dataset);
    println!("backend        {}", summary.backend);
    println!(
        "epochs         {} (best {}{})",
        summary.epochs,
        summary.best_epoch,
        if summary.stopped_early {
            ", stopped early"
        } else {
            ""
        }
    );
    match summary.bits_per_char {
        Some(bits) => {
            // a language model's held-out text is its validation part
            println!(
                "valid loss     {:.4} nats/char ({bits:.4} bits/char)",
                summary.test_loss
            );
            println!(
                "valid accuracy {:.4} (next character)",
                summary.test_accuracy
            );
        }
        None => {
            println!("test accuracy  {:.4}", summary.test_accuracy);
            println!("test loss      {:.4}", summary.test_loss);
        }
    }
    if let Some(p) = summary.parameters {
        println!("parameters     {p}");
    }
    if let Some(e) = summary.epochs_to_target {
        println!("epochs to target accuracy  {e}");
    }
    println!(
        "time/epoch     {:.3} s ({:.0} {}/s)",
        summary.seconds_per_epoch,
        summary.samples_per_second,
        if summary.bits_per_char.is_some() {
            "characters"
        } else {
            "samples"
        }
    );
    println!("wrote          {}", summary.files.summary.display());
    println!("               {}", summary.files.metrics_jsonl.display());
    println!("               {}", summary.files.metrics_csv.display());
    println!("               {}", summary.files.checkpoint.display());
    println!("               {}", summary.files.best_model.display());
    Ok(())
}
