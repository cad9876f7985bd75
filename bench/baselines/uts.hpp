// The baselines of uts: the serial walk, a oneTBB task per child, an omp task
// per child.
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
#include "workloads/uts.hpp"

namespace poolbench::bench {

#if defined(POOLBENCH_HAS_TBB)
inline void uts_tbb(tbb::task_group& group, const uts_params& p, uts_tallies& t, std::uint64_t h,
                    std::uint32_t depth) {
    t.local().visit(spin(h, p.rounds), depth);
    const std::uint64_t n = p.children(h, depth);
    for (std::uint64_t i = 0; i < n; ++i) {
        group.run([&group, &p, &t, c = uts_params::child_hash(h, i), depth] {
            uts_tbb(group, p, t, c, depth + 1);
        });
    }
}
#endif

#if defined(_OPENMP)
// Pointers, as tree_openmp.
inline void uts_openmp(const uts_params* p, uts_tallies* t, std::uint64_t h, std::uint32_t depth) {
    t->local().visit(spin(h, p->rounds), depth);
    const std::uint64_t n = p->children(h, depth);
    for (std::uint64_t i = 0; i < n; ++i) {
        const std::uint64_t c = uts_params::child_hash(h, i);
#pragma omp task
        uts_openmp(p, t, c, depth + 1);
    }
}
#endif

template <baseline B>
uts_tally uts_baseline_once([[maybe_unused]] std::size_t workers, const uts_params& p,
                            [[maybe_unused]] void* team) {
    if constexpr (k_is_serial<B>) {
        return uts_serial(p);
    } else {
        uts_tallies t;
        if constexpr (k_is_native_tbb<B>) {
#if defined(POOLBENCH_HAS_TBB)
            static_cast<tbb_team*>(team)->execute([&] {
                tbb::task_group group;
                group.run([&] { uts_tbb(group, p, t, p.root_hash(), 0); });
                group.wait();
            });
#endif
        } else {
#if defined(_OPENMP)
            // As tree: taskwait at the root, the region's barrier for the rest.
            const uts_params* params = &p;
            uts_tallies* tallies = &t;
#pragma omp parallel num_threads(omp_threads(workers))
#pragma omp single
            {
#pragma omp task
                uts_openmp(params, tallies, params->root_hash(), 0);
#pragma omp taskwait
            }
#endif
        }
        return t.total();
    }
}

template <baseline B>
void run_uts(benchmark::State& state, std::size_t workers) {
    if (const auto why = baseline_missing<B>(); !why.empty()) return skip(state, why);
    const uts_tally& want = uts_expected();
    auto team = make_team<B>(workers);
    const uts_params params;
    uts_tally got;
    const double wall =
        timed_runs(state, [&] { got = uts_baseline_once<B>(workers, params, team.get()); });
    if (got != want) return skip(state, uts_mismatch(got, want));
    state.counters["nodes_per_s"] =
        static_cast<double>(want.nodes) * static_cast<double>(state.iterations()) / wall;
}

}  // namespace poolbench::bench
