// Work submitted from inside the pool: tree (each job submits its two
// children) and fib (fork-join through the pool's task group, whose wait
// helps). WORKLOADS.md defines both.
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
#include "workloads/submit.hpp"

namespace poolbench::bench {

template <pool P>
struct tree_job {
    P* pool;
    int depth;
    void operator()() const {
        if (depth > 0) {
            pool->submit(tree_job{pool, depth - 1});
            pool->submit(tree_job{pool, depth - 1});
        }
    }
};

constexpr std::uint64_t tree_jobs(int depth) {
    return (std::uint64_t{2} << depth) - 1;
}

// fib(n) by the naive recursion, and how many task_group::run calls the
// fork-join version makes (one per call with n >= 2).
constexpr long fib_value(int n) {
    long a = 0, b = 1;
    for (int i = 0; i < n; ++i) b = std::exchange(a, b) + b;
    return a;
}
constexpr std::uint64_t fib_runs(int n) {
    return n < 2 ? 0 : static_cast<std::uint64_t>(fib_value(n + 1)) - 1;
}
// Tasks of fib(n), libfork's count: every call, 2 F(n + 1) - 1.
constexpr std::uint64_t fib_tasks(int n) {
    return 2 * static_cast<std::uint64_t>(fib_value(n + 1)) - 1;
}
static_assert(fib_value(30) == 832040 && fib_runs(2) == 1 && fib_runs(4) == 4);
static_assert(fib_value(39) == 63'245'986 && fib_tasks(1) == 1 && fib_tasks(2) == 3);

template <pool P>
long fib_fork_join(P& pool, int n) {
    if (n < 2) return n;
    task_group<P> g(pool);
    long a = 0;
    g.run([&] { a = fib_fork_join(pool, n - 1); });
    const long b = fib_fork_join(pool, n - 2);
    g.wait();
    return a + b;
}

template <pool P>
void run_tree(benchmark::State& state, std::size_t workers, int depth) {
    if (const auto why = depth_limit<P>(depth); !why.empty()) return skip(state, why);
    run_row<P>(
        state, workers, tree_jobs(depth),
        [depth](P& pool) {
            pool.submit(tree_job<P>{&pool, depth});
            pool.wait();
        },
        no_check, [&](double) { report_jobs_per_s(state, tree_jobs(depth)); });
}

// "unsupported: ..." when P cannot run fib(n) in reasonable time, else "".
template <class P>
std::string fib_limit(int n) {
    if (k_starts_thread_per_job<P>) {
        return "unsupported: thread_per_job cannot help while waiting and starts one thread "
               "per job; fib(" +
               std::to_string(n) + ") forks " + std::to_string(fib_runs(n)) +
               " jobs, above its 1e5 cap";
    }
    return {};
}

// A fib row above n = k_fib_n (the full sweep's n:39, 76 times the tasks of
// n:30) runs only where one run would take at most k_fib_max_run_seconds,
// projected from one fib(k_fib_n) run on the same pool (or baseline) at the
// same W, measured just before the row, outside it: a pool whose fork costs
// a queue round trip (mutex, lockfree, sequential's bookkeeping, ...) says
// "unsupported" rather than stretch the sweep by minutes a row.
inline constexpr double k_fib_max_run_seconds = 10;

// "unsupported: ..." when fib(n) would take too long, given that fib(k_fib_n)
// took `base_seconds` on `who`; else "".
inline std::string fib_projected_limit(std::string_view who, int n, double base_seconds) {
    const double projected =
        base_seconds * static_cast<double>(fib_tasks(n)) / static_cast<double>(fib_tasks(k_fib_n));
    if (projected <= k_fib_max_run_seconds) return {};
    return "unsupported: " + std::string(who) + " ran fib(" + std::to_string(k_fib_n) + ") in " +
           std::to_string(static_cast<long>(base_seconds * 1e3)) + " ms, so fib(" +
           std::to_string(n) + ") would take about " +
           std::to_string(static_cast<long>(projected)) + " s a run, above the " +
           std::to_string(static_cast<long>(k_fib_max_run_seconds)) + " s cap";
}

// One fib(n) run: this thread submits the root job and waits.
template <pool P>
long fib_once(P& pool, int n) {
    long result = 0;
    pool.submit([&pool, &result, n] { result = fib_fork_join(pool, n); });
    pool.wait();
    return result;
}

template <pool P>
void run_fib(benchmark::State& state, std::size_t workers, int n) {
    if (const auto why = fib_limit<P>(n); !why.empty()) return skip(state, why);
    if (const auto why = fork_join_limit<P>(fib_tasks(n), "fib(" + std::to_string(n) + ")");
        !why.empty()) {
        return skip(state, why);
    }
    if (n > k_fib_n) {
        std::optional<P> probe;
        if (!construct(state, probe, workers)) return;
        double seconds = 0;
        try {
            const auto start = bench_clock::now();
            fib_once(*probe, k_fib_n);
            seconds = seconds_between(start, bench_clock::now());
        } catch (const std::exception& e) {
            return report_wait_failure(state, e);
        }
        probe.reset();
        if (const auto why = fib_projected_limit(P::name, n, seconds); !why.empty()) {
            return skip(state, why);
        }
    }
    long result = 0;
    run_row<P>(
        state, workers, std::nullopt, [&result, n](P& pool) { result = fib_once(pool, n); },
        [&] {
            if (result == fib_value(n)) return std::string();
            return "wrong result: fib(" + std::to_string(n) + ") = " + std::to_string(result) +
                   ", expected " + std::to_string(fib_value(n));
        },
        [&](double wall) { report_task_rates(state, fib_tasks(n), workers, wall); });
}

// P persistent outside threads that, on each run_once(), all start together
// and each submit their share of `jobs` empty jobs. Created and joined outside
// the timed loop. run_once() and the destructor: owning thread only.

}  // namespace poolbench::bench
