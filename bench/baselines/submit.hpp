// The baselines of the outside-submission and data-parallel workloads: empty
// and producers (the empty body N times), cpu and skewed (grain 1) and
// parallel_for (grain g), as serial loops, oneTBB and OpenMP write them.
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
#include "workloads/loops.hpp"
#include "workloads/submit.hpp"

namespace poolbench::bench {

// ---------------------------------------------------------------------------
// empty and producers: the empty body N times

// One run of `jobs` empty jobs; returns how many ran.
template <baseline B>
std::uint64_t empty_once([[maybe_unused]] std::size_t workers, std::size_t jobs,
                         [[maybe_unused]] void* team, thread_counts& ran) {
    if constexpr (k_is_serial<B>) {
        std::uint64_t calls = 0;  // one thread: a plain count
        for (std::size_t i = 0; i < jobs; ++i) {
            empty_job{}();
            ++calls;
        }
        return calls;
    } else if constexpr (k_is_native_tbb<B>) {
#if defined(POOLBENCH_HAS_TBB)
        static_cast<tbb_team*>(team)->execute([&] {
            tbb::task_group group;
            for (std::size_t i = 0; i < jobs; ++i) {
                group.run([&ran] {
                    empty_job{}();
                    ran.bump();
                });
            }
            group.wait();
        });
#endif
    } else {
#if defined(_OPENMP)
        thread_counts* counts = &ran;  // tasks copy the pointer (firstprivate)
#pragma omp parallel num_threads(omp_threads(workers))
#pragma omp single
        {
            for (std::size_t i = 0; i < jobs; ++i) {
#pragma omp task
                {
                    empty_job{}();
                    counts->bump();
                }
            }
#pragma omp taskwait
        }
#endif
    }
    return ran.take();
}

template <baseline B>
void run_empty(benchmark::State& state, std::size_t workers, std::size_t jobs) {
    if (const auto why = baseline_missing<B>(); !why.empty()) return skip(state, why);
    thread_counts ran;
    auto team = make_team<B>(workers);
    const double cpu_start = process_cpu_seconds();
    std::uint64_t total = 0;
    timed_runs(state, [&] { total += empty_once<B>(workers, jobs, team.get(), ran); });
    const double cpu = process_cpu_seconds() - cpu_start;
    if (!check_ran(state, total, jobs * runs_with_warm_up(state))) return;
    report_jobs_per_s(state, jobs);
    report_cpu_ns_per_job(state, cpu, jobs);
}

// P producers submit N / P empty jobs each: for native_tbb, P outside threads
// that each enter the arena and run their share through one task_group, which
// this thread then waits for in the arena; for openmp, which has no outside
// submitters, the P producers are the iterations of a worksharing loop over
// the team, each creating its share as tasks (the team's closing barrier
// waits for them); for serial, N calls.
template <baseline B>
void run_producers(benchmark::State& state, std::size_t workers, std::size_t jobs,
                   std::size_t producers) {
    if (const auto why = baseline_missing<B>(); !why.empty()) return skip(state, why);
    auto share = [&](std::size_t k) { return jobs / producers + (k < jobs % producers ? 1 : 0); };
    thread_counts ran;
    const double cpu_start = process_cpu_seconds();
    std::uint64_t total = 0;
    if constexpr (k_is_serial<B>) {
        timed_runs(state, [&] { total += empty_once<B>(workers, jobs, nullptr, ran); });
    } else if constexpr (k_is_native_tbb<B>) {
#if defined(POOLBENCH_HAS_TBB)
        tbb_team team(workers);
        std::optional<outside_threads> team_of_producers;
        try {
            team_of_producers.emplace(producers);
        } catch (const std::exception& e) {
            return skip(state,
                        std::string("unsupported: cannot start producer threads: ") + e.what());
        }
        tbb::task_group group;
        timed_runs(state, [&] {
            team_of_producers->run_once([&](std::size_t k) {
                team.execute([&] {
                    for (std::size_t i = share(k); i > 0; --i) {
                        group.run([&ran] {
                            empty_job{}();
                            ran.bump();
                        });
                    }
                });
            });
            team.execute([&] { group.wait(); });
            total += ran.take();
        });
#endif
    } else {
#if defined(_OPENMP)
        warm_openmp_team(workers);
        thread_counts* counts = &ran;  // tasks copy the pointer (firstprivate)
        timed_runs(state, [&] {
#pragma omp parallel num_threads(omp_threads(workers))
            {
#pragma omp for schedule(static, 1) nowait
                for (std::size_t k = 0; k < producers; ++k) {
                    for (std::size_t i = share(k); i > 0; --i) {
#pragma omp task
                        {
                            empty_job{}();
                            counts->bump();
                        }
                    }
                }
            }
            total += ran.take();
        });
#endif
    }
    const double cpu = process_cpu_seconds() - cpu_start;
    if (!check_ran(state, total, jobs * runs_with_warm_up(state))) return;
    report_jobs_per_s(state, jobs);
    report_cpu_ns_per_job(state, cpu, jobs);
}

// ---------------------------------------------------------------------------
// Data-parallel: cpu, skewed (grain 1) and parallel_for (grain g)

// out[i] = body(i) for i in [0, out.size()), in chunks of `grain`; grain
// k_grain_auto: each library's automatic chunking (oneTBB's auto_partitioner,
// OpenMP's schedule(static)).
template <baseline B, class Body>
void for_each_index([[maybe_unused]] std::size_t workers, std::size_t n,
                    [[maybe_unused]] std::size_t grain, [[maybe_unused]] void* team,
                    const Body& body) {
    if constexpr (k_is_serial<B>) {
        for (std::size_t i = 0; i < n; ++i) body(i);
    } else if constexpr (k_is_native_tbb<B>) {
#if defined(POOLBENCH_HAS_TBB)
        static_cast<tbb_team*>(team)->execute([&] {
            const auto loop = [&body](const tbb::blocked_range<std::size_t>& r) {
                for (std::size_t i = r.begin(); i != r.end(); ++i) body(i);
            };
            if (grain == k_grain_auto) {
                tbb::parallel_for(tbb::blocked_range<std::size_t>(0, n), loop);
            } else {
                tbb::parallel_for(tbb::blocked_range<std::size_t>(0, n, grain), loop);
            }
        });
#endif
    } else {
#if defined(_OPENMP)
        if (grain == k_grain_auto) {
#pragma omp parallel for num_threads(omp_threads(workers)) schedule(static)
            for (std::size_t i = 0; i < n; ++i) body(i);
        } else {
            const auto chunk = static_cast<int>(std::min<std::size_t>(grain, 1u << 30));
#pragma omp parallel for num_threads(omp_threads(workers)) schedule(dynamic, chunk)
            for (std::size_t i = 0; i < n; ++i) body(i);
        }
#endif
    }
}

template <baseline B>
void run_spin(benchmark::State& state, std::size_t workers, std::size_t jobs, std::uint32_t rounds,
              bool skewed) {
    if (const auto why = baseline_missing<B>(); !why.empty()) return skip(state, why);
    const std::uint64_t expected = expected_checksum(jobs, rounds, skewed);
    std::vector<std::uint64_t> out(jobs);
    auto team = make_team<B>(workers);
    const double cpu_start = process_cpu_seconds();
    const double wall = timed_runs(state, [&] {
        for_each_index<B>(workers, jobs, 1, team.get(), [&out, rounds, skewed](std::size_t i) {
            out[i] = spin(i, job_rounds(i, rounds, skewed));
        });
    });
    const double cpu = process_cpu_seconds() - cpu_start;
    if (checksum(out) != expected) return skip(state, "wrong result: checksum of out differs");
    report_spin_figures(state, workers, jobs, skewed, wall);
    report_cpu_ns_per_job(state, cpu, jobs);
}

// grain k_grain_auto (0): automatic chunking; the serial row has no grain.
template <baseline B>
void run_parallel_for(benchmark::State& state, std::size_t workers, std::size_t n,
                      std::size_t grain) {
    if (const auto why = baseline_missing<B>(); !why.empty()) return skip(state, why);
    const std::uint64_t expected = parallel_for_expected(n);
    std::vector<std::uint64_t> out(n);
    auto team = make_team<B>(workers);
    const double wall = timed_runs(state, [&] {
        for_each_index<B>(workers, n, grain, team.get(), parallel_for_body{out.data()});
    });
    if (const auto got = spin_sum(out); got != expected) {
        return skip(state, "wrong result: parallel_for checksum " + std::to_string(got) +
                               ", serial " + std::to_string(expected));
    }
    report_elements_per_s(state, n, wall);
    if (grain != k_grain_auto) state.counters["grain"] = static_cast<double>(grain);
}

}  // namespace poolbench::bench
