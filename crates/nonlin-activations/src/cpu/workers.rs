//! Rayon's workers kept looking for work while one training step runs.
//!
//! A step on flex or ndarray is some hundred parallel ops (each gemm, each kernel) with serial
//! work between them. An idle rayon worker sleeps after a few dozen rounds of `sched_yield`, and
//! the next op must wake it through the kernel; on a VM a halted vCPU takes long to wake and runs
//! slowly for a while after (the README's Performance section measures the step with and
//! without). OpenMP, which PyTorch's CPU ops use, spins its threads between parallel regions for
//! the same reason. Here the other workers run a job that takes work through
//! `rayon::yield_now` until the step is done, and never sleep in between.
//!
//! Polling workers are best pinned one per CPU ([`pin_cpu_workers`]): unpinned, Linux now and then
//! put a poller on the CPU of the worker running the step, and the two shared it until a scheduler
//! tick moved one away.

use crate::error::WorkerPinError;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

/// Runs `step` on rayon's first worker while the pool's other workers poll for its parallel work.
///
/// Always the same worker: glibc's malloc gives each thread that allocates its own arena, and a
/// step that ran on whichever worker took it up kept two arenas of freed buffers (measured: the
/// transformer's peak resident set 157 → 265 MB).
pub(crate) fn keep_workers_awake<R: Send>(step: impl FnOnce() -> R + Send) -> R {
    // inside the pool already (a step within a step, or a caller's own rayon job): the workers
    // are busy with the caller's work, and a broadcast from here would wait on them
    if workers_kept_awake() == 0 || rayon::current_thread_index().is_some() {
        return step();
    }
    let step = Mutex::new(Some(step));
    let done = AtomicBool::new(false);
    let mut results = rayon::broadcast(|worker| {
        if worker.index() != 0 {
            poll_until(&done);
            return None;
        }
        // set even when the step panics, or the pollers would wait for it for ever
        let _finished = SetOnDrop(&done);
        let step = step
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take();
        step.map(|step| step())
    });
    results
        .swap_remove(0)
        .expect("the first worker ran the step")
}

/// How many threads [`keep_workers_awake`] keeps running through a step called from outside the
/// pool: all of rayon's workers, or none when the pool has one (the step then runs on the
/// caller's thread).
pub(crate) fn workers_kept_awake() -> usize {
    match rayon::current_num_threads() {
        n if n < 2 => 0,
        n => n,
    }
}

/// Builds rayon's global pool with worker `i` pinned to the `i`-th CPU this process may run on,
/// when the pool has one worker per such CPU: how many are pinned. Otherwise (a CPU quota smaller
/// than the CPU set, as in a container, or `RAYON_NUM_THREADS` set to another count) pinning
/// would pile the workers of every such process onto the first CPUs, or leave CPUs unused: the
/// pool is left to rayon and the OS, and the answer is 0.
pub(crate) fn pin_cpu_workers() -> Result<usize, WorkerPinError> {
    let cpus = core_affinity::get_core_ids()
        .filter(|cpus| !cpus.is_empty())
        .ok_or(WorkerPinError::NoCpuList)?;
    // the size rayon gives its pool: RAYON_NUM_THREADS when a positive number, else what the OS
    // says this process may use (quota included)
    let workers = std::env::var("RAYON_NUM_THREADS")
        .ok()
        .and_then(|n| n.trim().parse::<usize>().ok())
        .filter(|&n| n > 0)
        .or_else(|| std::thread::available_parallelism().ok().map(|n| n.get()))
        .unwrap_or(1);
    if workers != cpus.len() {
        return Ok(0);
    }
    rayon::ThreadPoolBuilder::new()
        .num_threads(workers)
        .start_handler(move |worker| {
            // a worker the OS refuses to pin runs unpinned, as without this call
            core_affinity::set_for_current(cpus[worker]);
        })
        .build_global()
        .map_err(|e| WorkerPinError::PoolBuilt(e.to_string()))?;
    Ok(workers)
}

/// Takes and runs the pool's jobs until `done`, spinning (never sleeping) when there are none.
fn poll_until(done: &AtomicBool) {
    while !done.load(Ordering::Acquire) {
        match rayon::yield_now() {
            Some(rayon::Yield::Executed) => {}
            // a few pauses between looks: each look pins crossbeam's epoch and scans the other
            // workers' queues, which showed in profiles of an idle poller
            Some(rayon::Yield::Idle) => (0..8).for_each(|_| std::hint::spin_loop()),
            None => return,
        }
    }
}

struct SetOnDrop<'a>(&'a AtomicBool);

impl Drop for SetOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rayon::prelude::*;

    #[test]
    fn the_step_runs_with_nested_parallel_work_and_returns_its_value() {
        for _ in 0..200 {
            let sum: u64 = keep_workers_awake(|| {
                (0..10_000u64)
                    .into_par_iter()
                    .map(|i| {
                        let (a, b) = rayon::join(|| i, || i * 2);
                        a + b
                    })
                    .sum()
            });
            assert_eq!(sum, 3 * (0..10_000u64).sum::<u64>());
        }
    }

    #[test]
    fn a_panicking_step_panics_instead_of_hanging() {
        let caught = std::panic::catch_unwind(|| {
            keep_workers_awake(|| {
                (0..1000).into_par_iter().for_each(|_| {});
                panic!("step failed")
            })
        });
        assert!(caught.is_err());
        // the pool is free for the next step
        assert_eq!(keep_workers_awake(|| 7), 7);
    }

    #[test]
    fn the_step_runs_on_the_same_worker_every_time() {
        let first = keep_workers_awake(rayon::current_thread_index);
        for _ in 0..100 {
            assert_eq!(keep_workers_awake(rayon::current_thread_index), first);
        }
        assert!(first.is_some() || rayon::current_num_threads() < 2);
    }

    /// rayon builds its pool once: afterwards pinning is refused, and says when to call it.
    #[test]
    fn pinning_after_the_pool_is_built_is_refused_with_the_fix() {
        rayon::join(|| (), || ());
        let cpus = core_affinity::get_core_ids().map_or(0, |cpus| cpus.len());
        if rayon::current_num_threads() != cpus {
            // (a quota or RAYON_NUM_THREADS: it would not pin in any case)
            assert_eq!(pin_cpu_workers(), Ok(0));
            return;
        }
        let refused = pin_cpu_workers().unwrap_err();
        assert!(
            matches!(refused, WorkerPinError::PoolBuilt(_)),
            "{refused:?}"
        );
        assert!(refused.to_string().contains("before any parallel work"));
        assert_eq!(keep_workers_awake(|| 7), 7);
    }

    #[test]
    fn steps_nest() {
        assert_eq!(keep_workers_awake(|| keep_workers_awake(|| 1) + 1), 2);
    }
}
