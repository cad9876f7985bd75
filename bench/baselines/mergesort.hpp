// The baselines of mergesort: the serial recursion, a oneTBB task_group per
// fork inside the arena, omp task and taskwait per fork (WORKLOADS.md, field
// workloads); the same sort as the pools' (workloads/mergesort.hpp) with
// another fork. The input is refilled before each run, outside the clock.
// Benchmark bodies: Google Benchmark's runner thread.
#pragma once

#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "baselines/baseline.hpp"
#include "workloads/mergesort.hpp"

namespace poolbench::bench {

#if defined(POOLBENCH_HAS_TBB)
struct tbb_fork {
    template <class L, class R>
    void operator()(L left, R right) {
        tbb::task_group group;
        group.run(std::move(left));
        right();
        group.wait();
    }
};
#endif

#if defined(_OPENMP)
struct openmp_fork {
    template <class L, class R>
    void operator()(L left, R right) {
        L* l = &left;
#pragma omp task
        (*l)();
        right();
#pragma omp taskwait
    }
};
#endif

template <baseline B>
void mergesort_baseline_once([[maybe_unused]] std::size_t workers, mergesort_data& m,
                             [[maybe_unused]] void* team) {
    std::uint64_t* data = m.data.data();
    std::uint64_t* spare = m.spare.data();
    const std::size_t n = m.data.size();
    if constexpr (k_is_serial<B>) {
        serial_fork fork;
        merge_sort(data, spare, n, false, fork);
    } else if constexpr (k_is_native_tbb<B>) {
#if defined(POOLBENCH_HAS_TBB)
        static_cast<tbb_team*>(team)->execute([&] {
            tbb_fork fork;
            merge_sort(data, spare, n, false, fork);
        });
#endif
    } else {
#if defined(_OPENMP)
#pragma omp parallel num_threads(omp_threads(workers))
#pragma omp single
        {
            openmp_fork fork;
            merge_sort(data, spare, n, false, fork);
        }
#endif
    }
}

template <baseline B>
void run_mergesort(benchmark::State& state, std::size_t workers, std::size_t n) {
    if (const auto why = baseline_missing<B>(); !why.empty()) return skip(state, why);
    auto team = make_team<B>(workers);
    mergesort_data m(n);
    std::string wrong;  // the first wrong result, if any
    bool ran = false;
    const double wall = timed_prepared_runs(
        state, [&] { m.check_and_refill(wrong, ran); },
        [&] { mergesort_baseline_once<B>(workers, m, team.get()); });
    if (wrong.empty()) wrong = m.mismatch();
    if (!wrong.empty()) return skip(state, wrong);
    report_elements_per_s(state, n, wall);
}

}  // namespace poolbench::bench
