// Outside submission: empty, cpu, skewed and producers (WORKLOADS.md). One or
// P outside threads submit N jobs, then wait; the figures are jobs/s,
// cpu's efficiency and skewed's wall over ideal.
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

// The body of an `empty` job: nothing, but nothing the compiler may remove.
struct empty_job {
    void operator()() const noexcept { asm volatile("" ::: "memory"); }
};
template <pool P>
void run_empty(benchmark::State& state, std::size_t workers, std::size_t jobs) {
    if (const auto why = jobs_limit<P>(jobs); !why.empty()) return skip(state, why);
    run_row<P>(state, workers, jobs, submit_n<P>(jobs, [](std::size_t) { return empty_job{}; }),
               no_check, [&](double) { report_jobs_per_s(state, jobs); });
}

// The figures of cpu (skewed = false) and skewed from the timed runs' summed
// wall time: jobs/s, and efficiency (cpu) or wall / ideal (skewed). Shared
// by the pools' rows and the baselines'.
inline void report_spin_figures(benchmark::State& state, std::size_t workers, std::size_t jobs,
                                bool skewed, double wall) {
    const double wall_per_run = wall / static_cast<double>(state.iterations());
    report_jobs_per_s(state, jobs);
    if (skewed) {
        const auto usable = static_cast<double>(std::min(workers, hardware_threads()));
        state.counters["wall_over_ideal"] =
            wall_per_run / (skewed_total_spin_seconds(jobs) / usable);
    } else {
        const double t1 = spin_timings().cpu_job_ns * 1e-9;
        state.counters["efficiency"] =
            static_cast<double>(jobs) * t1 / (wall_per_run * static_cast<double>(workers));
    }
}

// cpu (skewed = false) and skewed: job i stores spin(i, rounds_i) in out[i].
template <pool P>
void run_spin(benchmark::State& state, std::size_t workers, std::size_t jobs, std::uint32_t rounds,
              bool skewed) {
    if (const auto why = jobs_limit<P>(jobs); !why.empty()) return skip(state, why);
    const std::uint64_t expected = expected_checksum(jobs, rounds, skewed);
    std::vector<std::uint64_t> out(jobs);  // overwritten by every run
    run_row<P>(
        state, workers, jobs,
        submit_n<P>(jobs,
                    [&out, rounds, skewed](std::size_t i) {
                        return spin_job{out.data(), i, job_rounds(i, rounds, skewed)};
                    }),
        [&] {
            return checksum(out) == expected ? std::string()
                                             : std::string("wrong result: checksum of out differs");
        },
        [&](double wall) { report_spin_figures(state, workers, jobs, skewed, wall); });
}

template <pool P>
class producer_team {
public:
    producer_team(P& pool, std::size_t producers, std::size_t jobs)
        : m_pool(pool),
          m_producers(producers),
          m_jobs(jobs),
          m_start(static_cast<std::ptrdiff_t>(producers + 1)),
          m_done(static_cast<std::ptrdiff_t>(producers + 1)) {
        try {
            for (std::size_t k = 0; k < producers; ++k) {
                m_threads.emplace_back([this, k] { produce(k); });
            }
        } catch (...) {
            // The threads never started drop out of the start barrier, so
            // the ones that did see m_stop and leave.
            for (std::size_t k = m_threads.size(); k < producers; ++k) m_start.arrive_and_drop();
            stop();
            throw;
        }
    }

    producer_team(const producer_team&) = delete;
    producer_team& operator=(const producer_team&) = delete;

    ~producer_team() { stop(); }

    // Releases the producers and returns once each has submitted its share.
    void run_once() {
        m_start.arrive_and_wait();
        m_done.arrive_and_wait();
    }

private:
    void produce(std::size_t k) {
        const std::size_t share = m_jobs / m_producers + (k < m_jobs % m_producers ? 1 : 0);
        for (;;) {
            m_start.arrive_and_wait();
            if (m_stop) return;  // written before the barrier phase that released us
            for (std::size_t i = 0; i < share; ++i) m_pool.submit(empty_job{});
            m_done.arrive_and_wait();
        }
    }

    void stop() {
        m_stop = true;
        m_start.arrive_and_wait();
        for (auto& t : m_threads) t.join();
    }

    P& m_pool;
    std::size_t m_producers;
    std::size_t m_jobs;
    bool m_stop = false;  // ordered by the barrier: set before arriving at m_start
    std::barrier<> m_start;
    std::barrier<> m_done;
    std::vector<std::thread> m_threads;
};

template <pool P>
void run_producers(benchmark::State& state, std::size_t workers, std::size_t jobs,
                   std::size_t producers) {
    if (const auto why = jobs_limit<P>(jobs); !why.empty()) return skip(state, why);
    std::optional<P> pool;
    if (!construct(state, pool, workers)) return;
    std::optional<producer_team<P>> team;
    try {
        team.emplace(*pool, producers, jobs);
    } catch (const std::exception& e) {
        return skip(state, std::string("unsupported: cannot start producer threads: ") + e.what());
    }
    const auto run_once = [&] {
        team->run_once();
        pool->wait();
    };
    if (!warm_up(state, run_once)) return;
    const auto before = stats_of(*pool);
    for (auto _ : state) {
        try {
            run_once();
        } catch (const std::exception& e) {
            return report_wait_failure(state, e);
        }
    }
    const auto after = stats_of(*pool);
    if (!check_jobs_run(state, before, after, jobs * state.iterations())) return;
    report_jobs_per_s(state, jobs);
    report_pool_stats(state, before, after);
}

}  // namespace poolbench::bench
