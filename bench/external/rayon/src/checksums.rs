//! --checksums: every workload once at its small size on a pool of 2
//! workers, one `workload value` line each, the values of
//! bench/external/README.md ("--checksums") that a test compares with
//! `pool_bench --checksums=serial`. Each run is also checked as its row
//! checks it; a wrong one is reported on stderr and makes the exit status 1.
//! spawn_busy has no line: on rayon its outside jobs starve until the
//! background jobs stop, which they do only after those jobs ran (rows.rs),
//! so its row fails and there is no value to compare.

use std::sync::Arc;

use rayon::ThreadPool;

use crate::clock::SpinTimes;
use crate::workloads::fork_join::{
    integrate_exact, integrate_from_zero, integrate_serial_from_zero, Fib, NQueens, Skynet,
};
use crate::workloads::loops::{AutoFor, Reduce, SmallFor};
use crate::workloads::matmul::Matmul;
use crate::workloads::mergesort::Mergesort;
use crate::workloads::spawn::Chain;
use crate::workloads::submit::{Empty, Producers, Spin, Tree};
use crate::workloads::uts::{traverse, traverse_serial, Law, Shape, UtsTree};
use crate::workloads::{Setup, Workload};

const WORKERS: usize = 2;

/// `value` formatted as C's printf("%.17g").
fn g17(value: f64) -> String {
    let mut buf = [0 as libc::c_char; 64];
    // SAFETY: the format takes one double; snprintf writes at most buf.len().
    unsafe {
        libc::snprintf(buf.as_mut_ptr(), buf.len(), b"%.17g\0".as_ptr().cast(), value);
        std::ffi::CStr::from_ptr(buf.as_ptr()).to_string_lossy().into_owned()
    }
}

/// Runs `w` once (prepare, run, check) and returns `value(w)`, or why not.
fn once<W: Workload, V>(pool: &ThreadPool, mut w: W, value: impl Fn(&W) -> V) -> Result<V, String> {
    w.prepare();
    w.run(pool);
    w.check()?;
    Ok(value(&w))
}

fn lines(pool: &Arc<ThreadPool>) -> Vec<(&'static str, Result<String, String>)> {
    let setup = Setup {
        pool,
        workers: WORKERS,
        hardware_threads: crate::options::hardware_threads(),
        spin_times: SpinTimes::default(),
    };
    let p: &ThreadPool = pool;
    let s = |r: Result<u64, String>| r.map(|v| v.to_string());
    let i = |r: Result<i64, String>| r.map(|v| v.to_string());
    let uts_small =
        UtsTree { law: Law::Geometric { shape: Shape::Fixed, gen_mx: 6 }, b0: 4.0, seed: 19 };
    vec![
        ("empty", s(once(p, Empty::new(WORKERS, 1000), Empty::ran))),
        ("cpu", s(once(p, Spin::new(&setup, 1000, 1000, false), Spin::sum))),
        ("skewed", s(once(p, Spin::new(&setup, 1000, 200, true), Spin::sum))),
        ("tree", s(once(p, Tree::new(WORKERS, 10), Tree::ran))),
        ("producers", s(once(p, Producers::new(&setup, 1000, 2), Producers::ran))),
        ("parallel_for", s(once(p, AutoFor::new(10_000), AutoFor::sum))),
        ("fib", s(once(p, Fib::new(WORKERS, 20), Fib::result))),
        ("skynet", s(once(p, Skynet::new(WORKERS, 4), Skynet::result))),
        ("uts", {
            let (got, want) = (p.install(|| traverse(&uts_small)), traverse_serial(&uts_small));
            if got == want {
                Ok(format!("{}/{}/{}", got.nodes, got.depth, got.leaves))
            } else {
                Err(format!("uts: {:?}, the serial traversal {:?}", got, want))
            }
        }),
        ("nqueens", s(once(p, NQueens::new(WORKERS, 8), |q| q.result().solutions))),
        ("integrate", {
            let (area, calls) = p.install(|| integrate_from_zero(100.0, 1e-9));
            let (_, serial_calls) = integrate_serial_from_zero(100.0, 1e-9);
            let exact = integrate_exact(100.0);
            if calls == serial_calls && (area - exact).abs() <= 1e-9 * exact {
                Ok(format!("{}/{}", calls, g17(area)))
            } else {
                Err(format!(
                    "integrate: {} in {} calls, serial {} calls, exact {}",
                    area, calls, serial_calls, exact
                ))
            }
        }),
        ("matmul", i(once(p, Matmul::new(64), Matmul::sum))),
        ("mergesort", s(once(p, Mergesort::new(1 << 14), Mergesort::weighted_sum))),
        ("chain", s(once(p, Chain::new(1000), Chain::ran))),
        ("small_for", i(once(p, SmallFor::new(1000), SmallFor::sum))),
        ("reduce", i(once(p, Reduce::new(1000), Reduce::sum))),
    ]
}

/// Prints the lines; the exit status (0, or 1 when a run was wrong).
pub fn print_checksums() -> i32 {
    let pool = match rayon::ThreadPoolBuilder::new().num_threads(WORKERS).build() {
        Ok(pool) => Arc::new(pool),
        Err(e) => {
            eprintln!("rayon_bench: cannot build a rayon pool of {} threads: {}", WORKERS, e);
            return 1;
        }
    };
    let mut status = 0;
    for (name, value) in lines(&pool) {
        match value {
            Ok(v) => println!("{} {}", name, v),
            Err(why) => {
                eprintln!("rayon_bench: --checksums: {}: wrong result: {}", name, why);
                status = 1;
            }
        }
    }
    status
}
