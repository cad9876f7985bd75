// The baselines of skynet: plain recursion (and the same through a call the
// compiler cannot inline: serial_noinline), a oneTBB task_group per node
// inside the arena, omp task per child and taskwait (WORKLOADS.md, field
// workloads). Benchmark bodies: Google Benchmark's runner thread.
#pragma once

#include <benchmark/benchmark.h>

#include <array>
#include <cstddef>
#include <cstdint>

#include "baselines/baseline.hpp"
#include "workloads/skynet.hpp"

namespace poolbench::bench {

inline std::uint64_t skynet_serial(std::uint64_t base, int level, int depth) {
    if (level == depth) return base;
    const std::uint64_t step = skynet_pow10(depth - level - 1);
    std::uint64_t sum = 0;
    for (std::size_t k = 0; k < k_skynet_children; ++k) {
        sum += skynet_serial(base + k * step, level + 1, depth);
    }
    return sum;
}

// Plain recursion through a call the compiler cannot inline (baseline.hpp).
[[gnu::noinline]] inline std::uint64_t skynet_serial_noinline(std::uint64_t base, int level,
                                                              int depth) {
    if (level == depth) return base;
    auto* self = opaque_function(&skynet_serial_noinline);
    const std::uint64_t step = skynet_pow10(depth - level - 1);
    std::uint64_t sum = 0;
    for (std::size_t k = 0; k < k_skynet_children; ++k)
        sum += self(base + k * step, level + 1, depth);
    return sum;
}

#if defined(POOLBENCH_HAS_TBB)
inline std::uint64_t skynet_tbb(std::uint64_t base, int level, int depth) {
    if (level == depth) return base;
    const std::uint64_t step = skynet_pow10(depth - level - 1);
    std::array<std::uint64_t, k_skynet_children> sums{};
    tbb::task_group group;
    for (std::size_t k = 0; k < k_skynet_children; ++k) {
        group.run([slot = &sums[k], b = base + k * step, level, depth] {
            *slot = skynet_tbb(b, level + 1, depth);
        });
    }
    group.wait();
    std::uint64_t sum = 0;
    for (const auto s : sums) sum += s;
    return sum;
}
#endif

#if defined(_OPENMP)
inline std::uint64_t skynet_openmp(std::uint64_t base, int level, int depth) {
    if (level == depth) return base;
    const std::uint64_t step = skynet_pow10(depth - level - 1);
    std::array<std::uint64_t, k_skynet_children> sums{};
    for (std::size_t k = 0; k < k_skynet_children; ++k) {
        std::uint64_t* slot = &sums[k];
        const std::uint64_t b = base + k * step;
#pragma omp task
        *slot = skynet_openmp(b, level + 1, depth);
    }
#pragma omp taskwait
    std::uint64_t sum = 0;
    for (const auto s : sums) sum += s;
    return sum;
}
#endif

template <baseline B>
std::uint64_t skynet_baseline_once([[maybe_unused]] std::size_t workers, int depth,
                                   [[maybe_unused]] void* team) {
    std::uint64_t sum = 0;
    if constexpr (k_is_serial<B>) {
        sum = skynet_serial(0, 0, depth);
    } else if constexpr (k_is_serial_noinline<B>) {
        sum = skynet_serial_noinline(0, 0, depth);
    } else if constexpr (k_is_native_tbb<B>) {
#if defined(POOLBENCH_HAS_TBB)
        static_cast<tbb_team*>(team)->execute([&] { sum = skynet_tbb(0, 0, depth); });
#endif
    } else {
#if defined(_OPENMP)
#pragma omp parallel num_threads(omp_threads(workers))
#pragma omp single
        sum = skynet_openmp(0, 0, depth);
#endif
    }
    return sum;
}

template <baseline B>
void run_skynet(benchmark::State& state, std::size_t workers, int depth) {
    if (const auto why = baseline_missing<B>(); !why.empty()) return skip(state, why);
    auto team = make_team<B>(workers);
    const int arg = opaque(depth);
    std::uint64_t got = 0;
    const double wall =
        timed_runs(state, [&] { got = skynet_baseline_once<B>(workers, arg, team.get()); });
    if (got != skynet_sum(depth)) return skip(state, skynet_mismatch(depth, got));
    report_task_rates(state, skynet_tasks(depth), workers, wall);
}

}  // namespace poolbench::bench
