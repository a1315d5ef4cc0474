//! The character-level language model through the `nonlin` binary: a run killed at every step
//! of a checkpoint resumes to the uninterrupted run, sampling is fixed by its seed, a sweep of
//! feed-forward activations ranks by loss and merges from shards, and bad input (binary text,
//! prompts outside the vocabulary, a classifier given to `sample`) is a clear error that writes
//! nothing.

mod common;

use common::{metrics, nonlin, outcome, rows, run, text};
use nonlin_train::hooks::{CRASH_ENV, CRASH_POINTS};
use std::path::Path;

/// A tiny transformer on Tiny Shakespeare: 2 blocks of width 32, context 16, three epochs of five
/// steps on four windows, with dropout (so that the backend's generator is reseeded and checked).
const TINY: [&str; 27] = [
    "train",
    "--dataset",
    "shakespeare",
    "--model",
    "transformer",
    "--layers",
    "2",
    "--d-model",
    "32",
    "--heads",
    "2",
    "--d-ff",
    "64",
    "--context",
    "16",
    "--dropout",
    "0.1",
    "--epochs",
    "3",
    "--steps-per-epoch",
    "5",
    "--batch-size",
    "4",
    "--eval-windows",
    "8",
    "--progress",
    "quiet",
];

fn train(extra: &[&str], cwd: &Path) -> std::process::Output {
    run(&[&TINY[..], extra].concat(), cwd)
}

/// TINY with the values of some of its flags replaced.
fn tiny_with(replaced: &[(&str, &str)]) -> Vec<String> {
    let mut args: Vec<String> = TINY.iter().map(|s| s.to_string()).collect();
    for (flag, value) in replaced {
        let at = args.iter().position(|a| a == flag).expect("a flag of TINY");
        args[at + 1] = value.to_string();
    }
    args
}

#[test]
fn a_run_killed_at_every_step_of_a_checkpoint_resumes_to_the_uninterrupted_run() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path();
    let whole = train(&["--out", "whole"], dir);
    assert!(whole.status.success(), "{}", text(&whole.stderr));
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("whole/summary.json")).unwrap()).unwrap();
    // 65 symbols, ln 65 = 4.17 nats at initialisation: fifteen steps already learn something
    let loss = summary["test_loss"].as_f64().unwrap();
    assert!(loss < 4.0, "{summary}");
    let bits = summary["bits_per_char"].as_f64().unwrap();
    assert!((bits - loss / std::f64::consts::LN_2).abs() < 1e-9);
    assert!(
        summary["parameters"].as_u64().unwrap() > 20_000,
        "{summary}"
    );
    assert_eq!(metrics(&dir.join("whole")).len(), 3);
    for point in CRASH_POINTS {
        // the second epoch's passing: a previous checkpoint exists to fall back to
        let nth = if point == "summary" { 1 } else { 2 };
        let name = format!("{point}-{nth}");
        let killed = nonlin()
            .args([&TINY[..], &["--out", name.as_str()]].concat())
            .current_dir(dir)
            .env(CRASH_ENV, format!("{point}@{nth}"))
            .output()
            .unwrap();
        assert!(
            text(&killed.stderr).contains("aborting at"),
            "{name}: {}",
            text(&killed.stderr)
        );
        let resumed = train(&["--out", name.as_str(), "--resume"], dir);
        assert!(
            resumed.status.success(),
            "{name}: {}",
            text(&resumed.stderr)
        );
        assert_eq!(
            outcome(&dir.join("whole")),
            outcome(&dir.join(&name)),
            "{name}"
        );
        assert_eq!(
            metrics(&dir.join("whole")),
            metrics(&dir.join(&name)),
            "{name}"
        );
        // (the losses of every epoch, bit for bit, are the check on the weights: the .bpk files
        // themselves differ, as each process gives its parameters fresh ids)
    }
}

#[test]
fn sampling_is_fixed_by_the_seed_and_bad_prompts_are_clear_errors() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path();
    let trained = train(&["--out", "lm"], dir);
    assert!(trained.status.success(), "{}", text(&trained.stderr));
    let sample = |args: &[&str]| {
        let out = run(
            &[&["sample", "lm", "--tokens", "60"][..], args].concat(),
            dir,
        );
        assert!(out.status.success(), "{}", text(&out.stderr));
        text(&out.stdout)
    };
    // eval reports the loss of the run's summary, on the whole validation part
    let eval = run(&["eval", "lm", "--format", "json"], dir);
    assert!(eval.status.success(), "{}", text(&eval.stderr));
    let eval: serde_json::Value = serde_json::from_slice(&eval.stdout).unwrap();
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("lm/summary.json")).unwrap()).unwrap();
    assert_eq!(eval["loss"], summary["test_loss"]);
    assert_eq!(eval["bits_per_char"], summary["bits_per_char"]);
    let a = sample(&["--prompt", "KING:", "--seed", "1"]);
    assert!(a.starts_with("KING:"), "{a}");
    assert_eq!(a.trim_end_matches('\n').chars().count(), 5 + 60, "{a:?}");
    assert_eq!(a, sample(&["--prompt", "KING:", "--seed", "1"]));
    assert_ne!(a, sample(&["--prompt", "KING:", "--seed", "2"]));
    // temperature 0 takes the most likely character: no draw, the seed does not matter
    assert_eq!(
        sample(&["--temperature", "0", "--seed", "1"]),
        sample(&["--temperature", "0", "--seed", "2"])
    );
    for (args, fragment) in [
        (&["--prompt", "Ωmega"][..], "never saw in training: 'Ω'"),
        (&["--prompt", ""][..], "empty prompt"),
        (&["--temperature", "-1"][..], "temperature -1"),
    ] {
        let out = run(&[&["sample", "lm"][..], args].concat(), dir);
        assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
        assert!(
            text(&out.stderr).contains(fragment),
            "{}",
            text(&out.stderr)
        );
    }
    // a classifier has nothing to sample
    let classifier = run(
        &[
            "train",
            "--dataset",
            "xor(n=100)",
            "--epochs",
            "1",
            "--progress",
            "quiet",
            "--out",
            "xor",
        ],
        dir,
    );
    assert!(classifier.status.success(), "{}", text(&classifier.stderr));
    let out = run(&["sample", "xor"], dir);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("holds a classifier"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn text_that_is_not_text_or_does_not_fit_the_model_is_refused_before_anything_is_written() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path();
    std::fs::write(dir.join("binary.txt"), b"abc\0def".repeat(100)).unwrap();
    std::fs::write(dir.join("latin1.txt"), b"caf\xe9 ".repeat(100)).unwrap();
    std::fs::write(dir.join("short.txt"), "to be or not to be ".repeat(5)).unwrap();
    let before: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    for (dataset, extra, fragment) in [
        ("text(path=binary.txt)", None, "NUL"),
        ("text(path=latin1.txt)", None, "not UTF-8"),
        ("text(path=missing.txt)", None, "missing.txt"),
        (
            "text(path=short.txt)",
            None,
            "too few for windows of context 16",
        ),
        (
            "shakespeare",
            Some(("--model", "mlp")),
            "use model kind transformer",
        ),
        ("digits", None, "digits is not text"),
        (
            "shakespeare",
            Some(("--heads", "3")),
            "must divide by heads",
        ),
    ] {
        let mut replaced = vec![("--dataset", dataset)];
        replaced.extend(extra);
        let mut args = tiny_with(&replaced);
        args.extend(["--out".to_string(), "refused".to_string()]);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = run(&args, dir);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{dataset}: {stderr}");
        assert!(
            stderr.contains(fragment),
            "{dataset}: expected `{fragment}` in {stderr}"
        );
        assert!(
            !dir.join("refused").exists(),
            "{dataset}: a refused run left a directory"
        );
    }
    let after: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(before, after);
}

#[test]
fn a_sweep_of_feed_forward_activations_ranks_by_loss_and_merges_from_shards() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path();
    let grid = ["--over-activations", "gelu;swiglu", "--seeds", "1,2"];
    // the training flags of TINY, less the subcommand and the progress display
    let flags = &TINY[1..TINY.len() - 2];
    let sweep = |extra: &[&str]| {
        let out = run(&[&["sweep"][..], flags, &grid, extra].concat(), dir);
        assert!(out.status.success(), "{}", text(&out.stderr));
    };
    sweep(&["--out", "whole"]);
    sweep(&["--out", "a", "--shard", "1/2"]);
    sweep(&["--out", "b", "--shard", "2/2"]);
    let merged = run(&["merge", "a", "b", "--out", "merged"], dir);
    assert!(merged.status.success(), "{}", text(&merged.stderr));
    let table = rows(&dir.join("whole"));
    assert_eq!(table, rows(&dir.join("merged")));
    assert_eq!(table.len(), 2);
    let losses: Vec<f64> = table
        .iter()
        .map(|r| r["test_loss_mean"].as_f64().unwrap())
        .collect();
    assert!(losses[0] <= losses[1], "lowest loss first: {losses:?}");
    // matched parameter counts: SwiGLU's hidden width is 2/3 of GELU's
    let params: Vec<u64> = table
        .iter()
        .map(|r| r["parameters"].as_u64().unwrap())
        .collect();
    let (lo, hi) = (
        params[0].min(params[1]) as f64,
        params[0].max(params[1]) as f64,
    );
    assert!(hi / lo < 1.01, "{params:?}");
    let md = std::fs::read_to_string(dir.join("whole/results.md")).unwrap();
    assert!(md.contains("valid loss, nats/char"), "{md}");
    // the figures: losses per activation, and the validation curves over steps
    let plotted = run(&["plot", "sweep", "whole"], dir);
    assert!(plotted.status.success(), "{}", text(&plotted.stderr));
    for figure in ["sweep-1.png", "validation-curves-1.png"] {
        let png = std::fs::read(dir.join("whole/plots").join(figure)).unwrap();
        assert!(png.starts_with(b"\x89PNG") && png.len() > 5_000, "{figure}");
    }
    let report = run(&["report", "whole"], dir);
    assert!(report.status.success(), "{}", text(&report.stderr));
}
