//! Evaluation, plots and reports of a real (small) run and sweep, and the errors for bad input.

use nonlin_backend::{Backend, BackendKind};
use nonlin_eval::EvalError;
use nonlin_eval::evaluate::evaluate_run;
use nonlin_eval::plot::save;
use nonlin_eval::plot::{
    activation_sheet, decision_boundary, epoch_fractions, gradient_profile, sweep_charts,
    training_curves,
};
use nonlin_train::{ExperimentConfig, ProgressMode, RunOptions, train};
use std::path::{Path, PathBuf};

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("nonlin-eval-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn flex() -> Backend {
    Backend::select(BackendKind::Flex).unwrap()
}

fn spirals_run(dir: &Path) -> nonlin_train::RunSummary {
    let mut config = ExperimentConfig::default();
    config.data.dataset = "spirals(arms=3)".parse().unwrap();
    config.model.hidden = vec![32, 32];
    config.training.epochs = 20;
    config.training.learning_rate = 0.01;
    train(
        &config,
        &flex(),
        &RunOptions {
            progress: ProgressMode::Quiet,
            ..RunOptions::new(dir)
        },
    )
    .unwrap()
}

#[test]
fn evaluation_matches_the_run_and_bad_checkpoints_are_clear_errors() {
    let dir = temp_dir("eval");
    let summary = spirals_run(&dir);
    let evaluation = evaluate_run(&dir, &flex()).unwrap();
    assert_eq!(evaluation.accuracy, summary.test_accuracy);
    let total: u64 = evaluation.confusion.iter().flatten().sum();
    assert_eq!(total as usize, evaluation.samples);
    let correct: u64 = (0..3).map(|c| evaluation.confusion[c][c]).sum();
    assert!((correct as f64 / total as f64 - evaluation.accuracy).abs() < 1e-12);
    assert!(evaluation.markdown().contains("Confusion matrix"));
    // the same model through its checkpoint directory and its file
    let latest = dir
        .join("checkpoints")
        .join(std::fs::read_to_string(dir.join("checkpoints/latest")).unwrap());
    assert!(evaluate_run(&latest, &flex()).is_ok());
    assert!(evaluate_run(&dir.join("best/model.bpk"), &flex()).is_ok());

    let message = |path: &Path| {
        evaluate_run(path, &flex())
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default()
    };
    assert!(message(&dir.join("nowhere")).contains("does not exist"));
    let empty = temp_dir("empty-run");
    std::fs::create_dir_all(&empty).unwrap();
    assert!(
        message(&empty).contains("no model weights"),
        "{}",
        message(&empty)
    );
    // a model file under a config.toml of another model config
    let best = dir.join("best/model.bpk");
    let config = std::fs::read_to_string(dir.join("config.toml")).unwrap();
    std::fs::write(
        dir.join("config.toml"),
        config.replace("hidden = [\n    32,\n    32,\n]", "hidden = [8]"),
    )
    .unwrap();
    assert!(
        message(&best).contains("another model") || message(&best).contains("model config"),
        "{}",
        message(&best)
    );
    // the run directory itself is evaluated from its newest intact checkpoint, which the
    // edited config.toml and a damaged published copy do not touch
    std::fs::write(&best, b"garbage").unwrap();
    assert_eq!(
        evaluate_run(&dir, &flex()).unwrap().accuracy,
        summary.test_accuracy
    );
    std::fs::write(dir.join("config.toml"), &config).unwrap();
    assert!(message(&best).contains("model.bpk"), "{}", message(&best));
    // damaged checkpoints: the older one is used, and with none intact the error says why
    for (_, checkpoint) in nonlin_train::run_dir::RunDir::new(&dir)
        .checkpoints()
        .list()
        .unwrap()
    {
        std::fs::write(checkpoint.join("best.bpk"), b"garbage").unwrap();
    }
    assert!(
        message(&dir).contains("no intact checkpoint"),
        "{}",
        message(&dir)
    );
    std::fs::remove_dir_all(&dir).unwrap();
    std::fs::remove_dir_all(&empty).unwrap();
}

#[test]
fn an_empty_probe_is_a_typed_error() {
    let config = ExperimentConfig::default();
    let splits = nonlin_train::data::load(&config.data, 1).unwrap();
    let device = flex().autodiff();
    let model = config
        .model
        .init(&splits.train.sample_shape, 10, &device)
        .unwrap();
    let empty = splits.train.subset(&[]);
    let err = nonlin_eval::diagnose::diagnose(&model, &[], &empty, &device, 1e-3).unwrap_err();
    assert!(matches!(err, EvalError::EmptyProbe));
}

/// A PNG file with the PNG signature, and an SVG whose text includes every string in `texts`.
fn assert_figure(dir: &Path, name: &str, figure: &impl nonlin_eval::plot::Figure, texts: &[&str]) {
    let png = dir.join(format!("{name}.png"));
    let svg = dir.join(format!("{name}.svg"));
    save(figure, &png).unwrap();
    save(figure, &svg).unwrap();
    assert_eq!(
        &std::fs::read(&png).unwrap()[..8],
        b"\x89PNG\r\n\x1a\n",
        "{name}"
    );
    let text = std::fs::read_to_string(&svg)
        .unwrap()
        .replace("&apos;", "'")
        .replace("&amp;", "&");
    for t in texts {
        assert!(text.contains(t), "{name}: `{t}` missing from the SVG");
    }
}

#[test]
fn every_figure_renders_as_png_and_svg_with_labels() {
    let dir = temp_dir("figures");
    let run_dir = dir.join("run");
    spirals_run(&run_dir);
    let configs: Vec<_> = ["relu", "gelu", "tanh", "maxout(k=2)"]
        .iter()
        .map(|s| s.parse().unwrap())
        .collect();
    let sheet = activation_sheet(&configs, 2).unwrap();
    assert_eq!(
        sheet.panels.len(),
        3,
        "maxout is not element-wise and is skipped"
    );
    assert_figure(&dir, "sheet", &sheet, &["relu", "gelu", "f(x)", "f'(x)"]);
    assert_figure(
        &dir,
        "curves",
        &training_curves(&run_dir, "spirals").unwrap(),
        &["epoch", "accuracy", "validation"],
    );
    let backend = flex();
    let run = nonlin_eval::evaluate::load_run(&run_dir, &backend.device).unwrap();
    let boundary = decision_boundary(&run, &backend.device, "regions").unwrap();
    assert_figure(&dir, "boundary", &boundary, &["regions"]);

    let device = backend.autodiff();
    let config = ExperimentConfig::default();
    let splits = nonlin_train::data::load(&config.data, 1).unwrap();
    let model = config
        .model
        .init(&splits.train.sample_shape, 10, &device)
        .unwrap();
    let probe = splits.train.subset(&(0..64).collect::<Vec<_>>());
    let d = nonlin_eval::diagnose::diagnose(
        &model,
        &config.model.layer_activations().unwrap(),
        &probe,
        &device,
        1e-3,
    )
    .unwrap();
    assert_figure(
        &dir,
        "gradients",
        &gradient_profile("norms", &[("relu".into(), d.clone())]),
        &["norms", "relu", "layer"],
    );
    assert_figure(
        &dir,
        "fractions",
        &epoch_fractions(
            "fractions",
            &[("relu".into(), vec![(0, d.clone()), (1, d)])],
        ),
        &["relu: dead"],
    );

    let sweep = nonlin_train::sweep::SweepConfig {
        activations: vec!["relu".parse().unwrap(), "tanh".parse().unwrap()],
        seeds: vec![1, 2],
        base: ExperimentConfig {
            training: nonlin_train::TrainingConfig {
                epochs: 3,
                ..Default::default()
            },
            ..Default::default()
        },
        ..Default::default()
    };
    let sweep_dir = dir.join("sweep");
    let outcome = nonlin_train::sweep::run(
        &sweep,
        &backend,
        &sweep_dir,
        nonlin_train::sweep::Shard::ALL,
        ProgressMode::Quiet,
        false,
        |_, _, _| {},
    )
    .unwrap();
    let charts = sweep_charts(&outcome.table);
    assert_eq!(charts.len(), 1);
    assert_figure(
        &dir,
        "sweep",
        &charts[0],
        &["digits", "relu", "tanh", "test accuracy"],
    );

    for (report_dir, fragments) in [
        (
            &run_dir,
            &[
                "Training curves",
                "Decision boundary",
                "Confusion matrix",
                "Gradient flow",
                "data:image/png;base64,",
            ][..],
        ),
        (
            &sweep_dir,
            &["test accuracy", "relu", "tanh", "data:image/png;base64,"][..],
        ),
    ] {
        let path = nonlin_eval::report::report(report_dir, &backend).unwrap();
        let html = std::fs::read_to_string(path).unwrap();
        for f in fragments {
            assert!(
                html.contains(f),
                "{}: `{f}` missing from the report",
                report_dir.display()
            );
        }
    }
    let not_a_run = nonlin_eval::report::report(&dir, &backend)
        .unwrap_err()
        .to_string();
    assert!(not_a_run.contains("neither a run directory"), "{not_a_run}");
    std::fs::remove_dir_all(&dir).unwrap();
}
