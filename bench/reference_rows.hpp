// Reference rows (no pool): the ideals WORKLOADS.md draws beside the pools,
// an uncontended atomic read-modify-write, one spin job, bare sleeping
// threads, a futex wake-up.
#pragma once

#include <benchmark/benchmark.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <barrier>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <latch>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "measure.hpp"
#include "workloads/blocking.hpp"
#include "workloads/harness.hpp"
#include "workloads/spin.hpp"

namespace poolbench::bench {

// ---------------------------------------------------------------------------
// Reference rows (no pool): the ideals of WORKLOADS.md

// One thread, one uncontended atomic read-modify-write per op: the per-job
// ideal of empty, tree, fib and producers (plots multiply by min(W, cores)).
inline void reference_atomic_rmw(benchmark::State& state) {
    constexpr std::uint64_t k_ops = 1'000'000;
    std::atomic<std::uint64_t> counter{0};
    for (auto _ : state) {
        for (std::uint64_t i = 0; i < k_ops; ++i) counter.fetch_add(1);
    }
    const auto ops = k_ops * static_cast<std::uint64_t>(state.iterations());
    if (counter.load() != ops) return skip(state, "wrong result: atomic counter mismatch");
    state.counters["ops_per_s"] =
        benchmark::Counter(static_cast<double>(ops), benchmark::Counter::kIsRate);
}

// One spin job run sequentially, as a row (the same t1 the cpu efficiency
// uses comes from calibrate_spin() at startup).
inline void reference_spin_job(benchmark::State& state, std::uint32_t rounds) {
    constexpr std::size_t k_jobs = 10'000;
    std::vector<std::uint64_t> out(k_jobs);
    double wall = 0;
    for (auto _ : state) {
        const auto start = bench_clock::now();
        for (std::size_t i = 0; i < k_jobs; ++i) out[i] = spin(i, rounds);
        benchmark::ClobberMemory();
        wall += seconds_between(start, bench_clock::now());
    }
    if (checksum(out) != expected_checksum(k_jobs, rounds, false)) {
        return skip(state, "wrong result: checksum of out differs");
    }
    state.counters["ns_per_job"] =
        wall * 1e9 / static_cast<double>(k_jobs * static_cast<std::uint64_t>(state.iterations()));
}

// W bare threads (no pool, no queue), all released at once, that take the
// sleep jobs one at a time from a shared atomic index until none are left:
// the dynamic schedule a pool provides, with nothing else. What the OS's
// timers and scheduler allow for `sleep` on this machine, the floor under
// every pool's wall / ideal (the ideal itself counts no timer slack and no
// wake-up latency). Its rows run interleaved with the pool rows.
inline void reference_sleep_threads(benchmark::State& state, std::size_t threads,
                                    std::size_t jobs) {
    const std::size_t share = (jobs + threads - 1) / threads;
    double wall = 0;
    for (auto _ : state) {
        std::latch start(1);
        std::atomic<std::size_t> next{0};
        std::vector<std::thread> team;
        team.reserve(threads);
        try {
            for (std::size_t i = 0; i < threads; ++i) {
                team.emplace_back([&start, &next, jobs] {
                    start.wait();
                    // relaxed: the index only hands out distinct numbers; the
                    // jobs share no data.
                    while (next.fetch_add(1, std::memory_order_relaxed) < jobs) sleep_job{}();
                });
            }
        } catch (const std::system_error& e) {
            start.count_down();
            for (auto& t : team) t.join();
            return skip(state, std::string("unsupported: cannot start ") + std::to_string(threads) +
                                   " threads: " + e.what());
        }
        const auto begin = bench_clock::now();
        start.count_down();
        for (auto& t : team) t.join();
        wall += seconds_between(begin, bench_clock::now());
    }
    const double ideal =
        static_cast<double>(share) * std::chrono::duration<double>(k_sleep_duration).count();
    state.counters["wall_over_ideal"] = wall / static_cast<double>(state.iterations()) / ideal;
}

// The floor of `latency`: no pool, one bare thread blocked in the kernel
// (futex) that this thread wakes on the latency schedule; the woken thread
// records, for every wake-up it finds, now minus that wake-up's scheduled
// time. What any pool whose idle worker sleeps in the kernel pays at least:
// the submitter's own lateness plus one futex wake-up.
//
// Protocol: `posted` counts the wake-ups posted so far (the waker is its only
// writer). Waker: pace to scheduled time k, posted = k + 1 (release), then
// FUTEX_WAKE. Sleeper: `seen` wake-ups handled; while posted == seen it
// FUTEX_WAITs on the value seen, which the kernel compares atomically with
// the queueing, so a post between its load and its wait makes the wait
// return at once (no lost wake-up); otherwise it handles every wake-up up
// to `posted` and records their delays.
inline void reference_latency_futex(benchmark::State& state,
                                    std::chrono::duration<double> duration) {
    static_assert(sizeof(std::atomic<std::uint32_t>) == sizeof(std::uint32_t) &&
                  std::atomic<std::uint32_t>::is_always_lock_free);
    const auto count = static_cast<std::uint32_t>(duration / k_latency_period);
    std::vector<std::int64_t> delay_ns(count);
    const timer_slack_scope precise_sleeps;
    for (auto _ : state) {
        std::atomic<std::uint32_t> posted{0};
        auto* const word = reinterpret_cast<std::uint32_t*>(&posted);
        bench_clock::time_point start;  // written before the first post
        std::thread sleeper;
        try {
            sleeper = std::thread([&] {
                std::uint32_t seen = 0;
                while (seen < count) {
                    // acquire: pairs with the waker's release store of `posted`,
                    // so `start` is visible.
                    const std::uint32_t now_posted = posted.load(std::memory_order_acquire);
                    if (now_posted == seen) {
                        syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, seen, nullptr, nullptr, 0);
                        continue;
                    }
                    const auto now = now_ns();
                    for (; seen < now_posted; ++seen) {
                        delay_ns[seen] = now - ns_of(start + seen * k_latency_period);
                    }
                }
            });
        } catch (const std::system_error& e) {
            return skip(state, std::string("unsupported: cannot start a thread: ") + e.what());
        }
        start = bench_clock::now();
        for (std::uint32_t k = 0; k < count; ++k) {
            pace_until(start + k * k_latency_period);
            // release: pairs with the sleeper's acquire load of `posted`.
            posted.store(k + 1, std::memory_order_release);
            syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0);
        }
        sleeper.join();
    }
    report_delay_percentiles(state, "", delay_ns);
}

}  // namespace poolbench::bench
