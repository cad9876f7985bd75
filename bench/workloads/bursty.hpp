// bursty (WORKLOADS.md, research workloads): a burst of short spin jobs every
// period on a fixed schedule; per-burst makespan over ideal and the CPU the
// pool spends beyond the jobs' own.
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
#include "workloads/spin.hpp"

namespace poolbench::bench {

// ---------------------------------------------------------------------------
// Parameters

inline constexpr std::size_t k_bursty_bursts = 250;
// The quick sweep's: its p99 is then the second-worst burst, and the row
// takes 0.2 s instead of 0.5 s (17 rows of it were a sixth of a quick round).
inline constexpr std::size_t k_bursty_bursts_quick = 100;
inline constexpr std::chrono::milliseconds k_bursty_period{2};
inline constexpr std::size_t k_bursty_jobs_per_core = 32;
inline constexpr std::uint32_t k_bursty_rounds = 400;

// ---------------------------------------------------------------------------
// bursty

// Job j of a burst: stores spin(j, rounds), then the time it finished.
struct bursty_job {
    std::uint64_t* out;
    std::int64_t* finished_ns;
    std::uint64_t index;
    std::uint32_t rounds;
    void operator()() const noexcept {
        *out = spin(index, rounds);
        *finished_ns = now_ns();
    }
};

struct bursty_result {
    std::vector<std::int64_t> makespan_ns;  // per burst: first submit to last job's end
    double wall_seconds = 0;
    double cpu_seconds = 0;  // the whole process's over the run
    std::size_t wrong = 0;   // jobs whose out is not spin(j, rounds)
};

// One run: `bursts` bursts of `burst_jobs` spin jobs, burst k submitted at
// start + k * period by this thread (on the schedule, not after the previous
// burst ended), one wait at the end.
template <pool P>
bursty_result bursty_once(P& pool, std::size_t bursts, std::size_t burst_jobs,
                          std::chrono::nanoseconds period, std::uint32_t rounds) {
    const std::size_t jobs = bursts * burst_jobs;
    std::vector<std::uint64_t> out(jobs, 0);
    std::vector<std::int64_t> finished(jobs, 0);
    std::vector<std::int64_t> first_submit(bursts, 0);
    bursty_result r;
    {
        const timer_slack_scope precise_sleeps;
        const double cpu_start = process_cpu_seconds();
        const auto start = bench_clock::now();
        for (std::size_t k = 0; k < bursts; ++k) {
            pace_until(start + static_cast<std::int64_t>(k) * period);
            first_submit[k] = now_ns();
            for (std::size_t j = 0; j < burst_jobs; ++j) {
                const std::size_t at = k * burst_jobs + j;
                pool.submit(bursty_job{&out[at], &finished[at], j, rounds});
            }
        }
        pool.wait();
        r.wall_seconds = seconds_between(start, bench_clock::now());
        r.cpu_seconds = process_cpu_seconds() - cpu_start;
    }
    std::vector<std::uint64_t> want(burst_jobs);
    for (std::size_t j = 0; j < burst_jobs; ++j) want[j] = spin(j, rounds);
    r.makespan_ns.resize(bursts);
    for (std::size_t k = 0; k < bursts; ++k) {
        std::int64_t last = first_submit[k];
        for (std::size_t j = 0; j < burst_jobs; ++j) {
            const std::size_t at = k * burst_jobs + j;
            last = std::max(last, finished[at]);
            r.wrong += out[at] != want[j];
        }
        r.makespan_ns[k] = last - first_submit[k];
    }
    return r;
}

// Sequential time of one bursty job, spin(i, k_bursty_rounds), in ns:
// measured the first time it is asked for (by a row, before its pool
// exists), then kept. Runner thread only.
inline double bursty_job_ns() {
    static const double ns = [] {
        constexpr std::size_t k_calls = 5000;
        std::vector<std::uint64_t> out(k_calls);
        const double t = median_ns_per_call(
            [&](std::size_t i) { out[i] = spin(i, k_bursty_rounds); }, k_calls, 7);
        benchmark::DoNotOptimize(out.data());
        return t;
    }();
    return ns;
}

inline void report_bursty(benchmark::State& state, bursty_result& r, std::size_t burst_jobs,
                          std::size_t usable) {
    const double job_ns = bursty_job_ns();
    const double ideal_ns = static_cast<double>(burst_jobs) * job_ns / static_cast<double>(usable);
    state.counters["makespan_over_ideal_p50"] = quantile_us(r.makespan_ns, 0.50) * 1e3 / ideal_ns;
    state.counters["makespan_over_ideal_p99"] = quantile_us(r.makespan_ns, 0.99) * 1e3 / ideal_ns;
    const double jobs_cpu = static_cast<double>(r.makespan_ns.size() * burst_jobs) * job_ns * 1e-9;
    state.counters["overhead_cpu_pct"] = 100.0 * (r.cpu_seconds - jobs_cpu) / r.wall_seconds;
}

template <pool P>
void run_bursty(benchmark::State& state, std::size_t workers, std::size_t bursts) {
    const std::size_t usable = std::min(workers, hardware_threads());
    const std::size_t burst_jobs = k_bursty_jobs_per_core * usable;
    if (const auto why = research_jobs_limit<P>(burst_jobs * bursts, "bursty"); !why.empty()) {
        return skip(state, why);
    }
    bursty_job_ns();  // measured now, while no pool's threads run
    std::optional<P> pool;
    if (!construct(state, pool, workers)) return;
    // Warm-up: a tenth of the bursts on the same schedule, not recorded.
    if (!warm_up(state, [&] {
            (void)bursty_once(*pool, bursts / 10, burst_jobs, k_bursty_period, k_bursty_rounds);
        })) {
        return;
    }
    const auto before = stats_of(*pool);
    bursty_result r;
    for (auto _ : state) {
        try {
            r = bursty_once(*pool, bursts, burst_jobs, k_bursty_period, k_bursty_rounds);
        } catch (const std::exception& e) {
            return report_wait_failure(state, e);
        }
        if (r.wrong != 0) {
            return skip(state, "wrong result: " + std::to_string(r.wrong) +
                                   " bursty jobs left a wrong value");
        }
    }
    const auto after = stats_of(*pool);
    if (!check_jobs_run(state, before, after, burst_jobs * bursts * state.iterations())) {
        return;
    }
    // The figures are those of the last run (rows run one).
    report_bursty(state, r, burst_jobs, usable);
    report_pool_stats(state, before, after);
}

}  // namespace poolbench::bench
