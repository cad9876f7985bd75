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

// Records when the job started. run_latency() measures that against two
// times: when the job was scheduled to be submitted (a submitter held up by
// the pool delays the jobs after it, and that lateness counts: no
// coordinated omission), and when the submit call began (the pool's own
// pickup, without the submitter's lateness: on a VM the submitter's timer
// wake-up alone makes up most of the first).
struct latency_job {
    std::int64_t* started_ns;
    void operator()() const noexcept { *started_ns = now_ns(); }
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

// The counters PREFIX p50_us, p99_us and p999_us: the percentiles of
// delays in nanoseconds (sorted in place), in microseconds.
inline void report_delay_percentiles(benchmark::State& state, const std::string& prefix,
                                     std::vector<std::int64_t>& delays_ns) {
    state.counters[prefix + "p50_us"] = quantile_us(delays_ns, 0.50);
    state.counters[prefix + "p99_us"] = quantile_us(delays_ns, 0.99);
    state.counters[prefix + "p999_us"] = quantile_us(delays_ns, 0.999);
}

// Open loop: this thread submits one job every k_latency_period for
// `duration`, on a fixed schedule (a late submit does not shift the later
// ones); the figures are the times from each job's scheduled submit to its
// start (p50_us, p99_us, p999_us), and from the submit call to the start
// (pickup_p50_us, ...: what the pool adds).
template <pool P>
void run_latency(benchmark::State& state, std::size_t workers,
                 std::chrono::duration<double> duration) {
    const auto count = static_cast<std::size_t>(duration / k_latency_period);
    std::vector<std::int64_t> submitted_ns(count), started_ns(count);
    std::optional<P> pool;
    if (!construct(state, pool, workers)) return;
    const timer_slack_scope precise_sleeps;
    // Job k of a pass is scheduled k periods after the pass's start.
    bench_clock::time_point start;
    const auto scheduled = [&start](std::size_t k) {
        return start + static_cast<std::int64_t>(k) * k_latency_period;
    };
    // One pass of the schedule over the first `jobs` jobs; the jobs' writes
    // are read after pool->wait(). What submit or wait throws propagates.
    const auto submit_on_schedule = [&](std::size_t jobs) {
        start = bench_clock::now();
        for (std::size_t k = 0; k < jobs; ++k) {
            pace_until(scheduled(k));
            submitted_ns[k] = now_ns();
            pool->submit(latency_job{&started_ns[k]});
        }
        pool->wait();
    };
    // Warm-up: the first k_latency_warm_up jobs on the same schedule, not recorded.
    if (!warm_up(state, [&] { submit_on_schedule(std::min(count, k_latency_warm_up)); })) return;
    const auto before = stats_of(*pool);
    for (auto _ : state) {
        try {
            submit_on_schedule(count);
        } catch (const std::exception& e) {
            return report_wait_failure(state, e);
        }
    }
    const auto after = stats_of(*pool);
    if (!check_jobs_run(state, before, after, count * state.iterations())) return;
    // The percentiles are those of the last iteration (rows run one).
    std::vector<std::int64_t> delay_ns(count), pickup_ns(count);
    for (std::size_t k = 0; k < count; ++k) {
        delay_ns[k] = started_ns[k] - ns_of(scheduled(k));
        pickup_ns[k] = started_ns[k] - submitted_ns[k];
    }
    report_delay_percentiles(state, "", delay_ns);
    report_delay_percentiles(state, "pickup_", pickup_ns);
    report_pool_stats(state, before, after);
}

}  // namespace poolbench::bench
