// pool_bench: the canonical and research workloads of WORKLOADS.md,
// registered for every pool in poolbench::all_pools by one fold over the
// tuple and beside them for the baselines (serial, native_tbb, openmp) where
// they apply, plus the reference rows the plots draw their ideals from. Rows
// are named workload/pool/workers:W/<size> (Google Benchmark appends
// /real_time, and /iterations:1 to the rows that run once). Single-threaded
// driver: Google Benchmark runs one row at a time.
//
// Environment, read once at startup (scripts/run-sweep sets them):
//   POOLBENCH_QUICK=1          a shorter sweep: only the default N and tree
//                              depth 20, idle 0.25 s instead of 1 s, latency
//                              0.2 s instead of 0.5 s, parallel_for over 10^6
//                              elements, thread_per_job capped at 10^4 jobs,
//                              default workers 1, the hardware threads and
//                              twice them. Unset or 0: the full sweep of
//                              WORKLOADS.md.
//   POOLBENCH_WORKERS=1,2,4    the worker counts of every workload except
//                              sleep, which is the I/O-bound case and keeps
//                              its own list 8, 16, ..., 256 and 100 (the
//                              classic "100 at a time" batch job).
//                              Default (full): 1, 2, 4, ... up to the
//                              hardware threads, the hardware thread count
//                              itself when it is not a power of two, and
//                              twice it.
//   POOLBENCH_MEMORY=1         instead of the timed rows, the peak memory of
//                              tree (depth 20) and fib (30) per pool and
//                              worker count, each from fresh processes (see
//                              "Memory" below); scripts/run-sweep writes
//                              them to memory.json.
// Timed rows last at least 50 ms (--benchmark_min_time, unless given) after
// one untimed warm-up run; idle and latency rows are one run each.
// A value that is not one of these (a zero, a non-number, a duplicate worker
// count) exits with status 2, naming it, before running anything. Example:
//   POOLBENCH_QUICK=1 POOLBENCH_WORKERS=1,2,16 pool_bench
//       --benchmark_repetitions=3 --benchmark_out=pools.json
//       --benchmark_out_format=json

#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <latch>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <tuple>
#include <type_traits>
#include <vector>

#include <pools/all_pools.hpp>

#include "baselines.hpp"
#include "context.hpp"
#include "measure.hpp"
#include "research.hpp"
#include "workloads.hpp"

namespace {

using namespace poolbench;
using namespace poolbench::bench;

// ---------------------------------------------------------------------------
// What to register

struct sweep {
    bool quick = false;
    bool workers_chosen = false;             // POOLBENCH_WORKERS was given
    std::vector<std::size_t> workers;        // default_workers() or the chosen list
    std::vector<std::size_t> sleep_workers;  // 8, 16, 32, 64, 100, 128, 256
    std::chrono::duration<double> idle{1.0};
    std::chrono::duration<double> latency{0.5};
};

std::optional<std::size_t> parse_count(std::string_view text) {
    std::size_t value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc{} || end != text.data() + text.size() || value == 0) return {};
    return value;
}

// 1, 2, 4, ... up to the hardware threads, the hardware thread count when it
// is not a power of two, and twice it (oversubscription). Quick: 1, the
// hardware threads and twice them, three counts on every machine, so that its
// length does not grow with the machine (2 hardware threads: 1, 2, 4; 16:
// 1, 16, 32).
std::vector<std::size_t> default_workers(std::size_t hw, bool quick) {
    std::vector<std::size_t> ws;
    if (quick) {
        ws = {1, hw, 2 * hw};
    } else {
        for (std::size_t w = 1; w <= hw; w *= 2) ws.push_back(w);
        ws.push_back(hw);
        ws.push_back(2 * hw);
    }
    std::sort(ws.begin(), ws.end());
    ws.erase(std::unique(ws.begin(), ws.end()), ws.end());
    return ws;
}

// "1,2,16" -> {1, 2, 16}; nothing (after saying why) for an empty item, a
// zero, a non-number, a count above k_max_workers or a duplicate.
std::optional<std::vector<std::size_t>> parse_workers(std::string_view list) {
    std::vector<std::size_t> ws;
    while (true) {
        const auto comma = list.find(',');
        const std::string item(list.substr(0, comma));
        const auto value = parse_count(item);
        if (!value || *value > k_max_workers) {
            std::fprintf(stderr,
                         "pool_bench: POOLBENCH_WORKERS: '%s' is not a worker count "
                         "(a whole number from 1 to %zu)\n",
                         item.c_str(), k_max_workers);
            return {};
        }
        if (std::find(ws.begin(), ws.end(), *value) != ws.end()) {
            std::fprintf(stderr, "pool_bench: POOLBENCH_WORKERS: %zu is listed twice\n", *value);
            return {};
        }
        ws.push_back(*value);
        if (comma == std::string_view::npos) break;
        list.remove_prefix(comma + 1);
    }
    std::sort(ws.begin(), ws.end());
    return ws;
}

// Reads the environment; nothing when a variable holds something unusable.
std::optional<sweep> sweep_from_environment() {
    sweep s;
    if (const char* quick = std::getenv("POOLBENCH_QUICK"); quick && *quick) {
        const std::string_view q(quick);
        if (q != "0" && q != "1") {
            std::fprintf(stderr, "pool_bench: POOLBENCH_QUICK must be 0 or 1, got '%s'\n", quick);
            return {};
        }
        s.quick = q == "1";
    }
    if (s.quick) {
        s.idle = std::chrono::duration<double>(0.25);
        s.latency = std::chrono::duration<double>(0.2);
        g_thread_per_job_max_jobs = k_thread_per_job_max_jobs_quick;
    }
    if (const char* list = std::getenv("POOLBENCH_WORKERS"); list && *list) {
        auto ws = parse_workers(list);
        if (!ws) return {};
        s.workers = std::move(*ws);
        s.workers_chosen = true;
    } else {
        s.workers = default_workers(hardware_threads(), s.quick);
    }
    for (std::size_t w = 8; w <= 256; w *= 2) {
        s.sleep_workers.push_back(w);
        if (w == 64) s.sleep_workers.push_back(100);
    }
    return s;
}

// 10^3, 10^4, ... up to the workload's default N; quick: the default only.
std::vector<std::size_t> job_counts(std::size_t default_jobs, bool quick) {
    if (quick) return {default_jobs};
    std::vector<std::size_t> counts;
    for (std::size_t n = 1000; n <= default_jobs; n *= 10) counts.push_back(n);
    return counts;
}

// Tree sizes near the job counts above (2^(D+1) - 1 jobs: 2e3, 1.6e4, 1.3e5)
// up to the default depth 20 (2.1e6 jobs); quick: 20 only.
std::vector<int> tree_depths(bool quick) {
    if (quick) return {k_tree_depth};
    return {10, 13, 16, k_tree_depth};
}

// Every timed row runs as many iterations as last at least k_min_seconds
// (Google Benchmark finds the count on a row's first repetition and keeps it
// for the others), after one untimed warm-up run on the same pool inside the
// row (workloads.hpp). main() passes the time as --benchmark_min_time unless
// the command line sets one, so row names carry no /min_time: suffix.
constexpr double k_min_seconds = 0.05;

template <class Body>
void add(const std::string& name, Body body) {
    benchmark::RegisterBenchmark(name.c_str(), std::move(body))
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond);
}

// A row that is one long run by definition (idle, latency): one iteration.
template <class Body>
void add_once(const std::string& name, Body body) {
    benchmark::RegisterBenchmark(name.c_str(), std::move(body))
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond)
        ->Iterations(1);
}

template <class P>
std::string row(std::string_view workload, std::size_t workers) {
    return std::string(workload) + "/" + std::string(P::name) +
           "/workers:" + std::to_string(workers);
}

template <class P>
std::vector<std::size_t> workers_for(const std::vector<std::size_t>& sweep_workers) {
    std::vector<std::size_t> ws;
    for (const auto w : sweep_workers) {
        if (registers_at_workers<P>(w)) ws.push_back(w);
    }
    return ws;
}

// The one registration helper: calls add_rows(std::type_identity<P>{}) for
// every pool type P in all_pools, in the tuple's order.
template <class AddRows>
void for_each_pool(AddRows&& add_rows) {
    [&]<class... Ps>(std::type_identity<std::tuple<Ps...>>) {
        (add_rows(std::type_identity<Ps>{}), ...);
    }(std::type_identity<all_pools>{});
}

// for_each_pool, then the baselines (bench/baselines.hpp), for the workloads
// WORKLOADS.md gives baselines.
template <class AddRows>
void for_each_pool_and_baseline(AddRows&& add_rows) {
    for_each_pool(add_rows);
    [&]<class... Bs>(std::type_identity<std::tuple<Bs...>>) {
        (add_rows(std::type_identity<Bs>{}), ...);
    }(std::type_identity<all_baselines>{});
}

// ---------------------------------------------------------------------------
// Reference rows (no pool): the ideals of WORKLOADS.md

// One thread, one uncontended atomic read-modify-write per op: the per-job
// ideal of empty, tree, fib and producers (plots multiply by min(W, cores)).
void reference_atomic_rmw(benchmark::State& state) {
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
void reference_spin_job(benchmark::State& state, std::uint32_t rounds) {
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
void reference_sleep_threads(benchmark::State& state, std::size_t threads, std::size_t jobs) {
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
void reference_latency_futex(benchmark::State& state, std::chrono::duration<double> duration) {
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
    state.counters["p50_us"] = quantile_us(delay_ns, 0.50);
    state.counters["p99_us"] = quantile_us(delay_ns, 0.99);
    state.counters["p999_us"] = quantile_us(delay_ns, 0.999);
}

// ---------------------------------------------------------------------------
// The benchmark grid, as data: one entry per workload, saying its name, the
// rows it has for a pool at W workers (the parameters after workers:W in the
// row's name, and the numbers its body reads), which pools and baselines it
// applies to, which worker list it sweeps, whether a row is one run or timed
// for the minimum time, and the body that runs a row. register_all() turns
// the table into rows with one loop; rows of one workload are registered
// together, pools in all_pools order, then the baselines.

// One row's parameters: its name's tail and the numbers its body reads.
struct row_params {
    std::string suffix;        // "/jobs:1000/producers:2"
    std::size_t a = 0, b = 0;  // e.g. jobs and producers
};

enum class applies_to { pools, pools_and_baselines };
enum class worker_list { sweep, sleep };
enum class timing { min_time, once };

// One row per value: "/key:value", the value.
std::vector<row_params> rows_of(std::string_view key, const std::vector<std::size_t>& values) {
    std::vector<row_params> rows;
    for (const auto v : values) {
        std::string suffix("/");
        suffix.append(key).append(":").append(std::to_string(v));
        rows.push_back({std::move(suffix), v});
    }
    return rows;
}

// What an entry does not say: it applies to the pools and the baselines,
// sweeps the sweep's worker list and is timed for the minimum time.
struct row_defaults {
    static constexpr auto applies = applies_to::pools_and_baselines;
    static constexpr auto workers = worker_list::sweep;
    static constexpr auto time = timing::min_time;
};

struct empty_rows : row_defaults {
    static constexpr std::string_view name = "empty";
    template <class P>
    static std::vector<row_params> rows(const sweep& s, std::size_t) {
        return rows_of("jobs", job_counts(k_empty_jobs, s.quick));
    }
    template <class P>
    static void run(benchmark::State& st, const sweep&, std::size_t w, const row_params& r) {
        run_empty<P>(st, w, r.a);
    }
};

struct cpu_rows : row_defaults {
    static constexpr std::string_view name = "cpu";
    template <class P>
    static std::vector<row_params> rows(const sweep& s, std::size_t) {
        return rows_of("jobs", job_counts(k_cpu_jobs, s.quick));
    }
    template <class P>
    static void run(benchmark::State& st, const sweep&, std::size_t w, const row_params& r) {
        run_spin<P>(st, w, r.a, k_cpu_rounds, false);
    }
};

struct skewed_rows : row_defaults {
    static constexpr std::string_view name = "skewed";
    template <class P>
    static std::vector<row_params> rows(const sweep& s, std::size_t) {
        return rows_of("jobs", job_counts(k_skewed_jobs, s.quick));
    }
    template <class P>
    static void run(benchmark::State& st, const sweep&, std::size_t w, const row_params& r) {
        run_spin<P>(st, w, r.a, k_skewed_rounds, true);
    }
};

struct tree_rows : row_defaults {
    static constexpr std::string_view name = "tree";
    template <class P>
    static std::vector<row_params> rows(const sweep& s, std::size_t) {
        std::vector<std::size_t> depths;
        for (const int d : tree_depths(s.quick)) depths.push_back(static_cast<std::size_t>(d));
        return rows_of("depth", depths);
    }
    template <class P>
    static void run(benchmark::State& st, const sweep&, std::size_t w, const row_params& r) {
        run_tree<P>(st, w, static_cast<int>(r.a));
    }
};

struct fib_rows : row_defaults {
    static constexpr std::string_view name = "fib";
    template <class P>
    static std::vector<row_params> rows(const sweep&, std::size_t) {
        return rows_of("n", {static_cast<std::size_t>(k_fib_n)});
    }
    template <class P>
    static void run(benchmark::State& st, const sweep&, std::size_t w, const row_params& r) {
        run_fib<P>(st, w, static_cast<int>(r.a));
    }
};

struct producers_rows : row_defaults {
    static constexpr std::string_view name = "producers";
    template <class P>
    static std::vector<row_params> rows(const sweep& s, std::size_t) {
        std::vector<row_params> rows;
        for (const auto& jobs : rows_of("jobs", job_counts(k_producers_jobs, s.quick))) {
            for (const std::size_t producers : {1, 2, 4}) {
                rows.push_back(
                    {jobs.suffix + "/producers:" + std::to_string(producers), jobs.a, producers});
            }
        }
        return rows;
    }
    template <class P>
    static void run(benchmark::State& st, const sweep&, std::size_t w, const row_params& r) {
        run_producers<P>(st, w, r.a, r.b);
    }
};

// POOLBENCH_QUICK=1: 10^6 elements instead of 10^7. The serial baseline has
// no grain: one row per size.
struct parallel_for_rows : row_defaults {
    static constexpr std::string_view name = "parallel_for";
    template <class P>
    static std::vector<row_params> rows(const sweep& s, std::size_t w) {
        const std::size_t n = s.quick ? k_parallel_for_n_quick : k_parallel_for_n;
        const std::string size = "/n:" + std::to_string(n);
        if constexpr (std::is_same_v<P, serial_baseline>) {
            return {{size, n, 0}};
        } else {
            std::vector<row_params> rows;
            for (const auto& g : parallel_for_grains(n, w)) {
                rows.push_back({size + "/grain:" + g.label, n, g.value});
            }
            return rows;
        }
    }
    template <class P>
    static void run(benchmark::State& st, const sweep&, std::size_t w, const row_params& r) {
        run_parallel_for<P>(st, w, r.a, r.b);
    }
};

struct uts_rows : row_defaults {
    static constexpr std::string_view name = "uts";
    template <class P>
    static std::vector<row_params> rows(const sweep&, std::size_t) {
        return rows_of("b0", {static_cast<std::size_t>(uts_params{}.b0)});
    }
    template <class P>
    static void run(benchmark::State& st, const sweep&, std::size_t w, const row_params&) {
        run_uts<P>(st, w);
    }
};

struct nqueens_rows : row_defaults {
    static constexpr std::string_view name = "nqueens";
    template <class P>
    static std::vector<row_params> rows(const sweep&, std::size_t) {
        return rows_of("n", {static_cast<std::size_t>(k_nqueens_n)});
    }
    template <class P>
    static void run(benchmark::State& st, const sweep&, std::size_t w, const row_params& r) {
        run_nqueens<P>(st, w, static_cast<int>(r.a));
    }
};

// One run each: 250 bursts on a fixed schedule are the row by definition.
struct bursty_rows : row_defaults {
    static constexpr std::string_view name = "bursty";
    static constexpr auto applies = applies_to::pools;
    static constexpr auto time = timing::once;
    template <class P>
    static std::vector<row_params> rows(const sweep&, std::size_t) {
        return rows_of("bursts", {k_bursty_bursts});
    }
    template <class P>
    static void run(benchmark::State& st, const sweep&, std::size_t w, const row_params&) {
        run_bursty<P>(st, w);
    }
};

// Its own worker list (8..256 and 100); an inline pool gets one row, at one
// worker, that says why it is not run.
struct sleep_rows : row_defaults {
    static constexpr std::string_view name = "sleep";
    static constexpr auto applies = applies_to::pools;
    static constexpr auto workers = worker_list::sleep;
    template <class P>
    static std::vector<row_params> rows(const sweep&, std::size_t) {
        return rows_of("jobs", {k_sleep_jobs});
    }
    template <class P>
    static void run(benchmark::State& st, const sweep&, std::size_t w, const row_params& r) {
        run_sleep<P>(st, w, r.a);
    }
};

struct idle_rows : row_defaults {
    static constexpr std::string_view name = "idle";
    static constexpr auto applies = applies_to::pools;
    static constexpr auto time = timing::once;
    template <class P>
    static std::vector<row_params> rows(const sweep&, std::size_t) {
        return {row_params{}};
    }
    template <class P>
    static void run(benchmark::State& st, const sweep& s, std::size_t w, const row_params&) {
        run_idle<P>(st, w, s.idle);
    }
};

struct latency_rows : row_defaults {
    static constexpr std::string_view name = "latency";
    static constexpr auto applies = applies_to::pools;
    static constexpr auto time = timing::once;
    template <class P>
    static std::vector<row_params> rows(const sweep&, std::size_t) {
        return {row_params{}};
    }
    template <class P>
    static void run(benchmark::State& st, const sweep& s, std::size_t w, const row_params&) {
        run_latency<P>(st, w, s.latency);
    }
};

// The table, in registration order.
using workload_table = std::tuple<empty_rows, cpu_rows, skewed_rows, tree_rows, fib_rows,
                                  producers_rows, parallel_for_rows, uts_rows, nqueens_rows,
                                  bursty_rows, sleep_rows, idle_rows, latency_rows>;

// The worker counts a workload's rows for P are registered at.
template <class Workload, class P>
std::vector<std::size_t> worker_counts(const sweep& s) {
    if constexpr (Workload::workers == worker_list::sleep) {
        return k_runs_inline<P> ? std::vector<std::size_t>{1} : s.sleep_workers;
    } else {
        return workers_for<P>(s.workers);
    }
}

// The one loop: every row of one workload. `s` outlives the rows (main()
// runs them while it holds the sweep).
template <class Workload>
void register_workload(const sweep& s) {
    const auto rows_for = [&]<class P>(std::type_identity<P>) {
        for (const auto w : worker_counts<Workload, P>(s)) {
            for (const auto& r : Workload::template rows<P>(s, w)) {
                const std::string name = row<P>(Workload::name, w) + r.suffix;
                auto body = [&s, w, r](benchmark::State& st) {
                    Workload::template run<P>(st, s, w, r);
                };
                if constexpr (Workload::time == timing::once) {
                    add_once(name, std::move(body));
                } else {
                    add(name, std::move(body));
                }
            }
        }
    };
    if constexpr (Workload::applies == applies_to::pools_and_baselines) {
        for_each_pool_and_baseline(rows_for);
    } else {
        for_each_pool(rows_for);
    }
}

// ---------------------------------------------------------------------------
// Registration: the reference rows, then the table's, workload by workload

void register_all(const sweep& s) {
    add("reference/atomic_rmw", reference_atomic_rmw);
    for (const std::uint32_t rounds : {k_cpu_rounds, k_skewed_rounds}) {
        add("reference/spin_job/rounds:" + std::to_string(rounds),
            [rounds](benchmark::State& st) { reference_spin_job(st, rounds); });
    }
    for (const auto w : s.sleep_workers) {
        add("reference/sleep_threads/workers:" + std::to_string(w) +
                "/jobs:" + std::to_string(k_sleep_jobs),
            [w](benchmark::State& st) { reference_sleep_threads(st, w, k_sleep_jobs); });
    }
    add_once("reference/latency_futex", [duration = s.latency](benchmark::State& st) {
        reference_latency_futex(st, duration);
    });

    [&]<class... Workloads>(std::type_identity<std::tuple<Workloads...>>) {
        (register_workload<Workloads>(s), ...);
    }(std::type_identity<workload_table>{});
}

// ---------------------------------------------------------------------------
// Memory (POOLBENCH_MEMORY=1): the peak resident memory of `tree` and `fib`
// per pool, each figure from a fresh process, so that no earlier row, no
// allocator cache and no other pool's threads are in it. A row, named like
// the timed row it measures, starts this program twice as a child
// (--memory-child): once to run the workload once and once to construct the
// same pool, run one empty job and stop; each child prints its peak
// (getrusage maxrss, KiB). The pool's own peak is the difference.

// Runs one child and returns its peak in KiB, or why it failed.
struct child_peak {
    long kib = 0;
    std::string error;
};

child_peak run_memory_child(const std::vector<std::string>& args) {
    int out[2];
    if (pipe2(out, O_CLOEXEC) != 0) return {0, std::string("pipe: ") + std::strerror(errno)};
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
    std::vector<std::string> argv_strings{"/proc/self/exe", "--memory-child"};
    argv_strings.insert(argv_strings.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : argv_strings) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_t pid = 0;
    const int spawn_error = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    close(out[1]);
    if (spawn_error != 0) {
        close(out[0]);
        return {0, std::string("cannot start a child: ") + std::strerror(spawn_error)};
    }
    std::string text;
    char buffer[256];
    for (ssize_t got; (got = read(out[0], buffer, sizeof buffer)) != 0;) {
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) break;
        text.append(buffer, static_cast<std::size_t>(got));
    }
    close(out[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        return {0, "the child exited with status " + std::to_string(status) + ": " + text};
    }
    long kib = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), kib);
    if (error != std::errc{} || kib <= 0) return {0, "the child printed '" + text + "'"};
    return {kib, {}};
}

template <pool P>
void run_memory(benchmark::State& state, std::string_view workload, std::size_t workers, int size) {
    const std::string w = std::to_string(workers);
    child_peak full, empty;
    for (auto _ : state) {
        full = run_memory_child(
            {std::string(workload), std::string(P::name), w, std::to_string(size)});
        empty = run_memory_child({"empty", std::string(P::name), w, "0"});
    }
    if (!full.error.empty()) return skip(state, "wrong result: " + full.error);
    if (!empty.error.empty()) return skip(state, "wrong result: " + empty.error);
    state.counters["process_peak_mb"] = static_cast<double>(full.kib) / 1024.0;
    state.counters["empty_pool_peak_mb"] = static_cast<double>(empty.kib) / 1024.0;
    state.counters["pool_peak_mb"] = static_cast<double>(full.kib - empty.kib) / 1024.0;
}

void register_memory(const sweep& s) {
    for_each_pool([&]<class P>(std::type_identity<P>) {
        for (const auto w : workers_for<P>(s.workers)) {
            add_once(row<P>("tree", w) + "/depth:" + std::to_string(k_tree_depth),
                     [w](benchmark::State& st) {
                         if (const auto why = depth_limit<P>(k_tree_depth); !why.empty()) {
                             return skip(st, why);
                         }
                         run_memory<P>(st, "tree", w, k_tree_depth);
                     });
            add_once(row<P>("fib", w) + "/n:" + std::to_string(k_fib_n), [w](benchmark::State& st) {
                if (const auto why = fib_limit<P>(k_fib_n); !why.empty()) {
                    return skip(st, why);
                }
                run_memory<P>(st, "fib", w, k_fib_n);
            });
        }
    });
}

// The child: runs `workload` ("tree", "fib" or "empty") once on a fresh pool
// `pool_name` with `workers` workers and prints its peak resident set (KiB).
int memory_child(int argc, char** argv) {
    if (argc != 6) {
        std::fprintf(stderr,
                     "pool_bench: usage: --memory-child tree|fib|empty POOL WORKERS SIZE\n");
        return 2;
    }
    const std::string_view workload = argv[2], pool_name = argv[3];
    const auto workers = parse_count(argv[4]);
    const auto size = parse_count(argv[5]);
    if (!workers || (!size && workload != "empty") ||
        (workload != "tree" && workload != "fib" && workload != "empty")) {
        std::fprintf(stderr, "pool_bench: --memory-child: bad arguments\n");
        return 2;
    }
    bool found = false;
    try {
        for_each_pool([&]<class P>(std::type_identity<P>) {
            if (P::name != pool_name) return;
            found = true;
            P pool(*workers);
            if (workload == "tree") {
                pool.submit(tree_job<P>{&pool, static_cast<int>(*size)});
            } else if (workload == "fib") {
                const int n = static_cast<int>(*size);
                pool.submit([&pool, n] {
                    if (fib_fork_join(pool, n) != fib_value(n)) std::abort();
                });
            } else {
                pool.submit(empty_job{});
            }
            pool.wait();
        });
    } catch (const std::exception& e) {
        std::fprintf(stderr, "pool_bench: --memory-child: %s\n", e.what());
        return 1;
    }
    if (!found) {
        std::fprintf(stderr, "pool_bench: --memory-child: no pool named '%s'\n", argv[3]);
        return 2;
    }
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    std::printf("%ld\n", usage.ru_maxrss);
    return 0;
}

void add_context(const sweep& s) {
    benchmark::AddCustomContext("hardware_threads", std::to_string(hardware_threads()));
    benchmark::AddCustomContext("poolbench_quick", s.quick ? "1" : "0");
    std::string workers;
    for (const auto w : s.workers) {
        if (!workers.empty()) workers.push_back(',');
        workers.append(std::to_string(w));
    }
    benchmark::AddCustomContext("poolbench_workers", workers);
    benchmark::AddCustomContext("poolbench_workers_source",
                                s.workers_chosen ? "chosen" : "default");
    const auto& t = spin_timings();
    benchmark::AddCustomContext("t1_cpu_job_ns", std::to_string(t.cpu_job_ns));
    benchmark::AddCustomContext("t1_skewed_short_job_ns", std::to_string(t.short_job_ns));
    benchmark::AddCustomContext("t1_skewed_long_job_ns", std::to_string(t.long_job_ns));
}

}  // namespace

int main(int argc, char** argv) {
    if (argc > 1 && std::string_view(argv[1]) == "--memory-child") return memory_child(argc, argv);
    const std::string command = command_line(argc, argv);
    // The minimum time of a timed row, unless the command line sets its own.
    std::vector<char*> args(argv, argv + argc);
    std::string min_time = "--benchmark_min_time=" + std::to_string(k_min_seconds);
    if (std::none_of(args.begin(), args.end(), [](const char* a) {
            return std::string_view(a).starts_with("--benchmark_min_time");
        })) {
        args.insert(args.begin() + 1, min_time.data());
    }
    int args_count = static_cast<int>(args.size());
    args.push_back(nullptr);
    benchmark::Initialize(&args_count, args.data());
    if (benchmark::ReportUnrecognizedArguments(args_count, args.data())) return 1;
    const auto s = sweep_from_environment();
    if (!s) return 2;
    const char* memory = std::getenv("POOLBENCH_MEMORY");
    const bool memory_mode = memory && std::string_view(memory) == "1";
    if (memory && *memory && !memory_mode && std::string_view(memory) != "0") {
        std::fprintf(stderr, "pool_bench: POOLBENCH_MEMORY must be 0 or 1, got '%s'\n", memory);
        return 2;
    }
    if (!memory_mode) calibrate_spin();
    add_build_and_machine_context(command);
    add_context(*s);
    if (memory_mode) {
        register_memory(*s);
    } else {
        register_all(*s);
    }
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
