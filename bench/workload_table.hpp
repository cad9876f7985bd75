// The benchmark grid as data: one entry per workload (its name, its rows for a
// pool at W workers, which pools and baselines it applies to, its worker list,
// its timing, its body), and register_all(), which turns the table into rows.
// Adding a workload: its body in workloads/ (and baselines/), one entry here.
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

#include "baselines/integrate.hpp"
#include "baselines/libraries.hpp"
#include "baselines/library.hpp"
#include "baselines/matmul.hpp"
#include "baselines/mergesort.hpp"
#include "baselines/nested.hpp"
#include "baselines/nqueens.hpp"
#include "baselines/skynet.hpp"
#include "baselines/spawn.hpp"
#include "baselines/submit.hpp"
#include "baselines/uts.hpp"
#include "options.hpp"
#include "reference_rows.hpp"
#include "registry.hpp"
#include "workloads/blocking.hpp"
#include "workloads/bursty.hpp"

namespace poolbench::bench {

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
inline std::vector<row_params> rows_of(std::string_view key,
                                       const std::vector<std::size_t>& values) {
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
    // Whether it has a serial_noinline body (the fork-join workloads: see
    // serial_noinline_baseline in baselines/baseline.hpp).
    static constexpr bool k_serial_noinline = false;
    // Whether the outside libraries have rows (baselines/libraries.hpp):
    // pthreadpool the loops, thread_pool the outside submissions.
    static constexpr bool k_pthreadpool = false;
    static constexpr bool k_thread_pool = false;
};

struct empty_rows : row_defaults {
    static constexpr std::string_view name = "empty";
    static constexpr bool k_thread_pool = true;
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
    static constexpr bool k_pthreadpool = true;
    static constexpr bool k_thread_pool = true;
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
    static constexpr bool k_pthreadpool = true;
    static constexpr bool k_thread_pool = true;
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

// Quick n:30; full also n:39 (the field's sizes).
struct fib_rows : row_defaults {
    static constexpr std::string_view name = "fib";
    static constexpr bool k_serial_noinline = true;
    template <class P>
    static std::vector<row_params> rows(const sweep& s, std::size_t) {
        return rows_of("n", field_sizes(s, {static_cast<std::size_t>(k_fib_n),
                                            static_cast<std::size_t>(k_fib_n_full)}));
    }
    template <class P>
    static void run(benchmark::State& st, const sweep&, std::size_t w, const row_params& r) {
        run_fib<P>(st, w, static_cast<int>(r.a));
    }
};

struct producers_rows : row_defaults {
    static constexpr std::string_view name = "producers";
    static constexpr bool k_thread_pool = true;
    template <class P>
    static std::vector<row_params> rows(const sweep& s, std::size_t) {
        std::vector<row_params> rows;
        for (const auto& jobs : rows_of("jobs", job_counts(k_producers_jobs, s.quick))) {
            // Quick: 2 producers only (the 1 and 4 rows cost a third of
            // the quick sweep's time each, most of it thread_pool's futures).
            const std::vector<std::size_t> counts =
                s.quick ? std::vector<std::size_t>{2} : std::vector<std::size_t>{1, 2, 4};
            for (const std::size_t producers : counts) {
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
    static constexpr bool k_pthreadpool = true;
    template <class P>
    static std::vector<row_params> rows(const sweep& s, std::size_t w) {
        const std::size_t n = s.quick ? k_parallel_for_n_quick : k_parallel_for_n;
        const std::string size = "/n:" + std::to_string(n);
        if constexpr (std::is_same_v<P, serial_baseline>) {
            return {{size, n, 0}};
        } else {
            std::vector<row_params> rows;
            for (const auto& g : parallel_for_grains(n, w, s.quick)) {
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

// The published trees (workloads/uts.hpp): quick tree:t3; full t1, t2, t3.
// row_params::a indexes k_uts_trees.
struct uts_rows : row_defaults {
    static constexpr std::string_view name = "uts";
    static constexpr bool k_serial_noinline = true;
    static constexpr std::array<const uts_tree*, 3> k_uts_trees{&k_uts_t1, &k_uts_t2, &k_uts_t3};
    template <class P>
    static std::vector<row_params> rows(const sweep& s, std::size_t) {
        std::vector<row_params> rows;
        for (std::size_t i = 0; i < k_uts_trees.size(); ++i) {
            if (s.quick && k_uts_trees[i] != &k_uts_t3) continue;
            rows.push_back({"/tree:" + std::string(k_uts_trees[i]->name), i});
        }
        return rows;
    }
    template <class P>
    static void run(benchmark::State& st, const sweep&, std::size_t w, const row_params& r) {
        run_uts<P>(st, w, *k_uts_trees[r.a]);
    }
};

// Quick n:12; full also n:14.
struct nqueens_rows : row_defaults {
    static constexpr std::string_view name = "nqueens";
    static constexpr bool k_serial_noinline = true;
    template <class P>
    static std::vector<row_params> rows(const sweep& s, std::size_t) {
        return rows_of("n", field_sizes(s, {static_cast<std::size_t>(k_nqueens_n),
                                            static_cast<std::size_t>(k_nqueens_n_full)}));
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
    static std::vector<row_params> rows(const sweep& s, std::size_t) {
        return rows_of("bursts", {s.quick ? k_bursty_bursts_quick : k_bursty_bursts});
    }
    template <class P>
    static void run(benchmark::State& st, const sweep&, std::size_t w, const row_params& r) {
        run_bursty<P>(st, w, r.a);
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

// The field workloads (WORKLOADS.md): quick the first size, full every size.
struct skynet_rows : row_defaults {
    static constexpr std::string_view name = "skynet";
    static constexpr bool k_serial_noinline = true;
    template <class P>
    static std::vector<row_params> rows(const sweep& s, std::size_t) {
        return rows_of("depth", field_sizes(s, {k_skynet_depth, k_skynet_depth_full}));
    }
    template <class P>
    static void run(benchmark::State& st, const sweep&, std::size_t w, const row_params& r) {
        run_skynet<P>(st, w, static_cast<int>(r.a));
    }
};

struct integrate_rows : row_defaults {
    static constexpr std::string_view name = "integrate";
    static constexpr bool k_serial_noinline = true;
    template <class P>
    static std::vector<row_params> rows(const sweep& s, std::size_t) {
        return rows_of("n", field_sizes(s, k_integrate_n, {k_integrate_n, k_integrate_n_full}));
    }
    template <class P>
    static void run(benchmark::State& st, const sweep&, std::size_t w, const row_params& r) {
        run_integrate<P>(st, w, r.a);
    }
};

struct matmul_rows : row_defaults {
    static constexpr std::string_view name = "matmul";
    template <class P>
    static std::vector<row_params> rows(const sweep& s, std::size_t) {
        return rows_of("n", field_sizes(s, {k_matmul_n, k_matmul_n_full}));
    }
    template <class P>
    static void run(benchmark::State& st, const sweep&, std::size_t w, const row_params& r) {
        run_matmul<P>(st, w, r.a);
    }
};

struct mergesort_rows : row_defaults {
    static constexpr std::string_view name = "mergesort";
    template <class P>
    static std::vector<row_params> rows(const sweep& s, std::size_t) {
        return rows_of("n",
                       field_sizes(s, k_mergesort_n_quick, {k_mergesort_n, k_mergesort_n_full}));
    }
    template <class P>
    static void run(benchmark::State& st, const sweep&, std::size_t w, const row_params& r) {
        run_mergesort<P>(st, w, r.a);
    }
};

struct chain_rows : row_defaults {
    static constexpr std::string_view name = "chain";
    template <class P>
    static std::vector<row_params> rows(const sweep&, std::size_t) {
        return rows_of("links", {k_chain_links});
    }
    template <class P>
    static void run(benchmark::State& st, const sweep&, std::size_t w, const row_params& r) {
        run_chain<P>(st, w, r.a);
    }
};

// B = W background jobs beside the N outside ones.
struct spawn_busy_rows : row_defaults {
    static constexpr std::string_view name = "spawn_busy";
    template <class P>
    static std::vector<row_params> rows(const sweep&, std::size_t) {
        return rows_of("jobs", {k_spawn_busy_jobs});
    }
    template <class P>
    static void run(benchmark::State& st, const sweep&, std::size_t w, const row_params& r) {
        run_spawn_busy<P>(st, w, r.a);
    }
};

// The library workloads (WORKLOADS.md): quick n:1000 and n:1000000, full
// also n:100000000.
struct small_for_rows : row_defaults {
    static constexpr std::string_view name = "small_for";
    static constexpr bool k_pthreadpool = true;
    template <class P>
    static std::vector<row_params> rows(const sweep& s, std::size_t) {
        return rows_of("n", library_sizes(s.quick));
    }
    template <class P>
    static void run(benchmark::State& st, const sweep&, std::size_t w, const row_params& r) {
        run_small_for<P>(st, w, r.a);
    }
};

struct reduce_rows : row_defaults {
    static constexpr std::string_view name = "reduce";
    static constexpr bool k_pthreadpool = true;
    template <class P>
    static std::vector<row_params> rows(const sweep& s, std::size_t) {
        return rows_of("n", library_sizes(s.quick));
    }
    template <class P>
    static void run(benchmark::State& st, const sweep&, std::size_t w, const row_params& r) {
        run_reduce<P>(st, w, r.a);
    }
};

// The table, in registration order.
using workload_table =
    std::tuple<empty_rows, cpu_rows, skewed_rows, tree_rows, fib_rows, producers_rows,
               parallel_for_rows, uts_rows, nqueens_rows, bursty_rows, sleep_rows, idle_rows,
               latency_rows, skynet_rows, integrate_rows, matmul_rows, mergesort_rows, chain_rows,
               spawn_busy_rows, small_for_rows, reduce_rows>;

// The worker counts a workload's rows for P are registered at.
template <class Workload, class P>
std::vector<std::size_t> worker_counts(const sweep& s) {
    if constexpr (Workload::workers == worker_list::sleep) {
        return k_runs_inline<P> ? std::vector<std::size_t>{1} : s.sleep_workers;
    } else {
        return workers_for<P>(s.workers);
    }
}

// Every row of one workload for P.
template <class Workload, class P>
void register_rows(const sweep& s) {
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
}

// The one loop: every row of one workload. `s` outlives the rows (main()
// runs them while it holds the sweep).
template <class Workload>
void register_workload(const sweep& s) {
    const auto rows_for = [&]<class P>(std::type_identity<P>) {
        // serial_noinline only where the workload has its body.
        if constexpr (!std::is_same_v<P, serial_noinline_baseline> || Workload::k_serial_noinline) {
            register_rows<Workload, P>(s);
        }
    };
    if constexpr (Workload::applies == applies_to::pools_and_baselines) {
        for_each_pool_and_baseline(rows_for);
    } else {
        for_each_pool(rows_for);
    }
    if constexpr (Workload::k_pthreadpool) register_rows<Workload, pthreadpool_baseline>(s);
    if constexpr (Workload::k_thread_pool) register_rows<Workload, thread_pool_baseline>(s);
}

// ---------------------------------------------------------------------------
// Registration: the reference rows, then the table's, workload by workload

inline void register_all(const sweep& s) {
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

}  // namespace poolbench::bench
