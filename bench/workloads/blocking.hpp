// The rows that measure a pool's own threads rather than its throughput:
// sleep (jobs that block, many more workers than cores), idle (CPU spent with
// nothing to do) and latency (submit-to-start on a fixed schedule).
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

#include "workloads/harness.hpp"
#include "workloads/submit.hpp"

namespace poolbench::bench {

struct sleep_job {
    void operator()() const { std::this_thread::sleep_for(k_sleep_duration); }
};

// Records how late the job started against the time it was scheduled to be
// submitted (not the time the submit happened: a submitter held up by the
// pool delays the jobs after it, and that lateness counts; no coordinated
// omission).
struct latency_job {
    std::int64_t* delay_ns;
    std::int64_t scheduled_ns;
    void operator()() const noexcept { *delay_ns = now_ns() - scheduled_ns; }
};

// A node of the binary tree: at depth d > 0 it submits its two children from
// inside the worker that runs it.
template <pool P>
void run_sleep(benchmark::State& state, std::size_t workers, std::size_t jobs) {
    if constexpr (k_runs_inline<P>) {
        (void)workers, (void)jobs;
        return skip(state, "unsupported: " + std::string(P::name) +
                               " runs every job inline on one thread; sleep is measured at "
                               "W = 8..256 workers");
    } else {
        if (const auto why = jobs_limit<P>(jobs); !why.empty()) return skip(state, why);
        run_row<P>(state, workers, jobs, submit_n<P>(jobs, [](std::size_t) { return sleep_job{}; }),
                   no_check, [&](double wall) {
                       const double ideal = static_cast<double>((jobs + workers - 1) / workers) *
                                            std::chrono::duration<double>(k_sleep_duration).count();
                       report_jobs_per_s(state, jobs);
                       state.counters["wall_over_ideal"] =
                           wall / static_cast<double>(state.iterations()) / ideal;
                   });
    }
}

template <pool P>
void run_idle(benchmark::State& state, std::size_t workers, std::chrono::duration<double> idle) {
    // The process's own background (Google Benchmark, the allocator, the
    // kernel's accounting) over the same idle time with no pool: subtracted.
    const auto base = cpu_while_sleeping(idle);
    const double base_pct = 100.0 * base.cpu_seconds / base.wall_seconds;
    std::optional<P> pool;
    if (!construct(state, pool, workers)) return;
    const auto before = stats_of(*pool);
    double cpu = 0, wall = 0;
    for (auto _ : state) {
        try {
            pool->submit(empty_job{});
            pool->wait();
        } catch (const std::exception& e) {
            return report_wait_failure(state, e);
        }
        const auto idle_second = cpu_while_sleeping(idle);
        cpu += idle_second.cpu_seconds;
        wall += idle_second.wall_seconds;
    }
    const auto after = stats_of(*pool);
    if (!check_jobs_run(state, before, after, state.iterations())) return;
    // Clamped at zero: a pool cannot idle below the process without it.
    state.counters["idle_cpu_pct"] = std::max(0.0, 100.0 * cpu / wall - base_pct);
    state.counters["process_idle_cpu_pct"] = base_pct;
    report_pool_stats(state, before, after);
}

// Open loop: this thread submits one job every k_latency_period for
// `duration`, on a fixed schedule (a late submit does not shift the later
// ones); each job records the time from its scheduled submit to its start.
template <pool P>
void run_latency(benchmark::State& state, std::size_t workers,
                 std::chrono::duration<double> duration) {
    const auto count = static_cast<std::size_t>(duration / k_latency_period);
    std::vector<std::int64_t> delay_ns(count);
    std::optional<P> pool;
    if (!construct(state, pool, workers)) return;
    const timer_slack_scope precise_sleeps;
    // Warm-up: the first k_latency_warm_up jobs on the same schedule, not recorded.
    std::vector<std::int64_t> warm_up_delays(std::min(count, k_latency_warm_up));
    if (!warm_up(state, [&] {
            const auto start = bench_clock::now();
            for (std::size_t k = 0; k < warm_up_delays.size(); ++k) {
                const auto scheduled = start + static_cast<std::int64_t>(k) * k_latency_period;
                pace_until(scheduled);
                pool->submit(latency_job{&warm_up_delays[k], ns_of(scheduled)});
            }
            pool->wait();
        })) {
        return;
    }
    const auto before = stats_of(*pool);
    for (auto _ : state) {
        try {
            const auto start = bench_clock::now();
            for (std::size_t k = 0; k < count; ++k) {
                const auto scheduled = start + static_cast<std::int64_t>(k) * k_latency_period;
                pace_until(scheduled);
                pool->submit(latency_job{&delay_ns[k], ns_of(scheduled)});
            }
            pool->wait();
        } catch (const std::exception& e) {
            return report_wait_failure(state, e);
        }
    }
    const auto after = stats_of(*pool);
    if (!check_jobs_run(state, before, after, count * state.iterations())) return;
    // The percentiles are those of the last iteration (rows run one).
    state.counters["p50_us"] = quantile_us(delay_ns, 0.50);
    state.counters["p99_us"] = quantile_us(delay_ns, 0.99);
    state.counters["p999_us"] = quantile_us(delay_ns, 0.999);
    report_pool_stats(state, before, after);
}

}  // namespace poolbench::bench
