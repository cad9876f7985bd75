// Measurement helpers for pool_bench: wall clock, process and thread CPU
// time, peak resident memory (with a per-row reset), latency quantiles, a
// sleep-then-spin pacer for open-loop submission, and the store of the spin
// kernel's sequential timings (t1), filled by calibrate_spin() at startup.
// All are callable from any thread; timer_slack_scope affects its own thread,
// reset_peak_rss() the whole process, spin_timings() is written once by main.
#pragma once

#include <sys/prctl.h>
#include <sys/resource.h>
#include <time.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <thread>
#include <vector>

#include <base/cpu_relax.hpp>

namespace poolbench::bench {

using bench_clock = std::chrono::steady_clock;

inline double seconds_between(bench_clock::time_point from, bench_clock::time_point to) {
    return std::chrono::duration<double>(to - from).count();
}

inline std::int64_t ns_of(bench_clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

inline std::int64_t now_ns() {
    return ns_of(bench_clock::now());
}

// CPU seconds spent by every thread of this process so far.
inline double process_cpu_seconds() {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// What this process spends while the calling thread sleeps for `d`.
struct cpu_over_sleep {
    double cpu_seconds;
    double wall_seconds;
};

inline cpu_over_sleep cpu_while_sleeping(std::chrono::duration<double> d) {
    const double cpu_start = process_cpu_seconds();
    const auto start = bench_clock::now();
    std::this_thread::sleep_for(d);
    return {process_cpu_seconds() - cpu_start, seconds_between(start, bench_clock::now())};
}

// The process's peak resident set since the last reset_peak_rss() that
// succeeded (else since it started), in MiB: getrusage's maxrss, which
// Linux reads from the process's high-water mark.
inline double peak_rss_mb() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return static_cast<double>(usage.ru_maxrss) / 1024.0;  // Linux reports KiB
}

// Lowers the high-water mark peak_rss_mb() reads to the current resident set,
// after handing memory that earlier rows freed back to the system, so the
// next peak_rss_mb() is the footprint of what runs in between. Linux >= 4.0
// (writing 5 to /proc/self/clear_refs); returns false when that is refused,
// and the mark then stays a process-wide one, which depends on run order.
inline bool reset_peak_rss() {
#if defined(__GLIBC__)
    malloc_trim(0);
#endif
    std::ofstream clear_refs("/proc/self/clear_refs");
    clear_refs << "5" << std::flush;
    return static_cast<bool>(clear_refs);
}

// The q-quantile (0 < q <= 1) of samples by nearest rank, in microseconds.
// Sorts samples in place.
inline double quantile_us(std::vector<std::int64_t>& samples, double q) {
    if (samples.empty()) return 0.0;
    std::sort(samples.begin(), samples.end());
    const auto rank = std::clamp<std::size_t>(
        static_cast<std::size_t>(std::ceil(q * static_cast<double>(samples.size()))), 1,
        samples.size());
    return static_cast<double>(samples[rank - 1]) * 1e-3;
}

// Lowers the calling thread's timer slack to 1 ns for a scope, so that its
// sleeps end within microseconds of their deadline instead of the default
// 50 us late (Linux prctl(PR_SET_TIMERSLACK); a no-op where refused).
class timer_slack_scope {
public:
    timer_slack_scope() noexcept : m_previous(prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0)) {
        prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
    }
    ~timer_slack_scope() {
        if (m_previous > 0)
            prctl(PR_SET_TIMERSLACK, static_cast<unsigned long>(m_previous), 0, 0, 0);
    }
    timer_slack_scope(const timer_slack_scope&) = delete;
    timer_slack_scope& operator=(const timer_slack_scope&) = delete;

private:
    int m_previous;
};

// Returns at `deadline`, as precisely as the clock allows: sleeps while the
// deadline is more than k_sleep_margin away (with the timer slack of a
// timer_slack_scope a sleep ends a few microseconds late, which the margin
// covers), then spins on the clock. Returns at once when it has passed.
inline void pace_until(bench_clock::time_point deadline) {
    constexpr auto k_sleep_margin = std::chrono::microseconds(10);
    if (deadline - bench_clock::now() > k_sleep_margin) {
        std::this_thread::sleep_until(deadline - k_sleep_margin);
    }
    while (bench_clock::now() < deadline) detail::cpu_relax();
}

// CPU seconds spent by the calling thread so far.
inline double thread_cpu_seconds() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// The median, over `runs` runs, of the time one call of body(i) takes when
// called for i = 0 .. calls-1 back to back on this thread, in nanoseconds of
// this thread's CPU time (so that time spent preempted by other processes
// does not count). One run is discarded first to warm caches and let the
// clock frequency settle.
template <class Body>
double median_ns_per_call(Body&& body, std::size_t calls, int runs) {
    std::vector<double> per_call;
    for (int r = -1; r < runs; ++r) {
        const double start = thread_cpu_seconds();
        for (std::size_t i = 0; i < calls; ++i) body(i);
        const double ns = (thread_cpu_seconds() - start) * 1e9;
        if (r >= 0) per_call.push_back(ns / static_cast<double>(calls));
    }
    std::sort(per_call.begin(), per_call.end());
    return per_call[per_call.size() / 2];
}

// Sequential time of one spin job of each length the workloads use, in
// nanoseconds, measured in this binary at startup (calibrate_spin()).
struct spin_calibration {
    double cpu_job_ns = 0;    // spin(i, k_cpu_rounds): t1 of the cpu workload
    double short_job_ns = 0;  // spin(i, k_skewed_rounds): skewed, i % 64 != 0
    double long_job_ns = 0;   // spin(i, k_skewed_rounds x 64): skewed, i % 64 == 0
};

inline spin_calibration& spin_timings() {
    static spin_calibration timings;
    return timings;
}

}  // namespace poolbench::bench
