//! Clocks (process and thread CPU time from clock_gettime) and the spin
//! kernel's sequential timings, measured once at start-up as pool_bench does
//! (bench/measure.hpp): the t1 of `cpu` and the two job lengths of `skewed`.
//! Every function is thread-safe.

use crate::kernels::{keep, spin};

fn cpu_seconds(clock: libc::clockid_t) -> f64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: ts is a valid timespec for clock_gettime to fill.
    unsafe { libc::clock_gettime(clock, &mut ts) };
    ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
}

/// CPU seconds spent by every thread of this process so far.
pub fn process_cpu_seconds() -> f64 {
    cpu_seconds(libc::CLOCK_PROCESS_CPUTIME_ID)
}

/// CPU seconds spent by the calling thread so far.
pub fn thread_cpu_seconds() -> f64 {
    cpu_seconds(libc::CLOCK_THREAD_CPUTIME_ID)
}

/// The median over `runs` runs of one call's time, body(i) called for
/// i = 0 .. calls-1 back to back, in ns of this thread's CPU time (time spent
/// preempted does not count); one run is discarded first to warm up.
pub fn median_ns_per_call(mut body: impl FnMut(usize), calls: usize, runs: usize) -> f64 {
    let mut per_call = Vec::with_capacity(runs);
    for r in 0..=runs {
        let start = thread_cpu_seconds();
        for i in 0..calls {
            body(i);
        }
        let ns = (thread_cpu_seconds() - start) * 1e9;
        if r > 0 {
            per_call.push(ns / calls as f64);
        }
    }
    per_call.sort_by(|a, b| a.partial_cmp(b).expect("CPU times are finite"));
    per_call[per_call.len() / 2]
}

/// Sequential time of one spin job of each length `cpu` and `skewed` use.
#[derive(Clone, Copy, Debug, Default)]
pub struct SpinTimes {
    /// spin(i, 1000): t1 of the cpu efficiency.
    pub cpu_job_ns: f64,
    /// spin(i, 200): a skewed job with i % 64 != 0.
    pub short_job_ns: f64,
    /// spin(i, 200 x 64): a skewed job with i % 64 == 0.
    pub long_job_ns: f64,
}

pub const CPU_ROUNDS: u32 = 1000;
pub const SKEWED_ROUNDS: u32 = 200;
pub const SKEW_EVERY: usize = 64;
pub const SKEW_FACTOR: u32 = 64;

/// The rounds of job i of `cpu` (skewed = false) or `skewed`.
pub fn job_rounds(i: usize, rounds: u32, skewed: bool) -> u32 {
    if skewed && i % SKEW_EVERY == 0 {
        rounds * SKEW_FACTOR
    } else {
        rounds
    }
}

/// Measures the three job lengths (about 5 ms of spinning per run, 7 runs
/// each). Call once, before any pool exists.
pub fn calibrate_spin() -> SpinTimes {
    const RUNS: usize = 7;
    const ROUNDS_PER_RUN: u64 = 2_000_000;
    let measure = |rounds: u32| {
        let calls = std::cmp::max(16, ROUNDS_PER_RUN / u64::from(rounds)) as usize;
        let mut out = vec![0u64; calls];
        let ns = median_ns_per_call(|i| out[i] = spin(i as u64, rounds), calls, RUNS);
        keep(out.as_slice());
        ns
    };
    SpinTimes {
        cpu_job_ns: measure(CPU_ROUNDS),
        short_job_ns: measure(SKEWED_ROUNDS),
        long_job_ns: measure(SKEWED_ROUNDS * SKEW_FACTOR),
    }
}

impl SpinTimes {
    /// Sequential time of the whole skewed job set of `jobs` jobs, in seconds.
    pub fn skewed_total_seconds(&self, jobs: usize) -> f64 {
        let long = (jobs + SKEW_EVERY - 1) / SKEW_EVERY;
        (long as f64 * self.long_job_ns + (jobs - long) as f64 * self.short_job_ns) * 1e-9
    }
}
