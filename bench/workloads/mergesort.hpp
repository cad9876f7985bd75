// mergesort (WORKLOADS.md, field workloads; the parallel merge sort of Cilk,
// BOTS and libfork): 0..n-1 shuffled before the clock, then sorted: below
// 2,048 elements std::sort, else fork the left half, sort the right, join and
// merge the two runs into the other buffer (both allocated before the clock),
// the merge itself forked above 65,536 elements (the longer run split at its
// middle, the other by binary search). Each run sorts a fresh copy of the
// shuffled input, refilled before the clock. Benchmark bodies: the runner thread.
#pragma once

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "workloads/harness.hpp"

namespace poolbench::bench {

inline constexpr std::size_t k_mergesort_n = std::size_t{1} << 22;
inline constexpr std::size_t k_mergesort_n_full = std::size_t{1} << 25;
// The quick sweep's n, below the field's first: at 2^22 every row took 0.4
// to 0.9 s a run (a run of std::sort over 32 MB is 0.35 s), and with its
// warm-up run and refills mergesort alone took 19 s of a 115-s quick round,
// 4.8 s at this n (pool_bench on 2 cores).
inline constexpr std::size_t k_mergesort_n_quick = std::size_t{1} << 20;
inline constexpr std::size_t k_mergesort_leaf = 2048;         // below: std::sort
inline constexpr std::size_t k_mergesort_merge_leaf = 65536;  // up to: a serial merge

// The input: 0..n-1 shuffled by exactly this (the Go and Rust programs use
// the same definition):
//   x = 1; for (i = n - 1; i >= 1; --i) {
//       x = x * 1103515245 + 12345 (uint64, wrapping); j = x % (i + 1); swap(a[i], a[j]); }
inline std::vector<std::uint64_t> mergesort_input(std::size_t n) {
    std::vector<std::uint64_t> a(n);
    for (std::size_t i = 0; i < n; ++i) a[i] = i;
    std::uint64_t x = 1;
    for (std::size_t i = n - 1; i >= 1 && n > 0; --i) {
        x = x * 1103515245ULL + 12345ULL;
        std::swap(a[i], a[static_cast<std::size_t>(x % (i + 1))]);
    }
    return a;
}

// The shuffled input of n elements, made once per n. Runner thread only.
inline const std::vector<std::uint64_t>& mergesort_master(std::size_t n) {
    static std::map<std::size_t, std::vector<std::uint64_t>> cache;
    if (const auto it = cache.find(n); it != cache.end()) return it->second;
    return cache[n] = mergesort_input(n);
}

using sort_span = std::pair<std::uint64_t*, std::size_t>;  // first, count

// Merges [a, a + na) and [b, b + nb) into out. Forks above 65,536 elements:
// the longer run is split at its middle, the other where that middle element
// would go (lower_bound), and the two halves merge on their own.
template <class Fork>
void merge_runs(const std::uint64_t* a, std::size_t na, const std::uint64_t* b, std::size_t nb,
                std::uint64_t* out, Fork& fork) {
    if (na + nb <= k_mergesort_merge_leaf) {
        std::merge(a, a + na, b, b + nb, out);
        return;
    }
    if (na < nb) {
        std::swap(a, b);
        std::swap(na, nb);
    }
    const std::size_t ma = na / 2;
    const std::size_t mb = static_cast<std::size_t>(std::lower_bound(b, b + nb, a[ma]) - b);
    fork([=, &fork] { merge_runs(a, ma, b, mb, out, fork); },
         [=, &fork] { merge_runs(a + ma, na - ma, b + mb, nb - mb, out + ma + mb, fork); });
}

// Sorts `data` (n elements); `spare` is as long. to_spare: the sorted result
// goes to spare instead of data. The halves are sorted into the buffer that
// the merge then reads from (ping-pong), so nothing is copied back.
template <class Fork>
void merge_sort(std::uint64_t* data, std::uint64_t* spare, std::size_t n, bool to_spare,
                Fork& fork) {
    if (n < k_mergesort_leaf) {
        std::sort(data, data + n);
        if (to_spare) std::copy(data, data + n, spare);
        return;
    }
    const std::size_t h = n / 2;
    fork([=, &fork] { merge_sort(data, spare, h, !to_spare, fork); },
         [=, &fork] { merge_sort(data + h, spare + h, n - h, !to_spare, fork); });
    const std::uint64_t* from = to_spare ? data : spare;
    merge_runs(from, h, from + h, n - h, to_spare ? spare : data, fork);
}

// fork(left, right) for each kind of run: the pool's task group (left forked,
// right called, then the join), or one after the other.
template <pool P>
struct pool_fork {
    P& pool;
    template <class L, class R>
    void operator()(L left, R right) {
        task_group<P> group(pool);
        group.run(std::move(left));
        right();
        group.wait();
    }
};
struct serial_fork {
    template <class L, class R>
    void operator()(L left, R right) {
        left();
        right();
    }
};

// serial_fork that counts the forks.
struct counting_fork {
    std::uint64_t forks = 0;
    template <class L, class R>
    void operator()(L left, R right) {
        ++forks;
        left();
        right();
    }
};

// The sort's two buffers and the shuffled master, made before the clock.
struct mergesort_data {
    const std::vector<std::uint64_t>& master;
    std::vector<std::uint64_t> data, spare;
    explicit mergesort_data(std::size_t n) : master(mergesort_master(n)), data(n), spare(n) {}
    // "" when data[i] == i for every i, else "wrong result: ...".
    std::string mismatch() const {
        for (std::size_t i = 0; i < data.size(); ++i) {
            if (data[i] != i) {
                return "wrong result: mergesort(" + std::to_string(data.size()) + ") left a[" +
                       std::to_string(i) + "] = " + std::to_string(data[i]);
            }
        }
        return {};
    }
    // Before each run: check the last run's result, then refill the input.
    void check_and_refill(std::string& wrong, bool& ran) {
        if (ran && wrong.empty()) wrong = mismatch();
        std::copy(master.begin(), master.end(), data.begin());
        ran = true;
    }
};

template <pool P>
void mergesort_once(P& pool, mergesort_data& m) {
    pool.submit([&pool, &m] {
        pool_fork<P> fork{pool};
        merge_sort(m.data.data(), m.spare.data(), m.data.size(), false, fork);
    });
    pool.wait();
}

// Forks of one sort of n elements (the merges' included), as merge_sort makes
// them on the shuffled input (the merges' splits depend on the data).
inline std::uint64_t mergesort_forks(std::size_t n) {
    static std::map<std::size_t, std::uint64_t> cache;
    if (const auto it = cache.find(n); it != cache.end()) return it->second;
    counting_fork fork;
    auto data = mergesort_master(n);
    std::vector<std::uint64_t> spare(n);
    merge_sort(data.data(), spare.data(), n, false, fork);
    return cache[n] = fork.forks;
}

template <pool P>
void run_mergesort(benchmark::State& state, std::size_t workers, std::size_t n) {
    if constexpr (k_starts_thread_per_job<P>) {
        const std::string what = "mergesort(" + std::to_string(n) + ")";
        if (const auto why = fork_join_limit<P>(mergesort_forks(n), what); !why.empty()) {
            return skip(state, why);
        }
    }
    mergesort_data m(n);
    std::string wrong;  // the first wrong result, if any
    bool ran = false;
    run_prepared_row<P>(
        state, workers, std::nullopt, [&](P&) { m.check_and_refill(wrong, ran); },
        [&](P& pool) { mergesort_once(pool, m); },
        [&] {
            if (wrong.empty()) wrong = m.mismatch();
            return wrong;
        },
        [&](double wall) { report_elements_per_s(state, n, wall); });
}

}  // namespace poolbench::bench
