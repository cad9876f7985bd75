//! Runs a row as Google Benchmark runs a UseRealTime() benchmark: per
//! repetition a fresh pool of W threads and the workload's buffers (outside
//! the clock), one untimed warm-up run, then batches of timed runs until a
//! batch lasts at least the minimum time (the count found on a row's first
//! repetition is kept for the others). Every run is checked; a wrong one
//! ends the repetition with "wrong result: ...". Single-threaded driver.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::time::Instant;

use crate::clock::{process_cpu_seconds, SpinTimes};
use crate::workloads::{Counters, Setup, Workload};

/// One row: its full name (with /real_time) and how to build its workload.
pub struct Row {
    pub name: String,
    pub workers: usize,
    pub make: Box<dyn Fn(&Setup) -> Box<dyn Workload>>,
    /// Why rayon cannot run this row ("unsupported: ..."), if it cannot.
    pub unsupported: Option<&'static str>,
}

/// What one repetition measured.
#[derive(Clone, Debug, Default)]
pub struct Repetition {
    pub iterations: u64,
    /// Per iteration, ns: the summed clocked wall time of the last batch.
    pub real_ns: f64,
    /// Per iteration, ns: the process's CPU time over the same runs.
    pub cpu_ns: f64,
    pub counters: Counters,
    pub error: Option<String>,
}

/// What every row shares.
#[derive(Clone, Copy, Debug)]
pub struct Settings {
    pub min_time: f64,
    pub hardware_threads: usize,
    pub spin_times: SpinTimes,
}

/// Google Benchmark's cap on iterations.
const MAX_ITERATIONS: u64 = 1_000_000_000;

/// Google Benchmark's next iteration count after a batch of `iters` that
/// took `seconds`, short of `min_time`.
fn predict_iterations(iters: u64, seconds: f64, min_time: f64) -> u64 {
    let mut multiplier = min_time * 1.4 / seconds.max(1e-9);
    if seconds / min_time <= 0.1 {
        multiplier = multiplier.min(10.0);
    }
    let next = (multiplier * iters as f64).max(iters as f64 + 1.0);
    next.min(MAX_ITERATIONS as f64).round() as u64
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a job panicked".to_string()
    }
}

fn wrong(why: String) -> Repetition {
    Repetition { error: Some(format!("wrong result: {}", why)), ..Repetition::default() }
}

/// One untimed-then-timed repetition of `row`. `iterations`: the count
/// found by an earlier repetition, else found here and stored.
pub fn run_repetition(row: &Row, settings: &Settings, iterations: &mut Option<u64>) -> Repetition {
    if let Some(why) = row.unsupported {
        return Repetition { error: Some(why.to_string()), ..Repetition::default() };
    }
    let pool = match rayon::ThreadPoolBuilder::new().num_threads(row.workers).build() {
        Ok(pool) => Arc::new(pool),
        Err(e) => {
            return Repetition {
                error: Some(format!(
                    "unsupported: cannot build a rayon pool of {} threads: {}",
                    row.workers, e
                )),
                ..Repetition::default()
            }
        }
    };
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        let setup = Setup {
            pool: &pool,
            workers: row.workers,
            hardware_threads: settings.hardware_threads,
            spin_times: settings.spin_times,
        };
        let mut workload = (row.make)(&setup);
        timed_runs(workload.as_mut(), &pool, settings.min_time, iterations)
    }));
    match outcome {
        Ok(rep) => rep,
        Err(payload) => wrong(format!("a job panicked: {}", panic_message(&*payload))),
    }
}

fn timed_runs(
    w: &mut dyn Workload,
    pool: &rayon::ThreadPool,
    min_time: f64,
    iterations: &mut Option<u64>,
) -> Repetition {
    w.prepare();
    w.run(pool);
    if let Err(why) = w.check() {
        return wrong(why);
    }
    let mut iters = iterations.unwrap_or(1);
    loop {
        let (mut wall, mut cpu) = (0.0, 0.0);
        for _ in 0..iters {
            w.prepare();
            let cpu_start = process_cpu_seconds();
            let start = Instant::now();
            w.run(pool);
            wall += start.elapsed().as_secs_f64();
            cpu += process_cpu_seconds() - cpu_start;
            if let Err(why) = w.check() {
                return wrong(why);
            }
        }
        if iterations.is_some() || wall >= min_time || iters >= MAX_ITERATIONS {
            *iterations = Some(iters);
            return Repetition {
                iterations: iters,
                real_ns: wall * 1e9 / iters as f64,
                cpu_ns: cpu * 1e9 / iters as f64,
                counters: w.counters(iters, wall),
                error: None,
            };
        }
        iters = predict_iterations(iters, wall, min_time);
    }
}

#[cfg(test)]
mod tests {
    use super::predict_iterations;

    #[test]
    fn iteration_counts_grow_as_google_benchmarks() {
        assert_eq!(predict_iterations(1, 0.0, 0.05), 10);
        assert_eq!(predict_iterations(10, 0.025, 0.05), 28);
        assert_eq!(predict_iterations(1, 1e-3, 0.05), 10);
    }
}

#[cfg(test)]
mod error_tests {
    use super::*;
    use crate::workloads::Counters;

    struct Faulty {
        panics: bool,
    }

    impl Workload for Faulty {
        fn run(&mut self, pool: &rayon::ThreadPool) {
            if self.panics {
                pool.install(|| rayon::join(|| panic!("boom"), || ()));
            }
        }
        fn check(&mut self) -> Result<(), String> {
            Err("the answer is 41".into())
        }
        fn counters(&self, _: u64, _: f64) -> Counters {
            Vec::new()
        }
    }

    fn run(panics: bool) -> Repetition {
        let row = Row {
            name: "x/rayon/workers:1/real_time".into(),
            workers: 1,
            make: Box::new(move |_| Box::new(Faulty { panics })),
            unsupported: None,
        };
        let settings =
            Settings { min_time: 0.0, hardware_threads: 1, spin_times: SpinTimes::default() };
        run_repetition(&row, &settings, &mut None)
    }

    #[test]
    fn a_wrong_result_or_a_panic_ends_the_repetition_with_its_message() {
        assert_eq!(run(false).error.as_deref(), Some("wrong result: the answer is 41"));
        assert_eq!(run(true).error.as_deref(), Some("wrong result: a job panicked: boom"));
    }
}
