//! The outside submissions: one thread that is not a worker (P of them for
//! `producers`) hands jobs to the pool and waits for them. Written as rayon's
//! users do: `ThreadPool::in_place_scope`, whose closure runs on the calling
//! thread, so each `Scope::spawn` there enters the pool's injector (a spawn
//! from inside a job goes to that worker's own deque), and whose end blocks
//! the calling thread until every job spawned into the scope, and every job
//! those spawned, has run. Workloads: empty, cpu, skewed, tree, producers,
//! parallel_for with a fixed grain (WORKLOADS.md); tokio's chain and
//! spawn_busy are in spawn.rs.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier};
use std::thread::JoinHandle;

use rayon::{Scope, ThreadPool};

use super::{memo, rate, Counters, Setup, Workload};
use crate::clock::{job_rounds, SpinTimes, CPU_ROUNDS, SKEWED_ROUNDS};
use crate::kernels::{spin, wrapping_sum, Tally};

pub fn count_check(what: &str, got: u64, want: u64) -> Result<(), String> {
    if got == want {
        Ok(())
    } else {
        Err(format!("{} ran {} jobs, expected {}", what, got, want))
    }
}

// ---------------------------------------------------------------------------
// empty: N jobs that only count themselves.

pub struct Empty {
    jobs: u64,
    tally: Tally,
    ran: u64,
}

impl Empty {
    pub fn new(workers: usize, jobs: u64) -> Empty {
        Empty { jobs, tally: Tally::new(workers), ran: 0 }
    }
    /// Jobs that ran in the last run.
    pub fn ran(&self) -> u64 {
        self.ran
    }
}

impl Workload for Empty {
    fn run(&mut self, pool: &ThreadPool) {
        let tally = &self.tally;
        pool.in_place_scope(|s| {
            for _ in 0..self.jobs {
                s.spawn(move |_| tally.bump());
            }
        });
    }
    fn check(&mut self) -> Result<(), String> {
        self.ran = self.tally.take();
        count_check("empty", self.ran, self.jobs)
    }
    fn counters(&self, runs: u64, wall: f64) -> Counters {
        vec![("jobs_per_s", rate(self.jobs as f64, runs, wall))]
    }
}

// ---------------------------------------------------------------------------
// cpu and skewed: job i stores spin(i, rounds_i) in out[i].

pub struct Spin {
    out: Vec<u64>,
    rounds: u32,
    skewed: bool,
    workers: usize,
    hardware_threads: usize,
    times: SpinTimes,
    expected: u64,
}

/// The wrapping sum of out[i] = spin(i, rounds_i) over n jobs, serially.
pub fn spin_sum_serial(n: usize, rounds: u32, skewed: bool) -> u64 {
    (0..n).fold(0u64, |sum, i| sum.wrapping_add(spin(i as u64, job_rounds(i, rounds, skewed))))
}

impl Spin {
    pub fn cpu(setup: &Setup, jobs: usize) -> Spin {
        Spin::new(setup, jobs, CPU_ROUNDS, false)
    }
    pub fn skewed(setup: &Setup, jobs: usize) -> Spin {
        Spin::new(setup, jobs, SKEWED_ROUNDS, true)
    }
    pub fn new(setup: &Setup, jobs: usize, rounds: u32, skewed: bool) -> Spin {
        let key = format!("spin/{}/{}/{}", jobs, rounds, skewed);
        Spin {
            out: vec![0; jobs],
            rounds,
            skewed,
            workers: setup.workers,
            hardware_threads: setup.hardware_threads,
            times: setup.spin_times,
            expected: memo(&key, || spin_sum_serial(jobs, rounds, skewed)),
        }
    }
    /// The wrapping sum of out after the last run.
    pub fn sum(&self) -> u64 {
        wrapping_sum(&self.out)
    }
}

impl Workload for Spin {
    fn prepare(&mut self) {
        self.out.fill(0);
    }
    fn run(&mut self, pool: &ThreadPool) {
        let (rounds, skewed) = (self.rounds, self.skewed);
        let out = &mut self.out;
        pool.in_place_scope(|s| {
            for (i, slot) in out.iter_mut().enumerate() {
                let r = job_rounds(i, rounds, skewed);
                s.spawn(move |_| *slot = spin(i as u64, r));
            }
        });
    }
    fn check(&mut self) -> Result<(), String> {
        let got = self.sum();
        if got == self.expected {
            Ok(())
        } else {
            Err(format!("sum of out is {}, the serial run's {}", got, self.expected))
        }
    }
    fn counters(&self, runs: u64, wall: f64) -> Counters {
        let jobs = self.out.len();
        let wall_per_run = wall / runs as f64;
        let mut c = vec![("jobs_per_s", rate(jobs as f64, runs, wall))];
        if self.skewed {
            let usable = self.workers.min(self.hardware_threads) as f64;
            let ideal = self.times.skewed_total_seconds(jobs) / usable;
            c.push(("wall_over_ideal", wall_per_run / ideal));
        } else {
            let t1 = self.times.cpu_job_ns * 1e-9;
            c.push(("efficiency", jobs as f64 * t1 / (wall_per_run * self.workers as f64)));
        }
        c
    }
}

// ---------------------------------------------------------------------------
// tree: the outside thread spawns the root; a job at depth d > 0 spawns two
// jobs of depth d - 1 (from inside the worker, into the same scope).

pub struct Tree {
    depth: u32,
    tally: Tally,
    ran: u64,
}

pub fn tree_jobs(depth: u32) -> u64 {
    (2u64 << depth) - 1
}

fn tree_node<'s>(s: &Scope<'s>, depth: u32, tally: &'s Tally) {
    tally.bump();
    if depth > 0 {
        s.spawn(move |s| tree_node(s, depth - 1, tally));
        s.spawn(move |s| tree_node(s, depth - 1, tally));
    }
}

impl Tree {
    pub fn new(workers: usize, depth: u32) -> Tree {
        Tree { depth, tally: Tally::new(workers), ran: 0 }
    }
    pub fn ran(&self) -> u64 {
        self.ran
    }
}

impl Workload for Tree {
    fn run(&mut self, pool: &ThreadPool) {
        let (tally, depth) = (&self.tally, self.depth);
        pool.in_place_scope(|s| s.spawn(move |s| tree_node(s, depth, tally)));
    }
    fn check(&mut self) -> Result<(), String> {
        self.ran = self.tally.take();
        count_check("tree", self.ran, tree_jobs(self.depth))
    }
    fn counters(&self, runs: u64, wall: f64) -> Counters {
        vec![("jobs_per_s", rate(tree_jobs(self.depth) as f64, runs, wall))]
    }
}

// ---------------------------------------------------------------------------
// producers: P persistent outside threads (started outside the clock) that,
// released together, each spawn their share of N empty jobs through a scope
// of their own and wait for it; the run ends when all P have.
//
// Protocol: every run is one phase of `start` (the P producers and the
// driver) and one of `done`. The driver's run(): start.wait(), done.wait().
// A producer: start.wait(); if `stop` is set, return; else submit its share,
// wait for its scope, done.wait(); repeat. Drop: set `stop`, then one more
// start.wait() releases the producers, which see it and return.

pub struct Producers {
    jobs: u64,
    tally: Arc<Tally>,
    start: Arc<Barrier>,
    done: Arc<Barrier>,
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
    ran: u64,
}

impl Producers {
    pub fn new(setup: &Setup, jobs: u64, producers: usize) -> Producers {
        let tally = Arc::new(Tally::new(setup.workers));
        let start = Arc::new(Barrier::new(producers + 1));
        let done = Arc::new(Barrier::new(producers + 1));
        let stop = Arc::new(AtomicBool::new(false));
        let threads = (0..producers as u64)
            .map(|k| {
                let share = jobs / producers as u64 + u64::from(k < jobs % producers as u64);
                let (pool, tally) = (Arc::clone(setup.pool), Arc::clone(&tally));
                let (start, done, stop) =
                    (Arc::clone(&start), Arc::clone(&done), Arc::clone(&stop));
                std::thread::spawn(move || loop {
                    start.wait();
                    // relaxed: the barrier orders the driver's store before this load.
                    if stop.load(Ordering::Relaxed) {
                        return;
                    }
                    let tally = &*tally;
                    pool.in_place_scope(|s| {
                        for _ in 0..share {
                            s.spawn(move |_| tally.bump());
                        }
                    });
                    done.wait();
                })
            })
            .collect();
        Producers { jobs, tally, start, done, stop, threads, ran: 0 }
    }
    pub fn ran(&self) -> u64 {
        self.ran
    }
}

impl Workload for Producers {
    fn run(&mut self, _pool: &ThreadPool) {
        self.start.wait();
        self.done.wait();
    }
    fn check(&mut self) -> Result<(), String> {
        self.ran = self.tally.take();
        count_check("producers", self.ran, self.jobs)
    }
    fn counters(&self, runs: u64, wall: f64) -> Counters {
        vec![("jobs_per_s", rate(self.jobs as f64, runs, wall))]
    }
}

impl Drop for Producers {
    fn drop(&mut self) {
        // relaxed: published to the producers by the barrier that follows.
        self.stop.store(true, Ordering::Relaxed);
        self.start.wait();
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

// ---------------------------------------------------------------------------
// parallel_for with a fixed grain g: the outside thread spawns ceil(N / g)
// jobs of g consecutive indices, out[i] = spin(i, 10), as
// poolbench::parallel_for(pool, 0, N, body, g) does.

pub const PARALLEL_FOR_ROUNDS: u32 = 10;

pub struct ChunkedFor {
    out: Vec<u64>,
    grain: usize,
    expected: u64,
}

impl ChunkedFor {
    pub fn new(n: usize, grain: usize) -> ChunkedFor {
        let key = format!("parallel_for/{}", n);
        ChunkedFor {
            out: vec![0; n],
            grain,
            expected: memo(&key, || spin_sum_serial(n, PARALLEL_FOR_ROUNDS, false)),
        }
    }
}

impl Workload for ChunkedFor {
    fn prepare(&mut self) {
        self.out.fill(0);
    }
    fn run(&mut self, pool: &ThreadPool) {
        let grain = self.grain;
        let out = &mut self.out;
        pool.in_place_scope(|s| {
            for (c, chunk) in out.chunks_mut(grain).enumerate() {
                s.spawn(move |_| {
                    let first = c * grain;
                    for (j, slot) in chunk.iter_mut().enumerate() {
                        *slot = spin((first + j) as u64, PARALLEL_FOR_ROUNDS);
                    }
                });
            }
        });
    }
    fn check(&mut self) -> Result<(), String> {
        let got = wrapping_sum(&self.out);
        if got == self.expected {
            Ok(())
        } else {
            Err(format!("sum of out is {}, the serial run's {}", got, self.expected))
        }
    }
    fn counters(&self, runs: u64, wall: f64) -> Counters {
        vec![("elements_per_s", rate(self.out.len() as f64, runs, wall))]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outside_submissions_run_every_job_once() {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
        let mut empty = Empty::new(2, 10_000);
        let mut tree = Tree::new(2, 12);
        for w in [&mut empty as &mut dyn Workload, &mut tree] {
            w.prepare();
            w.run(&pool);
            assert_eq!(w.check(), Ok(()));
        }
        assert_eq!((empty.ran(), tree.ran()), (10_000, 8191));
    }
}
