//! Fork-join recursion inside `ThreadPool::install`, as rayon's users write
//! it: `rayon::join` for two-way forks (fib, integrate), `rayon::scope` with
//! one `spawn` per child for k-way forks (skynet, nqueens). A waiting
//! worker runs other jobs meanwhile (rayon's join and scope both steal while
//! they wait), the help-while-waiting of WORKLOADS.md. In `join(a, b)` rayon
//! runs `a` on the calling thread and offers `b` to thieves, so "fork x,
//! call y" is `join(|| y, || x)`.

use rayon::ThreadPool;

use super::{memo, ns_per_task, rate, Counters, Workload};

// ---------------------------------------------------------------------------
// fib: fork fib(n-1), call fib(n-2), join; no cutoff.

pub fn fib(n: u32) -> u64 {
    if n < 2 {
        return u64::from(n);
    }
    let (b, a) = rayon::join(|| fib(n - 2), || fib(n - 1));
    a + b
}

pub fn fib_value(n: u32) -> u64 {
    let (mut a, mut b) = (0u64, 1u64);
    for _ in 0..n {
        let next = a + b;
        a = b;
        b = next;
    }
    a
}

/// Calls of fib(n), the root's included: 2 F(n+1) - 1.
pub fn fib_tasks(n: u32) -> u64 {
    2 * fib_value(n + 1) - 1
}

pub struct Fib {
    n: u32,
    workers: usize,
    result: u64,
}

impl Fib {
    pub fn new(workers: usize, n: u32) -> Fib {
        Fib { n, workers, result: 0 }
    }
    pub fn result(&self) -> u64 {
        self.result
    }
}

impl Workload for Fib {
    fn run(&mut self, pool: &ThreadPool) {
        let n = self.n;
        self.result = pool.install(|| fib(n));
    }
    fn check(&mut self) -> Result<(), String> {
        let want = fib_value(self.n);
        if self.result == want {
            Ok(())
        } else {
            Err(format!("fib({}) = {}, expected {}", self.n, self.result, want))
        }
    }
    fn counters(&self, runs: u64, wall: f64) -> Counters {
        let tasks = fib_tasks(self.n) as f64;
        vec![
            ("tasks_per_s", rate(tasks, runs, wall)),
            ("ns_per_task", ns_per_task(tasks, runs, wall, self.workers)),
        ]
    }
}

// ---------------------------------------------------------------------------
// skynet: a node at level l < depth forks its 10 children (child k of base b
// has base b + k x 10^(depth - l - 1)); a leaf returns its base; the sums
// come back up the joins.

fn skynet(base: u64, level: u32, depth: u32) -> u64 {
    if level == depth {
        return base;
    }
    let step = 10u64.pow(depth - level - 1);
    let mut sums = [0u64; 10];
    rayon::scope(|s| {
        for (k, slot) in sums.iter_mut().enumerate() {
            s.spawn(move |_| *slot = skynet(base + k as u64 * step, level + 1, depth));
        }
    });
    sums.iter().sum()
}

/// The sum over the leaves 0 .. 10^depth - 1.
pub fn skynet_value(depth: u32) -> u64 {
    let leaves = 10u64.pow(depth);
    leaves * (leaves - 1) / 2
}

/// Tasks of the tree: the sum of 10^l for l = 0 .. depth.
pub fn skynet_tasks(depth: u32) -> u64 {
    (0..=depth).map(|l| 10u64.pow(l)).sum()
}

pub struct Skynet {
    depth: u32,
    workers: usize,
    result: u64,
}

impl Skynet {
    pub fn new(workers: usize, depth: u32) -> Skynet {
        Skynet { depth, workers, result: 0 }
    }
    pub fn result(&self) -> u64 {
        self.result
    }
}

impl Workload for Skynet {
    fn run(&mut self, pool: &ThreadPool) {
        let depth = self.depth;
        self.result = pool.install(|| skynet(0, 0, depth));
    }
    fn check(&mut self) -> Result<(), String> {
        let want = skynet_value(self.depth);
        if self.result == want {
            Ok(())
        } else {
            Err(format!("skynet({}) = {}, expected {}", self.depth, self.result, want))
        }
    }
    fn counters(&self, runs: u64, wall: f64) -> Counters {
        let tasks = skynet_tasks(self.depth) as f64;
        vec![
            ("tasks_per_s", rate(tasks, runs, wall)),
            ("ns_per_task", ns_per_task(tasks, runs, wall, self.workers)),
        ]
    }
}

// ---------------------------------------------------------------------------
// nqueens: each valid placement of a queen in the next row is a child, the
// board (the columns of the rows above) passed by value and the new queen
// checked against the rows above it; solutions and nodes (valid placements,
// the root counted) summed up the joins.

pub const MAX_QUEENS: usize = 16;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct QueensCount {
    pub solutions: u64,
    pub nodes: u64,
}

/// Whether a queen at (row, col) is attacked by none of the rows above.
#[inline]
fn safe(board: &[u8; MAX_QUEENS], row: usize, col: usize) -> bool {
    board[..row].iter().enumerate().all(|(r, &c)| {
        let c = usize::from(c);
        c != col && c + (row - r) != col && col + (row - r) != c
    })
}

/// The columns of the next row that are safe, as a bit mask.
fn safe_columns(n: usize, row: usize, board: &[u8; MAX_QUEENS]) -> u32 {
    (0..n).filter(|&col| safe(board, row, col)).fold(0, |m, col| m | 1 << col)
}

pub fn nqueens(n: usize, row: usize, board: [u8; MAX_QUEENS]) -> QueensCount {
    if row == n {
        return QueensCount { solutions: 1, nodes: 1 };
    }
    let columns = safe_columns(n, row, &board);
    let mut children = [QueensCount::default(); MAX_QUEENS];
    if columns != 0 {
        rayon::scope(|s| {
            for (col, slot) in children[..n].iter_mut().enumerate() {
                if columns & 1 << col != 0 {
                    let mut next = board;
                    next[row] = col as u8;
                    s.spawn(move |_| *slot = nqueens(n, row + 1, next));
                }
            }
        });
    }
    children.iter().fold(QueensCount { solutions: 0, nodes: 1 }, |acc, c| QueensCount {
        solutions: acc.solutions + c.solutions,
        nodes: acc.nodes + c.nodes,
    })
}

/// The same search by plain recursion: the reference.
pub fn nqueens_serial(n: usize, row: usize, board: [u8; MAX_QUEENS]) -> QueensCount {
    if row == n {
        return QueensCount { solutions: 1, nodes: 1 };
    }
    let mut count = QueensCount { solutions: 0, nodes: 1 };
    for col in 0..n {
        if safe(&board, row, col) {
            let mut next = board;
            next[row] = col as u8;
            let c = nqueens_serial(n, row + 1, next);
            count.solutions += c.solutions;
            count.nodes += c.nodes;
        }
    }
    count
}

pub struct NQueens {
    n: usize,
    workers: usize,
    expected: QueensCount,
    result: QueensCount,
}

impl NQueens {
    pub fn new(workers: usize, n: usize) -> NQueens {
        assert!((1..=MAX_QUEENS).contains(&n), "nqueens: n = {} is outside 1..=16", n);
        // One serial search gives both: the first call keeps the solutions
        // while it computes the nodes.
        let (nodes_key, solutions_key) =
            (format!("nqueens/{}/nodes", n), format!("nqueens/{}/solutions", n));
        let nodes = memo(&nodes_key, || {
            let c = nqueens_serial(n, 0, [0; MAX_QUEENS]);
            memo(&solutions_key, || c.solutions);
            c.nodes
        });
        let solutions = memo(&solutions_key, || nqueens_serial(n, 0, [0; MAX_QUEENS]).solutions);
        NQueens {
            n,
            workers,
            expected: QueensCount { solutions, nodes },
            result: QueensCount::default(),
        }
    }
    pub fn result(&self) -> QueensCount {
        self.result
    }
}

/// The solutions for n = 1 ..= 15 (the published counts).
pub fn nqueens_solutions(n: usize) -> Option<u64> {
    const KNOWN: [u64; 16] =
        [1, 1, 0, 0, 2, 10, 4, 40, 92, 352, 724, 2680, 14200, 73712, 365596, 2279184];
    KNOWN.get(n).copied().filter(|_| n >= 1)
}

impl Workload for NQueens {
    fn run(&mut self, pool: &ThreadPool) {
        let n = self.n;
        self.result = pool.install(|| nqueens(n, 0, [0; MAX_QUEENS]));
    }
    fn check(&mut self) -> Result<(), String> {
        let published = nqueens_solutions(self.n).unwrap_or(self.expected.solutions);
        if self.result == self.expected && self.result.solutions == published {
            Ok(())
        } else {
            Err(format!(
                "nqueens({}) found {} solutions in {} nodes; the serial search {} in {} \
                 (published: {})",
                self.n,
                self.result.solutions,
                self.result.nodes,
                self.expected.solutions,
                self.expected.nodes,
                published
            ))
        }
    }
    fn counters(&self, runs: u64, wall: f64) -> Counters {
        let nodes = self.expected.nodes as f64;
        vec![
            ("solutions_per_s", rate(self.expected.solutions as f64, runs, wall)),
            ("nodes_per_s", rate(nodes, runs, wall)),
            ("ns_per_task", ns_per_task(nodes, runs, wall, self.workers)),
        ]
    }
}

// ---------------------------------------------------------------------------
// integrate: adaptive trapezoid of f(x) = (x^2 + 1) x over [0, n], libfork's
// arithmetic. Rust never contracts a * b + c into a fused multiply-add
// unless asked (f64::mul_add), so every build makes the same calls as the
// serial reference.

pub const INTEGRATE_EPS: f64 = 1e-9;

#[inline]
fn f(x: f64) -> f64 {
    (x * x + 1.0) * x
}

/// (the area, the calls made, this one included).
pub fn integrate(x0: f64, f0: f64, x1: f64, f1: f64, area: f64, eps: f64) -> (f64, u64) {
    let half = (x1 - x0) / 2.0;
    let mid = x0 + half;
    let fmid = f(mid);
    let left = (f0 + fmid) / 2.0 * half;
    let right = (fmid + f1) / 2.0 * half;
    let sum = left + right;
    if (sum - area).abs() < eps {
        return (sum, 1);
    }
    let ((r, r_calls), (l, l_calls)) = rayon::join(
        || integrate(mid, fmid, x1, f1, right, eps),
        || integrate(x0, f0, mid, fmid, left, eps),
    );
    (l + r, 1 + l_calls + r_calls)
}

/// The same recursion, plain: the reference call count.
pub fn integrate_serial(x0: f64, f0: f64, x1: f64, f1: f64, area: f64, eps: f64) -> (f64, u64) {
    let half = (x1 - x0) / 2.0;
    let mid = x0 + half;
    let fmid = f(mid);
    let left = (f0 + fmid) / 2.0 * half;
    let right = (fmid + f1) / 2.0 * half;
    let sum = left + right;
    if (sum - area).abs() < eps {
        return (sum, 1);
    }
    let (l, l_calls) = integrate_serial(x0, f0, mid, fmid, left, eps);
    let (r, r_calls) = integrate_serial(mid, fmid, x1, f1, right, eps);
    (l + r, 1 + l_calls + r_calls)
}

/// The first call over [0, n].
pub fn integrate_from_zero(n: f64, eps: f64) -> (f64, u64) {
    integrate(0.0, f(0.0), n, f(n), 0.0, eps)
}

pub fn integrate_serial_from_zero(n: f64, eps: f64) -> (f64, u64) {
    integrate_serial(0.0, f(0.0), n, f(n), 0.0, eps)
}

/// The closed form: n^2 (n^2 + 2) / 4.
pub fn integrate_exact(n: f64) -> f64 {
    n * n * (n * n + 2.0) / 4.0
}

pub struct Integrate {
    n: u64,
    workers: usize,
    serial_calls: u64,
    result: (f64, u64),
}

impl Integrate {
    pub fn new(workers: usize, n: u64) -> Integrate {
        let key = format!("integrate/{}", n);
        let serial_calls = memo(&key, || integrate_serial_from_zero(n as f64, INTEGRATE_EPS).1);
        Integrate { n, workers, serial_calls, result: (0.0, 0) }
    }
}

impl Workload for Integrate {
    fn run(&mut self, pool: &ThreadPool) {
        let n = self.n as f64;
        self.result = pool.install(|| integrate_from_zero(n, INTEGRATE_EPS));
    }
    fn check(&mut self) -> Result<(), String> {
        let (area, calls) = self.result;
        let exact = integrate_exact(self.n as f64);
        if (area - exact).abs() <= 1e-9 * exact && calls == self.serial_calls {
            Ok(())
        } else {
            Err(format!(
                "integrate({}) = {} in {} calls; expected {} within 1e-9 relative in {} calls",
                self.n, area, calls, exact, self.serial_calls
            ))
        }
    }
    fn counters(&self, runs: u64, wall: f64) -> Counters {
        let calls = self.serial_calls as f64;
        vec![
            ("tasks_per_s", rate(calls, runs, wall)),
            ("ns_per_task", ns_per_task(calls, runs, wall, self.workers)),
        ]
    }
}
