//! matmul: C = A x B of N x N 32-bit integers, A = B = all ones, by the
//! divide-and-conquer of WORKLOADS.md: the N x N product is its eight
//! N/2 products, in two phases of four forked through a `rayon::scope`
//! (the four of a phase write four different quadrants of C); a block of
//! N <= 32 multiplies serially (i-k-j). Inside `ThreadPool::install`; the
//! matrices are allocated and filled outside the clock.

use rayon::ThreadPool;

use super::{rate, Counters, Workload};

const SERIAL_BELOW: usize = 32;

/// A square block of a row-major matrix: its first element and the row
/// stride. Copyable; what a job may do with it is said where it is used.
#[derive(Clone, Copy)]
struct Block {
    at: *mut i32,
    stride: usize,
}

// SAFETY: a Block is a view into a matrix that outlives the scope of every
// job it is handed to; the jobs of one phase write disjoint quadrants of C
// and only read A and B, so no element is written by two threads at once or
// read while another writes it.
unsafe impl Send for Block {}
unsafe impl Sync for Block {}

impl Block {
    /// The quadrant (row, col) in 0..2 of a block of size n.
    fn quadrant(self, n: usize, row: usize, col: usize) -> Block {
        let h = n / 2;
        // SAFETY: inside the n x n block.
        Block { at: unsafe { self.at.add(row * h * self.stride + col * h) }, stride: self.stride }
    }

    /// Row i of the block, n elements.
    ///
    /// # Safety
    /// i < n, the block is n x n inside its matrix, and no other thread
    /// writes that row while the slice lives.
    unsafe fn row<'a>(self, i: usize, n: usize) -> &'a [i32] {
        // SAFETY: the caller's, above.
        unsafe { std::slice::from_raw_parts(self.at.add(i * self.stride), n) }
    }

    /// # Safety
    /// As row(), and no other thread reads or writes that row meanwhile.
    unsafe fn row_mut<'a>(self, i: usize, n: usize) -> &'a mut [i32] {
        // SAFETY: the caller's, above.
        unsafe { std::slice::from_raw_parts_mut(self.at.add(i * self.stride), n) }
    }
}

/// C += A x B for n x n blocks, serially, i-k-j.
///
/// # Safety
/// The caller holds C's block exclusively and A's and B's for reading.
unsafe fn multiply_serial(c: Block, a: Block, b: Block, n: usize) {
    for i in 0..n {
        // SAFETY: the caller's: C's rows are this thread's, A's and B's read.
        let (c_row, a_row) = unsafe { (c.row_mut(i, n), a.row(i, n)) };
        for (k, &a_ik) in a_row.iter().enumerate() {
            // SAFETY: as above.
            let b_row = unsafe { b.row(k, n) };
            for (c_ij, &b_kj) in c_row.iter_mut().zip(b_row) {
                *c_ij += a_ik * b_kj;
            }
        }
    }
}

/// C += A x B for n x n blocks (n a power of two), forked.
///
/// # Safety
/// As multiply_serial.
unsafe fn multiply(c: Block, a: Block, b: Block, n: usize) {
    if n <= SERIAL_BELOW {
        // SAFETY: the caller's.
        return unsafe { multiply_serial(c, a, b, n) };
    }
    let h = n / 2;
    let (a, b, c) = (
        |r, k| a.quadrant(n, r, k),
        |k, col| b.quadrant(n, k, col),
        |r, col| c.quadrant(n, r, col),
    );
    // Phase k (0, then 1): C[r][col] += A[r][k] x B[k][col] for the four
    // (r, col); the four write four different quadrants of C.
    for k in 0..2 {
        rayon::scope(|s| {
            for (r, col) in [(0, 0), (0, 1), (1, 0), (1, 1)] {
                let (cq, aq, bq) = (c(r, col), a(r, k), b(k, col));
                // SAFETY: this job holds quadrant (r, col) of C alone until
                // the scope ends; A and B are only read.
                s.spawn(move |_| unsafe { multiply(cq, aq, bq, h) });
            }
        });
    }
}

pub struct Matmul {
    n: usize,
    a: Vec<i32>,
    b: Vec<i32>,
    c: Vec<i32>,
}

impl Matmul {
    /// n: a power of two.
    pub fn new(n: usize) -> Matmul {
        assert!(n.is_power_of_two(), "matmul: n = {} is not a power of two", n);
        Matmul { n, a: vec![1; n * n], b: vec![1; n * n], c: vec![0; n * n] }
    }
    /// The sum of C's elements after the last run.
    pub fn sum(&self) -> i64 {
        self.c.iter().map(|&v| i64::from(v)).sum()
    }
}

impl Workload for Matmul {
    fn prepare(&mut self) {
        self.c.fill(0);
    }
    fn run(&mut self, pool: &ThreadPool) {
        let n = self.n;
        let c = Block { at: self.c.as_mut_ptr(), stride: n };
        // A and B are only read: the pointers are made mutable only to share
        // one Block type.
        let a = Block { at: self.a.as_ptr() as *mut i32, stride: n };
        let b = Block { at: self.b.as_ptr() as *mut i32, stride: n };
        // SAFETY: C is borrowed mutably by this call alone; A and B are read.
        pool.install(|| unsafe { multiply(c, a, b, n) });
    }
    fn check(&mut self) -> Result<(), String> {
        let n = self.n as i32;
        match self.c.iter().position(|&v| v != n) {
            None => Ok(()),
            Some(i) => {
                Err(format!("C[{}][{}] = {}, expected {}", i / self.n, i % self.n, self.c[i], n))
            }
        }
    }
    fn counters(&self, runs: u64, wall: f64) -> Counters {
        let madds = (self.n as f64).powi(3);
        vec![("madds_per_s", rate(madds, runs, wall))]
    }
}
