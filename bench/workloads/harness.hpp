// The canonical workloads of WORKLOADS.md as function templates over the
// poolbench::pool concept: each run_* function is one Google Benchmark body.
// It builds the pool before the timed loop, times submit..wait per iteration,
// checks its own result (a wrong one marks the row "wrong result: ..."), and
// reports the figures as counters; "unsupported: ..." rows say why not run.
// Called by Google Benchmark on its runner thread, one benchmark at a time.
#pragma once

#include <benchmark/benchmark.h>

#include <algorithm>
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
inline constexpr std::size_t k_sleep_jobs = 2000;
inline constexpr std::chrono::milliseconds k_sleep_duration{1};
inline constexpr std::chrono::microseconds k_latency_period{20};
inline constexpr std::size_t k_latency_warm_up = 1000;  // 20 ms of the schedule

// thread_per_job starts an OS thread per job, so its largest rows would take
// minutes; they are reported as unsupported instead. The quick sweep caps it
// lower (main() sets the cap once, before any row runs).
inline constexpr std::size_t k_thread_per_job_max_jobs = 100'000;
inline constexpr std::size_t k_thread_per_job_max_jobs_quick = 10'000;
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

// ---------------------------------------------------------------------------
// Kernels and jobs

// xorshift64*, a dependent chain the compiler cannot shorten (WORKLOADS.md).
inline std::uint64_t spin(std::uint64_t seed, std::uint32_t rounds) {
    std::uint64_t x = seed | 1;
    for (std::uint32_t i = 0; i < rounds; ++i) {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        x *= 0x2545F4914F6CDD1DULL;
    }
    return x;
}

inline std::uint32_t job_rounds(std::size_t i, std::uint32_t rounds, bool skewed) {
    return skewed && i % k_skew_every == 0 ? rounds * k_skew_factor : rounds;
}

// Order-sensitive (FNV-1a style) checksum of out.
inline std::uint64_t checksum(const std::vector<std::uint64_t>& out) {
    std::uint64_t h = 0xCBF29CE484222325ULL;
    for (const auto v : out) h = (h ^ v) * 0x100000001B3ULL;
    return h;
}

// The checksum a correct run of `jobs` spin jobs leaves in out, computed
// sequentially once per (jobs, rounds, skewed) and cached. Runner thread only.
inline std::uint64_t expected_checksum(std::size_t jobs, std::uint32_t rounds, bool skewed) {
    static std::map<std::tuple<std::size_t, std::uint32_t, bool>, std::uint64_t> cache;
    const auto key = std::make_tuple(jobs, rounds, skewed);
    if (const auto it = cache.find(key); it != cache.end()) return it->second;
    std::vector<std::uint64_t> out(jobs);
    for (std::size_t i = 0; i < jobs; ++i) out[i] = spin(i, job_rounds(i, rounds, skewed));
    return cache[key] = checksum(out);
}

// Measures the sequential time of each spin job length the workloads use
// (t1 of the cpu efficiency, the two job kinds of the skewed ideal). Call
// once at startup, from main, before any pool exists.
inline void calibrate_spin() {
    constexpr int k_runs = 7;
    constexpr std::uint64_t k_rounds_per_run = 2'000'000;  // ~5 ms of spinning
    auto measure = [](std::uint32_t rounds) {
        const std::size_t calls = std::max<std::uint64_t>(16, k_rounds_per_run / rounds);
        std::vector<std::uint64_t> out(calls);
        const double ns =
            median_ns_per_call([&](std::size_t i) { out[i] = spin(i, rounds); }, calls, k_runs);
        benchmark::DoNotOptimize(checksum(out));
        return ns;
    };
    auto& t = spin_timings();
    t.cpu_job_ns = measure(k_cpu_rounds);
    t.short_job_ns = measure(k_skewed_rounds);
    t.long_job_ns = measure(k_skewed_rounds * k_skew_factor);
}

// Sequential time of the whole skewed job set, in seconds.
inline double skewed_total_spin_seconds(std::size_t jobs) {
    const std::size_t long_jobs = (jobs + k_skew_every - 1) / k_skew_every;
    const auto& t = spin_timings();
    return (static_cast<double>(long_jobs) * t.long_job_ns +
            static_cast<double>(jobs - long_jobs) * t.short_job_ns) *
           1e-9;
}

// The body of an `empty` job: nothing, but nothing the compiler may remove.
struct empty_job {
    void operator()() const noexcept { asm volatile("" ::: "memory"); }
};

struct spin_job {
    std::uint64_t* out;
    std::size_t index;
    std::uint32_t rounds;
    void operator()() const noexcept { out[index] = spin(index, rounds); }
};

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
struct tree_job {
    P* pool;
    int depth;
    void operator()() const {
        if (depth > 0) {
            pool->submit(tree_job{pool, depth - 1});
            pool->submit(tree_job{pool, depth - 1});
        }
    }
};

constexpr std::uint64_t tree_jobs(int depth) {
    return (std::uint64_t{2} << depth) - 1;
}

// fib(n) by the naive recursion, and how many task_group::run calls the
// fork-join version makes (one per call with n >= 2).
constexpr long fib_value(int n) {
    long a = 0, b = 1;
    for (int i = 0; i < n; ++i) b = std::exchange(a, b) + b;
    return a;
}
constexpr std::uint64_t fib_runs(int n) {
    return n < 2 ? 0 : static_cast<std::uint64_t>(fib_value(n + 1)) - 1;
}
static_assert(fib_value(30) == 832040 && fib_runs(2) == 1 && fib_runs(4) == 4);

template <pool P>
long fib_fork_join(P& pool, int n) {
    if (n < 2) return n;
    task_group<P> g(pool);
    long a = 0;
    g.run([&] { a = fib_fork_join(pool, n - 1); });
    const long b = fib_fork_join(pool, n - 2);
    g.wait();
    return a + b;
}

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
template <pool P, class RunOnce, class Check, class Report>
void run_row(benchmark::State& state, std::size_t workers,
             std::optional<std::uint64_t> jobs_per_run, RunOnce run_once, Check check,
             Report report) {
    std::optional<P> pool;
    if (!construct(state, pool, workers)) return;
    if (!warm_up(state, [&] { run_once(*pool); })) return;
    const auto before = stats_of(*pool);
    double wall = 0;
    for (auto _ : state) {
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
void run_tree(benchmark::State& state, std::size_t workers, int depth) {
    if (const auto why = depth_limit<P>(depth); !why.empty()) return skip(state, why);
    run_row<P>(
        state, workers, tree_jobs(depth),
        [depth](P& pool) {
            pool.submit(tree_job<P>{&pool, depth});
            pool.wait();
        },
        no_check, [&](double) { report_jobs_per_s(state, tree_jobs(depth)); });
}

// "unsupported: ..." when P cannot run fib(n) in reasonable time, else "".
template <class P>
std::string fib_limit(int n) {
    if (k_starts_thread_per_job<P>) {
        return "unsupported: thread_per_job cannot help while waiting and starts one thread "
               "per job; fib(" +
               std::to_string(n) + ") forks " + std::to_string(fib_runs(n)) +
               " jobs, above its 1e5 cap";
    }
    return {};
}

template <pool P>
void run_fib(benchmark::State& state, std::size_t workers, int n) {
    if (const auto why = fib_limit<P>(n); !why.empty()) return skip(state, why);
    long result = 0;
    // Jobs = task_group::run calls; the root job is not counted.
    const std::uint64_t jobs = fib_runs(n);
    run_row<P>(
        state, workers, std::nullopt,
        [&result, n](P& pool) {
            result = 0;
            pool.submit([&pool, &result, n] { result = fib_fork_join(pool, n); });
            pool.wait();
        },
        [&] {
            if (result == fib_value(n)) return std::string();
            return "wrong result: fib(" + std::to_string(n) + ") = " + std::to_string(result) +
                   ", expected " + std::to_string(fib_value(n));
        },
        [&](double wall) {
            report_jobs_per_s(state, jobs);
            state.counters["ns_per_job"] =
                wall * 1e9 /
                static_cast<double>(jobs * static_cast<std::uint64_t>(state.iterations()));
        });
}

// P persistent outside threads that, on each run_once(), all start together
// and each submit their share of `jobs` empty jobs. Created and joined outside
// the timed loop. run_once() and the destructor: owning thread only.
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
