//! What the end-to-end tests share: the binary with a fixed backend and no crash point, and its
//! output as text.

#![allow(dead_code)] // each test file uses a part

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A small sweep's flags: 2 activations × 3 seeds on 200 XOR points, two epochs each.
pub const SMALL_SWEEP: [&str; 10] = [
    "--dataset",
    "xor(n=200)",
    "--hidden",
    "8",
    "--epochs",
    "2",
    "--over-activations",
    "relu;tanh",
    "--seeds",
    "1,2,3",
];

/// A fresh, empty directory for one test: `nonlin-test-{name}-{pid}` in the temp directory.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("nonlin-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A sweep's table (`results.json`) without its timing columns.
pub fn rows(dir: &Path) -> Vec<serde_json::Value> {
    let table: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("results.json")).unwrap()).unwrap();
    table["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let mut r = r.clone();
            r.as_object_mut().unwrap().retain(|k, _| {
                !["seconds_per_epoch", "samples_per_second", "seconds"].contains(&k.as_str())
            });
            r
        })
        .collect()
}

/// The `nonlin` binary on flex, without backtraces or a crash point from the environment.
pub fn nonlin() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_nonlin"));
    cmd.env("NONLIN_BACKEND", "flex")
        .env("RUST_BACKTRACE", "0")
        .env_remove(nonlin_train::hooks::CRASH_ENV);
    cmd
}

/// Runs `nonlin args` in `cwd`.
pub fn run(args: &[&str], cwd: &Path) -> Output {
    nonlin()
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("the binary runs")
}

/// Bytes as (lossy) UTF-8.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The outcome in a run's `summary.json`, without timings and paths: what an interrupted and
/// resumed run must share with an uninterrupted one.
pub fn outcome(run: &Path) -> Vec<(&'static str, serde_json::Value)> {
    let text = std::fs::read_to_string(run.join("summary.json")).expect("a summary");
    let summary: serde_json::Value = serde_json::from_str(&text).expect("summary JSON");
    [
        "epochs",
        "best_epoch",
        "test_loss",
        "test_accuracy",
        "valid_accuracy",
        "final_train_loss",
    ]
    .into_iter()
    .map(|k| (k, summary[k].clone()))
    .collect()
}

/// A run's `metrics.jsonl` without the timing columns: what an interrupted and resumed run must
/// share with an uninterrupted one, epoch by epoch.
pub fn metrics(run: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(run.join("metrics.jsonl"))
        .expect("metrics.jsonl")
        .lines()
        .map(|line| {
            let mut m: serde_json::Value = serde_json::from_str(line).expect("a metrics line");
            let fields = m.as_object_mut().expect("an object per line");
            fields.remove("seconds");
            fields.remove("samples_per_second");
            m
        })
        .collect()
}
