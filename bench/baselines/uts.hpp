// The baselines of uts (the published trees): plain recursion (serial), the
// same through a function that may not be inlined (serial_noinline), a
// oneTBB task_group per node inside the arena, omp task per child and a
// taskwait per node. Each reduces nodes, depth and leaves up the joins and
// checks them against the published figures.
#pragma once

#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "baselines/baseline.hpp"
#include "workloads/uts.hpp"

namespace poolbench::bench {

// Plain recursion through a call the compiler cannot inline (baseline.hpp).
[[gnu::noinline]] inline uts_result uts_serial_noinline(const uts_tree& t, const uts_node& n) {
    const std::uint32_t k = uts_children(t, n);
    if (k == 0) return uts_leaf(n);
    auto* self = opaque_function(&uts_serial_noinline);
    uts_result r{1, 0, n.depth};
    for (std::uint32_t i = 0; i < k; ++i) r += self(t, uts_child(n, i));
    return r;
}

#if defined(POOLBENCH_HAS_TBB)
inline uts_result uts_tbb(const uts_tree& t, const uts_node& n) {
    const std::uint32_t k = uts_children(t, n);
    if (k == 0) return uts_leaf(n);
    uts_slots slots(k);
    tbb::task_group group;
    for (std::uint32_t i = 0; i < k; ++i) {
        group.run([&t, &n, i, slot = &slots[i]] { *slot = uts_tbb(t, uts_child(n, i)); });
    }
    group.wait();
    uts_result r{1, 0, n.depth};
    for (std::uint32_t i = 0; i < k; ++i) r += slots[i];
    return r;
}
#endif

#if defined(_OPENMP)
// Pointers, as tree_openmp: an orphaned task copies what they point to.
inline uts_result uts_openmp(const uts_tree* t, const uts_node* n) {
    const std::uint32_t k = uts_children(*t, *n);
    if (k == 0) return uts_leaf(*n);
    uts_slots slots(k);
    for (std::uint32_t i = 0; i < k; ++i) {
        uts_result* slot = &slots[i];
#pragma omp task
        {
            const uts_node child = uts_child(*n, i);
            *slot = uts_openmp(t, &child);
        }
    }
#pragma omp taskwait
    uts_result r{1, 0, n->depth};
    for (std::uint32_t i = 0; i < k; ++i) r += slots[i];
    return r;
}
#endif

template <baseline B>
uts_result uts_baseline_once([[maybe_unused]] std::size_t workers, const uts_tree& t,
                             [[maybe_unused]] void* team) {
    uts_result r;
    if constexpr (k_is_serial<B>) {
        r = uts_serial(t);
    } else if constexpr (k_is_serial_noinline<B>) {
        r = uts_serial_noinline(t, uts_root(t));
    } else if constexpr (k_is_native_tbb<B>) {
#if defined(POOLBENCH_HAS_TBB)
        static_cast<tbb_team*>(team)->execute([&] { r = uts_tbb(t, uts_root(t)); });
#endif
    } else {
#if defined(_OPENMP)
        const uts_tree* tree = &t;
#pragma omp parallel num_threads(omp_threads(workers))
#pragma omp single
        {
            const uts_node root = uts_root(*tree);
            r = uts_openmp(tree, &root);
        }
#endif
    }
    return r;
}

template <baseline B>
void run_uts(benchmark::State& state, std::size_t workers, const uts_tree& t) {
    if (const auto why = baseline_missing<B>(); !why.empty()) return skip(state, why);
    auto team = make_team<B>(workers);
    uts_result got;
    const double wall =
        timed_runs(state, [&] { got = uts_baseline_once<B>(workers, t, team.get()); });
    if (const auto why = uts_mismatch(t, got); !why.empty()) return skip(state, why);
    report_uts(state, t, workers, wall);
}

}  // namespace poolbench::bench
