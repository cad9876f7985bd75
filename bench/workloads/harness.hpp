// What every pool workload shares: the sizes of WORKLOADS.md, the traits that
// tell pools apart by execution model, and the one run skeleton (construct,
// warm up, time submit..wait, check, report) each benchmark body fills in.
// Called by Google Benchmark on its runner thread, one benchmark at a time.
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

#include <base/instrument.hpp>
#include <pools/pool.hpp>
#include <pools/task_group.hpp>

#include "context.hpp"
#include "measure.hpp"

namespace poolbench::bench {

// ---------------------------------------------------------------------------
// Parameters (defaults of WORKLOADS.md)

inline constexpr std::size_t k_empty_jobs = 1'000'000;
inline constexpr std::size_t k_cpu_jobs = 100'000;
inline constexpr std::size_t k_skewed_jobs = 100'000;
inline constexpr std::size_t k_producers_jobs = 1'000'000;
inline constexpr std::uint32_t k_cpu_rounds = 1000;
inline constexpr std::uint32_t k_skewed_rounds = 200;
inline constexpr std::size_t k_skew_every = 64;     // job i with i % 64 == 0 is long
inline constexpr std::uint32_t k_skew_factor = 64;  // ... and spins 64x the rounds
inline constexpr int k_tree_depth = 20;
inline constexpr int k_fib_n = 30;
inline constexpr int k_fib_n_full = 39;  // --full: also this size
inline constexpr std::size_t k_sleep_jobs = 2000;
inline constexpr std::chrono::milliseconds k_sleep_duration{1};
inline constexpr std::chrono::microseconds k_latency_period{20};
inline constexpr std::size_t k_latency_warm_up = 1000;  // 20 ms of the schedule

// thread_per_job starts an OS thread per job, so its largest rows would take
// minutes; they are reported as unsupported instead. The quick sweep caps it
// lower (main() sets the cap once, before any row runs).
inline constexpr std::size_t k_thread_per_job_max_jobs = 100'000;
// Quick: below cpu's and skewed's 10^4 jobs there, which took it 0.6 s a
// run (a tenth of a quick round for the one pool built to show the cost).
inline constexpr std::size_t k_thread_per_job_max_jobs_quick = 5'000;
inline constexpr int k_thread_per_job_max_depth = 16;
inline std::size_t g_thread_per_job_max_jobs = k_thread_per_job_max_jobs;

// ---------------------------------------------------------------------------
// Traits: the only places a pool is told apart, by its execution model.

// The pool runs every job inline on the submitting thread (worker_count() is
// 1 whatever it was constructed with), or the row is the `serial` baseline:
// registered at workers:1 only.
template <class P>
inline constexpr bool k_runs_inline = execution_model_of<P> == execution_model::inline_on_submitter;

template <class P>
inline constexpr bool k_starts_thread_per_job =
    execution_model_of<P> == execution_model::thread_per_job;

template <class P>
constexpr bool registers_at_workers(std::size_t workers) {
    return !k_runs_inline<P> || workers == 1;
}

// "unsupported: ..." when P cannot run `jobs` jobs in reasonable time, else "".
template <class P>
std::string jobs_limit(std::size_t jobs) {
    if (k_starts_thread_per_job<P> && jobs > g_thread_per_job_max_jobs) {
        return "unsupported: thread_per_job starts one thread per job; capped at " +
               std::to_string(g_thread_per_job_max_jobs) + " jobs" +
               (g_thread_per_job_max_jobs < k_thread_per_job_max_jobs ? " in the quick sweep" : "");
    }
    return {};
}

template <class P>
std::string depth_limit(int depth) {
    if (k_starts_thread_per_job<P> && depth > k_thread_per_job_max_depth) {
        return "unsupported: thread_per_job starts one thread per job; tree capped at depth 16";
    }
    return {};
}

// thread_per_job starts a thread per job: above this many jobs a row says
// "unsupported" (as jobs_limit() does for the canonical workloads, whose cap
// is higher: there a row runs a fraction of the iterations instead).
inline constexpr std::uint64_t k_research_thread_per_job_max_jobs = 10'000;

// ---------------------------------------------------------------------------
// Shared pieces of every benchmark body

inline void skip(benchmark::State& state, const std::string& why) {
    state.SkipWithError(why.c_str());  // Google Benchmark copies the message
}

// Constructs the pool in place; on failure marks the row and returns false.
template <pool P>
bool construct(benchmark::State& state, std::optional<P>& pool, std::size_t workers) {
    try {
        pool.emplace(workers);
        return true;
    } catch (const std::exception& e) {
        skip(state, "unsupported: constructing " + std::string(P::name) + " with " +
                        std::to_string(workers) + " workers threw: " + e.what());
        return false;
    }
}

inline void report_wait_failure(benchmark::State& state, const std::exception& e) {
    skip(state, std::string("wrong result: a job or wait() threw: ") + e.what());
}

// The pool's own counters over the timed loop, per job it ran.
// A pool's statistics and, in an instrumented build (base/instrument.hpp),
// the process's shared-write counts, taken together.
struct measured_stats : pool_stats {
    detail::instrument::totals shared;
    double cpu_seconds = 0;  // the whole process's, submitters included
    kept_counters kept;      // which of pool_stats's counters mean something
};

template <pool P>
measured_stats stats_of(const P& pool) {
    return {pool.stats(), detail::instrument::snapshot(), process_cpu_seconds(),
            kept_counters_of<P>};
}

inline void report_pool_stats(benchmark::State& state, const measured_stats& before,
                              const measured_stats& after) {
    const auto ran = after.jobs_run - before.jobs_run;
    const double per_job = ran == 0 ? 0.0 : 1.0 / static_cast<double>(ran);
    // A counter the pool does not keep is left out of the row (the report
    // prints "n/a"), so that its 0 is never read as "none happened".
    if (after.kept.steals) {
        state.counters["steals_per_job"] =
            static_cast<double>(after.steals - before.steals) * per_job;
    }
    if (after.kept.parks) {
        state.counters["parks_per_job"] = static_cast<double>(after.parks - before.parks) * per_job;
    }
    if (after.kept.wakeups) {
        state.counters["wakeups_per_job"] =
            static_cast<double>(after.wakeups - before.wakeups) * per_job;
    }
    // CPU time of the whole process (submitters, workers, idle polling) per
    // job: what the pool costs the machine, not only the wall clock.
    state.counters["cpu_ns_per_job"] = (after.cpu_seconds - before.cpu_seconds) * 1e9 * per_job;
    if constexpr (detail::instrument::k_enabled) {
        // Per job the workload ran (for fib: per fork), over poolbench's own
        // shared atomics; rmw_<site> and moves_<site> split them by site.
        state.counters["shared_rmw_per_job"] =
            static_cast<double>(after.shared.all_rmws() - before.shared.all_rmws()) * per_job;
        state.counters["line_moves_per_job"] =
            static_cast<double>(after.shared.all_line_moves() - before.shared.all_line_moves()) *
            per_job;
        for (std::size_t i = 0; i < detail::instrument::k_sites; ++i) {
            const std::string name = detail::instrument::k_site_names[i];
            state.counters["rmw_" + name] =
                static_cast<double>(after.shared.rmws[i] - before.shared.rmws[i]) * per_job;
            state.counters["moves_" + name] =
                static_cast<double>(after.shared.line_moves[i] - before.shared.line_moves[i]) *
                per_job;
        }
    }
}

// Every submitted job ran exactly once (by the pool's count); else marks the row.
inline bool check_jobs_run(benchmark::State& state, const pool_stats& before,
                           const pool_stats& after, std::uint64_t expected) {
    const auto ran = after.jobs_run - before.jobs_run;
    if (ran == expected) return true;
    skip(state, "wrong result: stats().jobs_run grew by " + std::to_string(ran) + ", expected " +
                    std::to_string(expected));
    return false;
}

inline void report_jobs_per_s(benchmark::State& state, std::uint64_t jobs_per_iteration) {
    state.counters["jobs_per_s"] = benchmark::Counter(
        static_cast<double>(jobs_per_iteration * static_cast<std::uint64_t>(state.iterations())),
        benchmark::Counter::kIsRate);
}

// One untimed run of a workload on the row's pool before its timed loop, so
// that the first timed iteration does not pay for starting threads, growing
// queues and faulting in memory. False (the row marked) when it threw.
template <class RunOnce>
bool warm_up(benchmark::State& state, RunOnce run_once) {
    try {
        run_once();
        return true;
    } catch (const std::exception& e) {
        report_wait_failure(state, e);
        return false;
    }
}

// ---------------------------------------------------------------------------
// Workloads

// The one run skeleton the timed pool rows fill in: construct the pool, one
// untimed warm-up run, the pool's statistics before, the timed loop of
// run_once(pool), the statistics after; then the checks (every job ran
// exactly once, when jobs_per_run is given, and the workload's own check(),
// which returns "" or "wrong result: ...") and the report: report(wall), the
// workload's own counters from the timed runs' summed wall time, then the
// pool's statistics. run_once may throw; the row is then marked.
// run_prepared_row() also calls prepare(pool) before the warm-up and before
// each timed run, outside the clock (refill an input, reset an output, check
// the previous run's result): the workload's counters, computed from `wall`,
// leave it out; Google Benchmark's real_time of the row includes it.
template <pool P, class Prepare, class RunOnce, class Check, class Report>
void run_prepared_row(benchmark::State& state, std::size_t workers,
                      std::optional<std::uint64_t> jobs_per_run, Prepare prepare, RunOnce run_once,
                      Check check, Report report) {
    std::optional<P> pool;
    if (!construct(state, pool, workers)) return;
    if (!warm_up(state, [&] {
            prepare(*pool);
            run_once(*pool);
        })) {
        return;
    }
    const auto before = stats_of(*pool);
    double wall = 0;
    for (auto _ : state) {
        try {
            prepare(*pool);
        } catch (const std::exception& e) {
            return report_wait_failure(state, e);
        }
        const auto start = bench_clock::now();
        try {
            run_once(*pool);
        } catch (const std::exception& e) {
            return report_wait_failure(state, e);
        }
        wall += seconds_between(start, bench_clock::now());
    }
    const auto after = stats_of(*pool);
    if (jobs_per_run &&
        !check_jobs_run(state, before, after,
                        *jobs_per_run * static_cast<std::uint64_t>(state.iterations()))) {
        return;
    }
    if (const std::string why = check(); !why.empty()) return skip(state, why);
    report(wall);
    report_pool_stats(state, before, after);
}

template <pool P, class RunOnce, class Check, class Report>
void run_row(benchmark::State& state, std::size_t workers,
             std::optional<std::uint64_t> jobs_per_run, RunOnce run_once, Check check,
             Report report) {
    run_prepared_row<P>(
        state, workers, jobs_per_run, [](P&) {}, std::move(run_once), std::move(check),
        std::move(report));
}

inline std::string no_check() {
    return {};
}

// One outside thread submits make_job(0), ..., make_job(n - 1), then waits.
template <pool P, class MakeJob>
auto submit_n(std::size_t n, MakeJob make_job) {
    return [n, make_job](P& pool) {
        for (std::size_t i = 0; i < n; ++i) pool.submit(make_job(i));
        pool.wait();
    };
}

// ---------------------------------------------------------------------------
// Benchmark bodies over the pools

inline void report_elements_per_s(benchmark::State& state, std::size_t n, double wall) {
    state.counters["elements_per_s"] =
        static_cast<double>(n) * static_cast<double>(state.iterations()) / wall;
}

// The fork-join figures of the field's suites: tasks_per_s, and ns_per_task =
// wall (ns) x W / tasks (libfork's metric: the time each worker spent per task).
inline void report_task_rates(benchmark::State& state, std::uint64_t tasks, std::size_t workers,
                              double wall) {
    const double all = static_cast<double>(tasks) * static_cast<double>(state.iterations());
    state.counters["tasks_per_s"] = all / wall;
    state.counters["ns_per_task"] = wall * 1e9 * static_cast<double>(workers) / all;
}

// "unsupported: ..." when P would start more than its cap of threads.
template <class P>
std::string research_jobs_limit(std::uint64_t jobs, std::string_view what) {
    if (k_starts_thread_per_job<P> && jobs > k_research_thread_per_job_max_jobs) {
        return "unsupported: thread_per_job starts one thread per job; " + std::string(what) +
               " makes " + std::to_string(jobs) + " jobs, above its 1e4 cap here";
    }
    return {};
}

// A pool whose fork-join is the generic task_group over its queue (a node
// and a queued ticket per fork), not a native group, and not inline: the
// field workloads' largest trees would take it minutes per row, so above
// this many tasks its rows say "unsupported". The quick sweep's cap is
// lower: at two workers such a pool takes about a microsecond a task, so
// the field's trees (nqueens(12)'s 8.6e5 tasks, skynet's 1.1e6, fib(30)'s
// 2.7e6, uts's 4.1e6) and integrate's 7.8e5 calls take it 0.3 to 4 s a run,
// twice a row (warm-up and run) in each of five rounds at three worker
// counts; --full runs them. thread_per_job, a thread per fork, has its own
// caps (research_jobs_limit(); quick: k_thread_per_job_fork_join_max_tasks_quick).
inline constexpr std::uint64_t k_queued_fork_join_max_tasks = 20'000'000;
inline constexpr std::uint64_t k_queued_fork_join_max_tasks_quick = 500'000;
inline std::uint64_t g_queued_fork_join_max_tasks = k_queued_fork_join_max_tasks;
// The quick sweep's cap on thread_per_job's forks: matmul(512)'s 4,680
// threads take it 0.6 s a run.
inline constexpr std::uint64_t k_thread_per_job_fork_join_max_tasks_quick = 1'000;
inline std::uint64_t g_thread_per_job_fork_join_max_tasks = k_research_thread_per_job_max_jobs;

template <class P>
concept has_native_task_group = requires {
    typename P::native_task_group;
};

template <class P>
inline constexpr bool k_queued_fork_join =
    !has_native_task_group<P> && !k_runs_inline<P> && !k_starts_thread_per_job<P>;

// "unsupported: ..." when P cannot run a fork-join of `tasks` tasks in a
// row's time (thread_per_job above its cap, the queued groups above theirs).
template <class P>
std::string fork_join_limit(std::uint64_t tasks, std::string_view what) {
    if (k_queued_fork_join<P> && tasks > g_queued_fork_join_max_tasks) {
        return "unsupported: " + std::string(P::name) + "'s task group queues a ticket per fork; " +
               std::string(what) + " makes " + std::to_string(tasks) + " tasks, above its " +
               (g_queued_fork_join_max_tasks == k_queued_fork_join_max_tasks
                    ? "2e7 cap (minutes per row)"
                    : "5e5 cap in the quick sweep (--full runs it)");
    }
    if (k_starts_thread_per_job<P> && tasks > g_thread_per_job_fork_join_max_tasks &&
        g_thread_per_job_fork_join_max_tasks < k_research_thread_per_job_max_jobs) {
        return "unsupported: thread_per_job starts one thread per fork; " + std::string(what) +
               " makes " + std::to_string(tasks) +
               " tasks, above its 1e3 cap in the quick sweep (--full runs it)";
    }
    return research_jobs_limit<P>(tasks, what);
}

}  // namespace poolbench::bench
