//! The `nonlin` binary end to end: the catalog, bad input, a default training run, a training run
//! killed mid-way and resumed, and a sweep split in two shards and merged (by flag and from
//! scheduler variables). About 600 lines: each test is one user session, end to end.

mod common;

use common::{SMALL_SWEEP, nonlin, outcome, rows, run, temp_dir, text};
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

#[test]
fn catalog_and_bad_input() {
    let dir = temp_dir("catalog");
    let out = run(&["activations"], &dir);
    assert!(out.status.success());
    let stdout = text(&out.stdout);
    for entry in nonlin_activations::CATALOG {
        assert!(
            stdout.contains(entry.name),
            "{} missing from the catalog",
            entry.name
        );
    }
    let out = run(&["activations", "leaky_rleu"], &dir);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("did you mean `leaky_relu`"),
        "{}",
        text(&out.stderr)
    );
    let out = run(&["--backend", "cuda", "activations"], &dir);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("choose one of ndarray, flex, wgpu, auto"));
    // the exact GELU'(−3) = −0.0119456472, within the parity bound (1e-6); the tanh
    // approximation's −0.0115840 would be 3.6e-4 off
    let out = run(&["activations", "gelu", "--at=-3,0"], &dir);
    let stdout = text(&out.stdout);
    let row = stdout
        .lines()
        .find(|l| l.starts_with("-3 "))
        .unwrap_or_else(|| panic!("{stdout}"));
    let derivative: f64 = row.split_whitespace().nth(2).unwrap().parse().unwrap();
    assert!((derivative - -0.011_945_647_2).abs() < 1e-6, "{stdout}");
    let out = run(&["train", "--dataset", "spirls"], &dir);
    assert!(!out.status.success() && text(&out.stderr).contains("did you mean `spirals`"));
    std::fs::write(dir.join("bad.toml"), "[model]\nhidden = [64,\n").unwrap();
    let out = run(&["train", "--config", "bad.toml"], &dir);
    assert!(
        !out.status.success() && text(&out.stderr).contains("bad.toml"),
        "{}",
        text(&out.stderr)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn train_with_no_arguments_is_a_real_offline_run() {
    let dir = temp_dir("default");
    let out = run(&["train"], &dir);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("mlp 64-128-10 relu") && stdout.contains("test accuracy"),
        "{stdout}"
    );
    let runs: Vec<_> = std::fs::read_dir(dir.join("runs")).unwrap().collect();
    assert_eq!(runs.len(), 1);
    let run_dir = runs[0].as_ref().unwrap().path();
    for file in [
        "summary.json",
        "metrics.jsonl",
        "metrics.csv",
        "config.toml",
        "best/model.bpk",
        "checkpoints/latest",
    ] {
        assert!(run_dir.join(file).exists(), "{file} missing");
    }
    // not a terminal: one structured line per epoch
    assert_eq!(
        text(&out.stderr)
            .lines()
            .filter(|l| l.starts_with("epoch="))
            .count(),
        30
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Metrics without the timing columns, which differ between any two runs.
fn history(dir: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(dir.join("metrics.jsonl"))
        .unwrap()
        .lines()
        .map(|l| {
            let mut m: serde_json::Value = serde_json::from_str(l).unwrap();
            m.as_object_mut()
                .unwrap()
                .retain(|k, _| k != "seconds" && k != "samples_per_second");
            m
        })
        .collect()
}

#[test]
fn killed_mid_run_and_resumed_equals_uninterrupted() {
    let dir = temp_dir("kill");
    let args = [
        "train",
        "--dataset",
        "spirals",
        "--hidden",
        "64,64",
        "--epochs",
        "400",
        "--lr",
        "0.01",
        "--batch-size",
        "32",
        "--optimizer",
        "sgd",
        "--schedule",
        "cosine",
        "--seed",
        "3",
        "--progress",
        "quiet",
        "--out",
    ];
    let whole = run(&[&args[..], &["whole"]].concat(), &dir);
    assert!(whole.status.success(), "{}", text(&whole.stderr));

    let mut child = nonlin()
        .args([&args[..], &["killed"]].concat())
        .current_dir(&dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let latest = dir.join("killed/checkpoints/latest");
    let started = Instant::now();
    while !std::fs::read_to_string(&latest).is_ok_and(|name| name.trim() >= "epoch-0003") {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "no checkpoint appeared"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        !dir.join("killed/summary.json").exists(),
        "the run finished before it could be killed"
    );
    let killed_at = std::fs::read_to_string(&latest).unwrap();

    let resumed = run(&[&args[..], &["killed", "--resume"]].concat(), &dir);
    assert!(resumed.status.success(), "{}", text(&resumed.stderr));
    assert_eq!(
        outcome(&dir.join("whole")),
        outcome(&dir.join("killed")),
        "after a kill at {killed_at}"
    );
    assert_eq!(history(&dir.join("whole")), history(&dir.join("killed")));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn sweep_of_six_activations_by_three_seeds_shards_and_merges_to_the_same_table() {
    let dir = temp_dir("sweep");
    let grid = [
        "sweep",
        "--over-activations",
        "relu;leaky_relu(0.1);elu;gelu;tanh;sigmoid",
        "--seeds",
        "1,2,3",
    ];
    let full = run(&[&grid[..], &["--out", "full"]].concat(), &dir);
    assert!(full.status.success(), "{}", text(&full.stderr));
    let table = text(&full.stdout);
    assert!(
        table.contains("| digits | mlp | leaky_relu(negative_slope=0.1) | 3 |"),
        "{table}"
    );
    assert_eq!(
        table
            .lines()
            .filter(|l| l.starts_with("| digits |"))
            .count(),
        6
    );
    for shard in ["1/2", "2/2"] {
        let out = run(
            &[
                &grid[..],
                &["--shard", shard, "--out", &format!("shard{}", &shard[..1])],
            ]
            .concat(),
            &dir,
        );
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    let merged = run(&["merge", "shard1", "shard2", "--out", "merged"], &dir);
    assert!(merged.status.success(), "{}", text(&merged.stderr));
    assert_eq!(rows(&dir.join("full")), rows(&dir.join("merged")));
    assert_eq!(rows(&dir.join("full")).len(), 6);
    // running the sweep again trains nothing
    let again = run(&[&grid[..], &["--out", "full"]].concat(), &dir);
    assert!(
        text(&again.stdout).contains("0 runs trained, 18 skipped"),
        "{}",
        text(&again.stdout)
    );
    let not_a_sweep = run(&["merge", "nowhere"], &dir);
    assert!(text(&not_a_sweep.stderr).contains("not a sweep directory"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn shards_from_scheduler_environments_fill_one_directory_and_merge_to_the_unsharded_table() {
    let dir = temp_dir("scheduler");
    let grid = [&["sweep"], &SMALL_SWEEP[..]].concat();
    let whole = run(&[&grid[..], &["--out", "whole"]].concat(), &dir);
    assert!(whole.status.success(), "{}", text(&whole.stderr));
    let task = |vars: &[(&str, &str)], out: &str, extra: &[&str]| {
        let mut cmd = nonlin();
        cmd.args([&grid[..], &["--out", out], extra].concat())
            .current_dir(&dir);
        for (k, v) in vars {
            cmd.env(k, v);
        }
        cmd.output().unwrap()
    };
    // a Slurm array `--array=1-4`: tasks 1, 2 and 4 run, task 3 is missing
    for id in ["1", "2", "4"] {
        let out = task(
            &[
                ("SLURM_ARRAY_TASK_ID", id),
                ("SLURM_ARRAY_TASK_COUNT", "4"),
                ("SLURM_ARRAY_TASK_MIN", "1"),
            ],
            "slurm",
            &[],
        );
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert!(
            text(&out.stderr).contains("from the Slurm array task"),
            "{}",
            text(&out.stderr)
        );
    }
    assert!(
        !dir.join("slurm/results.json").exists(),
        "a shard writes no shared table"
    );
    let missing = run(&["merge", "slurm"], &dir);
    assert!(!missing.status.success());
    assert!(
        text(&missing.stderr).contains("in shard(s) 3/4"),
        "{}",
        text(&missing.stderr)
    );
    let out = task(
        &[
            ("SLURM_ARRAY_TASK_ID", "3"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
            ("SLURM_ARRAY_TASK_MIN", "1"),
        ],
        "slurm",
        &[],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let merged = run(&["merge", "slurm", "--out", "slurm-table"], &dir);
    assert!(merged.status.success(), "{}", text(&merged.stderr));
    assert_eq!(rows(&dir.join("whole")), rows(&dir.join("slurm-table")));
    // a Kubernetes Indexed Job of 3 completions
    for index in ["0", "1", "2"] {
        let out = task(
            &[("JOB_COMPLETION_INDEX", index)],
            "k8s",
            &["--shard-count", "3"],
        );
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    let merged = run(&["merge", "k8s", "--out", "k8s-table"], &dir);
    assert!(merged.status.success(), "{}", text(&merged.stderr));
    assert_eq!(rows(&dir.join("whole")), rows(&dir.join("k8s-table")));
    // an index past the completions is a clear error
    let out = task(
        &[("JOB_COMPLETION_INDEX", "3")],
        "k8s",
        &["--shard-count", "3"],
    );
    assert!(
        text(&out.stderr).contains("not below the 3 completions"),
        "{}",
        text(&out.stderr)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn studies_figures_and_reports_from_the_command_line() {
    let dir = temp_dir("studies");
    let trained = run(
        &[
            "train",
            "--dataset",
            "moons",
            "--hidden",
            "16",
            "--epochs",
            "10",
            "--out",
            "run",
        ],
        &dir,
    );
    assert!(trained.status.success(), "{}", text(&trained.stderr));
    let eval = run(&["eval", "run", "--out", "eval.json"], &dir);
    assert!(
        text(&eval.stdout).contains("Confusion matrix"),
        "{}",
        text(&eval.stderr)
    );
    assert!(
        std::fs::read_to_string(dir.join("eval.json"))
            .unwrap()
            .contains("\"confusion\"")
    );
    let diagnose = run(
        &[
            "diagnose",
            "--model",
            "deep-mlp",
            "--depth",
            "30",
            "--activation",
            "sigmoid",
        ],
        &dir,
    );
    let stdout = text(&diagnose.stdout);
    assert!(
        stdout.contains("| 30 | sigmoid |")
            && stdout.contains("first/last layer weight-gradient norm"),
        "{stdout}"
    );
    let collapse = run(&["collapse", "--datasets", "xor", "--epochs", "20"], &dir);
    let stdout = text(&collapse.stdout);
    assert!(
        stdout.contains("| identity |") && stdout.contains("| xor(n=1000, noise=0.1) |"),
        "{stdout}"
    );
    let separability = run(
        &["separability", "--datasets", "circles", "--epochs", "20"],
        &dir,
    );
    assert!(
        text(&separability.stdout).contains("linear on hidden layer"),
        "{}",
        text(&separability.stderr)
    );
    let plots = run(
        &[
            "plot",
            "--image",
            "svg",
            "activations",
            "--over-activations",
            "relu;elu",
            "--out",
            "plots",
        ],
        &dir,
    );
    assert!(
        plots.status.success()
            && dir.join("plots/activations.svg").exists()
            && dir.join("plots/activation-elu.svg").exists()
    );
    let plots = run(&["plot", "run", "run"], &dir);
    assert!(
        plots.status.success() && dir.join("run/plots/decision-boundary.png").exists(),
        "{}",
        text(&plots.stderr)
    );
    let report = run(&["report", "run"], &dir);
    assert!(
        report.status.success() && dir.join("run/report.html").exists(),
        "{}",
        text(&report.stderr)
    );
    let missing = run(&["eval", "nowhere"], &dir);
    assert!(!missing.status.success() && text(&missing.stderr).contains("does not exist"));
    std::fs::remove_dir_all(&dir).unwrap();
}

fn json_file(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn compare_backends_reports_agreement_between_backends() {
    let dir = temp_dir("compare");
    let out = run(
        &[
            "bench",
            "compare-backends",
            "--steps",
            "3",
            "--backends",
            "ndarray,flex,wgpu",
            "--plot",
            "loss.svg",
            "--out",
            "cmp.json",
        ],
        &dir,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("ndarray vs flex"));
    assert!(dir.join("loss.svg").exists());
    let comparison = json_file(&dir.join("cmp.json"));
    let runs = comparison["runs"].as_array().unwrap();
    let expected = if std::env::var("NONLIN_REQUIRE_WGPU").as_deref() == Ok("1") {
        3
    } else {
        2
    };
    assert!(runs.len() >= expected, "{} runs", runs.len());
    for run in runs {
        assert_eq!(run["losses"].as_array().unwrap().len(), 3);
        assert!(!run["first_gradient"].as_array().unwrap().is_empty());
    }
    // same weights and batches: the backends differ by float32 rounding only
    for pair in comparison["agreement"].as_array().unwrap() {
        let gradient = pair["first_gradient"].as_f64().unwrap();
        let loss = pair["loss"].as_f64().unwrap();
        let logits = pair["outputs"].as_f64().unwrap();
        assert!(gradient < 1e-6 && loss < 1e-5 && logits < 1e-5, "{pair}");
    }
    let out = run(&["bench", "compare-backends", "--backends", "flex"], &dir);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("at least two backends"));
}

#[test]
fn compare_backends_covers_the_transformer() {
    let dir = temp_dir("compare-lm");
    let out = run(
        &[
            "bench",
            "compare-backends",
            "--dataset",
            "shakespeare",
            "--model",
            "transformer",
            "--activation",
            "swiglu",
            "--layers",
            "1",
            "--d-model",
            "16",
            "--heads",
            "2",
            "--d-ff",
            "48",
            "--context",
            "16",
            "--batch-size",
            "4",
            "--steps",
            "3",
            "--backends",
            "ndarray,flex,wgpu",
            "--out",
            "cmp.json",
        ],
        &dir,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let comparison = json_file(&dir.join("cmp.json"));
    assert!(
        comparison["model"].as_str().unwrap().contains("swiglu"),
        "{comparison}"
    );
    let runs = comparison["runs"].as_array().unwrap();
    let expected = if std::env::var("NONLIN_REQUIRE_WGPU").as_deref() == Ok("1") {
        3
    } else {
        2
    };
    assert!(runs.len() >= expected, "{} runs", runs.len());
    for run in runs {
        let losses = run["losses"].as_array().unwrap();
        assert_eq!(losses.len(), 3);
        // 65 characters: an untrained model starts near ln 65 = 4.17 nats
        let first = losses[0].as_f64().unwrap();
        assert!((3.5..5.0).contains(&first), "{first}");
        // the token embedding's gradient: vocabulary × d_model
        assert_eq!(run["first_gradient"].as_array().unwrap().len(), 65 * 16);
        // two validation windows of 16 characters, 65 logits each
        assert_eq!(run["outputs"].as_array().unwrap().len(), 2 * 16 * 65);
    }
    for pair in comparison["agreement"].as_array().unwrap() {
        let gradient = pair["first_gradient"].as_f64().unwrap();
        let loss = pair["loss"].as_f64().unwrap();
        let logits = pair["outputs"].as_f64().unwrap();
        assert!(gradient < 1e-5 && loss < 1e-4 && logits < 1e-4, "{pair}");
    }
}

#[test]
fn benches_print_their_tables_and_json() {
    let dir = temp_dir("bench");
    let out = run(
        &[
            "bench",
            "activations",
            "--sizes",
            "4096",
            "--backends",
            "ndarray,flex",
            "--over-activations",
            "relu;gelu;elu(alpha=0.5);glu;maxout(k=4)",
            "--out",
            "act.json",
        ],
        &dir,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let rows = json_file(&dir.join("act.json"));
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 2 * 6, "copy + 5 activations on 2 backends");
    for row in rows {
        assert!(row["forward"]["median"].as_f64().unwrap() > 0.0);
        assert!(row["forward"]["min"].as_f64() <= row["forward"]["max"].as_f64());
        let burn = !row["burn_forward"].is_null();
        let name = row["activation"].as_str().unwrap();
        assert_eq!(burn, ["relu", "gelu", "glu"].contains(&name), "{name}");
        let outputs = row["outputs"].as_u64().unwrap();
        let expected = match name {
            "glu" => 2048,
            "maxout(k=4)" => 1024,
            _ => 4096,
        };
        assert_eq!(outputs, expected, "{name}");
    }
    let table = text(&out.stdout);
    assert_eq!(table.lines().filter(|l| l.contains("| flex")).count(), 6);

    // a split the size does not allow is a clear error, not a panic
    let out = run(
        &[
            "bench",
            "activations",
            "--sizes",
            "4096",
            "--backends",
            "flex",
            "--over-activations",
            "maxout(k=3)",
        ],
        &dir,
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("multiple of 3") && stderr.contains("--sizes"),
        "{stderr}"
    );

    let out = run(
        &[
            "bench",
            "train",
            "--steps",
            "1",
            "--batch-sizes",
            "8",
            "--backends",
            "flex",
            "--over-activations",
            "relu;maxout(k=2)",
            "--out",
            "train.json",
        ],
        &dir,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let rows = json_file(&dir.join("train.json"));
    let models: Vec<&str> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["model"].as_str().unwrap())
        .collect();
    assert_eq!(
        models,
        [
            "mlp 784-512-512-10 relu",
            "mlp 784-256-256-256-10 relu",
            "maxout_mlp 784-512-512-10 maxout(k=2)",
            "maxout_mlp 784-256-256-256-10 maxout(k=2)"
        ]
    );
    // each timed step observed: its time, and (Linux) run-queue wait, CPU time, page faults;
    // the table says how many were interrupted and how steady the reference loop was
    for r in rows.as_array().unwrap() {
        let steadiness = &r["steadiness"];
        let steps = steadiness["steps"].as_array().unwrap();
        assert_eq!(steps.len(), 1, "{r}");
        assert_eq!(steps[0]["step"], r["step"]["median"], "{r}");
        assert!(steadiness["reference"]["median"].as_f64().unwrap() > 0.0);
        if cfg!(target_os = "linux") {
            assert!(steps[0]["cpu"].as_f64().unwrap() > 0.0, "{r}");
            assert!(steps[0]["wait"].as_f64().unwrap() >= 0.0, "{r}");
            assert!(steps[0]["page_faults"].as_u64().is_some(), "{r}");
            assert!(
                steadiness["interrupted_steps"].as_u64().unwrap() <= 1,
                "{r}"
            );
        }
    }
    let table = text(&out.stdout);
    assert!(
        table.contains("steps interrupted (max ÷ min of the rest) · reference loop p90 ÷ p10"),
        "{table}"
    );

    let out = run(
        &[
            "bench",
            "matmul",
            "--shapes",
            "16x8x4,3x5x7",
            "--runs",
            "2",
            "--backends",
            "flex",
            "--out",
            "matmul.json",
        ],
        &dir,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let rows = json_file(&dir.join("matmul.json"));
    let shapes: Vec<serde_json::Value> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["shape"].clone())
        .collect();
    assert_eq!(
        shapes,
        [serde_json::json!([16, 8, 4]), serde_json::json!([3, 5, 7])]
    );
    assert_eq!(
        text(&out.stdout)
            .lines()
            .filter(|l| l.starts_with("| flex"))
            .count(),
        2
    );
    let out = run(
        &[
            "bench",
            "transformer",
            "--over-activations",
            "gelu;swiglu",
            "--batch-size",
            "2",
            "--context",
            "8",
            "--layers",
            "1",
            "--d-model",
            "16",
            "--steps",
            "1",
            "--out",
            "lm.json",
        ],
        &dir,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let rows = json_file(&dir.join("lm.json"));
    let rows = rows.as_array().unwrap();
    // the GLU family's hidden width is 2/3 of the ungated one: the same parameter count
    let models: Vec<&str> = rows.iter().map(|r| r["model"].as_str().unwrap()).collect();
    assert!(
        models[0].contains("hidden 64") && models[1].contains("hidden 43"),
        "{models:?}"
    );
    let params = |m: &str| -> f64 {
        let last = m.rsplit(", ").next().unwrap();
        last.trim_end_matches(" parameters").parse().unwrap()
    };
    let (gelu, swiglu) = (params(models[0]), params(models[1]));
    assert!((gelu - swiglu).abs() / gelu < 0.01, "{models:?}");
    assert!(
        rows.iter()
            .all(|r| r["step"]["median"].as_f64().unwrap() > 0.0)
    );
    // Linux: the peak resident set while each model trained, reset before each
    if cfg!(target_os = "linux") {
        for r in rows {
            let peak = r["peak_resident_bytes"].as_f64().unwrap();
            assert!((1e6..4e9).contains(&peak), "{r}");
            assert_eq!(r["peak_reset"], true, "{r}");
        }
    }
    let out = run(&["bench", "matmul", "--shapes", "16x8"], &dir);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("not a shape MxKxN"),
        "{}",
        text(&out.stderr)
    );

    let out = run(
        &[
            "bench",
            "memory",
            "--elements",
            "1048576",
            "--over-activations",
            "gelu_tanh",
        ],
        &dir,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("| flex | gelu_tanh | 4 |"));

    let out = run(
        &["bench", "activations", "--over-activations", "gelu_tahn"],
        &dir,
    );
    // a list flag is parsed with the command line: a usage error, as a bad --backend is
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("did you mean `gelu_tanh`"));
}
