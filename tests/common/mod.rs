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
