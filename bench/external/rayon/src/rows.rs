//! The rows, named as pool_bench names the same workload with `rayon` in the
//! pool's place (bench/external/README.md, "Rows"), in the README's order:
//! workload by workload, each worker count, each size. Quick sizes first;
//! the full sweep adds the README's "full also" sizes.
//!
//! spawn_busy is listed as unsupported: rayon runs a worker's own jobs,
//! then other workers', before outside submissions, so its W
//! self-re-spawning background jobs starve the outside ones (run, the row
//! fails after its 10 s deadline; SpawnBusy stays, for the checksums test).

use crate::harness::Row;

/// Why the spawn_busy rows do not run (see above).
const SPAWN_BUSY_UNSUPPORTED: &str = "unsupported: rayon runs a worker's own and stolen jobs \
     before outside spawns, so outside jobs wait behind background jobs that re-spawn themselves \
     forever";
use crate::options::Sweep;
use crate::workloads::fork_join::{Fib, Integrate, NQueens, Skynet};
use crate::workloads::loops::{AutoFor, Reduce, SmallFor};
use crate::workloads::matmul::Matmul;
use crate::workloads::mergesort::Mergesort;
use crate::workloads::spawn::{Chain, SpawnBusy};
use crate::workloads::submit::{ChunkedFor, Empty, Producers, Spin, Tree};
use crate::workloads::uts::Uts;
use crate::workloads::{Setup, Workload};

pub const SYSTEM: &str = "rayon";

struct Table<'a> {
    sweep: &'a Sweep,
    rows: Vec<Row>,
}

impl<'a> Table<'a> {
    /// One row per worker count and size: workload/rayon/workers:W/<size>.
    fn add<S: Clone + 'static>(
        &mut self,
        workload: &str,
        sizes: Vec<(String, S)>,
        make: impl Fn(&Setup, &S) -> Box<dyn Workload> + Clone + 'static,
    ) {
        for &w in &self.sweep.workers {
            for (suffix, size) in &sizes {
                let (make, size) = (make.clone(), size.clone());
                self.rows.push(Row {
                    name: format!("{}/{}/workers:{}/{}/real_time", workload, SYSTEM, w, suffix),
                    workers: w,
                    make: Box::new(move |setup| make(setup, &size)),
                    unsupported: None,
                });
            }
        }
    }
}

/// "key:value" for each value.
fn sizes<T: std::fmt::Display + Clone>(key: &str, values: &[T]) -> Vec<(String, T)> {
    values.iter().map(|v| (format!("{}:{}", key, v), v.clone())).collect()
}

/// The quick sizes, and in the full sweep the full ones after them.
fn pick<T: Clone>(quick: bool, quick_sizes: &[T], full_also: &[T]) -> Vec<T> {
    let mut v = quick_sizes.to_vec();
    if !quick {
        v.extend_from_slice(full_also);
    }
    v
}

/// The quick sweep's sizes, or the full sweep's (as pool_bench's: the
/// field's first size and every size, but for integrate and mergesort).
fn either<T: Clone>(quick: bool, quick_sizes: &[T], full: &[T]) -> Vec<T> {
    if quick {
        quick_sizes.to_vec()
    } else {
        full.to_vec()
    }
}

pub fn all_rows(sweep: &Sweep) -> Vec<Row> {
    let q = sweep.quick;
    let mut t = Table { sweep, rows: Vec::new() };

    let jobs = either(q, &[100_000u64], &[1_000_000]);
    t.add("empty", sizes("jobs", &jobs), |s, &n| Box::new(Empty::new(s.workers, n)));
    let spins = either(q, &[10_000usize], &[100_000]);
    t.add("cpu", sizes("jobs", &spins), |s, &n| Box::new(Spin::cpu(s, n)));
    t.add("skewed", sizes("jobs", &spins), |s, &n| Box::new(Spin::skewed(s, n)));
    let depths = either(q, &[17u32], &[20]);
    t.add("tree", sizes("depth", &depths), |s, &d| Box::new(Tree::new(s.workers, d)));
    let producer_jobs = jobs[0];
    let producers = either(q, &[2usize], &[1, 2, 4])
        .iter()
        .map(|&p| (format!("jobs:{}/producers:{}", producer_jobs, p), (producer_jobs, p)))
        .collect();
    t.add("producers", producers, |s, &(n, p)| Box::new(Producers::new(s, n, p)));

    // parallel_for: grains 1, 64, 4096 and N / (8 W) as outside chunk jobs,
    // "auto" as a parallel iterator. n_8w depends on W: one table per W.
    let n = if q { 1_000_000usize } else { 10_000_000 };
    for &w in &sweep.workers {
        let one = Sweep { workers: vec![w], ..sweep.clone() };
        let mut per_w = Table { sweep: &one, rows: Vec::new() };
        let all = [("1", 1usize), ("64", 64), ("4096", 4096), ("n_8w", (n / (8 * w)).max(1))];
        // pool_bench's quick grains: N / (8 W) and automatic.
        let grains: Vec<(String, usize)> = all[if q { 3 } else { 0 }..]
            .iter()
            .map(|&(label, g)| (format!("n:{}/grain:{}", n, label), g))
            .collect();
        per_w.add("parallel_for", grains, move |_, &g| Box::new(ChunkedFor::new(n, g)));
        per_w.add("parallel_for", vec![(format!("n:{}/grain:auto", n), n)], |_, &n| {
            Box::new(AutoFor::new(n))
        });
        t.rows.append(&mut per_w.rows);
    }

    t.add("fib", sizes("n", &either(q, &[30u32], &[30, 39])), |s, &n| {
        Box::new(Fib::new(s.workers, n))
    });
    t.add("skynet", sizes("depth", &either(q, &[6u32], &[6, 8])), |s, &d| {
        Box::new(Skynet::new(s.workers, d))
    });
    let trees = if q { vec!["t3"] } else { vec!["t1", "t2", "t3"] };
    t.add("uts", sizes("tree", &trees), |s, &name| Box::new(Uts::new(s.workers, name)));
    t.add("nqueens", sizes("n", &either(q, &[12usize], &[12, 14])), |s, &n| {
        Box::new(NQueens::new(s.workers, n))
    });
    t.add("integrate", sizes("n", &pick(q, &[100u64], &[10_000])), |s, &n| {
        Box::new(Integrate::new(s.workers, n))
    });
    t.add("matmul", sizes("n", &either(q, &[512usize], &[512, 2048])), |_, &n| {
        Box::new(Matmul::new(n))
    });
    t.add("mergesort", sizes("n", &either(q, &[1usize << 20], &[1 << 22, 1 << 25])), |_, &n| {
        Box::new(Mergesort::new(n))
    });
    t.add("chain", sizes("links", &[10_000u64]), |_, &n| Box::new(Chain::new(n)));
    t.add("spawn_busy", sizes("jobs", &[10_000u64]), |s, &n| Box::new(SpawnBusy::new(s, n)));
    for row in t.rows.iter_mut().filter(|r| r.name.starts_with("spawn_busy/")) {
        row.unsupported = Some(SPAWN_BUSY_UNSUPPORTED);
    }
    let loop_sizes = pick(q, &[1000usize, 1_000_000], &[100_000_000]);
    t.add("small_for", sizes("n", &loop_sizes), |_, &n| Box::new(SmallFor::new(n)));
    t.add("reduce", sizes("n", &loop_sizes), |_, &n| Box::new(Reduce::new(n)));
    t.rows
}
