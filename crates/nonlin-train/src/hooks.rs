//! Crash points for testing the commit protocol: with `NONLIN_CRASH_AT=<point>` (or
//! `<point>@<n>` for its n-th passing) the process aborts there, as if killed with `kill -9`:
//! no destructor runs, no temporary file is cleaned. The tests use it to kill a run at every step
//! of a checkpoint; without the variable a crash point costs one environment lookup.

use std::sync::atomic::{AtomicUsize, Ordering};

/// The environment variable naming the crash point.
pub const CRASH_ENV: &str = "NONLIN_CRASH_AT";

/// Every crash point, in the order one epoch passes them.
pub const CRASH_POINTS: [&str; 8] = [
    "checkpoint-start",
    "checkpoint-model",
    "checkpoint-files",
    "checkpoint-manifest",
    "checkpoint-committed",
    "publish-metrics",
    "epoch-published",
    "summary",
];

static PASSED: AtomicUsize = AtomicUsize::new(0);

/// Aborts the process if `NONLIN_CRASH_AT` names `point` (and this is its n-th passing).
pub fn crash_point(point: &str) {
    let Some(wanted) = std::env::var_os(CRASH_ENV) else {
        return;
    };
    let wanted = wanted.to_string_lossy();
    let (name, nth) = match wanted.split_once('@') {
        Some((name, n)) => (name, n.parse().unwrap_or(1)),
        None => (&*wanted, 1),
    };
    if name == point && PASSED.fetch_add(1, Ordering::SeqCst) + 1 == nth {
        eprintln!("{CRASH_ENV}: aborting at {point}");
        std::process::abort();
    }
}
