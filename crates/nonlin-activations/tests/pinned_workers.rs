//! `pin_cpu_workers` in a process of its own (rayon builds its pool once per process, so this is
//! the only test here): each worker may run on one CPU only, a different one each, the caller's
//! thread keeps the process's CPUs, and the pool still runs parallel work.
#![cfg(all(target_os = "linux", any(feature = "flex", feature = "ndarray")))]

use nonlin_activations::{WorkerPinError, pin_cpu_workers};
use rayon::prelude::*;

/// This thread's `Cpus_allowed_list` (e.g. `0-1` or `0,2-3`).
fn allowed_cpus() -> String {
    let status = std::fs::read_to_string("/proc/thread-self/status").expect("procfs");
    status
        .lines()
        .find_map(|line| line.strip_prefix("Cpus_allowed_list:"))
        .expect("Cpus_allowed_list")
        .trim()
        .to_string()
}

/// The CPUs of such a list.
fn cpus(list: &str) -> Vec<usize> {
    list.split(',')
        .flat_map(|range| {
            let (first, last) = range.split_once('-').unwrap_or((range, range));
            first.parse::<usize>().unwrap()..=last.parse::<usize>().unwrap()
        })
        .collect()
}

#[test]
fn each_worker_runs_on_a_cpu_of_its_own() {
    let process = allowed_cpus();
    let pinned = pin_cpu_workers().expect("no pool yet in this process");
    let workers: Vec<Vec<usize>> = rayon::broadcast(|_| cpus(&allowed_cpus()));
    assert_eq!(pinned, workers.len().min(cpus(&process).len()));
    let mut own: Vec<usize> = workers[..pinned]
        .iter()
        .map(|list| {
            assert_eq!(list.len(), 1, "a pinned worker may run on {list:?}");
            list[0]
        })
        .collect();
    own.sort_unstable();
    own.dedup();
    assert_eq!(own.len(), pinned, "two workers share a CPU: {workers:?}");
    assert!(own.iter().all(|cpu| cpus(&process).contains(cpu)));
    assert_eq!(allowed_cpus(), process, "the caller's thread is not pinned");
    let sum: u64 = (0..100_000u64).into_par_iter().sum();
    assert_eq!(sum, 4_999_950_000);
    assert!(matches!(
        pin_cpu_workers(),
        Err(WorkerPinError::PoolBuilt(_))
    ));
}
