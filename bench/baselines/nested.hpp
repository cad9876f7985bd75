// The baselines of tree (a task per child) and fib (fork-join): plain
// recursion, a oneTBB task_group per fork inside the arena, omp task and
// taskwait.
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

#include "baselines/baseline.hpp"
#include "workloads/nested.hpp"

namespace poolbench::bench {

// ---------------------------------------------------------------------------
// Recursive: tree and uts (a task per child), fib and nqueens (fork-join)

inline std::uint64_t tree_serial(int depth) {
    empty_job{}();
    return depth > 0 ? 1 + tree_serial(depth - 1) + tree_serial(depth - 1) : 1;
}

#if defined(POOLBENCH_HAS_TBB)
inline void tree_tbb(tbb::task_group& group, thread_counts& ran, int depth) {
    empty_job{}();
    ran.bump();
    if (depth > 0) {
        group.run([&group, &ran, depth] { tree_tbb(group, ran, depth - 1); });
        group.run([&group, &ran, depth] { tree_tbb(group, ran, depth - 1); });
    }
}
#endif

#if defined(_OPENMP)
// Pointers, not references: an orphaned task makes its own copy
// (firstprivate) of what a reference parameter refers to.
inline void tree_openmp(thread_counts* ran, int depth) {
    empty_job{}();
    ran->bump();
    if (depth > 0) {
#pragma omp task
        tree_openmp(ran, depth - 1);
#pragma omp task
        tree_openmp(ran, depth - 1);
    }
}
#endif

// One tree of `depth`; returns the nodes visited.
template <baseline B>
std::uint64_t tree_once([[maybe_unused]] std::size_t workers, int depth,
                        [[maybe_unused]] void* team, thread_counts& ran) {
    if constexpr (k_is_serial<B>) {
        return tree_serial(depth);
    } else if constexpr (k_is_native_tbb<B>) {
#if defined(POOLBENCH_HAS_TBB)
        static_cast<tbb_team*>(team)->execute([&] {
            tbb::task_group group;
            group.run([&group, &ran, depth] { tree_tbb(group, ran, depth); });
            group.wait();
        });
#endif
    } else {
#if defined(_OPENMP)
        // The root's taskwait waits for its own task; the closing barrier of
        // the region (inside the clock) for every descendant.
        thread_counts* counts = &ran;
#pragma omp parallel num_threads(omp_threads(workers))
#pragma omp single
        {
#pragma omp task
            tree_openmp(counts, depth);
#pragma omp taskwait
        }
#endif
    }
    return ran.take();
}

template <baseline B>
void run_tree(benchmark::State& state, std::size_t workers, int depth) {
    if (const auto why = baseline_missing<B>(); !why.empty()) return skip(state, why);
    thread_counts ran;
    auto team = make_team<B>(workers);
    const int d = opaque(depth);
    const double cpu_start = process_cpu_seconds();
    std::uint64_t total = 0;
    timed_runs(state, [&] { total += tree_once<B>(workers, d, team.get(), ran); });
    const double cpu = process_cpu_seconds() - cpu_start;
    if (!check_ran(state, total, tree_jobs(depth) * runs_with_warm_up(state))) return;
    report_jobs_per_s(state, tree_jobs(depth));
    report_cpu_ns_per_job(state, cpu, tree_jobs(depth));
}

inline long fib_serial(int n) {
    return n < 2 ? n : fib_serial(n - 1) + fib_serial(n - 2);
}

// Plain recursion through a call the compiler cannot inline (baseline.hpp).
[[gnu::noinline]] inline long fib_serial_noinline(int n) {
    if (n < 2) return n;
    auto* self = opaque_function(&fib_serial_noinline);
    return self(n - 1) + self(n - 2);
}

#if defined(POOLBENCH_HAS_TBB)
inline long fib_tbb(int n) {
    if (n < 2) return n;
    long a = 0;
    tbb::task_group group;
    group.run([&a, n] { a = fib_tbb(n - 1); });
    const long b = fib_tbb(n - 2);
    group.wait();
    return a + b;
}
#endif

#if defined(_OPENMP)
inline long fib_openmp(int n) {
    if (n < 2) return n;
    long a = 0;
#pragma omp task shared(a)
    a = fib_openmp(n - 1);
    const long b = fib_openmp(n - 2);
#pragma omp taskwait
    return a + b;
}
#endif

template <baseline B>
long fib_once([[maybe_unused]] std::size_t workers, int n, [[maybe_unused]] void* team) {
    long result = 0;
    if constexpr (k_is_serial<B>) {
        result = fib_serial(n);
    } else if constexpr (k_is_serial_noinline<B>) {
        result = fib_serial_noinline(n);
    } else if constexpr (k_is_native_tbb<B>) {
#if defined(POOLBENCH_HAS_TBB)
        static_cast<tbb_team*>(team)->execute([&] { result = fib_tbb(n); });
#endif
    } else {
#if defined(_OPENMP)
#pragma omp parallel num_threads(omp_threads(workers))
#pragma omp single
        result = fib_openmp(n);
#endif
    }
    return result;
}

template <baseline B>
void run_fib(benchmark::State& state, std::size_t workers, int n) {
    if (const auto why = baseline_missing<B>(); !why.empty()) return skip(state, why);
    auto team = make_team<B>(workers);
    if (n > k_fib_n) {  // as the pools' rows (workloads/nested.hpp)
        const auto start = bench_clock::now();
        benchmark::DoNotOptimize(fib_once<B>(workers, opaque(k_fib_n), team.get()));
        const double seconds = seconds_between(start, bench_clock::now());
        if (const auto why = fib_projected_limit(B::name, n, seconds); !why.empty()) {
            return skip(state, why);
        }
    }
    const int arg = opaque(n);
    long result = 0;
    const double cpu_start = process_cpu_seconds();
    const double wall = timed_runs(state, [&] { result = fib_once<B>(workers, arg, team.get()); });
    const double cpu = process_cpu_seconds() - cpu_start;
    if (result != fib_value(n)) {
        return skip(state, "wrong result: fib(" + std::to_string(n) +
                               ") = " + std::to_string(result) + ", expected " +
                               std::to_string(fib_value(n)));
    }
    report_task_rates(state, fib_tasks(n), workers, wall);
    report_cpu_ns_per_job(state, cpu, fib_tasks(n));
}

}  // namespace poolbench::bench
