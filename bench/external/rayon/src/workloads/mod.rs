//! The workloads, each as rayon's own users write it, behind one trait that
//! the harness times: prepare (untimed), run (timed: the first submit to the
//! end of the wait), check (untimed, after every run), counters (from the
//! timed runs). One module per way of using rayon: outside submissions
//! (`submit`, and tokio's benches in `spawn`), parallel iterators (`loops`),
//! fork-join recursion (`fork_join`, `uts`, `matmul`, `mergesort`). A workload is driven by one
//! thread, the harness's; its jobs run on the pool.

use std::sync::{Arc, Mutex};

use rayon::ThreadPool;

use crate::clock::SpinTimes;

pub mod fork_join;
pub mod loops;
pub mod matmul;
pub mod mergesort;
pub mod spawn;
pub mod submit;
pub mod uts;

/// A row's counters: name and value, in the order they are written.
pub type Counters = Vec<(&'static str, f64)>;

/// One row's state on one pool.
pub trait Workload {
    /// Untimed, before each run: resets what a run overwrites or consumes.
    fn prepare(&mut self) {}
    /// Timed: from just before the first submit to just after the wait.
    fn run(&mut self, pool: &ThreadPool);
    /// Untimed, after each run: Err(what was wrong), without the
    /// "wrong result: " prefix the harness adds.
    fn check(&mut self) -> Result<(), String>;
    /// The counters of `runs` timed runs that took `wall` seconds in all.
    fn counters(&self, runs: u64, wall: f64) -> Counters;
}

/// What a row's workload is built from, outside the clock.
pub struct Setup<'a> {
    pub pool: &'a Arc<ThreadPool>,
    pub workers: usize,
    pub hardware_threads: usize,
    pub spin_times: SpinTimes,
}

/// A rate per second of real time, as Google Benchmark's kIsRate.
pub fn rate(per_run: f64, runs: u64, wall: f64) -> f64 {
    per_run * runs as f64 / wall
}

/// libfork's ns per task: wall (ns) x W / tasks.
pub fn ns_per_task(tasks_per_run: f64, runs: u64, wall: f64, workers: usize) -> f64 {
    wall * 1e9 * workers as f64 / (tasks_per_run * runs as f64)
}

/// Serial reference values (the answers the rows check against), computed
/// once per key and kept for the rest of the process. Thread-safe.
pub fn memo(key: &str, compute: impl FnOnce() -> u64) -> u64 {
    static CACHE: Mutex<Vec<(String, u64)>> = Mutex::new(Vec::new());
    if let Some((_, v)) = CACHE.lock().expect("memo").iter().find(|(k, _)| k == key) {
        return *v;
    }
    let v = compute();
    CACHE.lock().expect("memo").push((key.to_string(), v));
    v
}
