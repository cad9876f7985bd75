// Two pools users pick instead of writing their own, each used the way its
// own users use it: `pthreadpool` (Debian's libpthreadpool, the pool under
// PyTorch's XNNPACK: pthreadpool_parallelize_1d and its tiled form over the
// loop workloads, the calling thread one of the W) and `thread_pool`
// (Debian's libthread-pool-dev, a typical single-header pool: Submit() per
// job into mutex-guarded queues, a std::future per job, the submitter waiting
// on every future: the outside-submission workloads). A workload a library
// cannot express is not registered for it. A library this build lacks says
// "unsupported: ..." on each of its rows. Benchmark bodies: Google
// Benchmark's runner thread, one at a time.
#pragma once

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <future>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <type_traits>
#include <vector>

#if defined(POOLBENCH_HAS_PTHREADPOOL)
#include <pthreadpool.h>
#endif
#if defined(POOLBENCH_HAS_THREAD_POOL)
#include <thread_pool/thread_pool.hpp>
#endif

#include "baselines/baseline.hpp"
#include "workloads/library.hpp"
#include "workloads/loops.hpp"
#include "workloads/submit.hpp"

namespace poolbench::bench {

struct pthreadpool_baseline {
    static constexpr std::string_view name = "pthreadpool";
};
struct thread_pool_baseline {
    static constexpr std::string_view name = "thread_pool";
};

// The outside libraries, in the order their rows are registered.
using library_baselines = std::tuple<pthreadpool_baseline, thread_pool_baseline>;

template <class B>
concept library_baseline =
    std::is_same_v<B, pthreadpool_baseline> || std::is_same_v<B, thread_pool_baseline>;

template <class B>
inline constexpr bool k_is_pthreadpool = std::is_same_v<B, pthreadpool_baseline>;

// Why B cannot run in this build, or "".
template <library_baseline B>
std::string library_missing() {
#if !defined(POOLBENCH_HAS_PTHREADPOOL)
    if (k_is_pthreadpool<B>) {
        return "unsupported: this build has no pthreadpool (Debian: libpthreadpool-dev)";
    }
#endif
#if !defined(POOLBENCH_HAS_THREAD_POOL)
    if (!k_is_pthreadpool<B>) {
        return "unsupported: this build has no thread_pool (Debian: libthread-pool-dev)";
    }
#endif
    return {};
}

// ---------------------------------------------------------------------------
// pthreadpool: W threads, the caller being one of them (pthreadpool_create(W)
// starts W - 1). Made before the clock, destroyed after it.

#if defined(POOLBENCH_HAS_PTHREADPOOL)
struct pthreadpool_deleter {
    void operator()(pthreadpool_t p) const noexcept { pthreadpool_destroy(p); }
};
using pthreadpool_handle =
    std::unique_ptr<std::remove_pointer_t<pthreadpool_t>, pthreadpool_deleter>;

inline pthreadpool_handle make_pthreadpool(std::size_t workers) {
    pthreadpool_handle p(pthreadpool_create(workers));
    if (!p) throw std::runtime_error("pthreadpool_create(" + std::to_string(workers) + ") failed");
    return p;
}

// body(i) for i in [0, n): one call per item (pthreadpool_parallelize_1d),
// or per tile of `grain` items (pthreadpool_parallelize_1d_tile_1d).
template <class Body>
void pthreadpool_for(pthreadpool_t p, std::size_t n, std::size_t grain, const Body& body) {
    if (grain <= 1) {
        pthreadpool_parallelize_1d(
            p, [](void* ctx, std::size_t i) { (*static_cast<const Body*>(ctx))(i); },
            const_cast<Body*>(&body), n, 0);
    } else {
        pthreadpool_parallelize_1d_tile_1d(
            p,
            [](void* ctx, std::size_t lo, std::size_t tile) {
                const auto& b = *static_cast<const Body*>(ctx);
                for (std::size_t i = lo; i < lo + tile; ++i) b(i);
            },
            const_cast<Body*>(&body), n, grain, 0);
    }
}
#endif

// ---------------------------------------------------------------------------
// cpu and skewed: both (pthreadpool one call per job, thread_pool one
// Submit per job); parallel_for, small_for and reduce: pthreadpool only.

template <library_baseline B>
void run_spin(benchmark::State& state, [[maybe_unused]] std::size_t workers, std::size_t jobs,
              std::uint32_t rounds, bool skewed) {
    if (const auto why = library_missing<B>(); !why.empty()) return skip(state, why);
    const std::uint64_t expected = expected_checksum(jobs, rounds, skewed);
    std::vector<std::uint64_t> out(jobs);
    [[maybe_unused]] const auto body = [&out, rounds, skewed](std::size_t i) {
        out[i] = spin(i, job_rounds(i, rounds, skewed));
    };
    double wall = 0;
    if constexpr (k_is_pthreadpool<B>) {
#if defined(POOLBENCH_HAS_PTHREADPOOL)
        const auto p = make_pthreadpool(workers);
        wall = timed_runs(state, [&] { pthreadpool_for(p.get(), jobs, 1, body); });
#endif
    } else {
#if defined(POOLBENCH_HAS_THREAD_POOL)
        thread_pool::ThreadPool p(workers);
        std::vector<std::future<void>> done;
        wall = timed_runs(state, [&] {
            done.clear();
            for (std::size_t i = 0; i < jobs; ++i)
                done.push_back(p.Submit([&body, i] { body(i); }));
            for (auto& f : done) f.get();
        });
#endif
    }
    if (checksum(out) != expected) return skip(state, "wrong result: checksum of out differs");
    report_spin_figures(state, workers, jobs, skewed, wall);
}

template <library_baseline B>
void run_parallel_for(benchmark::State& state, [[maybe_unused]] std::size_t workers, std::size_t n,
                      [[maybe_unused]] std::size_t grain) {
    if (const auto why = library_missing<B>(); !why.empty()) return skip(state, why);
    static_assert(k_is_pthreadpool<B>, "parallel_for is registered for pthreadpool only");
    const std::uint64_t expected = parallel_for_expected(n);
    std::vector<std::uint64_t> out(n);
    double wall = 0;
#if defined(POOLBENCH_HAS_PTHREADPOOL)
    const auto p = make_pthreadpool(workers);
    const parallel_for_body body{out.data()};
    wall = timed_runs(state, [&] { pthreadpool_for(p.get(), n, grain, body); });
#endif
    if (const auto got = spin_sum(out); got != expected) {
        return skip(state, "wrong result: parallel_for checksum " + std::to_string(got) +
                               ", serial " + std::to_string(expected));
    }
    report_elements_per_s(state, n, wall);
    if (grain != 0) state.counters["grain"] = static_cast<double>(grain);
}

// pthreadpool has no automatic chunking: its users cut a fine loop into
// tiles themselves (XNNPACK's operators do). Here [0, n) is cut into
// k_tiles_per_thread x W equal tiles, tile t calling chunk(t, lo, hi) once:
// small_for's tiles through the workloads' one kernel, as every other row
// calls it; reduce's each writing its partial sum to a slot of its own.
// (Its untiled form, pthreadpool_parallelize_1d's call per index with an
// atomic decrement per index, ran small_for over 10^6 in 1.5 to 2.2 ms at
// one thread, against 0.31 ms for the serial loop.)
inline constexpr std::size_t k_tiles_per_thread = 4;

#if defined(POOLBENCH_HAS_PTHREADPOOL)
inline std::size_t pthreadpool_tile_count(std::size_t n, std::size_t workers) {
    return std::max<std::size_t>(1, std::min(n, k_tiles_per_thread * workers));
}

template <class Chunk>
void pthreadpool_tiles(pthreadpool_t p, std::size_t n, std::size_t tiles, const Chunk& chunk) {
    const auto tile = [&](std::size_t t) { chunk(t, n * t / tiles, n * (t + 1) / tiles); };
    pthreadpool_for(p, tiles, 1, tile);
}
#endif

// small_for: the tiles above, each through small_for_body's chunk call.
template <library_baseline B>
void run_small_for(benchmark::State& state, [[maybe_unused]] std::size_t workers, std::size_t n) {
    if (const auto why = library_missing<B>(); !why.empty()) return skip(state, why);
    static_assert(k_is_pthreadpool<B>, "small_for is registered for pthreadpool only");
    const auto in = library_input(n);
    std::vector<std::int32_t> out(n, -1);  // -1: no element's value
    double wall = 0;
#if defined(POOLBENCH_HAS_PTHREADPOOL)
    const auto p = make_pthreadpool(workers);
    const small_for_body body{in.data(), out.data()};
    const std::size_t tiles = pthreadpool_tile_count(n, workers);
    const auto chunk = [&body](std::size_t, std::size_t lo, std::size_t hi) { body(lo, hi); };
    wall = timed_runs(state, [&] { pthreadpool_tiles(p.get(), n, tiles, chunk); });
#endif
    if (const auto why = small_for_mismatch(in, out); !why.empty()) return skip(state, why);
    report_library_figures(state, n, wall);
}

// reduce as pthreadpool's users write one (it has no reduction): the tiles
// above, each writing its partial sum to its own slot, then the partials
// summed in order on the calling thread.
template <library_baseline B>
void run_reduce(benchmark::State& state, [[maybe_unused]] std::size_t workers, std::size_t n) {
    if (const auto why = library_missing<B>(); !why.empty()) return skip(state, why);
    static_assert(k_is_pthreadpool<B>, "reduce is registered for pthreadpool only");
    const auto in = library_input(n);
    const std::int64_t expected = reduce_serial(in);
    std::int64_t got = 0;
    double wall = 0;
#if defined(POOLBENCH_HAS_PTHREADPOOL)
    const auto p = make_pthreadpool(workers);
    const reduce_map map{in.data()};
    const std::size_t tiles = pthreadpool_tile_count(n, workers);
    std::vector<std::int64_t> partial(tiles);
    const auto tile_sum = [&](std::size_t t, std::size_t lo, std::size_t hi) {
        partial[t] = map(lo, hi);
    };
    wall = timed_runs(state, [&] {
        pthreadpool_tiles(p.get(), n, tiles, tile_sum);
        got = 0;
        for (const std::int64_t v : partial) got += v;
        benchmark::DoNotOptimize(got);
    });
#endif
    if (const auto why = reduce_mismatch(got, expected); !why.empty()) return skip(state, why);
    report_library_figures(state, n, wall);
}

// ---------------------------------------------------------------------------
// empty and producers: thread_pool only (pthreadpool has no submit).

#if defined(POOLBENCH_HAS_THREAD_POOL)
// `jobs` empty jobs that count themselves in `ran`, a future each (kept in
// `done`, cleared first), then a wait on every future: one submitter's part.
inline void submit_empty_and_wait(thread_pool::ThreadPool& p, std::size_t jobs, thread_counts& ran,
                                  std::vector<std::future<void>>& done) {
    done.clear();
    for (std::size_t i = 0; i < jobs; ++i) {
        done.push_back(p.Submit([&ran] {
            empty_job{}();
            ran.bump();
        }));
    }
    for (auto& f : done) f.get();
}
#endif

template <library_baseline B>
void run_empty(benchmark::State& state, [[maybe_unused]] std::size_t workers, std::size_t jobs) {
    if (const auto why = library_missing<B>(); !why.empty()) return skip(state, why);
    static_assert(!k_is_pthreadpool<B>, "empty is registered for thread_pool only");
    std::uint64_t total = 0;
#if defined(POOLBENCH_HAS_THREAD_POOL)
    thread_pool::ThreadPool p(workers);
    std::vector<std::future<void>> done;
    thread_counts ran;
    timed_runs(state, [&] {
        submit_empty_and_wait(p, jobs, ran, done);
        total += ran.take();
    });
#endif
    if (!check_ran(state, total, jobs * runs_with_warm_up(state))) return;
    report_jobs_per_s(state, jobs);
}

// P outside threads, started together, each submitting its share and then
// waiting on its own futures; the row's thread waits for the P.
template <library_baseline B>
void run_producers(benchmark::State& state, [[maybe_unused]] std::size_t workers, std::size_t jobs,
                   [[maybe_unused]] std::size_t producers) {
    if (const auto why = library_missing<B>(); !why.empty()) return skip(state, why);
    static_assert(!k_is_pthreadpool<B>, "producers is registered for thread_pool only");
    std::uint64_t total = 0;
#if defined(POOLBENCH_HAS_THREAD_POOL)
    thread_pool::ThreadPool p(workers);
    thread_counts ran;
    outside_threads team(producers);
    timed_runs(state, [&] {
        team.run_once([&](std::size_t k) {
            const std::size_t share = jobs / producers + (k < jobs % producers ? 1 : 0);
            std::vector<std::future<void>> done;
            done.reserve(share);
            submit_empty_and_wait(p, share, ran, done);
        });
        total += ran.take();
    });
#endif
    if (!check_ran(state, total, jobs * runs_with_warm_up(state))) return;
    report_jobs_per_s(state, jobs);
}

}  // namespace poolbench::bench
