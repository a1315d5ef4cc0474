//! Training outcomes as measured claims: digits and spirals accuracy, the linear baseline,
//! determinism, exact resume, divergence and run-directory safety.
//!
//! (Just over 500 lines: the run-directory tests share its helpers, which one file keeps in view.)

use nonlin_backend::{Backend, BackendKind};
use nonlin_train::train::{RunFiles, RunState};
use nonlin_train::{
    ExperimentConfig, ProgressMode, RunOptions, RunSummary, TrainError, TrainingConfig, train,
};
use std::path::{Path, PathBuf};

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("nonlin-train-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn quiet(dir: &Path) -> RunOptions {
    RunOptions {
        progress: ProgressMode::Quiet,
        ..RunOptions::new(dir)
    }
}

/// The options of a quiet `--resume` into `dir`.
fn resume(dir: &Path) -> RunOptions {
    RunOptions {
        resume: true,
        ..quiet(dir)
    }
}

fn flex() -> Backend {
    Backend::select(BackendKind::Flex).unwrap()
}

fn spirals(activation: &str) -> ExperimentConfig {
    let mut c = ExperimentConfig::default();
    c.data.dataset = "spirals(arms=3)".parse().unwrap();
    c.model.hidden = vec![64, 64];
    c.model.activation = activation.parse().unwrap();
    c.training = TrainingConfig::small_data();
    c
}

fn run(config: &ExperimentConfig, backend: &Backend, name: &str) -> RunSummary {
    let dir = temp_dir(name);
    let summary = train(config, backend, &quiet(&dir)).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    summary
}

#[test]
fn digits_mlp_64_128_10_relu_reaches_95_percent() {
    let config = ExperimentConfig::default();
    assert_eq!(config.model.describe(64, 10), "mlp 64-128-10 relu");
    let summary = run(&config, &flex(), "digits");
    assert!(
        summary.test_accuracy >= 0.95,
        "test accuracy {}",
        summary.test_accuracy
    );
    eprintln!(
        "digits: test accuracy {:.4} in {:.3} s/epoch",
        summary.test_accuracy, summary.seconds_per_epoch
    );
}

#[test]
fn spirals_need_a_nonlinearity() {
    let backend = flex();
    for activation in ["relu", "gelu", "tanh"] {
        let summary = run(&spirals(activation), &backend, activation);
        assert!(
            summary.test_accuracy >= 0.95,
            "{activation}: test accuracy {}",
            summary.test_accuracy
        );
    }
    // Without a nonlinearity the deep net is a linear classifier: no hidden layer at all.
    let identity = run(&spirals("identity"), &backend, "identity").test_accuracy;
    let mut logistic = spirals("relu");
    logistic.model.hidden = vec![];
    let linear = run(&logistic, &backend, "logistic").test_accuracy;
    eprintln!("spirals: identity MLP {identity:.4}, logistic regression {linear:.4}");
    assert!(
        identity < 0.70 && (identity - linear).abs() <= 0.05,
        "identity {identity}, linear {linear}"
    );
}

/// The summary without what legitimately differs between two runs: timings and paths.
fn comparable(mut s: RunSummary) -> RunSummary {
    s.seconds_per_epoch = 0.0;
    s.samples_per_second = 0.0;
    s.files = RunFiles::new(Path::new(""));
    s.skipped_checkpoints.clear();
    s
}

fn history(dir: &Path) -> Vec<(f64, f64, f64, f64)> {
    std::fs::read_to_string(dir.join("metrics.jsonl"))
        .unwrap()
        .lines()
        .map(|l| {
            let m: serde_json::Value = serde_json::from_str(l).unwrap();
            let f = |k: &str| m[k].as_f64().unwrap();
            (
                f("train_loss"),
                f("train_accuracy"),
                f("valid_loss"),
                f("valid_accuracy"),
            )
        })
        .collect()
}

/// The best model's logits on the test set, as bits: equal logits mean equal weights.
fn logits(config: &ExperimentConfig, backend: &Backend, dir: &Path) -> Vec<u32> {
    let splits = nonlin_train::data::load(&config.data, config.seed).unwrap();
    let model = nonlin_train::train::load_model(
        config,
        &splits,
        &backend.device,
        &dir.join("best/model.bpk"),
    )
    .unwrap();
    let indices: Vec<usize> = (0..splits.test.len()).collect();
    let batch = splits.test.batch(&indices, &backend.device);
    let values: Vec<f32> = model.forward(batch.x).into_data().try_into_vec().unwrap();
    values.iter().map(|v| v.to_bits()).collect()
}

#[test]
fn same_seed_gives_bit_identical_runs_on_cpu_backends() {
    let mut config = spirals("relu");
    config.training.epochs = 8;
    config.model.dropout = 0.1; // the backend's generator takes part too
    for kind in [BackendKind::Flex, BackendKind::Ndarray] {
        let backend = Backend::select(kind).unwrap();
        let (a, b) = (
            temp_dir(&format!("det-a-{kind}")),
            temp_dir(&format!("det-b-{kind}")),
        );
        let sa = train(&config, &backend, &quiet(&a)).unwrap();
        let sb = train(&config, &backend, &quiet(&b)).unwrap();
        assert_eq!(history(&a), history(&b), "{kind}");
        assert_eq!(comparable(sa), comparable(sb), "{kind}");
        assert_eq!(
            logits(&config, &backend, &a),
            logits(&config, &backend, &b),
            "{kind}: weights differ"
        );
        let mut other = config.clone();
        other.seed += 1;
        let c = temp_dir(&format!("det-c-{kind}"));
        train(&other, &backend, &quiet(&c)).unwrap();
        assert_ne!(
            history(&a),
            history(&c),
            "{kind}: another seed should give another run"
        );
        for d in [a, b, c] {
            std::fs::remove_dir_all(d).unwrap();
        }
    }
}

#[test]
fn interrupted_and_resumed_equals_uninterrupted() {
    let mut config = spirals("tanh");
    config.training.epochs = 12;
    config.training.optimizer = nonlin_train::train::OptimizerKind::Sgd;
    config.training.schedule = nonlin_train::train::Schedule::Cosine;
    config.model.dropout = 0.1;
    let backend = flex();
    let whole_dir = temp_dir("whole");
    let whole = train(&config, &backend, &quiet(&whole_dir)).unwrap();

    let split_dir = temp_dir("split");
    let first = train(
        &config,
        &backend,
        &RunOptions {
            stop_after: Some(5),
            ..quiet(&split_dir)
        },
    )
    .unwrap();
    assert!(first.interrupted && first.epochs == 5);
    let resumed = train(&config, &backend, &resume(&split_dir)).unwrap();
    assert!(!resumed.interrupted && resumed.epochs == 12);
    assert_eq!(history(&whole_dir), history(&split_dir));
    assert_eq!(comparable(whole), comparable(resumed));
    for d in [whole_dir, split_dir] {
        std::fs::remove_dir_all(d).unwrap();
    }
}

#[test]
fn divergence_stops_with_a_report_and_keeps_the_last_good_checkpoint() {
    let mut config = spirals("relu");
    config.training.epochs = 40;
    config.training.optimizer = nonlin_train::train::OptimizerKind::Sgd;
    config.training.learning_rate = 1e-3;
    config.training.warmup_epochs = 0;
    config.training.schedule = nonlin_train::train::Schedule::Step;
    config.training.step_every = 3;
    config.training.step_gamma = 1e5; // the rate explodes after three good epochs
    let dir = temp_dir("diverge");
    let err = train(&config, &flex(), &quiet(&dir)).unwrap_err();
    let TrainError::Diverged {
        epoch,
        last_good: Some(last_good),
        ..
    } = &err
    else {
        panic!("expected divergence, got {err}");
    };
    assert!(*epoch >= 4, "diverged in epoch {epoch}");
    let state: RunState =
        serde_json::from_str(&std::fs::read_to_string(last_good.join("state.json")).unwrap())
            .unwrap();
    assert_eq!(
        state.epochs_done,
        epoch - 1,
        "the kept checkpoint is the last good epoch"
    );
    assert!(state.history.iter().all(|m| m.train_loss.is_finite()));
    assert!(err.to_string().contains("lower the learning rate"), "{err}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn metrics_files_read_back_the_exact_floats_of_the_checkpoint() {
    let mut config = spirals("gelu");
    config.training.epochs = 3;
    let dir = temp_dir("floats");
    train(&config, &flex(), &quiet(&dir)).unwrap();
    let state: RunState = serde_json::from_str(
        &std::fs::read_to_string(dir.join("checkpoints/epoch-0003/state.json")).unwrap(),
    )
    .unwrap();
    let published: Vec<nonlin_train::train::EpochMetrics> =
        std::fs::read_to_string(dir.join("metrics.jsonl"))
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
    // exact equality of every f64: serde_json parses with correct rounding (`float_roundtrip`)
    assert_eq!(published, state.history);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_checkpoint_after_divergence_holds_finite_weights_and_resumes_cleanly() {
    // the rate of the issue report: the weights blow up in the first steps
    let mut config = spirals("relu");
    config.training.epochs = 5;
    config.training.learning_rate = 1e30;
    let dir = temp_dir("lr-1e30");
    let err = train(&config, &flex(), &quiet(&dir)).unwrap_err();
    let TrainError::Diverged { last_good, .. } = &err else {
        panic!("expected divergence, got {err}");
    };
    if let Some(last_good) = last_good {
        let splits = nonlin_train::data::load(&config.data, config.seed).unwrap();
        let backend = flex();
        let model = nonlin_train::train::load_model(
            &config.with_absolute_paths().unwrap(),
            &splits,
            &backend.device,
            &last_good.join("model.bpk"),
        )
        .unwrap();
        let (loss, _) =
            nonlin_train::train::loss_and_accuracy(&model, &splits.test, 64, &backend.device);
        assert!(loss.is_finite(), "the kept checkpoint gives loss {loss}");
    }
    // resuming reads its own files and diverges again the same way, with the same report
    let again = train(&config, &flex(), &resume(&dir)).unwrap_err();
    assert!(matches!(again, TrainError::Diverged { .. }), "{again}");
    assert_eq!(again.to_string(), err.to_string());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_deleted_latest_pointer_or_config_does_not_restart_or_change_the_run() {
    let mut config = spirals("tanh");
    config.training.epochs = 4;
    let whole = run(&config, &flex(), "pointer-whole");
    let dir = temp_dir("pointer");
    train(
        &config,
        &flex(),
        &RunOptions {
            stop_after: Some(2),
            ..quiet(&dir)
        },
    )
    .unwrap();
    std::fs::remove_file(dir.join("checkpoints/latest")).unwrap();
    std::fs::remove_file(dir.join("config.toml")).unwrap();
    std::fs::remove_dir_all(dir.join("best")).unwrap();
    let saved = nonlin_train::run_dir::RunDir::new(&dir)
        .saved_config()
        .unwrap()
        .expect("the checkpoint keeps the config");
    assert_eq!(saved, config.with_absolute_paths().unwrap());
    let resumed = train(&config, &flex(), &resume(&dir)).unwrap();
    assert_eq!(comparable(resumed), comparable(whole));
    assert_eq!(history(&dir).len(), 4);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn run_directories_are_never_mixed_or_overwritten() {
    let mut config = spirals("relu");
    config.training.epochs = 2;
    let dir = temp_dir("guard");
    train(&config, &flex(), &quiet(&dir)).unwrap();
    let again = train(&config, &flex(), &quiet(&dir))
        .unwrap_err()
        .to_string();
    assert!(
        again.contains("already holds a run") && again.contains("--resume"),
        "{again}"
    );
    let mut other = config.clone();
    other.model.hidden = vec![8];
    let mixed = train(&other, &flex(), &resume(&dir))
        .unwrap_err()
        .to_string();
    assert!(mixed.contains("another experiment"), "{mixed}");
    // a damaged newest checkpoint is passed over (and said so): the run resumes from the one
    // before and ends where an uninterrupted run ends
    let latest = dir
        .join("checkpoints")
        .join(std::fs::read_to_string(dir.join("checkpoints/latest")).unwrap());
    let bytes = std::fs::read(latest.join("model.bpk")).unwrap();
    std::fs::write(latest.join("model.bpk"), &bytes[..bytes.len() / 2]).unwrap();
    config.training.epochs = 3;
    let resumed = train(&config, &flex(), &resume(&dir)).unwrap();
    assert_eq!(resumed.skipped_checkpoints.len(), 1, "{resumed:?}");
    assert!(
        resumed.skipped_checkpoints[0].reason.contains("truncated"),
        "{:?}",
        resumed.skipped_checkpoints
    );
    let straight = run(&config, &flex(), "guard-straight");
    assert_eq!(comparable(resumed), comparable(straight));
    // every checkpoint damaged: a clear error, never a silent restart
    for entry in std::fs::read_dir(dir.join("checkpoints")).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            std::fs::write(path.join("state.json"), b"{}").unwrap();
        }
    }
    config.training.epochs = 4;
    let none = train(&config, &flex(), &resume(&dir))
        .unwrap_err()
        .to_string();
    assert!(none.contains("no intact checkpoint"), "{none}");
    std::fs::remove_dir_all(&dir).unwrap();
    let unwritable = train(&config, &flex(), &quiet(&PathBuf::from("/proc/nonlin-run")))
        .unwrap_err()
        .to_string();
    assert!(unwritable.contains("/proc/nonlin-run"), "{unwritable}");
}

/// Writes a small MNIST-style directory: gzip IDX files of 28×28 images whose class is the band of
/// rows holding a bright bar, so a CNN can learn it in a few epochs.
fn write_mnist_like(dir: &Path, train: usize, test: usize) {
    use flate2::{Compression, write::GzEncoder};
    use std::io::Write;
    std::fs::create_dir_all(dir).unwrap();
    let mut rng = nonlin_train::rng::Rng::new(9);
    for (prefix, n) in [("train", train), ("t10k", test)] {
        let mut images = vec![0, 0, 8, 3];
        for d in [n as u32, 28, 28] {
            images.extend_from_slice(&d.to_be_bytes());
        }
        let mut labels = vec![0, 0, 8, 1];
        labels.extend_from_slice(&(n as u32).to_be_bytes());
        for _ in 0..n {
            let class = rng.below(10);
            labels.push(class as u8);
            for row in 0..28 {
                for _ in 0..28 {
                    let bar = row / 3 == class;
                    images.push(if bar {
                        200 + rng.below(56) as u8
                    } else {
                        rng.below(60) as u8
                    });
                }
            }
        }
        for (kind, bytes) in [("images-idx3", images), ("labels-idx1", labels)] {
            let mut gz = GzEncoder::new(Vec::new(), Compression::fast());
            gz.write_all(&bytes).unwrap();
            std::fs::write(
                dir.join(format!("{prefix}-{kind}-ubyte.gz")),
                gz.finish().unwrap(),
            )
            .unwrap();
        }
    }
}

#[test]
fn cnn_trains_on_an_mnist_style_directory() {
    let data_dir = temp_dir("mnist-data");
    write_mnist_like(&data_dir, 800, 200);
    let mut config = ExperimentConfig::default();
    config.data.dataset = format!("mnist(dir={})", data_dir.display())
        .parse()
        .unwrap();
    config.model.kind = nonlin_train::ModelKind::Cnn;
    config.model.channels = vec![4, 8];
    config.model.hidden = vec![16];
    config.training.epochs = 12;
    config.training.learning_rate = 3e-3;
    let splits = nonlin_train::data::load(&config.data, config.seed).unwrap();
    assert_eq!(splits.train.sample_shape, vec![1, 28, 28]);
    assert_eq!(splits.train.len() + splits.valid.len(), 800);
    assert!(
        splits
            .train
            .features
            .iter()
            .all(|v| (0.0..=1.0).contains(v)),
        "pixels scaled to [0, 1]"
    );
    let summary = run(&config, &flex(), "mnist-cnn");
    assert!(
        summary.test_accuracy >= 0.9,
        "test accuracy {}",
        summary.test_accuracy
    );
    assert!(
        summary.model.starts_with("cnn 784-16-10"),
        "{}",
        summary.model
    );
    std::fs::remove_dir_all(&data_dir).unwrap();
}

#[test]
fn a_failed_start_leaves_no_run_behind() {
    let mut config = ExperimentConfig::default();
    config.data.dataset = "csv(path=/nonexistent/data.csv)".parse().unwrap();
    let dir = temp_dir("failed-start");
    let err = train(&config, &flex(), &quiet(&dir))
        .unwrap_err()
        .to_string();
    assert!(err.contains("/nonexistent/data.csv"), "{err}");
    assert!(!dir.exists(), "nothing written, not even the directory");
}

#[test]
fn every_optimizer_and_regulariser_trains() {
    let backend = flex();
    let mut config = spirals("leaky_relu(0.1)");
    config.training.epochs = 60;
    config.model.batch_norm = true;
    config.model.dropout = 0.05;
    config.model.init = nonlin_train::model::Init::Kaiming;
    config.model.bias_init = Some(0.01);
    config.training.weight_decay = 1e-4;
    config.training.grad_clip = Some(1.0);
    config.training.warmup_epochs = 3;
    config.training.schedule = nonlin_train::train::Schedule::Cosine;
    for optimizer in [
        nonlin_train::train::OptimizerKind::Adam,
        nonlin_train::train::OptimizerKind::Adamw,
        nonlin_train::train::OptimizerKind::Sgd,
    ] {
        config.training.optimizer = optimizer;
        config.training.learning_rate = if optimizer == nonlin_train::train::OptimizerKind::Sgd {
            0.1
        } else {
            0.01
        };
        let summary = run(&config, &backend, &format!("{optimizer:?}"));
        assert!(
            summary.test_accuracy >= 0.9,
            "{optimizer:?}: {}",
            summary.test_accuracy
        );
    }
    // early stopping: with a patience of 2 epochs a long run ends when validation stops improving
    config.training.epochs = 300;
    config.training.early_stopping = Some(2);
    let summary = run(&config, &backend, "early");
    assert!(
        summary.stopped_early && summary.epochs < 300,
        "ran {} epochs",
        summary.epochs
    );
    assert_eq!(summary.epochs, summary.best_epoch + 2);
}
