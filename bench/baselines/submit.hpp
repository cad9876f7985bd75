// The baselines of WORKLOADS.md ("Baselines"), rows beside the pools with the
// same names and counters: `serial` (the work with no pool at all: plain
// loops and plain recursion; registered at workers:1 only), `native_tbb`
// (each workload written the way oneTBB's users write it, inside a
// task_arena of W slots whose submitting thread takes part) and `openmp`
// (GCC's libgomp: worksharing loops and tasks in a team of W threads).
// A baseline type only names itself; its run_* overloads below are picked
// where the pool ones would be (they are constrained on `baseline`, the pool
// ones on `pool`). A baseline this build lacks (no oneTBB, no -fopenmp)
// reports its rows as "unsupported: ...". Benchmark bodies: Google
// Benchmark's runner thread, one at a time.
#pragma once

#include <benchmark/benchmark.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <barrier>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#if defined(POOLBENCH_HAS_TBB)
#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/parallel_for.h>
#include <oneapi/tbb/task_arena.h>
#include <oneapi/tbb/task_group.h>
#endif

#include <pools/detail/per_thread.hpp>

#include "measure.hpp"
#include "research.hpp"
#include "workloads.hpp"

namespace poolbench::bench {

struct serial_baseline {
    static constexpr std::string_view name = "serial";
    static constexpr execution_model k_execution_model = execution_model::inline_on_submitter;
};
struct native_tbb_baseline {
    static constexpr std::string_view name = "native_tbb";
};
struct openmp_baseline {
    static constexpr std::string_view name = "openmp";
};

// Every baseline, in the order their rows are registered.
using all_baselines = std::tuple<serial_baseline, native_tbb_baseline, openmp_baseline>;

template <class B>
concept baseline = std::is_same_v<B, serial_baseline> || std::is_same_v<B, native_tbb_baseline> ||
    std::is_same_v<B, openmp_baseline>;

template <class B>
inline constexpr bool k_is_serial = std::is_same_v<B, serial_baseline>;
template <class B>
inline constexpr bool k_is_native_tbb = std::is_same_v<B, native_tbb_baseline>;
template <class B>
inline constexpr bool k_is_openmp = std::is_same_v<B, openmp_baseline>;

#if defined(POOLBENCH_HAS_TBB)
inline constexpr bool k_have_tbb = true;
#else
inline constexpr bool k_have_tbb = false;
#endif
#if defined(_OPENMP)
inline constexpr bool k_have_openmp = true;
#else
inline constexpr bool k_have_openmp = false;
#endif

// Why B cannot run in this build, or "".
template <baseline B>
std::string baseline_missing() {
    if (k_is_native_tbb<B> && !k_have_tbb) {
        return "unsupported: this build has no oneTBB (pool_bench without poolbench::tbb)";
    }
    if (k_is_openmp<B> && !k_have_openmp) {
        return "unsupported: this build has no OpenMP (pool_bench without -fopenmp)";
    }
    return {};
}

// ---------------------------------------------------------------------------
// The threads a baseline runs on, set up before the clock starts

// Jobs run, counted by each thread in a record of its own (on its own cache
// lines, found through a thread_local, so a job costs no shared write).
// bump(): any thread. take(): once the run's wait has returned, which orders
// every bump before it; it also resets the count for the next run.
class thread_counts {
public:
    void bump() { ++m_counts.local(); }
    std::uint64_t take() {
        std::uint64_t sum = 0;
        m_counts.for_each([&sum](std::uint64_t& c) { sum += std::exchange(c, 0); });
        return sum;
    }

private:
    detail::per_thread<std::uint64_t> m_counts;
};

#if defined(POOLBENCH_HAS_TBB)
// A task_arena of W slots, one of them for the thread that enters it (the
// submitter takes part), and a global_control that lets oneTBB start the
// W - 1 workers also when W exceeds the hardware threads.
class tbb_team {
public:
    explicit tbb_team(std::size_t workers)
        : m_parallelism(tbb::global_control::max_allowed_parallelism, workers),
          m_arena(static_cast<int>(workers)) {
        m_arena.initialize();
    }
    template <class F>
    void execute(F&& f) {
        m_arena.execute(std::forward<F>(f));
    }

private:
    tbb::global_control m_parallelism;
    tbb::task_arena m_arena;
};
#endif

// `count` outside threads made once; run_once(f) has thread k call f(k), all
// released together, and returns when every one has. Owning thread only.
class outside_threads {
public:
    explicit outside_threads(std::size_t count)
        : m_start(static_cast<std::ptrdiff_t>(count + 1)),
          m_done(static_cast<std::ptrdiff_t>(count + 1)) {
        try {
            for (std::size_t k = 0; k < count; ++k) m_threads.emplace_back([this, k] { loop(k); });
        } catch (...) {
            for (std::size_t k = m_threads.size(); k < count; ++k) m_start.arrive_and_drop();
            stop();
            throw;
        }
    }
    outside_threads(const outside_threads&) = delete;
    outside_threads& operator=(const outside_threads&) = delete;
    ~outside_threads() { stop(); }

    void run_once(std::function<void(std::size_t)> f) {
        m_work = std::move(f);
        m_start.arrive_and_wait();
        m_done.arrive_and_wait();
    }

private:
    void loop(std::size_t k) {
        for (;;) {
            m_start.arrive_and_wait();
            if (m_stop) return;  // written before the barrier phase that released us
            m_work(k);
            m_done.arrive_and_wait();
        }
    }
    void stop() {
        m_stop = true;
        m_start.arrive_and_wait();
        for (auto& t : m_threads) t.join();
    }

    bool m_stop = false;                      // ordered by the barriers
    std::function<void(std::size_t)> m_work;  // ordered by the barriers
    std::barrier<> m_start;
    std::barrier<> m_done;
    std::vector<std::thread> m_threads;
};

// W as OpenMP's num_threads takes it.
inline int omp_threads(std::size_t workers) {
    return static_cast<int>(workers);
}

// Starts libgomp's team of W threads before the clock, so the first timed
// parallel region does not pay for thread creation.
inline void warm_openmp_team([[maybe_unused]] std::size_t workers) {
#if defined(_OPENMP)
#pragma omp parallel num_threads(omp_threads(workers))
    { benchmark::ClobberMemory(); }
#endif
}

// x, read through a volatile: a value the compiler cannot fold into the
// plain recursion of the serial rows (the registered sizes are constants).
inline int opaque(int x) {
    volatile int v = x;
    return v;
}

// The timed loop of every baseline, after one untimed warm-up run (as the
// pools' rows have): returns the wall time summed over iterations of run().
template <class Run>
double timed_runs(benchmark::State& state, Run&& run) {
    run();
    double wall = 0;
    for (auto _ : state) {
        const auto start = bench_clock::now();
        run();
        wall += seconds_between(start, bench_clock::now());
    }
    return wall;
}

inline void report_cpu_ns_per_job(benchmark::State& state, double cpu_seconds, std::uint64_t jobs) {
    state.counters["cpu_ns_per_job"] =
        cpu_seconds * 1e9 /
        static_cast<double>(jobs * static_cast<std::uint64_t>(state.iterations()));
}

// The runs timed_runs() made: the timed iterations and the warm-up.
inline std::uint64_t runs_with_warm_up(const benchmark::State& state) {
    return static_cast<std::uint64_t>(state.iterations()) + 1;
}

inline bool check_ran(benchmark::State& state, std::uint64_t ran, std::uint64_t expected) {
    if (ran == expected) return true;
    skip(state, "wrong result: " + std::to_string(ran) + " jobs ran, expected " +
                    std::to_string(expected));
    return false;
}

// A team for B with `workers` threads, kept for the row (null for serial and
// openmp, whose team is libgomp's own).
template <baseline B>
std::unique_ptr<void, void (*)(void*)> make_team([[maybe_unused]] std::size_t workers) {
#if defined(POOLBENCH_HAS_TBB)
    if constexpr (k_is_native_tbb<B>) {
        return {new tbb_team(workers), [](void* t) { delete static_cast<tbb_team*>(t); }};
    }
#endif
    if constexpr (k_is_openmp<B>) warm_openmp_team(workers);
    return {nullptr, [](void*) {}};
}

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

// out[i] = body(i) for i in [0, out.size()), in chunks of `grain`.
template <baseline B, class Body>
void for_each_index([[maybe_unused]] std::size_t workers, std::size_t n,
                    [[maybe_unused]] std::size_t grain, [[maybe_unused]] void* team,
                    const Body& body) {
    if constexpr (k_is_serial<B>) {
        for (std::size_t i = 0; i < n; ++i) body(i);
    } else if constexpr (k_is_native_tbb<B>) {
#if defined(POOLBENCH_HAS_TBB)
        static_cast<tbb_team*>(team)->execute([&] {
            tbb::parallel_for(tbb::blocked_range<std::size_t>(0, n, grain),
                              [&body](const tbb::blocked_range<std::size_t>& r) {
                                  for (std::size_t i = r.begin(); i != r.end(); ++i) body(i);
                              });
        });
#endif
    } else {
#if defined(_OPENMP)
        const auto chunk = static_cast<int>(std::min<std::size_t>(grain, 1u << 30));
#pragma omp parallel for num_threads(omp_threads(workers)) schedule(dynamic, chunk)
        for (std::size_t i = 0; i < n; ++i) body(i);
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

// grain 0: the serial row, which has none.
template <baseline B>
void run_parallel_for(benchmark::State& state, std::size_t workers, std::size_t n,
                      std::size_t grain) {
    if (const auto why = baseline_missing<B>(); !why.empty()) return skip(state, why);
    const std::uint64_t expected = parallel_for_expected(n);
    std::vector<std::uint64_t> out(n);
    auto team = make_team<B>(workers);
    const double wall = timed_runs(state, [&] {
        for_each_index<B>(workers, n, std::max<std::size_t>(grain, 1), team.get(),
                          parallel_for_body{out.data()});
    });
    if (const auto got = spin_sum(out); got != expected) {
        return skip(state, "wrong result: parallel_for checksum " + std::to_string(got) +
                               ", serial " + std::to_string(expected));
    }
    report_elements_per_s(state, n, wall);
    if (grain != 0) state.counters["grain"] = static_cast<double>(grain);
}

// ---------------------------------------------------------------------------
// Recursive: tree and uts (a task per child), fib and nqueens (fork-join)

inline std::uint64_t tree_serial(int depth) {
    empty_job{}();
    return depth > 0 ? 1 + tree_serial(depth - 1) + tree_serial(depth - 1) : 1;
}

#if defined(POOLBENCH_HAS_TBB)
inline void tree_tbb(tbb::task_group& group, thread_counts& ran, int depth) {
    empty_job{}();
    ran.bump();
    if (depth > 0) {
        group.run([&group, &ran, depth] { tree_tbb(group, ran, depth - 1); });
        group.run([&group, &ran, depth] { tree_tbb(group, ran, depth - 1); });
    }
}
#endif

#if defined(_OPENMP)
// Pointers, not references: an orphaned task makes its own copy
// (firstprivate) of what a reference parameter refers to.
inline void tree_openmp(thread_counts* ran, int depth) {
    empty_job{}();
    ran->bump();
    if (depth > 0) {
#pragma omp task
        tree_openmp(ran, depth - 1);
#pragma omp task
        tree_openmp(ran, depth - 1);
    }
}
#endif

// One tree of `depth`; returns the nodes visited.
template <baseline B>
std::uint64_t tree_once([[maybe_unused]] std::size_t workers, int depth,
                        [[maybe_unused]] void* team, thread_counts& ran) {
    if constexpr (k_is_serial<B>) {
        return tree_serial(depth);
    } else if constexpr (k_is_native_tbb<B>) {
#if defined(POOLBENCH_HAS_TBB)
        static_cast<tbb_team*>(team)->execute([&] {
            tbb::task_group group;
            group.run([&group, &ran, depth] { tree_tbb(group, ran, depth); });
            group.wait();
        });
#endif
    } else {
#if defined(_OPENMP)
        // The root's taskwait waits for its own task; the closing barrier of
        // the region (inside the clock) for every descendant.
        thread_counts* counts = &ran;
#pragma omp parallel num_threads(omp_threads(workers))
#pragma omp single
        {
#pragma omp task
            tree_openmp(counts, depth);
#pragma omp taskwait
        }
#endif
    }
    return ran.take();
}

template <baseline B>
void run_tree(benchmark::State& state, std::size_t workers, int depth) {
    if (const auto why = baseline_missing<B>(); !why.empty()) return skip(state, why);
    thread_counts ran;
    auto team = make_team<B>(workers);
    const int d = opaque(depth);
    const double cpu_start = process_cpu_seconds();
    std::uint64_t total = 0;
    timed_runs(state, [&] { total += tree_once<B>(workers, d, team.get(), ran); });
    const double cpu = process_cpu_seconds() - cpu_start;
    if (!check_ran(state, total, tree_jobs(depth) * runs_with_warm_up(state))) return;
    report_jobs_per_s(state, tree_jobs(depth));
    report_cpu_ns_per_job(state, cpu, tree_jobs(depth));
}

inline long fib_serial(int n) {
    return n < 2 ? n : fib_serial(n - 1) + fib_serial(n - 2);
}

#if defined(POOLBENCH_HAS_TBB)
inline long fib_tbb(int n) {
    if (n < 2) return n;
    long a = 0;
    tbb::task_group group;
    group.run([&a, n] { a = fib_tbb(n - 1); });
    const long b = fib_tbb(n - 2);
    group.wait();
    return a + b;
}
#endif

#if defined(_OPENMP)
inline long fib_openmp(int n) {
    if (n < 2) return n;
    long a = 0;
#pragma omp task shared(a)
    a = fib_openmp(n - 1);
    const long b = fib_openmp(n - 2);
#pragma omp taskwait
    return a + b;
}
#endif

template <baseline B>
long fib_once([[maybe_unused]] std::size_t workers, int n, [[maybe_unused]] void* team) {
    long result = 0;
    if constexpr (k_is_serial<B>) {
        result = fib_serial(n);
    } else if constexpr (k_is_native_tbb<B>) {
#if defined(POOLBENCH_HAS_TBB)
        static_cast<tbb_team*>(team)->execute([&] { result = fib_tbb(n); });
#endif
    } else {
#if defined(_OPENMP)
#pragma omp parallel num_threads(omp_threads(workers))
#pragma omp single
        result = fib_openmp(n);
#endif
    }
    return result;
}

template <baseline B>
void run_fib(benchmark::State& state, std::size_t workers, int n) {
    if (const auto why = baseline_missing<B>(); !why.empty()) return skip(state, why);
    auto team = make_team<B>(workers);
    const int arg = opaque(n);
    long result = 0;
    const double cpu_start = process_cpu_seconds();
    const double wall = timed_runs(state, [&] { result = fib_once<B>(workers, arg, team.get()); });
    const double cpu = process_cpu_seconds() - cpu_start;
    if (result != fib_value(n)) {
        return skip(state, "wrong result: fib(" + std::to_string(n) +
                               ") = " + std::to_string(result) + ", expected " +
                               std::to_string(fib_value(n)));
    }
    // Jobs = forks, as for the pools.
    const std::uint64_t jobs = fib_runs(n);
    report_jobs_per_s(state, jobs);
    state.counters["ns_per_job"] =
        wall * 1e9 / static_cast<double>(jobs * static_cast<std::uint64_t>(state.iterations()));
    report_cpu_ns_per_job(state, cpu, jobs);
}

#if defined(POOLBENCH_HAS_TBB)
inline void uts_tbb(tbb::task_group& group, const uts_params& p, uts_tallies& t, std::uint64_t h,
                    std::uint32_t depth) {
    t.local().visit(spin(h, p.rounds), depth);
    const std::uint64_t n = p.children(h, depth);
    for (std::uint64_t i = 0; i < n; ++i) {
        group.run([&group, &p, &t, c = uts_params::child_hash(h, i), depth] {
            uts_tbb(group, p, t, c, depth + 1);
        });
    }
}
#endif

#if defined(_OPENMP)
// Pointers, as tree_openmp.
inline void uts_openmp(const uts_params* p, uts_tallies* t, std::uint64_t h, std::uint32_t depth) {
    t->local().visit(spin(h, p->rounds), depth);
    const std::uint64_t n = p->children(h, depth);
    for (std::uint64_t i = 0; i < n; ++i) {
        const std::uint64_t c = uts_params::child_hash(h, i);
#pragma omp task
        uts_openmp(p, t, c, depth + 1);
    }
}
#endif

template <baseline B>
uts_tally uts_baseline_once([[maybe_unused]] std::size_t workers, const uts_params& p,
                            [[maybe_unused]] void* team) {
    if constexpr (k_is_serial<B>) {
        return uts_serial(p);
    } else {
        uts_tallies t;
        if constexpr (k_is_native_tbb<B>) {
#if defined(POOLBENCH_HAS_TBB)
            static_cast<tbb_team*>(team)->execute([&] {
                tbb::task_group group;
                group.run([&] { uts_tbb(group, p, t, p.root_hash(), 0); });
                group.wait();
            });
#endif
        } else {
#if defined(_OPENMP)
            // As tree: taskwait at the root, the region's barrier for the rest.
            const uts_params* params = &p;
            uts_tallies* tallies = &t;
#pragma omp parallel num_threads(omp_threads(workers))
#pragma omp single
            {
#pragma omp task
                uts_openmp(params, tallies, params->root_hash(), 0);
#pragma omp taskwait
            }
#endif
        }
        return t.total();
    }
}

template <baseline B>
void run_uts(benchmark::State& state, std::size_t workers) {
    if (const auto why = baseline_missing<B>(); !why.empty()) return skip(state, why);
    const uts_tally& want = uts_expected();
    auto team = make_team<B>(workers);
    const uts_params params;
    uts_tally got;
    const double wall =
        timed_runs(state, [&] { got = uts_baseline_once<B>(workers, params, team.get()); });
    if (got != want) return skip(state, uts_mismatch(got, want));
    state.counters["nodes_per_s"] =
        static_cast<double>(want.nodes) * static_cast<double>(state.iterations()) / wall;
}

#if defined(POOLBENCH_HAS_TBB)
inline std::uint64_t nqueens_tbb(int n, int row, queens_board b) {
    if (row == n) return 1;
    std::array<std::uint64_t, 32> solutions{};
    std::size_t k = 0;
    tbb::task_group group;
    for (std::uint32_t free = b.free(n); free != 0; free &= free - 1, ++k) {
        group.run([slot = &solutions[k], n, row, next = b.place(free & (~free + 1))] {
            *slot = nqueens_tbb(n, row + 1, next);
        });
    }
    group.wait();
    std::uint64_t sum = 0;
    for (std::size_t i = 0; i < k; ++i) sum += solutions[i];
    return sum;
}
#endif

#if defined(_OPENMP)
inline std::uint64_t nqueens_openmp(int n, int row, queens_board b) {
    if (row == n) return 1;
    std::array<std::uint64_t, 32> solutions{};
    std::size_t k = 0;
    for (std::uint32_t free = b.free(n); free != 0; free &= free - 1, ++k) {
        std::uint64_t* slot = &solutions[k];
        const queens_board next = b.place(free & (~free + 1));
#pragma omp task
        *slot = nqueens_openmp(n, row + 1, next);
    }
#pragma omp taskwait
    std::uint64_t sum = 0;
    for (std::size_t i = 0; i < k; ++i) sum += solutions[i];
    return sum;
}
#endif

template <baseline B>
std::uint64_t nqueens_baseline_once([[maybe_unused]] std::size_t workers, int n,
                                    [[maybe_unused]] void* team) {
    std::uint64_t result = 0;
    if constexpr (k_is_serial<B>) {
        result = nqueens_serial(n).solutions;
    } else if constexpr (k_is_native_tbb<B>) {
#if defined(POOLBENCH_HAS_TBB)
        static_cast<tbb_team*>(team)->execute([&] { result = nqueens_tbb(n, 0, {}); });
#endif
    } else {
#if defined(_OPENMP)
#pragma omp parallel num_threads(omp_threads(workers))
#pragma omp single
        result = nqueens_openmp(n, 0, {});
#endif
    }
    return result;
}

template <baseline B>
void run_nqueens(benchmark::State& state, std::size_t workers, int n) {
    if (const auto why = baseline_missing<B>(); !why.empty()) return skip(state, why);
    const nqueens_count& want = nqueens_expected(n);
    auto team = make_team<B>(workers);
    const int arg = opaque(n);
    std::uint64_t got = 0;
    const double wall =
        timed_runs(state, [&] { got = nqueens_baseline_once<B>(workers, arg, team.get()); });
    if (got != want.solutions) {
        return skip(state, "wrong result: nqueens(" + std::to_string(n) + ") found " +
                               std::to_string(got) + " solutions, expected " +
                               std::to_string(want.solutions));
    }
    const auto runs = static_cast<double>(state.iterations());
    state.counters["solutions_per_s"] = static_cast<double>(want.solutions) * runs / wall;
    state.counters["nodes_per_s"] = static_cast<double>(want.nodes) * runs / wall;
}

}  // namespace poolbench::bench
