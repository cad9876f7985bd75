//! The loops, as rayon's parallel iterators with their own adaptive
//! splitting (no grain given), run inside `ThreadPool::install` from the
//! driver thread: parallel_for grain:auto (out[i] = spin(i, 10)),
//! small_for (out[i] = in[i]^2 - 3 in[i], 32-bit) and reduce (the 64-bit
//! sum of the same), dispenso's simple_for and summing_for (WORKLOADS.md).

use rayon::prelude::*;
use rayon::ThreadPool;

use super::submit::{spin_sum_serial, PARALLEL_FOR_ROUNDS};
use super::{memo, rate, Counters, Workload};
use crate::kernels::{spin, splitmix, wrapping_sum};

// ---------------------------------------------------------------------------
// parallel_for, grain:auto

pub struct AutoFor {
    out: Vec<u64>,
    expected: u64,
}

impl AutoFor {
    pub fn new(n: usize) -> AutoFor {
        let key = format!("parallel_for/{}", n);
        AutoFor {
            out: vec![0; n],
            expected: memo(&key, || spin_sum_serial(n, PARALLEL_FOR_ROUNDS, false)),
        }
    }
    pub fn sum(&self) -> u64 {
        wrapping_sum(&self.out)
    }
}

impl Workload for AutoFor {
    fn prepare(&mut self) {
        self.out.fill(0);
    }
    fn run(&mut self, pool: &ThreadPool) {
        let out = &mut self.out;
        pool.install(|| {
            out.par_iter_mut()
                .enumerate()
                .for_each(|(i, slot)| *slot = spin(i as u64, PARALLEL_FOR_ROUNDS));
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
        vec![("elements_per_s", rate(self.out.len() as f64, runs, wall))]
    }
}

// ---------------------------------------------------------------------------
// small_for and reduce

/// in[i] = (splitmix(i) & 255) - 127, filled before the clock.
pub fn loop_input(n: usize) -> Vec<i32> {
    (0..n).map(|i| (splitmix(i as u64) & 255) as i32 - 127).collect()
}

#[inline]
fn small_for_body(x: i32) -> i32 {
    x * x - 3 * x
}

pub struct SmallFor {
    input: Vec<i32>,
    out: Vec<i32>,
}

impl SmallFor {
    pub fn new(n: usize) -> SmallFor {
        SmallFor { input: loop_input(n), out: vec![0; n] }
    }
    /// The sum of out as signed 64-bit.
    pub fn sum(&self) -> i64 {
        self.out.iter().map(|&v| i64::from(v)).sum()
    }
}

impl Workload for SmallFor {
    fn prepare(&mut self) {
        self.out.fill(0);
    }
    fn run(&mut self, pool: &ThreadPool) {
        let (input, out) = (&self.input, &mut self.out);
        pool.install(|| {
            out.par_iter_mut()
                .zip(input.par_iter())
                .for_each(|(slot, &x)| *slot = small_for_body(x));
        });
    }
    fn check(&mut self) -> Result<(), String> {
        match self.input.iter().zip(&self.out).position(|(&x, &y)| y != small_for_body(x)) {
            None => Ok(()),
            Some(i) => Err(format!(
                "out[{}] = {}, the serial loop's {}",
                i,
                self.out[i],
                small_for_body(self.input[i])
            )),
        }
    }
    fn counters(&self, runs: u64, wall: f64) -> Counters {
        let n = self.out.len() as f64;
        vec![("ns_per_call", wall * 1e9 / runs as f64), ("elements_per_s", rate(n, runs, wall))]
    }
}

pub struct Reduce {
    input: Vec<i32>,
    sum: i64,
    expected: i64,
}

fn reduce_body(x: i32) -> i64 {
    let x = i64::from(x);
    x * x - 3 * x
}

impl Reduce {
    pub fn new(n: usize) -> Reduce {
        let input = loop_input(n);
        let expected = input.iter().map(|&x| reduce_body(x)).fold(0i64, i64::wrapping_add);
        Reduce { input, sum: 0, expected }
    }
    pub fn sum(&self) -> i64 {
        self.sum
    }
}

impl Workload for Reduce {
    fn prepare(&mut self) {
        self.sum = 0;
    }
    fn run(&mut self, pool: &ThreadPool) {
        let input = &self.input;
        self.sum = pool.install(|| input.par_iter().map(|&x| reduce_body(x)).sum::<i64>());
    }
    fn check(&mut self) -> Result<(), String> {
        if self.sum == self.expected {
            Ok(())
        } else {
            Err(format!("the sum is {}, the serial loop's {}", self.sum, self.expected))
        }
    }
    fn counters(&self, runs: u64, wall: f64) -> Counters {
        let n = self.input.len() as f64;
        vec![("ns_per_call", wall * 1e9 / runs as f64), ("elements_per_s", rate(n, runs, wall))]
    }
}
