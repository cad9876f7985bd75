// nqueens (WORKLOADS.md, research workloads): fork-join through the task
// group, a child per valid placement, the solutions summed up the joins.
#pragma once

#include <benchmark/benchmark.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <barrier>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "workloads/harness.hpp"

namespace poolbench::bench {

// ---------------------------------------------------------------------------
// Parameters

inline constexpr int k_nqueens_n = 12;
inline constexpr int k_nqueens_n_full = 14;  // --full: also this size
inline constexpr std::uint64_t k_nqueens_12_solutions = 14'200;

// ---------------------------------------------------------------------------
// nqueens

// Solutions and nodes (calls, the root's included) of a traversal.
struct nqueens_count {
    std::uint64_t solutions = 0;
    std::uint64_t nodes = 0;
    bool operator==(const nqueens_count&) const = default;
};

// The squares of the next row no queen attacks: columns, and the two
// diagonals shifted to this row; all as bit masks of n bits.
struct queens_board {
    std::uint32_t columns = 0;
    std::uint32_t left = 0;   // diagonals going down-left
    std::uint32_t right = 0;  // diagonals going down-right
    queens_board place(std::uint32_t bit) const noexcept {
        return {columns | bit, (left | bit) << 1, (right | bit) >> 1};
    }
    std::uint32_t free(int n) const noexcept {
        return ~(columns | left | right) & ((std::uint32_t{1} << n) - 1);
    }
};

// Plain recursion.
inline nqueens_count nqueens_serial(int n, int row = 0, queens_board b = {}) {
    if (row == n) return {1, 1};
    nqueens_count c{0, 1};
    for (std::uint32_t free = b.free(n); free != 0; free &= free - 1) {
        const auto sub = nqueens_serial(n, row + 1, b.place(free & (~free + 1)));
        c.solutions += sub.solutions;
        c.nodes += sub.nodes;
    }
    return c;
}

// The figures of a row from the timed runs' summed wall time:
// solutions_per_s, nodes_per_s and ns_per_task (= wall x W / nodes).
inline void report_nqueens(benchmark::State& state, const nqueens_count& want, std::size_t workers,
                           double wall) {
    const auto runs = static_cast<double>(state.iterations());
    const double nodes = static_cast<double>(want.nodes) * runs;
    state.counters["solutions_per_s"] = static_cast<double>(want.solutions) * runs / wall;
    state.counters["nodes_per_s"] = nodes / wall;
    state.counters["ns_per_task"] = wall * 1e9 * static_cast<double>(workers) / nodes;
}

// Fork-join through the pool's task group: every placement in the next row
// is a child; the solutions are summed up the joins. Call from inside a job.
template <pool P>
std::uint64_t nqueens_fork_join(P& pool, int n, int row = 0, queens_board b = {}) {
    if (row == n) return 1;
    std::array<std::uint64_t, 32> solutions{};
    std::size_t k = 0;
    {
        task_group<P> group(pool);
        for (std::uint32_t free = b.free(n); free != 0; free &= free - 1, ++k) {
            group.run([&pool, slot = &solutions[k], n, row, next = b.place(free & (~free + 1))] {
                *slot = nqueens_fork_join(pool, n, row + 1, next);
            });
        }
        group.wait();
    }
    std::uint64_t sum = 0;
    for (std::size_t i = 0; i < k; ++i) sum += solutions[i];
    return sum;
}

// One run: this thread submits the root job and waits.
template <pool P>
std::uint64_t nqueens_once(P& pool, int n) {
    std::uint64_t solutions = 0;
    pool.submit([&pool, &solutions, n] { solutions = nqueens_fork_join(pool, n); });
    pool.wait();
    return solutions;
}

// The serial count for n, computed once per n. Runner thread only.
inline const nqueens_count& nqueens_expected(int n) {
    static std::map<int, nqueens_count> cache;
    if (const auto it = cache.find(n); it == cache.end()) cache[n] = nqueens_serial(n);
    return cache[n];
}

// "" when a run found the serial count of solutions, else "wrong result: ...".
inline std::string nqueens_mismatch(int n, std::uint64_t got, std::uint64_t want) {
    if (got == want) return {};
    return "wrong result: nqueens(" + std::to_string(n) + ") found " + std::to_string(got) +
           " solutions, expected " + std::to_string(want);
}

template <pool P>
void run_nqueens(benchmark::State& state, std::size_t workers, int n) {
    const nqueens_count& want = nqueens_expected(n);
    if (const auto why = fork_join_limit<P>(want.nodes - 1, "nqueens"); !why.empty()) {
        return skip(state, why);
    }
    std::string wrong;  // the first run's wrong count, if any
    run_row<P>(
        state, workers, std::nullopt,
        [&](P& pool) {
            if (wrong.empty()) wrong = nqueens_mismatch(n, nqueens_once(pool, n), want.solutions);
        },
        [&] { return wrong; }, [&](double wall) { report_nqueens(state, want, workers, wall); });
}

// The figures of one bursty run, set as the row's counters.

}  // namespace poolbench::bench
