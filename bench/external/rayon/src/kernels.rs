//! The kernels every workload shares (WORKLOADS.md): the xorshift64* spin,
//! the splitmix64 finalizer, and `Tally`, a per-worker job count that the
//! rows check after the wait. Thread-safe as each item says.

use std::sync::atomic::{AtomicU64, Ordering};

/// xorshift64*, a dependent chain the compiler cannot shorten. Thread-safe.
#[inline]
pub fn spin(seed: u64, rounds: u32) -> u64 {
    let mut x = seed | 1;
    for _ in 0..rounds {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        x = x.wrapping_mul(0x2545_F491_4F6C_DD1D);
    }
    x
}

/// splitmix64's finalizer. Thread-safe.
#[inline]
pub fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// An empty asm statement that may read and write any memory: the compiler
/// cannot remove what it depends on (`std::hint::black_box` needs Rust 1.66;
/// Debian's rustc may be older). Thread-safe.
#[inline(always)]
pub fn keep<T: ?Sized>(value: &T) {
    // SAFETY: the statement is empty; it only names the pointer.
    unsafe {
        std::arch::asm!("/* {0} */", in(reg) value as *const T as *const u8,
                        options(nostack, preserves_flags));
    }
}

/// The wrapping sum of a slice: the checksum of the spin workloads.
pub fn wrapping_sum(values: &[u64]) -> u64 {
    values.iter().fold(0u64, |sum, &v| sum.wrapping_add(v))
}

/// One counter on a cache-line pair of its own (128 bytes: the adjacent-line
/// prefetcher of x86 pulls lines in pairs).
#[repr(align(128))]
struct Padded(AtomicU64);

/// Jobs run, counted per rayon worker so that counting costs no shared write:
/// worker i is the only writer of slot i; threads that are not workers of
/// the pool (none, in these workloads) share the last slot through an atomic
/// add. `bump` is thread-safe; `take` is for the thread that waited for the
/// jobs, after the wait.
pub struct Tally {
    slots: Vec<Padded>,
}

impl Tally {
    pub fn new(workers: usize) -> Tally {
        Tally { slots: (0..=workers).map(|_| Padded(AtomicU64::new(0))).collect() }
    }

    /// Counts one job on the calling thread's slot. Thread-safe.
    #[inline]
    pub fn bump(&self) {
        let shared = self.slots.len() - 1;
        match rayon::current_thread_index() {
            Some(i) if i < shared => {
                let slot = &self.slots[i].0;
                // relaxed: the slot's only writer is this worker; the reader
                // in take() is ordered after it by rayon's wait (below).
                slot.store(slot.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
            }
            // relaxed: an atomic add among the non-worker threads; read as above.
            _ => {
                self.slots[shared].0.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// The jobs counted since the last take, and resets the count. Call after
    /// the wait for those jobs (a scope's end, a join, a barrier): rayon's
    /// latches set with release and probe with acquire, so every bump made
    /// by a job happens before the wait returns.
    pub fn take(&self) -> u64 {
        // relaxed: ordered after every bump by the wait, see above.
        self.slots.iter().map(|s| s.0.swap(0, Ordering::Relaxed)).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spin_is_the_xorshift64_star_chain() {
        assert_eq!(spin(0, 0), 1);
        let mut x: u64 = 5;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        assert_eq!(spin(5, 1), x.wrapping_mul(0x2545F4914F6CDD1D));
    }

    #[test]
    fn tally_counts_outside_the_pool_too() {
        let t = Tally::new(2);
        t.bump();
        t.bump();
        assert_eq!(t.take(), 2);
        assert_eq!(t.take(), 0);
    }
}
