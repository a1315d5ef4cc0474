//! `pin_cpu_workers` in a process of its own (rayon builds its pool once per process, so this is
//! the only test here): with one worker per CPU (the default pool where no quota is below the CPU
//! set), each worker may run on one CPU only, a different one each, the caller's thread keeps the
//! process's CPUs, and the pool still runs parallel work; otherwise nothing is pinned.
#![cfg(all(target_os = "linux", any(feature = "flex", feature = "ndarray")))]

use nonlin_activations::{WorkerPinError, pin_cpu_workers};
use rayon::prelude::*;

mod affinity;
use affinity::{allowed_cpus, cpus};

#[test]
fn each_worker_runs_on_a_cpu_of_its_own() {
    let process = allowed_cpus();
    let pinned = pin_cpu_workers().expect("no pool yet in this process");
    let workers: Vec<Vec<usize>> = rayon::broadcast(|_| cpus(&allowed_cpus()));
    // one worker per CPU (the default pool without a quota below the CPU set): all pinned
    if workers.len() != cpus(&process).len() {
        assert_eq!(pinned, 0, "a pool of {} over {process}", workers.len());
        return;
    }
    assert_eq!(pinned, workers.len());
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
