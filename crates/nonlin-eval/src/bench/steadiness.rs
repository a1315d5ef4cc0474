//! How steady the machine was while training steps were timed, so that a slow step can be told
//! apart from a slow program.
//!
//! On a shared VM (2 vCPUs), `bench train --out` traces (each step's time, run-queue wait, CPU
//! time, page faults and reference loop are in the JSON) showed the steps slower than 1.4× the
//! fastest to be of two kinds. Single slow steps, up to 5×: the threads running the step had
//! waited milliseconds on a run queue while another task ran (or got less CPU time than the step
//! lasted, which is also how a kernel that accounts steal time shows the host taking the vCPU).
//! Runs of consecutive slower steps with neither: the threads ran all along, with no page fault,
//! but the same work took longer, as when the host's other guests share its cores. None of these
//! is the step's own work, and `max ÷ min` alone cannot say so; the measures here do, next to it.
//! Page faults are the exception that is the program's: PyTorch's slow steps mostly had them
//! (README, Performance).

use super::Timing;
use serde::{Deserialize, Serialize};
use std::time::Instant;

/// What the OS and the machine did while steps were timed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Steadiness {
    /// Threads that run through every step (`workers_kept_awake`: the CPU backends' rayon
    /// workers, polling between ops), so that their time off the CPU counts; 0 on other backends,
    /// where only run-queue waits count.
    pub busy_threads: usize,
    /// Steps during which the threads running them were off their CPUs, in total, for more than
    /// half the fastest step's time: waiting on a run queue while another task ran, or (for the
    /// `busy_threads`) getting less CPU time than the step lasted. `None` where the OS does not
    /// report it (`/proc/self/task/*/schedstat`: Linux only).
    pub interrupted_steps: Option<usize>,
    /// The steps that were not interrupted; `None` with `interrupted_steps`, or when all were.
    pub uninterrupted: Option<Timing>,
    /// A fixed single-thread loop (about 20 µs on the 2-vCPU VM) timed after each step: the same
    /// work each time, so a spread (`p90 ÷ p10`: its `max` moves with any single interrupt) is
    /// the machine running it at different speeds.
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
    /// The CPU time this process's threads got during it, in total (`None` likewise).
    pub cpu: Option<f64>,
    /// Page faults the process took during it (`None` off Linux): memory the step's allocations
    /// got fresh from the OS, the program's own cost where a slow step has them.
    #[serde(default)]
    pub page_faults: Option<u64>,
    /// The reference loop's time right after it.
    pub reference: f64,
}

impl StepObservation {
    /// How long the threads running the step were off their CPUs, when the OS says: the larger
    /// of the run-queue wait and, with `busy_threads` running all along, their missing CPU time.
    fn off_cpu(&self, busy_threads: usize) -> Option<f64> {
        let wait = self.wait?;
        let missing = match (busy_threads, self.cpu) {
            (0, _) | (_, None) => 0.0,
            (n, Some(cpu)) => n as f64 * self.step - cpu,
        };
        Some(wait.max(missing))
    }
}

impl Steadiness {
    /// The summary of `observed` (at least one step) with `busy_threads` running through each.
    pub(super) fn of(observed: Vec<StepObservation>, busy_threads: usize) -> Self {
        let fastest = observed
            .iter()
            .map(|o| o.step)
            .min_by(f64::total_cmp)
            .unwrap_or(0.0);
        let off: Option<Vec<f64>> = observed.iter().map(|o| o.off_cpu(busy_threads)).collect();
        let (interrupted_steps, uninterrupted) = match off {
            Some(off) => {
                let kept: Vec<f64> = observed
                    .iter()
                    .zip(&off)
                    .filter(|(_, off)| **off <= fastest / 2.0)
                    .map(|(o, _)| o.step)
                    .collect();
                (
                    Some(observed.len() - kept.len()),
                    (!kept.is_empty()).then(|| Timing::of(kept)),
                )
            }
            None => (None, None),
        };
        Steadiness {
            busy_threads,
            interrupted_steps,
            uninterrupted,
            reference: Timing::of(observed.iter().map(|o| o.reference).collect()),
            steps: observed,
        }
    }
}

/// Times `f` `runs` times, observing each call as [`Steadiness`] needs.
pub(super) fn observe(runs: usize, mut f: impl FnMut()) -> Vec<StepObservation> {
    (0..runs.max(1))
        .map(|_| {
            let faults_before = page_faults();
            let before = scheduler_times();
            let started = Instant::now();
            f();
            let step = started.elapsed().as_secs_f64();
            let page_faults = faults_before
                .zip(page_faults())
                .map(|(a, b)| b.saturating_sub(a));
            // a thread that ended during the step takes its times out of the sums
            let delta = before
                .zip(scheduler_times())
                .map(|(a, b)| ((b.0 - a.0).max(0.0), (b.1 - a.1).max(0.0)));
            StepObservation {
                step,
                cpu: delta.map(|d| d.0),
                wait: delta.map(|d| d.1),
                page_faults,
                reference: reference_loop(),
            }
        })
        .collect()
}

/// Seconds this process's threads (all that exist now) have run on a CPU and have waited
/// runnable for one. The waits are the second field of `/proc/self/task/<tid>/schedstat`
/// (nanoseconds); the run times come from each thread's CPU-time clock, since schedstat's first
/// field is brought up to date only when a thread is switched or at a scheduler tick (a worker
/// that spins through a step shows none of it for up to 4 ms). `None` off Linux.
pub(super) fn scheduler_times() -> Option<(f64, f64)> {
    let tasks = std::fs::read_dir("/proc/self/task").ok()?;
    let (mut ran, mut waited) = (0.0, 0u64);
    let mut any = false;
    for task in tasks.flatten() {
        // a thread that ended between the listing and the reads is skipped
        let Ok(stat) = std::fs::read_to_string(task.path().join("schedstat")) else {
            continue;
        };
        let Some(Ok(wait)) = stat.split_whitespace().nth(1).map(str::parse::<u64>) else {
            return None;
        };
        let Some(cpu) = task
            .file_name()
            .to_str()
            .and_then(|tid| tid.parse().ok())
            .and_then(thread_cpu_seconds)
        else {
            continue;
        };
        ran += cpu;
        waited = waited.saturating_add(wait);
        any = true;
    }
    any.then_some((ran, waited as f64 * 1e-9))
}

/// Page faults (minor and major) this process has taken.
#[cfg(target_os = "linux")]
fn page_faults() -> Option<u64> {
    // SAFETY: an all-zero rusage is a valid value for getrusage to overwrite
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `usage` is valid for the call to write
    let read = unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) } == 0;
    read.then(|| (usage.ru_minflt + usage.ru_majflt) as u64)
}

#[cfg(not(target_os = "linux"))]
fn page_faults() -> Option<u64> {
    None
}

/// The CPU time of thread `tid` of this process, from its CPU-time clock (the kernel's
/// `MAKE_THREAD_CPUCLOCK(tid, CPUCLOCK_SCHED)`, which `clock_gettime` reads up to date).
#[cfg(target_os = "linux")]
fn thread_cpu_seconds(tid: i32) -> Option<f64> {
    let clock: libc::clockid_t = ((!tid) << 3) | 6;
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `now` is a valid timespec for the call to write; an unknown clock (a thread that
    // has ended) is an error return, not undefined behaviour
    let read = unsafe { libc::clock_gettime(clock, &mut now) } == 0;
    read.then_some(now.tv_sec as f64 + now.tv_nsec as f64 * 1e-9)
}

#[cfg(not(target_os = "linux"))]
fn thread_cpu_seconds(_tid: i32) -> Option<f64> {
    None
}

/// Seconds for a fixed arithmetic loop over 16 KiB (in L1), single-threaded: the same work
/// every time, so its spread is the machine's.
fn reference_loop() -> f64 {
    // in [0, 1), where the map below stays (in [0.25, 0.75)): no overflow, no subnormals
    let mut values: Vec<f32> = (0..4096).map(|i| (i % 1024) as f32 / 1024.0).collect();
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

    fn observed(step: f64, wait: Option<f64>, cpu: Option<f64>, reference: f64) -> StepObservation {
        StepObservation {
            step,
            wait,
            cpu,
            page_faults: None,
            reference,
        }
    }

    #[test]
    fn a_step_whose_threads_were_off_their_cpus_is_counted_apart() {
        // two threads run through each step; half the fastest step is 1 ms
        let steps = [
            observed(2.0e-3, Some(0.2e-3), Some(3.9e-3), 20e-6),
            // 0.9 ms waited, 0.3 ms missing: kept
            observed(2.2e-3, Some(0.9e-3), Some(4.1e-3), 21e-6),
            // waited 6 ms on a run queue while another task ran
            observed(8.0e-3, Some(6.0e-3), Some(10.0e-3), 20e-6),
            // no wait, but 3.6 of 2 × 4 ms missing: the host took the vCPU
            observed(4.0e-3, Some(0.1e-3), Some(4.4e-3), 20e-6),
            observed(2.4e-3, Some(0.1e-3), Some(4.8e-3), 30e-6),
        ];
        let s = Steadiness::of(steps.to_vec(), 2);
        assert_eq!((s.busy_threads, s.interrupted_steps), (2, Some(2)));
        let kept = s.uninterrupted.unwrap();
        assert_eq!((kept.runs, kept.min, kept.max), (3, 2.0e-3, 2.4e-3));
        assert!((s.reference.max_over_min() - 1.5).abs() < 1e-12);
        assert_eq!(s.steps, steps);
        // without threads known to run all along, only run-queue waits count
        assert_eq!(Steadiness::of(steps.to_vec(), 0).interrupted_steps, Some(1));
        // all interrupted: no timing of the rest
        let all = Steadiness::of(vec![observed(1e-3, Some(1e-3), None, 1e-5)], 0);
        assert_eq!((all.interrupted_steps, all.uninterrupted), (Some(1), None));
        // no scheduler figures for one step: nothing is claimed
        let unknown = Steadiness::of(vec![steps[0], observed(2e-3, None, None, 2e-5)], 2);
        assert_eq!(
            (unknown.interrupted_steps, unknown.uninterrupted),
            (None, None)
        );
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn threads_that_outnumber_the_cpus_wait_on_run_queues() {
        // more busy threads than CPUs for 0.2 s: the kernel must make some of them wait, about
        // (threads − CPUs) × 0.2 s in all, while they all run about CPUs × 0.2 s; a tenth of
        // each is asked
        let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
        let before = scheduler_times().expect("Linux reports scheduler times");
        let stop = std::sync::atomic::AtomicBool::new(false);
        std::thread::scope(|s| {
            for _ in 0..cpus + 2 {
                s.spawn(|| {
                    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                        std::hint::spin_loop();
                    }
                });
            }
            std::thread::sleep(std::time::Duration::from_millis(200));
            // read while the spinners still exist: an ended thread leaves the listing
            let during = scheduler_times().unwrap();
            stop.store(true, std::sync::atomic::Ordering::Relaxed);
            let (ran, waited) = (during.0 - before.0, during.1 - before.1);
            assert!(
                waited > 0.02 && ran > 0.02,
                "{} threads on {cpus} CPUs ran {ran:.3} s and waited {waited:.3} s",
                cpus + 2
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
        assert!(seen.iter().all(|o| o.wait.is_some() && o.cpu.is_some()));
        // a step that touches 64 MiB of fresh memory takes page faults (some 16,000 of 4 KiB;
        // transparent huge pages could make it 32 of 2 MiB)
        let seen = observe(1, || {
            let mut fresh = vec![0u8; 64 << 20];
            fresh.iter_mut().step_by(4096).for_each(|b| *b = 1);
            std::hint::black_box(&fresh);
        });
        #[cfg(target_os = "linux")]
        assert!(seen[0].page_faults.is_some_and(|n| n >= 16), "{seen:?}");
    }
}
