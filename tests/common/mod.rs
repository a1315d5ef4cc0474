//! What the end-to-end tests share: the binary with a fixed backend and no crash point, and its
//! output as text.

#![allow(dead_code)] // each test file uses a part

use std::path::Path;
use std::process::{Command, Output};

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
