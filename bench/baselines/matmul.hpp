// The baselines of matmul: the serial recursion, a oneTBB task_group per
// phase inside the arena, omp task per product and taskwait per phase
// (WORKLOADS.md, field workloads). C is checked and reset before each run,
// outside the clock, as for the pools. Benchmark bodies: the runner thread.
#pragma once

#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "baselines/baseline.hpp"
#include "workloads/matmul.hpp"

namespace poolbench::bench {

#if defined(POOLBENCH_HAS_TBB)
inline void matmul_tbb(matrix_block c, matrix_block a, matrix_block b, std::size_t n) {
    if (n <= k_matmul_leaf) return matmul_leaf(c, a, b, n);
    const std::size_t h = n / 2;
    for (const auto& phase : k_matmul_products) {
        tbb::task_group group;
        for (const auto& p : phase) {
            group.run([cq = c.quarter(p.ci, p.cj, h), aq = a.quarter(p.ai, p.aj, h),
                       bq = b.quarter(p.bi, p.bj, h), h] { matmul_tbb(cq, aq, bq, h); });
        }
        group.wait();
    }
}
#endif

#if defined(_OPENMP)
inline void matmul_openmp(matrix_block c, matrix_block a, matrix_block b, std::size_t n) {
    if (n <= k_matmul_leaf) return matmul_leaf(c, a, b, n);
    const std::size_t h = n / 2;
    for (const auto& phase : k_matmul_products) {
        for (const auto& p : phase) {
            const matrix_block cq = c.quarter(p.ci, p.cj, h);
            const matrix_block aq = a.quarter(p.ai, p.aj, h);
            const matrix_block bq = b.quarter(p.bi, p.bj, h);
#pragma omp task
            matmul_openmp(cq, aq, bq, h);
        }
#pragma omp taskwait
    }
}
#endif

template <baseline B>
void matmul_baseline_once([[maybe_unused]] std::size_t workers, matmul_data& m,
                          [[maybe_unused]] void* team) {
    const matrix_block c = m.block(m.c), a = m.block(m.a), b = m.block(m.b);
    const std::size_t n = m.n;
    if constexpr (k_is_serial<B>) {
        matmul_serial(c, a, b, n);
    } else if constexpr (k_is_native_tbb<B>) {
#if defined(POOLBENCH_HAS_TBB)
        static_cast<tbb_team*>(team)->execute([&] { matmul_tbb(c, a, b, n); });
#endif
    } else {
#if defined(_OPENMP)
#pragma omp parallel num_threads(omp_threads(workers))
#pragma omp single
        matmul_openmp(c, a, b, n);
#endif
    }
}

template <baseline B>
void run_matmul(benchmark::State& state, std::size_t workers, std::size_t n) {
    if (const auto why = baseline_missing<B>(); !why.empty()) return skip(state, why);
    auto team = make_team<B>(workers);
    matmul_data m(n);
    std::string wrong;  // the first wrong C, if any
    bool ran = false;
    const double wall = timed_prepared_runs(
        state, [&] { m.check_and_reset(wrong, ran); },
        [&] { matmul_baseline_once<B>(workers, m, team.get()); });
    if (wrong.empty()) wrong = m.mismatch();
    if (!wrong.empty()) return skip(state, wrong);
    report_madds_per_s(state, n, wall);
}

}  // namespace poolbench::bench
