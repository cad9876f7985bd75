// The baselines of small_for and reduce (WORKLOADS.md, library workloads):
// `serial` a plain loop; `native_tbb` tbb::parallel_for / tbb::parallel_reduce
// over a blocked_range with the default (auto) partitioner inside the task
// arena of W; `openmp` a parallel for with the default schedule / a
// reduction(+) clause in a team of W. Benchmark bodies: the runner thread.
#pragma once

#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "baselines/baseline.hpp"
#include "workloads/library.hpp"
#if defined(POOLBENCH_HAS_TBB)
#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/parallel_for.h>
#include <oneapi/tbb/parallel_reduce.h>
#endif

namespace poolbench::bench {

// One small_for run: out[i] for every i, as B writes a loop, each chunk
// through the workloads' one kernel (small_for_body).
template <baseline B>
void small_for_once([[maybe_unused]] std::size_t workers, std::size_t n,
                    [[maybe_unused]] void* team, const small_for_body& body) {
    if constexpr (k_is_native_tbb<B>) {
#if defined(POOLBENCH_HAS_TBB)
        static_cast<tbb_team*>(team)->execute([&] {
            tbb::parallel_for(
                tbb::blocked_range<std::size_t>(0, n),
                [&body](const tbb::blocked_range<std::size_t>& r) { body(r.begin(), r.end()); });
        });
#endif
    } else if constexpr (k_is_openmp<B>) {
#if defined(_OPENMP)
        // The static schedule's split (OpenMP's default for a parallel for):
        // thread t of T runs indices [n t / T, n (t + 1) / T).
        const int threads = omp_threads(workers);
#pragma omp parallel for num_threads(threads) schedule(static)
        for (int t = 0; t < threads; ++t)
            body(omp_share(n, t, threads), omp_share(n, t + 1, threads));
#endif
    } else {
        body(0, n);
    }
}

// One reduce run: the 64-bit sum, as B writes a reduction, each chunk's sum
// from the workloads' one kernel (reduce_map).
template <baseline B>
std::int64_t reduce_once([[maybe_unused]] std::size_t workers, std::size_t n,
                         [[maybe_unused]] void* team, const reduce_map& map) {
    std::int64_t sum = 0;
    if constexpr (k_is_native_tbb<B>) {
#if defined(POOLBENCH_HAS_TBB)
        static_cast<tbb_team*>(team)->execute([&] {
            sum = tbb::parallel_reduce(
                tbb::blocked_range<std::size_t>(0, n), std::int64_t{0},
                [&map](const tbb::blocked_range<std::size_t>& r, std::int64_t acc) {
                    return acc + map(r.begin(), r.end());
                },
                std::plus<>{});
        });
#endif
    } else if constexpr (k_is_openmp<B>) {
#if defined(_OPENMP)
        const int threads = omp_threads(workers);
#pragma omp parallel for num_threads(threads) schedule(static) reduction(+ : sum)
        for (int t = 0; t < threads; ++t)
            sum += map(omp_share(n, t, threads), omp_share(n, t + 1, threads));
#endif
    } else {
        sum = map(0, n);
    }
    return sum;
}

template <baseline B>
void run_small_for(benchmark::State& state, std::size_t workers, std::size_t n) {
    if (const auto why = baseline_missing<B>(); !why.empty()) return skip(state, why);
    const auto in = library_input(n);
    std::vector<std::int32_t> out(n, -1);  // -1: no element's value
    auto team = make_team<B>(workers);
    const small_for_body body{in.data(), out.data()};
    const double wall = timed_runs(state, [&] { small_for_once<B>(workers, n, team.get(), body); });
    if (const auto why = small_for_mismatch(in, out); !why.empty()) return skip(state, why);
    report_library_figures(state, n, wall);
}

template <baseline B>
void run_reduce(benchmark::State& state, std::size_t workers, std::size_t n) {
    if (const auto why = baseline_missing<B>(); !why.empty()) return skip(state, why);
    const auto in = library_input(n);
    const std::int64_t expected = reduce_serial(in);
    auto team = make_team<B>(workers);
    const reduce_map map{in.data()};
    std::int64_t got = 0;
    const double wall = timed_runs(state, [&] {
        got = reduce_once<B>(workers, n, team.get(), map);
        benchmark::DoNotOptimize(got);
    });
    if (const auto why = reduce_mismatch(got, expected); !why.empty()) return skip(state, why);
    report_library_figures(state, n, wall);
}

}  // namespace poolbench::bench
