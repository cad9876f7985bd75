// chain and spawn_busy (WORKLOADS.md, field workloads; tokio's scheduler
// benches chained_spawn and spawn_many_remote_busy): the hand-off of one job
// to the next from inside the pool, and outside submissions into a pool kept
// busy by self-resubmitting background jobs. Benchmark bodies: the runner
// thread; the jobs' own calls are noted at each.
#pragma once

#include <benchmark/benchmark.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>

#include "workloads/harness.hpp"
#include "workloads/spin.hpp"

namespace poolbench::bench {

inline constexpr std::size_t k_chain_links = 10'000;
inline constexpr std::size_t k_spawn_busy_jobs = 10'000;
inline constexpr std::chrono::microseconds k_spawn_busy_spin{10};
// A run whose outside jobs have not all run by then fails (it would never
// end on a pool that starves outside submissions).
inline constexpr std::chrono::seconds k_spawn_busy_deadline{10};

// ---------------------------------------------------------------------------
// chain

// One link: counts itself and submits the next from inside the pool. The
// count is a plain integer: each link runs after the submit that made it,
// which the pool orders before the job (as it does any job's captures).
template <pool P>
struct chain_job {
    P* pool;
    std::uint64_t* count;
    std::size_t left;  // links still to run, this one included
    void operator()() const {
        ++*count;
        if (left > 1) pool->submit(chain_job{pool, count, left - 1});
    }
};

// One run: one outside submit, then the pool's wait; returns the count.
template <pool P>
std::uint64_t chain_once(P& pool, std::size_t links) {
    std::uint64_t count = 0;
    pool.submit(chain_job<P>{&pool, &count, links});
    pool.wait();
    return count;
}

inline std::string chain_mismatch(std::size_t links, std::uint64_t got) {
    return "wrong result: chain of " + std::to_string(links) + " links counted " +
           std::to_string(got);
}

inline void report_ns_per(benchmark::State& state, const char* counter, std::size_t count,
                          double wall) {
    state.counters[counter] =
        wall * 1e9 / (static_cast<double>(count) * static_cast<double>(state.iterations()));
}

template <pool P>
void run_chain(benchmark::State& state, std::size_t workers, std::size_t links) {
    if (const auto why = research_jobs_limit<P>(links, "chain"); !why.empty()) {
        return skip(state, why);
    }
    std::string wrong;
    run_row<P>(
        state, workers, links,
        [&](P& pool) {
            const std::uint64_t got = chain_once(pool, links);
            if (got != links && wrong.empty()) wrong = chain_mismatch(links, got);
        },
        [&] { return wrong; },
        [&](double wall) { report_ns_per(state, "ns_per_link", links, wall); });
}

// ---------------------------------------------------------------------------
// spawn_busy

// Spins on the spin kernel for about `d` (a timed spin: also right when the
// thread is preempted), returning the kernel's value.
inline std::uint64_t busy_spin(std::uint64_t seed, std::chrono::nanoseconds d) {
    const auto end = bench_clock::now() + d;
    std::uint64_t x = seed;
    do {
        x = spin(x, 64);
    } while (bench_clock::now() < end);
    return x;
}

// One run's shared state. `stop` is set by the outside thread once its jobs
// have all run; `done` counts the outside jobs.
struct spawn_busy_state {
    std::atomic<bool> stop{false};
    std::atomic<std::uint64_t> done{0};
    std::atomic<std::uint64_t> sink{0};  // keeps the spins' values alive
};

// A background job: spins ~10 us, then submits itself again unless stopped.
template <pool P>
struct busy_job {
    P* pool;
    spawn_busy_state* s;
    void operator()() const {
        const std::uint64_t x =
            busy_spin(reinterpret_cast<std::uintptr_t>(this), k_spawn_busy_spin);
        s->sink.fetch_add(x, std::memory_order_relaxed);  // relaxed: a sink; never read for order
        // relaxed: only ends the resubmission; nothing is published through it.
        if (!s->stop.load(std::memory_order_relaxed)) pool->submit(*this);
    }
};

// Before a run (outside the clock): the previous run's background jobs
// drained (the pool's wait), then W new ones started. Returns the previous
// run's count of outside jobs, now that all have finished.
template <pool P>
std::uint64_t spawn_busy_prepare(P& pool, spawn_busy_state& s, std::size_t background) {
    pool.wait();
    const std::uint64_t previous =
        s.done.load(std::memory_order_relaxed);      // relaxed: after the wait
    s.stop.store(false, std::memory_order_relaxed);  // relaxed: no job of ours is running
    s.done.store(0, std::memory_order_relaxed);      // relaxed: ordered by the submits below
    for (std::size_t b = 0; b < background; ++b) pool.submit(busy_job<P>{&pool, &s});
    return previous;
}

// The timed part: `jobs` empty outside jobs that count themselves, then a wait
// on that count (not the pool's wait: the background never ends by itself),
// then the stop. A throwing submit stops the background first, so that the
// pool's destructor, which runs every job, can end.
template <pool P>
std::uint64_t spawn_busy_run(P& pool, spawn_busy_state& s, std::size_t jobs) {
    try {
        for (std::size_t i = 0; i < jobs; ++i) {
            pool.submit([&s] {
                s.done.fetch_add(
                    1, std::memory_order_release);  // release: pairs with the acquire load below
            });
        }
        // acquire: pairs with the jobs' release increments.
        const auto deadline = bench_clock::now() + k_spawn_busy_deadline;
        while (s.done.load(std::memory_order_acquire) < jobs) {
            std::this_thread::yield();
            if (bench_clock::now() > deadline) {
                const auto ran = s.done.load(std::memory_order_relaxed);  // relaxed: only reported
                throw std::runtime_error(
                    "spawn_busy: " + std::to_string(ran) + " of " + std::to_string(jobs) +
                    " outside jobs ran within 10 s beside the busy background jobs (the pool "
                    "starves outside submissions while its workers resubmit)");
            }
        }
    } catch (...) {
        s.stop.store(true, std::memory_order_relaxed);  // relaxed: see busy_job
        throw;
    }
    s.stop.store(true, std::memory_order_relaxed);  // relaxed: see busy_job
    return s.done.load(std::memory_order_relaxed);  // relaxed: read by this thread's own loop above
}

// One whole run, for tests: prepare, run, then the pool's wait; returns the
// outside jobs counted once every job has finished.
template <pool P>
std::uint64_t spawn_busy_once(P& pool, std::size_t jobs) {
    spawn_busy_state s;
    spawn_busy_prepare(pool, s, pool.worker_count());
    try {
        spawn_busy_run(pool, s, jobs);
    } catch (...) {
        pool.wait();  // the jobs still use s; spawn_busy_run() stopped the background
        throw;
    }
    pool.wait();
    return s.done.load(std::memory_order_relaxed);  // relaxed: after the wait
}

inline std::string spawn_busy_mismatch(std::size_t jobs, std::uint64_t got) {
    return "wrong result: spawn_busy counted " + std::to_string(got) + " outside jobs, expected " +
           std::to_string(jobs);
}

// "unsupported: ..." when P cannot keep background jobs beside the outside ones.
template <class P>
std::string spawn_busy_limit() {
    if (k_runs_inline<P>) {
        return "unsupported: " + std::string(P::name) +
               " runs each job inline on submit, so a self-resubmitting background job would "
               "never return";
    }
    if (k_starts_thread_per_job<P>) {
        return "unsupported: thread_per_job starts one thread per job; the background jobs "
               "resubmit every 10 us, beyond its 1e4 cap with the 10,000 outside jobs";
    }
    if (P::name == std::string_view("tbb")) {
        return "unsupported: tbb runs a worker's own spawned tasks before the arena's enqueued "
               "ones, so outside jobs wait behind background jobs that resubmit themselves "
               "forever";
    }
    return {};
}

template <pool P>
void run_spawn_busy(benchmark::State& state, std::size_t workers, std::size_t jobs) {
    if (const auto why = spawn_busy_limit<P>(); !why.empty()) return skip(state, why);
    spawn_busy_state s;
    std::string wrong;  // the first run's wrong count (checked once its jobs have finished)
    bool ran = false;
    run_prepared_row<P>(
        state, workers, std::nullopt,
        [&](P& pool) {
            const std::uint64_t got = spawn_busy_prepare(pool, s, workers);
            if (ran && got != jobs && wrong.empty()) wrong = spawn_busy_mismatch(jobs, got);
            ran = true;
        },
        [&](P& pool) { spawn_busy_run(pool, s, jobs); }, [&] { return wrong; },
        [&](double wall) { report_ns_per(state, "ns_per_submit", jobs, wall); });
}

}  // namespace poolbench::bench
