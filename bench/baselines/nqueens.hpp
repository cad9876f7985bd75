// The baselines of nqueens: plain recursion, a oneTBB task_group per node,
// omp task and taskwait.
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
#include "workloads/nqueens.hpp"

namespace poolbench::bench {

// Plain recursion through a call the compiler cannot inline (baseline.hpp);
// counts solutions only, as the pools' fork-join does.
[[gnu::noinline]] inline std::uint64_t nqueens_serial_noinline(int n, int row, queens_board b) {
    if (row == n) return 1;
    auto* self = opaque_function(&nqueens_serial_noinline);
    std::uint64_t sum = 0;
    for (std::uint32_t free = b.free(n); free != 0; free &= free - 1) {
        sum += self(n, row + 1, b.place(free & (~free + 1)));
    }
    return sum;
}

#if defined(POOLBENCH_HAS_TBB)
inline std::uint64_t nqueens_tbb(int n, int row, queens_board b) {
    if (row == n) return 1;
    std::array<std::uint64_t, 32> solutions{};
    std::size_t k = 0;
    tbb::task_group group;
    for (std::uint32_t free = b.free(n); free != 0; free &= free - 1, ++k) {
        group.run([slot = &solutions[k], n, row, next = b.place(free & (~free + 1))] {
            *slot = nqueens_tbb(n, row + 1, next);
        });
    }
    group.wait();
    std::uint64_t sum = 0;
    for (std::size_t i = 0; i < k; ++i) sum += solutions[i];
    return sum;
}
#endif

#if defined(_OPENMP)
inline std::uint64_t nqueens_openmp(int n, int row, queens_board b) {
    if (row == n) return 1;
    std::array<std::uint64_t, 32> solutions{};
    std::size_t k = 0;
    for (std::uint32_t free = b.free(n); free != 0; free &= free - 1, ++k) {
        std::uint64_t* slot = &solutions[k];
        const queens_board next = b.place(free & (~free + 1));
#pragma omp task
        *slot = nqueens_openmp(n, row + 1, next);
    }
#pragma omp taskwait
    std::uint64_t sum = 0;
    for (std::size_t i = 0; i < k; ++i) sum += solutions[i];
    return sum;
}
#endif

template <baseline B>
std::uint64_t nqueens_baseline_once([[maybe_unused]] std::size_t workers, int n,
                                    [[maybe_unused]] void* team) {
    std::uint64_t result = 0;
    if constexpr (k_is_serial<B>) {
        result = nqueens_serial(n).solutions;
    } else if constexpr (k_is_serial_noinline<B>) {
        result = nqueens_serial_noinline(n, 0, {});
    } else if constexpr (k_is_native_tbb<B>) {
#if defined(POOLBENCH_HAS_TBB)
        static_cast<tbb_team*>(team)->execute([&] { result = nqueens_tbb(n, 0, {}); });
#endif
    } else {
#if defined(_OPENMP)
#pragma omp parallel num_threads(omp_threads(workers))
#pragma omp single
        result = nqueens_openmp(n, 0, {});
#endif
    }
    return result;
}

template <baseline B>
void run_nqueens(benchmark::State& state, std::size_t workers, int n) {
    if (const auto why = baseline_missing<B>(); !why.empty()) return skip(state, why);
    const nqueens_count& want = nqueens_expected(n);
    auto team = make_team<B>(workers);
    const int arg = opaque(n);
    std::uint64_t got = 0;
    const double wall =
        timed_runs(state, [&] { got = nqueens_baseline_once<B>(workers, arg, team.get()); });
    if (const auto wrong = nqueens_mismatch(n, got, want.solutions); !wrong.empty()) {
        return skip(state, wrong);
    }
    report_nqueens(state, want, workers, wall);
}

}  // namespace poolbench::bench
