// The baselines of WORKLOADS.md ("Baselines"), rows beside the pools with the
// same names and counters: `serial` (the work with no pool at all: plain
// loops and plain recursion; registered at workers:1 only), `serial_noinline`
// (the fork-join workloads' plain recursion through a function the compiler
// may not inline: libfork's serial; workers:1 only), `native_tbb`
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
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <map>
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

#include <pools/detail/per_thread.hpp>

#include "workloads/harness.hpp"
#include "workloads/spin.hpp"
#if defined(POOLBENCH_HAS_TBB)
#include <oneapi/tbb/blocked_range.h>
#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/parallel_for.h>
#include <oneapi/tbb/task_arena.h>
#include <oneapi/tbb/task_group.h>
#endif

namespace poolbench::bench {

struct serial_baseline {
    static constexpr std::string_view name = "serial";
    static constexpr execution_model k_execution_model = execution_model::inline_on_submitter;
};
// libfork's serial baseline: plain recursion through a [[gnu::noinline]]
// function that calls itself through opaque_function() (below), so the
// compiler neither inlines levels of the recursion nor turns one of its calls
// into a loop: the T_serial of the published work-overhead figures. Only the
// fork-join workloads have it. A workload adds its serial_noinline body by:
//   1. a `[[gnu::noinline]] R foo_serial_noinline(args)` beside its serial
//      recursion, recursing through `opaque_function(&foo_serial_noinline)`;
//   2. in its baseline body, `if constexpr (k_is_serial_noinline<B>)` calling
//      it where `k_is_serial<B>` calls the plain recursion (the branch must
//      come before the `else` that runs openmp);
//   3. `static constexpr bool k_serial_noinline = true;` in its entry of
//      workload_table.hpp (register_workload() skips serial_noinline for the
//      others).
struct serial_noinline_baseline {
    static constexpr std::string_view name = "serial_noinline";
    static constexpr execution_model k_execution_model = execution_model::inline_on_submitter;
};
struct native_tbb_baseline {
    static constexpr std::string_view name = "native_tbb";
};
struct openmp_baseline {
    static constexpr std::string_view name = "openmp";
};

// Every baseline, in the order their rows are registered.
using all_baselines =
    std::tuple<serial_baseline, serial_noinline_baseline, native_tbb_baseline, openmp_baseline>;

template <class B>
concept baseline =
    std::is_same_v<B, serial_baseline> || std::is_same_v<B, serial_noinline_baseline> ||
    std::is_same_v<B, native_tbb_baseline> || std::is_same_v<B, openmp_baseline>;

template <class B>
inline constexpr bool k_is_serial = std::is_same_v<B, serial_baseline>;
template <class B>
inline constexpr bool k_is_serial_noinline = std::is_same_v<B, serial_noinline_baseline>;
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

// Where share t of `threads` equal shares of [0, n) starts (share t is
// [omp_share(n, t, T), omp_share(n, t + 1, T))): OpenMP's static schedule
// over the threads of a team, for loops written a chunk per thread.
inline std::size_t omp_share(std::size_t n, int t, int threads) {
    const auto tt = static_cast<std::size_t>(t);
    const auto tn = static_cast<std::size_t>(threads);
    return n / tn * tt + n % tn * tt / tn;  // n t / T, without overflow
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

// f, with its value hidden from the optimiser (an empty asm that may change
// it): a call through the result is an indirect call the compiler cannot
// inline or turn into a loop. The serial_noinline recursions call themselves
// through it.
template <class F>
F* opaque_function(F* f) noexcept {
    asm("" : "+r"(f));
    return f;
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

// timed_runs() with prepare() before the warm-up and before each timed run,
// outside the clock, as run_prepared_row() for the pools.
template <class Prepare, class Run>
double timed_prepared_runs(benchmark::State& state, Prepare&& prepare, Run&& run) {
    prepare();
    run();
    double wall = 0;
    for (auto _ : state) {
        prepare();
        const auto start = bench_clock::now();
        run();
        wall += seconds_between(start, bench_clock::now());
    }
    return wall;
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

}  // namespace poolbench::bench
