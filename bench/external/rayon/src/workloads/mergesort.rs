//! mergesort of n 64-bit integers (WORKLOADS.md): below 2,048 elements
//! `sort_unstable`, else fork the left half, sort the right, join, then a
//! merge into the other buffer, itself split in two forks above 65,536
//! elements (the longer run split at its middle, the other binary-searched).
//! With `rayon::join` inside `ThreadPool::install`. The scratch buffer is
//! allocated outside the clock; the two buffers alternate by level (each
//! merge writes the one its inputs are not in), as rayon-demo's mergesort
//! does, so no level copies its result back.

use rayon::ThreadPool;

use super::{rate, Counters, Workload};

const SORT_BELOW: usize = 2048;
const SPLIT_MERGE_ABOVE: usize = 65_536;

/// 0 .. n-1, shuffled by this exact definition (seed x = 1, u64 wrapping):
///   for i from n-1 down to 1 {
///       x = x * 1103515245 + 12345; j = x % (i + 1); swap a[i], a[j]
///   }
pub fn shuffled(n: usize) -> Vec<u64> {
    let mut a: Vec<u64> = (0..n as u64).collect();
    let mut x: u64 = 1;
    for i in (1..n).rev() {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        let j = (x % (i as u64 + 1)) as usize;
        a.swap(i, j);
    }
    a
}

fn merge_serial(left: &[u64], right: &[u64], out: &mut [u64]) {
    let (mut i, mut j) = (0, 0);
    for slot in out.iter_mut() {
        // Take from the left unless it is used up, or the right is smaller.
        if j >= right.len() || (i < left.len() && left[i] <= right[j]) {
            *slot = left[i];
            i += 1;
        } else {
            *slot = right[j];
            j += 1;
        }
    }
}

/// out = left and right merged; out.len() == left.len() + right.len().
fn merge(left: &[u64], right: &[u64], out: &mut [u64]) {
    if out.len() <= SPLIT_MERGE_ABOVE {
        return merge_serial(left, right, out);
    }
    // Split the longer run at its middle and the other where its elements
    // stop being smaller (equal ones go after a left pivot, before a right
    // one, so the merge stays stable).
    let (li, ri) = if left.len() >= right.len() {
        let li = left.len() / 2;
        (li, right.partition_point(|&v| v < left[li]))
    } else {
        let ri = right.len() / 2;
        (left.partition_point(|&v| v <= right[ri]), ri)
    };
    let (out_l, out_r) = out.split_at_mut(li + ri);
    rayon::join(
        || merge(&left[li..], &right[ri..], out_r),
        || merge(&left[..li], &right[..ri], out_l),
    );
}

/// Sorts v in place; buf (as long) is scratch.
pub fn sort(v: &mut [u64], buf: &mut [u64]) {
    if v.len() < SORT_BELOW {
        v.sort_unstable();
        return;
    }
    let mid = v.len() / 2;
    let (v_l, v_r) = v.split_at_mut(mid);
    let (buf_l, buf_r) = buf.split_at_mut(mid);
    rayon::join(|| sort_into(v_r, buf_r), || sort_into(v_l, buf_l));
    merge(buf_l, buf_r, v);
}

/// Sorts v into out (as long); v's contents are then scratch.
fn sort_into(v: &mut [u64], out: &mut [u64]) {
    if v.len() < SORT_BELOW {
        v.sort_unstable();
        out.copy_from_slice(v);
        return;
    }
    let mid = v.len() / 2;
    let (v_l, v_r) = v.split_at_mut(mid);
    let (out_l, out_r) = out.split_at_mut(mid);
    rayon::join(|| sort(v_r, out_r), || sort(v_l, out_l));
    merge(v_l, v_r, out);
}

pub struct Mergesort {
    input: Vec<u64>,
    a: Vec<u64>,
    buf: Vec<u64>,
}

impl Mergesort {
    pub fn new(n: usize) -> Mergesort {
        let input = shuffled(n);
        Mergesort { a: input.clone(), buf: vec![0; n], input }
    }
    /// The sum over i of a[i] x (i + 1), wrapping, after the last run.
    pub fn weighted_sum(&self) -> u64 {
        self.a
            .iter()
            .enumerate()
            .fold(0u64, |s, (i, &v)| s.wrapping_add(v.wrapping_mul(i as u64 + 1)))
    }
}

impl Workload for Mergesort {
    fn prepare(&mut self) {
        self.a.copy_from_slice(&self.input);
    }
    fn run(&mut self, pool: &ThreadPool) {
        let (a, buf) = (&mut self.a, &mut self.buf);
        pool.install(|| sort(a, buf));
    }
    fn check(&mut self) -> Result<(), String> {
        match self.a.iter().enumerate().position(|(i, &v)| v != i as u64) {
            None => Ok(()),
            Some(i) => Err(format!("a[{}] = {} after sorting", i, self.a[i])),
        }
    }
    fn counters(&self, runs: u64, wall: f64) -> Counters {
        vec![("elements_per_s", rate(self.a.len() as f64, runs, wall))]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_every_size_around_the_cutoffs() {
        for n in [0, 1, 2, 2047, 2048, 2049, 5000, 70_000, 140_001] {
            let mut v = shuffled(n);
            let mut buf = vec![0; n];
            sort(&mut v, &mut buf);
            assert!(v.iter().enumerate().all(|(i, &x)| x == i as u64), "n = {}", n);
        }
    }
}
