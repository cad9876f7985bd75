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
static_assert(fib_value(30) == 832040 && fib_runs(2) == 1 && fib_runs(4) == 4);

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

template <pool P>
void run_fib(benchmark::State& state, std::size_t workers, int n) {
    if (const auto why = fib_limit<P>(n); !why.empty()) return skip(state, why);
    long result = 0;
    // Jobs = task_group::run calls; the root job is not counted.
    const std::uint64_t jobs = fib_runs(n);
    run_row<P>(
        state, workers, std::nullopt,
        [&result, n](P& pool) {
            result = 0;
            pool.submit([&pool, &result, n] { result = fib_fork_join(pool, n); });
            pool.wait();
        },
        [&] {
            if (result == fib_value(n)) return std::string();
            return "wrong result: fib(" + std::to_string(n) + ") = " + std::to_string(result) +
                   ", expected " + std::to_string(fib_value(n));
        },
        [&](double wall) {
            report_jobs_per_s(state, jobs);
            state.counters["ns_per_job"] =
                wall * 1e9 /
                static_cast<double>(jobs * static_cast<std::uint64_t>(state.iterations()));
        });
}

// P persistent outside threads that, on each run_once(), all start together
// and each submit their share of `jobs` empty jobs. Created and joined outside
// the timed loop. run_once() and the destructor: owning thread only.

}  // namespace poolbench::bench
