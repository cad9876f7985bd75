// The research workloads of WORKLOADS.md ("Research workloads"): parallel_for,
// uts (an unbalanced tree search, UTS's binomial T3 shape), nqueens and
// bursty. Each is written twice: one run as a plain function over the pool
// concept (tests call these), and a Google Benchmark body over it that times
// it, checks its own result against the serial run ("wrong result: ...") and
// reports the counters. The serial traversals that define the right answers
// live here too; the other baselines are in baselines.hpp.
// Benchmark bodies: Google Benchmark's runner thread, one at a time.
#pragma once

#include <benchmark/benchmark.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <pools/config.hpp>
#include <pools/detail/per_thread.hpp>
#include <pools/helpers.hpp>
#include <pools/pool.hpp>
#include <pools/task_group.hpp>

#include "measure.hpp"
#include "workloads.hpp"

namespace poolbench::bench {

// ---------------------------------------------------------------------------
// Parameters (defaults of WORKLOADS.md)

inline constexpr std::size_t k_parallel_for_n = 10'000'000;
inline constexpr std::size_t k_parallel_for_n_quick = 1'000'000;
inline constexpr std::uint32_t k_parallel_for_rounds = 10;
inline constexpr int k_nqueens_n = 12;
inline constexpr std::uint64_t k_nqueens_12_solutions = 14'200;
inline constexpr std::size_t k_bursty_bursts = 250;
inline constexpr std::chrono::milliseconds k_bursty_period{2};
inline constexpr std::size_t k_bursty_jobs_per_core = 32;
inline constexpr std::uint32_t k_bursty_rounds = 400;

// thread_per_job starts a thread per job: above this many jobs a row says
// "unsupported" (as jobs_limit() does for the canonical workloads, whose cap
// is higher: there a row runs a fraction of the iterations instead).
inline constexpr std::uint64_t k_research_thread_per_job_max_jobs = 10'000;

// ---------------------------------------------------------------------------
// parallel_for

// The grains of one worker count: 1, 64, 4096 and N / (8 W), the last named
// "n_8w" in row names (its value changes with W); `value` is at least 1.
struct grain_choice {
    std::string label;
    std::size_t value;
};

inline std::vector<grain_choice> parallel_for_grains(std::size_t n, std::size_t workers) {
    return {{"1", 1},
            {"64", 64},
            {"4096", 4096},
            {"n_8w", std::max<std::size_t>(1, n / (8 * workers))}};
}

// The body of every parallel_for run: out[i] = spin(i, rounds).
struct parallel_for_body {
    std::uint64_t* out;
    void operator()(std::size_t i) const noexcept { out[i] = spin(i, k_parallel_for_rounds); }
};

// Sum of the spins, wrapping: the checksum of parallel_for and uts.
inline std::uint64_t spin_sum(const std::vector<std::uint64_t>& out) {
    std::uint64_t s = 0;
    for (const auto v : out) s += v;
    return s;
}

inline void parallel_for_serial(std::vector<std::uint64_t>& out) {
    const parallel_for_body body{out.data()};
    for (std::size_t i = 0; i < out.size(); ++i) body(i);
}

// What the serial run of n elements sums to; computed once per n and cached.
// Runner thread only.
inline std::uint64_t parallel_for_expected(std::size_t n) {
    static std::map<std::size_t, std::uint64_t> cache;
    if (const auto it = cache.find(n); it != cache.end()) return it->second;
    std::vector<std::uint64_t> out(n);
    parallel_for_serial(out);
    return cache[n] = spin_sum(out);
}

// One run: poolbench::parallel_for from this (outside) thread, then the wait.
template <pool P>
void parallel_for_once(P& pool, std::vector<std::uint64_t>& out, std::size_t grain) {
    poolbench::parallel_for(pool, std::size_t{0}, out.size(), parallel_for_body{out.data()}, grain);
    pool.wait();
}

// ---------------------------------------------------------------------------
// uts: unbalanced tree search

// splitmix64's finalizer (WORKLOADS.md).
constexpr std::uint64_t splitmix(std::uint64_t x) {
    x += 0x9E3779B97F4A7C15ULL;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
    return x ^ (x >> 31);
}

struct uts_params {
    std::uint64_t b0 = 2000;  // children of the root
    std::uint64_t m = 8;      // children of a node that has any
    double q = 0.12475;       // probability that a non-root node has m children
    std::uint64_t seed = 1;
    std::uint32_t rounds = 100;  // spin rounds per node

    std::uint64_t root_hash() const { return splitmix(seed); }
    // A non-root node has m children iff the low 32 bits of splitmix(h) are
    // below q * 2^32 (compared exactly: both are exact as doubles).
    std::uint64_t children(std::uint64_t h, std::uint32_t depth) const {
        if (depth == 0) return b0;
        const auto low = static_cast<double>(splitmix(h) & 0xFFFFFFFFULL);
        return low < q * 4294967296.0 ? m : 0;
    }
    static std::uint64_t child_hash(std::uint64_t h, std::uint64_t i) {
        return splitmix(h + 0xD6E8FEB86659FD93ULL * (i + 1));
    }
};

// The default tree's size (WORKLOADS.md); tests check the serial traversal.
inline constexpr std::uint64_t k_uts_nodes = 1'360'161;
inline constexpr std::uint32_t k_uts_depth = 774;

// What a traversal found: nodes, the wrapping sum of their spins, the deepest.
struct uts_tally {
    std::uint64_t nodes = 0;
    std::uint64_t sum = 0;
    std::uint32_t max_depth = 0;

    void visit(std::uint64_t spun, std::uint32_t depth) noexcept {
        ++nodes;
        sum += spun;
        max_depth = std::max(max_depth, depth);
    }
    uts_tally& operator+=(const uts_tally& o) noexcept {
        nodes += o.nodes;
        sum += o.sum;
        max_depth = std::max(max_depth, o.max_depth);
        return *this;
    }
    bool operator==(const uts_tally&) const = default;
};

inline void uts_serial_node(const uts_params& p, std::uint64_t h, std::uint32_t depth,
                            uts_tally& t) {
    t.visit(spin(h, p.rounds), depth);
    const std::uint64_t n = p.children(h, depth);
    for (std::uint64_t i = 0; i < n; ++i)
        uts_serial_node(p, uts_params::child_hash(h, i), depth + 1, t);
}

// Plain recursion: the serial baseline and the reference every traversal
// must match.
inline uts_tally uts_serial(const uts_params& p) {
    uts_tally t;
    uts_serial_node(p, p.root_hash(), 0, t);
    return t;
}

// The serial tally of the default tree, computed once. Runner thread only.
inline const uts_tally& uts_expected() {
    static const uts_tally t = uts_serial(uts_params{});
    return t;
}

// One tally per thread that takes part in a run, each on its own cache
// lines (detail::per_thread), so that a node costs no shared write.
// local(): any thread, during the run. total(): after the run's wait, which
// orders every node's writes before it.
class uts_tallies {
public:
    uts_tally& local() { return m_tallies.local(); }
    uts_tally total() const {
        uts_tally t;
        m_tallies.for_each([&t](const uts_tally& r) { t += r; });
        return t;
    }

private:
    detail::per_thread<uts_tally> m_tallies;
};

// One run's shared, read-only state and its tallies.
struct uts_run {
    uts_params params;
    uts_tallies tallies;
};

// A node: spins, counts itself, and submits its children from inside the pool.
template <pool P>
struct uts_job {
    P* pool;
    uts_run* run;
    std::uint64_t hash;
    std::uint32_t depth;
    void operator()() const {
        run->tallies.local().visit(spin(hash, run->params.rounds), depth);
        const std::uint64_t n = run->params.children(hash, depth);
        for (std::uint64_t i = 0; i < n; ++i) {
            pool->submit(uts_job{pool, run, uts_params::child_hash(hash, i), depth + 1});
        }
    }
};

// One run: this thread submits the root and waits.
template <pool P>
uts_tally uts_once(P& pool, const uts_params& params) {
    uts_run run{params, {}};
    pool.submit(uts_job<P>{&pool, &run, params.root_hash(), 0});
    pool.wait();
    return run.tallies.total();
}

inline std::string uts_mismatch(const uts_tally& got, const uts_tally& want) {
    return "wrong result: uts visited " + std::to_string(got.nodes) + " nodes (sum " +
           std::to_string(got.sum) + ", depth " + std::to_string(got.max_depth) +
           "), the serial traversal " + std::to_string(want.nodes) + " (sum " +
           std::to_string(want.sum) + ", depth " + std::to_string(want.max_depth) + ")";
}

// ---------------------------------------------------------------------------
// nqueens

// Solutions and nodes (calls, the root's included) of a traversal.
struct nqueens_count {
    std::uint64_t solutions = 0;
    std::uint64_t nodes = 0;
    bool operator==(const nqueens_count&) const = default;
};

// The squares of the next row no queen attacks: columns, and the two
// diagonals shifted to this row; all as bit masks of n bits.
struct queens_board {
    std::uint32_t columns = 0;
    std::uint32_t left = 0;   // diagonals going down-left
    std::uint32_t right = 0;  // diagonals going down-right
    queens_board place(std::uint32_t bit) const noexcept {
        return {columns | bit, (left | bit) << 1, (right | bit) >> 1};
    }
    std::uint32_t free(int n) const noexcept {
        return ~(columns | left | right) & ((std::uint32_t{1} << n) - 1);
    }
};

// Plain recursion.
inline nqueens_count nqueens_serial(int n, int row = 0, queens_board b = {}) {
    if (row == n) return {1, 1};
    nqueens_count c{0, 1};
    for (std::uint32_t free = b.free(n); free != 0; free &= free - 1) {
        const auto sub = nqueens_serial(n, row + 1, b.place(free & (~free + 1)));
        c.solutions += sub.solutions;
        c.nodes += sub.nodes;
    }
    return c;
}

// Fork-join through the pool's task group: every placement in the next row
// is a child; the solutions are summed up the joins. Call from inside a job.
template <pool P>
std::uint64_t nqueens_fork_join(P& pool, int n, int row = 0, queens_board b = {}) {
    if (row == n) return 1;
    std::array<std::uint64_t, 32> solutions{};
    std::size_t k = 0;
    {
        task_group<P> group(pool);
        for (std::uint32_t free = b.free(n); free != 0; free &= free - 1, ++k) {
            group.run([&pool, slot = &solutions[k], n, row, next = b.place(free & (~free + 1))] {
                *slot = nqueens_fork_join(pool, n, row + 1, next);
            });
        }
        group.wait();
    }
    std::uint64_t sum = 0;
    for (std::size_t i = 0; i < k; ++i) sum += solutions[i];
    return sum;
}

// One run: this thread submits the root job and waits.
template <pool P>
std::uint64_t nqueens_once(P& pool, int n) {
    std::uint64_t solutions = 0;
    pool.submit([&pool, &solutions, n] { solutions = nqueens_fork_join(pool, n); });
    pool.wait();
    return solutions;
}

// The serial count for n, computed once per n. Runner thread only.
inline const nqueens_count& nqueens_expected(int n) {
    static std::map<int, nqueens_count> cache;
    if (const auto it = cache.find(n); it == cache.end()) cache[n] = nqueens_serial(n);
    return cache[n];
}

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

// ---------------------------------------------------------------------------
// Benchmark bodies over the pools

inline void report_elements_per_s(benchmark::State& state, std::size_t n, double wall) {
    state.counters["elements_per_s"] =
        static_cast<double>(n) * static_cast<double>(state.iterations()) / wall;
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

template <pool P>
void run_parallel_for(benchmark::State& state, std::size_t workers, std::size_t n,
                      std::size_t grain) {
    if (const auto why = research_jobs_limit<P>((n + grain - 1) / grain, "this grain");
        !why.empty()) {
        return skip(state, why);
    }
    const std::uint64_t expected = parallel_for_expected(n);
    std::vector<std::uint64_t> out(n);
    run_row<P>(
        state, workers, std::nullopt,
        [&out, grain](P& pool) { parallel_for_once(pool, out, grain); },
        [&] {
            const auto got = spin_sum(out);
            if (got == expected) return std::string();
            return "wrong result: parallel_for checksum " + std::to_string(got) + ", serial " +
                   std::to_string(expected);
        },
        [&](double wall) {
            report_elements_per_s(state, n, wall);
            state.counters["grain"] = static_cast<double>(grain);
        });  // the pool's statistics: per job it ran, a chunk each
}

template <pool P>
void run_uts(benchmark::State& state, std::size_t workers) {
    const uts_tally& want = uts_expected();
    if (const auto why = research_jobs_limit<P>(want.nodes, "uts"); !why.empty()) {
        return skip(state, why);
    }
    std::string wrong;  // the first run's mismatch, if any
    run_row<P>(
        state, workers, want.nodes,
        [&](P& pool) {
            const uts_tally got = uts_once(pool, uts_params{});
            if (got != want && wrong.empty()) wrong = uts_mismatch(got, want);
        },
        [&] { return wrong; },
        [&](double wall) {
            state.counters["nodes_per_s"] =
                static_cast<double>(want.nodes) * static_cast<double>(state.iterations()) / wall;
        });
}

template <pool P>
void run_nqueens(benchmark::State& state, std::size_t workers, int n) {
    const nqueens_count& want = nqueens_expected(n);
    if (const auto why = research_jobs_limit<P>(want.nodes - 1, "nqueens"); !why.empty()) {
        return skip(state, why);
    }
    std::string wrong;  // the first run's wrong count, if any
    run_row<P>(
        state, workers, std::nullopt,
        [&](P& pool) {
            const std::uint64_t got = nqueens_once(pool, n);
            if (got != want.solutions && wrong.empty()) {
                wrong = "wrong result: nqueens(" + std::to_string(n) + ") found " +
                        std::to_string(got) + " solutions, expected " +
                        std::to_string(want.solutions);
            }
        },
        [&] { return wrong; },
        [&](double wall) {
            const auto runs = static_cast<double>(state.iterations());
            state.counters["solutions_per_s"] = static_cast<double>(want.solutions) * runs / wall;
            state.counters["nodes_per_s"] = static_cast<double>(want.nodes) * runs / wall;
        });
}

// The figures of one bursty run, set as the row's counters.
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
void run_bursty(benchmark::State& state, std::size_t workers) {
    const std::size_t usable = std::min(workers, hardware_threads());
    const std::size_t burst_jobs = k_bursty_jobs_per_core * usable;
    if (const auto why = research_jobs_limit<P>(burst_jobs * k_bursty_bursts, "bursty");
        !why.empty()) {
        return skip(state, why);
    }
    bursty_job_ns();  // measured now, while no pool's threads run
    std::optional<P> pool;
    if (!construct(state, pool, workers)) return;
    // Warm-up: a tenth of the bursts on the same schedule, not recorded.
    if (!warm_up(state, [&] {
            (void)bursty_once(*pool, k_bursty_bursts / 10, burst_jobs, k_bursty_period,
                              k_bursty_rounds);
        })) {
        return;
    }
    const auto before = stats_of(*pool);
    bursty_result r;
    for (auto _ : state) {
        try {
            r = bursty_once(*pool, k_bursty_bursts, burst_jobs, k_bursty_period, k_bursty_rounds);
        } catch (const std::exception& e) {
            return report_wait_failure(state, e);
        }
        if (r.wrong != 0) {
            return skip(state, "wrong result: " + std::to_string(r.wrong) +
                                   " bursty jobs left a wrong value");
        }
    }
    const auto after = stats_of(*pool);
    if (!check_jobs_run(state, before, after, burst_jobs * k_bursty_bursts * state.iterations())) {
        return;
    }
    // The figures are those of the last run (rows run one).
    report_bursty(state, r, burst_jobs, usable);
    report_pool_stats(state, before, after);
}

}  // namespace poolbench::bench
