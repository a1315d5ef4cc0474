//! `pin_cpu_workers` when the pool would not get one worker per CPU (here `RAYON_NUM_THREADS` one
//! above the CPU count, as a container's quota below its CPU set would make it): nothing is
//! pinned, the pool is rayon's own, and every worker keeps the process's CPUs. A process of its
//! own, like `pinned_workers.rs`.
#![cfg(all(target_os = "linux", any(feature = "flex", feature = "ndarray")))]

mod affinity;
use affinity::{allowed_cpus, cpus};

#[test]
fn a_pool_not_one_worker_per_cpu_is_left_unpinned() {
    let process = allowed_cpus();
    let count = cpus(&process).len() + 1;
    // SAFETY: the only test of this process, before any other thread reads the environment
    unsafe { std::env::set_var("RAYON_NUM_THREADS", count.to_string()) };
    assert_eq!(nonlin_activations::pin_cpu_workers(), Ok(0));
    let workers: Vec<String> = rayon::broadcast(|_| allowed_cpus());
    assert_eq!(
        workers.len(),
        count,
        "rayon's own pool, RAYON_NUM_THREADS workers"
    );
    assert!(workers.iter().all(|list| *list == process), "{workers:?}");
}
