// pool_bench: the canonical and research workloads of WORKLOADS.md,
// registered for every pool in poolbench::all_pools by one fold over the
// tuple and beside them for the baselines (serial, native_tbb, openmp) where
// they apply, plus the reference rows the plots draw their ideals from. Rows
// are named workload/pool/workers:W/<size> (Google Benchmark appends
// /iterations:K and /real_time). Single-threaded driver: Google Benchmark runs
// one row at a time.
//
// Environment, read once at startup (scripts/run-sweep sets them):
//   POOLBENCH_QUICK=1          a shorter sweep: job counts only 10^3 and the
//                              default N, tree depths 10 and 20, idle 0.25 s
//                              instead of 1 s, latency 0.2 s instead of 0.5 s.
//                              Unset or 0: the full sweep of WORKLOADS.md.
//   POOLBENCH_WORKERS=1,2,4    the worker counts of every workload except
//                              sleep, which is the I/O-bound case and keeps
//                              its own list 8, 16, ..., 256 and 100 (the
//                              classic "100 at a time" batch job).
//                              Default: 1, 2, 4, ... up to the hardware
//                              threads, the hardware thread count itself
//                              when it is not a power of two, and twice it.
// A value that is not one of these (a zero, a non-number, a duplicate worker
// count) exits with status 2, naming it, before running anything. Example:
//   POOLBENCH_QUICK=1 POOLBENCH_WORKERS=1,2,16 pool_bench
//       --benchmark_repetitions=3 --benchmark_out=pools.json
//       --benchmark_out_format=json

#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <latch>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <tuple>
#include <type_traits>
#include <vector>

#include <poolbench/pools/all_pools.hpp>

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
// is not a power of two, and twice it (oversubscription).
std::vector<std::size_t> default_workers(std::size_t hw) {
    std::vector<std::size_t> ws;
    for (std::size_t w = 1; w <= hw; w *= 2) ws.push_back(w);
    if (ws.back() != hw) ws.push_back(hw);
    ws.push_back(2 * hw);
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
    }
    if (const char* list = std::getenv("POOLBENCH_WORKERS"); list && *list) {
        auto ws = parse_workers(list);
        if (!ws) return {};
        s.workers = std::move(*ws);
        s.workers_chosen = true;
    } else {
        s.workers = default_workers(hardware_threads());
    }
    for (std::size_t w = 8; w <= 256; w *= 2) {
        s.sleep_workers.push_back(w);
        if (w == 64) s.sleep_workers.push_back(100);
    }
    return s;
}

// 10^3, 10^4, ... up to the workload's default N; quick: 10^3 and the default.
std::vector<std::size_t> job_counts(std::size_t default_jobs, bool quick) {
    std::vector<std::size_t> counts;
    for (std::size_t n = 1000; n <= default_jobs; n *= 10) {
        if (!quick || n == 1000 || n == default_jobs) counts.push_back(n);
    }
    return counts;
}

// Tree sizes near the job counts above (2^(D+1) - 1 jobs: 2e3, 1.6e4, 1.3e5)
// up to the default depth 20 (2.1e6 jobs); quick: 10 and 20.
std::vector<int> tree_depths(bool quick) {
    if (quick) return {10, k_tree_depth};
    return {10, 13, 16, k_tree_depth};
}

// Fixed iteration counts keep the sweep's length predictable (no calibration
// runs): about `target_jobs` jobs per row, at least one run.
// Targets: ~0.1-0.5 s per row on a 2-core machine for the cheapest pools.
constexpr std::uint64_t k_target_empty_jobs = 300'000;   // empty, producers, tree
constexpr std::uint64_t k_target_cpu_jobs = 30'000;      // ~3 us each
constexpr std::uint64_t k_target_skewed_jobs = 100'000;  // ~1.2 us each on average

template <class P>
benchmark::IterationCount iterations_for(std::uint64_t jobs, std::uint64_t target_jobs) {
    // A pool that starts a thread per job pays ~10-100 us per job: 1/100 of the jobs.
    if constexpr (k_starts_thread_per_job<P>) target_jobs /= 100;
    return static_cast<benchmark::IterationCount>(std::max<std::uint64_t>(1, target_jobs / jobs));
}

template <class Body>
void add(const std::string& name, benchmark::IterationCount iterations, Body body) {
    benchmark::RegisterBenchmark(name.c_str(), std::move(body))
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond)
        ->Iterations(iterations);
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

// W bare threads (no pool, no queue) that each run their share of the sleep
// jobs back to back: ceil(N / W) sleeps of D, all released at once. What the
// OS's timers and scheduler allow for `sleep` on this machine, the floor
// under every pool's wall / ideal (the ideal itself counts no timer slack
// and no wake-up latency).
void reference_sleep_threads(benchmark::State& state, std::size_t threads, std::size_t jobs) {
    const std::size_t share = (jobs + threads - 1) / threads;
    double wall = 0;
    for (auto _ : state) {
        std::latch start(1);
        std::vector<std::thread> team;
        team.reserve(threads);
        try {
            for (std::size_t i = 0; i < threads; ++i) {
                team.emplace_back([&start, share] {
                    start.wait();
                    for (std::size_t k = 0; k < share; ++k) sleep_job{}();
                });
            }
        } catch (const std::system_error& e) {
            start.count_down();
            for (auto& t : team) t.join();
            return skip(state, std::string("unsupported: cannot start ") +
                                   std::to_string(threads) + " threads: " + e.what());
        }
        const auto begin = bench_clock::now();
        start.count_down();
        for (auto& t : team) t.join();
        wall += seconds_between(begin, bench_clock::now());
    }
    const double ideal = static_cast<double>(share) *
                         std::chrono::duration<double>(k_sleep_duration).count();
    state.counters["wall_over_ideal"] = wall / static_cast<double>(state.iterations()) / ideal;
}

// ---------------------------------------------------------------------------
// The research workloads (WORKLOADS.md "Research workloads", research.hpp):
// every pool, and the baselines where WORKLOADS.md gives them (not bursty).
// POOLBENCH_QUICK=1: parallel_for over 10^6 elements instead of 10^7.
void register_research(const sweep& s) {
    const std::size_t n = s.quick ? k_parallel_for_n_quick : k_parallel_for_n;
    for_each_pool_and_baseline([&]<class P>(std::type_identity<P>) {
        for (const auto w : workers_for<P>(s.workers)) {
            const std::string name = row<P>("parallel_for", w) + "/n:" + std::to_string(n);
            if constexpr (std::is_same_v<P, serial_baseline>) {
                add(name, parallel_for_iterations(n, n),
                    [n](benchmark::State& st) { run_parallel_for<P>(st, 1, n, 0); });
            } else {
                for (const auto& g : parallel_for_grains(n, w)) {
                    add(name + "/grain:" + g.label,
                        k_starts_thread_per_job<P> ? 1 : parallel_for_iterations(n, g.value),
                        [w, n, grain = g.value](benchmark::State& st) {
                            run_parallel_for<P>(st, w, n, grain);
                        });
                }
            }
        }
    });
    for_each_pool_and_baseline([&]<class P>(std::type_identity<P>) {
        for (const auto w : workers_for<P>(s.workers)) {
            add(row<P>("uts", w) + "/b0:" + std::to_string(uts_params{}.b0), 1,
                [w](benchmark::State& st) { run_uts<P>(st, w); });
        }
    });
    for_each_pool_and_baseline([&]<class P>(std::type_identity<P>) {
        for (const auto w : workers_for<P>(s.workers)) {
            add(row<P>("nqueens", w) + "/n:" + std::to_string(k_nqueens_n), 1,
                [w](benchmark::State& st) { run_nqueens<P>(st, w, k_nqueens_n); });
        }
    });
    for_each_pool([&]<class P>(std::type_identity<P>) {
        for (const auto w : workers_for<P>(s.workers)) {
            add(row<P>("bursty", w) + "/bursts:" + std::to_string(k_bursty_bursts), 1,
                [w](benchmark::State& st) { run_bursty<P>(st, w); });
        }
    });
}

// ---------------------------------------------------------------------------
// Registration, workload by workload so that rows of one workload run together

void register_all(const sweep& s) {
    add("reference/atomic_rmw", 20, reference_atomic_rmw);
    for (const std::uint32_t rounds : {k_cpu_rounds, k_skewed_rounds}) {
        add("reference/spin_job/rounds:" + std::to_string(rounds), 10,
            [rounds](benchmark::State& st) { reference_spin_job(st, rounds); });
    }
    for (const auto w : s.sleep_workers) {
        add("reference/sleep_threads/workers:" + std::to_string(w) + "/jobs:" +
                std::to_string(k_sleep_jobs),
            1, [w](benchmark::State& st) { reference_sleep_threads(st, w, k_sleep_jobs); });
    }

    for_each_pool_and_baseline([&]<class P>(std::type_identity<P>) {
        for (const auto w : workers_for<P>(s.workers)) {
            for (const auto n : job_counts(k_empty_jobs, s.quick)) {
                add(row<P>("empty", w) + "/jobs:" + std::to_string(n),
                    iterations_for<P>(n, k_target_empty_jobs),
                    [w, n](benchmark::State& st) { run_empty<P>(st, w, n); });
            }
        }
    });
    for_each_pool_and_baseline([&]<class P>(std::type_identity<P>) {
        for (const auto w : workers_for<P>(s.workers)) {
            for (const auto n : job_counts(k_cpu_jobs, s.quick)) {
                add(row<P>("cpu", w) + "/jobs:" + std::to_string(n),
                    iterations_for<P>(n, k_target_cpu_jobs),
                    [w, n](benchmark::State& st) { run_spin<P>(st, w, n, k_cpu_rounds, false); });
            }
        }
    });
    for_each_pool_and_baseline([&]<class P>(std::type_identity<P>) {
        for (const auto w : workers_for<P>(s.workers)) {
            for (const auto n : job_counts(k_skewed_jobs, s.quick)) {
                add(row<P>("skewed", w) + "/jobs:" + std::to_string(n),
                    iterations_for<P>(n, k_target_skewed_jobs),
                    [w, n](benchmark::State& st) { run_spin<P>(st, w, n, k_skewed_rounds, true); });
            }
        }
    });
    for_each_pool_and_baseline([&]<class P>(std::type_identity<P>) {
        for (const auto w : workers_for<P>(s.workers)) {
            for (const int d : tree_depths(s.quick)) {
                add(row<P>("tree", w) + "/depth:" + std::to_string(d),
                    iterations_for<P>(tree_jobs(d), k_target_empty_jobs),
                    [w, d](benchmark::State& st) { run_tree<P>(st, w, d); });
            }
        }
    });
    for_each_pool_and_baseline([&]<class P>(std::type_identity<P>) {
        for (const auto w : workers_for<P>(s.workers)) {
            add(row<P>("fib", w) + "/n:" + std::to_string(k_fib_n), 1,
                [w](benchmark::State& st) { run_fib<P>(st, w, k_fib_n); });
        }
    });
    for_each_pool_and_baseline([&]<class P>(std::type_identity<P>) {
        for (const auto w : workers_for<P>(s.workers)) {
            for (const auto n : job_counts(k_producers_jobs, s.quick)) {
                for (const std::size_t producers : {1, 2, 4}) {
                    add(row<P>("producers", w) + "/jobs:" + std::to_string(n) +
                            "/producers:" + std::to_string(producers),
                        iterations_for<P>(n, k_target_empty_jobs),
                        [w, n, producers](benchmark::State& st) {
                            run_producers<P>(st, w, n, producers);
                        });
                }
            }
        }
    });
    register_research(s);
    for_each_pool([&]<class P>(std::type_identity<P>) {
        // An inline pool has one thread: one row that says why it is not run.
        const std::vector<std::size_t> ws =
            k_runs_inline<P> ? std::vector<std::size_t>{1} : s.sleep_workers;
        for (const auto w : ws) {
            add(row<P>("sleep", w) + "/jobs:" + std::to_string(k_sleep_jobs), 1,
                [w](benchmark::State& st) { run_sleep<P>(st, w, k_sleep_jobs); });
        }
    });
    for_each_pool([&]<class P>(std::type_identity<P>) {
        for (const auto w : workers_for<P>(s.workers)) {
            add(row<P>("idle", w), 1,
                [w, idle = s.idle](benchmark::State& st) { run_idle<P>(st, w, idle); });
        }
    });
    for_each_pool([&]<class P>(std::type_identity<P>) {
        for (const auto w : workers_for<P>(s.workers)) {
            add(row<P>("latency", w), 1, [w, duration = s.latency](benchmark::State& st) {
                run_latency<P>(st, w, duration);
            });
        }
    });
}

void add_context(const sweep& s) {
    benchmark::AddCustomContext("hardware_threads", std::to_string(hardware_threads()));
    benchmark::AddCustomContext("poolbench_quick", s.quick ? "1" : "0");
    std::string workers;
    for (const auto w : s.workers) workers += (workers.empty() ? "" : ",") + std::to_string(w);
    benchmark::AddCustomContext("poolbench_workers", workers);
    benchmark::AddCustomContext("poolbench_workers_source", s.workers_chosen ? "chosen" : "default");
    benchmark::AddCustomContext("peak_rss_scope",
                                reset_peak_rss() ? "row" : "process (run order matters)");
    const auto& t = spin_timings();
    benchmark::AddCustomContext("t1_cpu_job_ns", std::to_string(t.cpu_job_ns));
    benchmark::AddCustomContext("t1_skewed_short_job_ns", std::to_string(t.short_job_ns));
    benchmark::AddCustomContext("t1_skewed_long_job_ns", std::to_string(t.long_job_ns));
}

}  // namespace

int main(int argc, char** argv) {
    const std::string command = command_line(argc, argv);
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    const auto s = sweep_from_environment();
    if (!s) return 2;
    calibrate_spin();
    add_build_and_machine_context(command);
    add_context(*s);
    register_all(*s);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
