//! tokio's scheduler benches (WORKLOADS.md, field workloads): chain
//! (chained_spawn), the hand-off of one job to the next from inside the
//! pool, and spawn_busy (spawn_many_remote_busy), outside submissions into
//! a pool kept busy by self-re-spawning background jobs. The driver is the
//! harness's thread; the jobs' own calls are noted at each.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rayon::{Scope, ThreadPool};

use super::submit::count_check;
use super::{Counters, Setup, Workload};
use crate::kernels::spin;

// ---------------------------------------------------------------------------
// chain (tokio's chained_spawn): the outside thread spawns the first link;
// each link counts itself and spawns the next until the last.

pub struct Chain {
    links: u64,
    counter: AtomicU64,
    ran: u64,
}

fn link<'s>(s: &Scope<'s>, left: u64, counter: &'s AtomicU64) {
    // relaxed: one link runs at a time; the scope's end orders them all
    // before the driver's read.
    counter.fetch_add(1, Ordering::Relaxed);
    if left > 1 {
        s.spawn(move |s| link(s, left - 1, counter));
    }
}

impl Chain {
    pub fn new(links: u64) -> Chain {
        Chain { links, counter: AtomicU64::new(0), ran: 0 }
    }
    pub fn ran(&self) -> u64 {
        self.ran
    }
}

impl Workload for Chain {
    fn run(&mut self, pool: &ThreadPool) {
        let (counter, links) = (&self.counter, self.links);
        pool.in_place_scope(|s| s.spawn(move |s| link(s, links, counter)));
    }
    fn check(&mut self) -> Result<(), String> {
        // relaxed: after the scope's end, see link().
        self.ran = self.counter.swap(0, Ordering::Relaxed);
        count_check("chain", self.ran, self.links)
    }
    fn counters(&self, runs: u64, wall: f64) -> Counters {
        vec![("ns_per_link", wall * 1e9 / (self.links * runs) as f64)]
    }
}

// ---------------------------------------------------------------------------
// spawn_busy (tokio's spawn_many_remote_busy): W background jobs spin about
// 10 us and re-spawn themselves until stopped; meanwhile the outside thread
// spawns N empty jobs that count themselves and waits for that count (not
// for the pool), then stops the background. As pool_bench does, a run whose
// outside jobs have not all run within 10 s fails: rayon runs a worker's own
// jobs, then other workers', before any outside (injected) job, so W
// background jobs re-spawning into their workers' deques starve the outside
// jobs until they are stopped.

const BUSY_SPIN: Duration = Duration::from_micros(10);
const BUSY_DEADLINE: Duration = Duration::from_secs(10);

/// One row's shared state. `stop` ends the re-spawning; `done` counts the
/// outside jobs; `alive` the background jobs not yet ended.
struct BusyState {
    stop: AtomicBool,
    done: AtomicU64,
    alive: AtomicUsize,
    sink: AtomicU64,
}

/// Spins on the spin kernel for about `d` (timed, so also right when the
/// thread is preempted).
fn busy_spin(seed: u64, d: Duration) -> u64 {
    let end = Instant::now() + d;
    let mut x = seed;
    loop {
        x = spin(x, 64);
        if Instant::now() >= end {
            return x;
        }
    }
}

fn busy_job(state: Arc<BusyState>) {
    let x = busy_spin(Arc::as_ptr(&state) as u64, BUSY_SPIN);
    // relaxed: a sink that keeps the spin; never read for order.
    state.sink.fetch_add(x, Ordering::Relaxed);
    // relaxed: only ends the re-spawning; nothing is published through it.
    if state.stop.load(Ordering::Relaxed) {
        // release: pairs with the acquire load in drain(), so this job's
        // accesses come before the next run reuses the state.
        state.alive.fetch_sub(1, Ordering::Release);
    } else {
        // From inside a worker: into that worker's own deque.
        rayon::spawn(move || busy_job(state));
    }
}

pub struct SpawnBusy {
    jobs: u64,
    workers: usize,
    pool: Arc<ThreadPool>,
    state: Arc<BusyState>,
    /// Outside jobs spawned by the last run (0 before the first).
    spawned: u64,
    late: Option<String>,
}

impl SpawnBusy {
    pub fn new(setup: &Setup, jobs: u64) -> SpawnBusy {
        let state = BusyState {
            stop: AtomicBool::new(true),
            done: AtomicU64::new(0),
            alive: AtomicUsize::new(0),
            sink: AtomicU64::new(0),
        };
        SpawnBusy {
            jobs,
            workers: setup.workers,
            pool: Arc::clone(setup.pool),
            state: Arc::new(state),
            spawned: 0,
            late: None,
        }
    }

    /// Stops the background and returns once its jobs and every outside
    /// job have ended.
    fn drain(&self) {
        // relaxed: see busy_job.
        self.state.stop.store(true, Ordering::Relaxed);
        // acquire: pairs with the release decrement of alive, and with the
        // release increments of done.
        while self.state.alive.load(Ordering::Acquire) != 0
            || self.state.done.load(Ordering::Acquire) < self.spawned
        {
            std::thread::yield_now();
        }
    }
}

impl Workload for SpawnBusy {
    /// The previous run's background drained, then W new background jobs.
    fn prepare(&mut self) {
        self.drain();
        self.late = None;
        // relaxed: no job of this row runs now; the spawns below publish them.
        self.state.stop.store(false, Ordering::Relaxed);
        self.state.done.store(0, Ordering::Relaxed);
        self.state.alive.store(self.workers, Ordering::Relaxed);
        for _ in 0..self.workers {
            let state = Arc::clone(&self.state);
            self.pool.spawn(move || busy_job(state));
        }
    }
    fn run(&mut self, pool: &ThreadPool) {
        for _ in 0..self.jobs {
            let state = Arc::clone(&self.state);
            pool.spawn(move || {
                // release: pairs with the acquire loads below and in drain().
                state.done.fetch_add(1, Ordering::Release);
            });
        }
        self.spawned = self.jobs;
        let deadline = Instant::now() + BUSY_DEADLINE;
        // acquire: pairs with the outside jobs' release increments.
        while self.state.done.load(Ordering::Acquire) < self.jobs {
            std::thread::yield_now();
            if Instant::now() > deadline {
                self.late = Some(format!(
                    "spawn_busy: {} of {} outside jobs ran within 10 s beside the busy background \
                     jobs (rayon runs its workers' own jobs before outside submissions)",
                    self.state.done.load(Ordering::Acquire),
                    self.jobs
                ));
                break;
            }
        }
        // relaxed: see busy_job.
        self.state.stop.store(true, Ordering::Relaxed);
    }
    fn check(&mut self) -> Result<(), String> {
        match self.late.take() {
            Some(why) => Err(why),
            None => Ok(()),
        }
    }
    fn counters(&self, runs: u64, wall: f64) -> Counters {
        vec![("ns_per_submit", wall * 1e9 / (self.jobs * runs) as f64)]
    }
}

impl Drop for SpawnBusy {
    fn drop(&mut self) {
        self.drain();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::SpinTimes;

    #[test]
    fn spawn_busy_counts_its_outside_jobs_when_a_worker_is_free() {
        // Three threads, two background jobs: the third worker takes the
        // outside jobs from the injector.
        let pool = Arc::new(rayon::ThreadPoolBuilder::new().num_threads(3).build().unwrap());
        let setup = Setup {
            pool: &pool,
            workers: 2,
            hardware_threads: 2,
            spin_times: SpinTimes::default(),
        };
        let mut w = SpawnBusy::new(&setup, 1000);
        for _ in 0..2 {
            w.prepare();
            w.run(&pool);
            assert_eq!(w.check(), Ok(()));
        }
    }

    #[test]
    fn a_chain_runs_every_link_once() {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
        let mut chain = Chain::new(500);
        chain.prepare();
        chain.run(&pool);
        assert_eq!(chain.check(), Ok(()));
        assert_eq!(chain.ran(), 500);
    }
}
