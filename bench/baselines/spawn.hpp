// The baselines of chain and spawn_busy (WORKLOADS.md, field workloads):
// chain as a serial loop of the link's body, a oneTBB task_group whose tasks
// run the next link inside the arena, and omp tasks that create the next;
// spawn_busy in oneTBB (the background and the outside jobs as two
// task_groups in the arena), and "unsupported" for serial and OpenMP.
// Benchmark bodies: Google Benchmark's runner thread.
#pragma once

#include <benchmark/benchmark.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "baselines/baseline.hpp"
#include "workloads/spawn.hpp"
#include "workloads/submit.hpp"

namespace poolbench::bench {

// ---------------------------------------------------------------------------
// chain

#if defined(POOLBENCH_HAS_TBB)
inline void chain_tbb(tbb::task_group& group, std::uint64_t& count, std::size_t left) {
    ++count;  // ordered by the run() that made this task
    if (left > 1) group.run([&group, &count, left] { chain_tbb(group, count, left - 1); });
}
#endif

#if defined(_OPENMP)
inline void chain_openmp(std::uint64_t* count, std::size_t left) {
    ++*count;  // ordered by the task construct that made this task
    if (left > 1) {
#pragma omp task
        chain_openmp(count, left - 1);
    }
}
#endif

template <baseline B>
std::uint64_t chain_baseline_once([[maybe_unused]] std::size_t workers, std::size_t links,
                                  [[maybe_unused]] void* team) {
    std::uint64_t count = 0;
    if constexpr (k_is_serial<B>) {
        for (std::size_t i = 0; i < links; ++i) {
            empty_job{}();
            ++count;
        }
    } else if constexpr (k_is_native_tbb<B>) {
#if defined(POOLBENCH_HAS_TBB)
        static_cast<tbb_team*>(team)->execute([&] {
            tbb::task_group group;
            group.run([&group, &count, links] { chain_tbb(group, count, links); });
            group.wait();
        });
#endif
    } else {
#if defined(_OPENMP)
        // The region's closing barrier waits for every link.
        std::uint64_t* c = &count;
#pragma omp parallel num_threads(omp_threads(workers))
#pragma omp single
        {
#pragma omp task
            chain_openmp(c, links);
        }
#endif
    }
    return count;
}

template <baseline B>
void run_chain(benchmark::State& state, std::size_t workers, std::size_t links) {
    if (const auto why = baseline_missing<B>(); !why.empty()) return skip(state, why);
    auto team = make_team<B>(workers);
    const auto arg = static_cast<std::size_t>(opaque(static_cast<int>(links)));
    std::uint64_t got = 0;
    const double wall =
        timed_runs(state, [&] { got = chain_baseline_once<B>(workers, arg, team.get()); });
    if (got != links) return skip(state, chain_mismatch(links, got));
    report_ns_per(state, "ns_per_link", links, wall);
}

// ---------------------------------------------------------------------------
// spawn_busy

#if defined(POOLBENCH_HAS_TBB)
// W background tasks in `background` that spin ~10 us and run themselves
// again until stopped; the outside jobs in a group of their own, whose wait
// is the wait for those N only (the arena's threads, the submitter's slot
// among them, run both kinds).
struct tbb_spawn_busy {
    spawn_busy_state s;
    tbb::task_group background;
    tbb::task_group outside;

    void busy() {
        s.sink.fetch_add(busy_spin(s.sink.load(std::memory_order_relaxed), k_spawn_busy_spin),
                         std::memory_order_relaxed);  // relaxed: a sink; never read for order
        // relaxed: only ends the re-runs; nothing is published through it.
        if (!s.stop.load(std::memory_order_relaxed)) background.run([this] { busy(); });
    }
    // Outside the clock: the last run's background drained, W new ones.
    void prepare(std::size_t workers) {
        background.wait();
        s.stop.store(false, std::memory_order_relaxed);  // relaxed: no task of ours runs now
        for (std::size_t b = 0; b < workers; ++b) background.run([this] { busy(); });
    }
    std::uint64_t run(std::size_t jobs) {
        s.done.store(0, std::memory_order_relaxed);  // relaxed: ordered by the run() calls below
        for (std::size_t i = 0; i < jobs; ++i) {
            outside.run([this] {
                s.done.fetch_add(1, std::memory_order_relaxed);  // relaxed: read after the wait
            });
        }
        outside.wait();
        s.stop.store(true, std::memory_order_relaxed);  // relaxed: see busy()
        return s.done.load(std::memory_order_relaxed);  // relaxed: outside.wait() ordered them
    }
};
#endif

template <baseline B>
std::string spawn_busy_baseline_limit() {
    if constexpr (k_is_serial<B>) {
        return "unsupported: serial has no threads to keep busy in the background";
    } else if constexpr (k_is_openmp<B>) {
        return "unsupported: OpenMP has no submission from a thread outside the team (the "
               "submitter would be one of the W threads, and libgomp's taskyield runs no task, "
               "so at W = 1 its wait on the count would never end)";
    } else {
        return baseline_missing<B>();
    }
}

template <baseline B>
void run_spawn_busy(benchmark::State& state, [[maybe_unused]] std::size_t workers,
                    [[maybe_unused]] std::size_t jobs) {
    if (const auto why = spawn_busy_baseline_limit<B>(); !why.empty()) return skip(state, why);
#if defined(POOLBENCH_HAS_TBB)
    if constexpr (k_is_native_tbb<B>) {
        auto team = make_team<B>(workers);
        auto* arena = static_cast<tbb_team*>(team.get());
        auto busy = std::make_unique<tbb_spawn_busy>();
        std::uint64_t got = 0;
        std::string wrong;
        const double wall = timed_prepared_runs(
            state, [&] { arena->execute([&] { busy->prepare(workers); }); },
            [&] {
                arena->execute([&] { got = busy->run(jobs); });
                if (got != jobs && wrong.empty()) wrong = spawn_busy_mismatch(jobs, got);
            });
        arena->execute([&] { busy->background.wait(); });
        if (!wrong.empty()) return skip(state, wrong);
        report_ns_per(state, "ns_per_submit", jobs, wall);
    }
#endif
}

}  // namespace poolbench::bench
