//! How steady the machine was while training steps were timed, so that a slow step can be told
//! apart from a slow program.
//!
//! On a shared VM (2 vCPUs), the steps slower than 1.5× the fastest fell into two kinds in
//! `bench train --out` traces (each step's time, run-queue wait and reference loop are in the
//! JSON). Single slow steps, 1.6–5×: this process's threads had waited milliseconds on a run
//! queue while another task held a CPU. Runs of consecutive steps 1.5–1.9× slower with no such
//! wait: the threads ran all along, but the same work took longer, as when the host's other guests
//! share its cores; a fixed loop timed between the steps slowed with them. Neither is the step's
//! own work, and `max ÷ min` alone cannot say so; the two measures here do, next to it.

use super::Timing;
use serde::{Deserialize, Serialize};
use std::time::Instant;

/// What the OS and the machine did while steps were timed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Steadiness {
    /// Steps during which this process's threads waited on run queues, in total, for more than
    /// half the fastest step's time: another task held a CPU the step needed. `None` where the
    /// OS does not report run-queue waits (`/proc/self/task/*/schedstat`: Linux only).
    pub preempted_steps: Option<usize>,
    /// The steps that were not preempted; `None` with `preempted_steps`, or when all were.
    pub unpreempted: Option<Timing>,
    /// A fixed single-thread loop (about 20 µs on the 2-vCPU VM) timed after each step: the same work each
    /// time, so a spread (`p90 ÷ p10`: its `max` moves with any single interrupt) is the
    /// machine running it at different speeds.
    pub reference: Timing,
    /// Each timed step, in order.
    pub steps: Vec<StepObservation>,
}

/// One timed step, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct StepObservation {
    /// The step's time.
    pub step: f64,
    /// How long this process's threads waited on run queues during it, in total (`None` where
    /// the OS does not say).
    pub wait: Option<f64>,
    /// The reference loop's time right after it.
    pub reference: f64,
}

impl Steadiness {
    /// The summary of `observed` (at least one step).
    pub(super) fn of(observed: Vec<StepObservation>) -> Self {
        let fastest = observed
            .iter()
            .map(|o| o.step)
            .min_by(f64::total_cmp)
            .unwrap_or(0.0);
        let waits: Option<Vec<f64>> = observed.iter().map(|o| o.wait).collect();
        let (preempted_steps, unpreempted) = match waits {
            Some(waits) => {
                let kept: Vec<f64> = observed
                    .iter()
                    .zip(&waits)
                    .filter(|(_, wait)| **wait <= fastest / 2.0)
                    .map(|(o, _)| o.step)
                    .collect();
                let preempted = observed.len() - kept.len();
                (
                    Some(preempted),
                    (!kept.is_empty()).then(|| Timing::of(kept)),
                )
            }
            None => (None, None),
        };
        Steadiness {
            preempted_steps,
            unpreempted,
            reference: Timing::of(observed.iter().map(|o| o.reference).collect()),
            steps: observed,
        }
    }
}

/// Times `f` `runs` times, observing each call as [`Steadiness`] needs.
pub(super) fn observe(runs: usize, mut f: impl FnMut()) -> Vec<StepObservation> {
    (0..runs.max(1))
        .map(|_| {
            let waited_before = runqueue_wait();
            let started = Instant::now();
            f();
            let step = started.elapsed().as_secs_f64();
            // a thread that ended during the step takes its wait out of the sum
            let wait = waited_before
                .zip(runqueue_wait())
                .map(|(a, b)| (b - a).max(0.0));
            StepObservation {
                step,
                wait,
                reference: reference_loop(),
            }
        })
        .collect()
}

/// Seconds this process's threads (all that exist now) have spent runnable but waiting for a
/// CPU, from the second field of `/proc/self/task/<tid>/schedstat` (nanoseconds). `None` where
/// there is no such file.
pub(super) fn runqueue_wait() -> Option<f64> {
    let tasks = std::fs::read_dir("/proc/self/task").ok()?;
    let mut nanoseconds = 0u64;
    let mut any = false;
    for task in tasks.flatten() {
        // a thread that ended between the listing and the read is skipped
        let Ok(stat) = std::fs::read_to_string(task.path().join("schedstat")) else {
            continue;
        };
        let wait = stat.split_whitespace().nth(1)?.parse::<u64>().ok()?;
        nanoseconds = nanoseconds.saturating_add(wait);
        any = true;
    }
    any.then_some(nanoseconds as f64 * 1e-9)
}

/// Seconds for a fixed arithmetic loop over 16 KiB (in L1), single-threaded: the same work
/// every time, so its spread is the machine's.
fn reference_loop() -> f64 {
    let mut values: Vec<f32> = (0..4096).map(|i| i as f32 * 1e-3).collect();
    let started = Instant::now();
    for _ in 0..48 {
        for v in values.iter_mut() {
            *v = (*v * 0.999 + 1e-4) * *v * 0.5 + 0.25;
        }
        // kept, or the loop would be optimised away
        std::hint::black_box(&mut values);
    }
    started.elapsed().as_secs_f64()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn observed(step: f64, wait: Option<f64>, reference: f64) -> StepObservation {
        StepObservation {
            step,
            wait,
            reference,
        }
    }

    #[test]
    fn a_step_that_waited_for_a_cpu_is_counted_apart() {
        // the third step waited 6 ms on a run queue (half the fastest step: 1 ms)
        let steps = [
            observed(2.0e-3, Some(0.2e-3), 20e-6),
            observed(2.2e-3, Some(0.9e-3), 21e-6),
            observed(8.0e-3, Some(6.0e-3), 20e-6),
            observed(2.4e-3, Some(0.1e-3), 30e-6),
        ];
        let s = Steadiness::of(steps.to_vec());
        assert_eq!(s.preempted_steps, Some(1));
        let kept = s.unpreempted.unwrap();
        assert_eq!((kept.runs, kept.min, kept.max), (3, 2.0e-3, 2.4e-3));
        assert!((s.reference.max_over_min() - 1.5).abs() < 1e-12);
        // all preempted: no timing of the rest
        let all = Steadiness::of(vec![observed(1e-3, Some(1e-3), 1e-5)]);
        assert_eq!((all.preempted_steps, all.unpreempted), (Some(1), None));
        // no run-queue figures for one step: none are claimed
        let unknown = Steadiness::of(vec![steps[0], observed(2e-3, None, 2e-5)]);
        assert_eq!((unknown.preempted_steps, unknown.unpreempted), (None, None));
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn threads_that_outnumber_the_cpus_wait_on_run_queues() {
        // more busy threads than CPUs for 0.2 s: the kernel must make some of them wait, about
        // (threads − CPUs) × 0.2 s in all; a tenth of one thread's share is asked
        let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
        let before = runqueue_wait().expect("Linux reports run-queue waits");
        let stop = std::sync::atomic::AtomicBool::new(false);
        let busy = std::time::Duration::from_millis(200);
        std::thread::scope(|s| {
            for _ in 0..cpus + 2 {
                s.spawn(|| {
                    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                        std::hint::spin_loop();
                    }
                });
            }
            std::thread::sleep(busy);
            // read while the spinners still exist: an ended thread's wait leaves the listing
            let during = runqueue_wait().unwrap();
            stop.store(true, std::sync::atomic::Ordering::Relaxed);
            assert!(
                during - before > 0.02,
                "{} threads on {cpus} CPUs waited {:.3} s",
                cpus + 2,
                during - before
            );
        });
    }

    #[test]
    fn observe_times_every_call() {
        let mut calls = 0;
        let seen = observe(3, || calls += 1);
        assert_eq!((calls, seen.len()), (3, 3));
        assert!(seen.iter().all(|o| o.step >= 0.0 && o.reference > 0.0));
        #[cfg(target_os = "linux")]
        assert!(seen.iter().all(|o| o.wait.is_some_and(|w| w >= 0.0)));
    }
}
