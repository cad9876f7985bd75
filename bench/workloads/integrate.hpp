// integrate (WORKLOADS.md, field workloads; libfork's and Cilk's adaptive
// quadrature): the adaptive trapezoid rule of f(x) = (x^2 + 1) x over [0, n],
// forking the left half through the pool's task group, calling the right
// half, joining and adding. Every call also counts itself, so a run is
// checked against the serial recursion's call count as well as the closed
// form n^2 (n^2 + 2) / 4. pool_bench is built with -ffp-contract=off (and
// without fast-math), so every build makes the serial number of calls.
// Benchmark bodies: Google Benchmark's runner thread.
#pragma once

#include <benchmark/benchmark.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include "workloads/harness.hpp"

namespace poolbench::bench {

// The field's n (libfork's integrate) in --full, 350,009,975 calls; the quick
// sweep's n = 100 makes 779,923 calls, about 10 ms serial, so that every
// pool's rows fit the quick sweep's time (at n = 1,000, 15 M calls, the
// queued pools took 2 to 8 s a row).
inline constexpr std::uint64_t k_integrate_n = 100;
inline constexpr std::uint64_t k_integrate_n_full = 10'000;
inline constexpr double k_integrate_eps = 1e-9;
inline constexpr double k_integrate_tolerance = 1e-9;  // relative, against the closed form

inline double integrate_f(double x) {
    return (x * x + 1.0) * x;
}

// What a call returns: the area, and the calls made (itself included).
struct integral {
    double area = 0;
    std::uint64_t calls = 0;
};

// One call's own arithmetic, shared by every version: the midpoint, f there
// and the two half trapezoids (libfork's integrate, operation for operation).
struct integrate_split {
    double mid, f_mid, left, right;
    integrate_split(double x0, double f0, double x1, double f1) {
        const double half = (x1 - x0) / 2;
        mid = x0 + half;
        f_mid = integrate_f(mid);
        left = (f0 + f_mid) / 2 * half;
        right = (f_mid + f1) / 2 * half;
    }
    // The two halves agree with the whole: the call returns left + right.
    bool done(double area, double eps) const { return std::abs(left + right - area) < eps; }
};

// Plain recursion.
inline integral integrate_serial(double x0, double f0, double x1, double f1, double area,
                                 double eps) {
    const integrate_split s(x0, f0, x1, f1);
    if (s.done(area, eps)) return {s.left + s.right, 1};
    const integral a = integrate_serial(x0, f0, s.mid, s.f_mid, s.left, eps);
    const integral b = integrate_serial(s.mid, s.f_mid, x1, f1, s.right, eps);
    return {a.area + b.area, a.calls + b.calls + 1};
}

// Fork the left half, call the right, join. Call from inside a job of the pool.
template <pool P>
integral integrate_fork_join(P& pool, double x0, double f0, double x1, double f1, double area,
                             double eps) {
    const integrate_split s(x0, f0, x1, f1);
    if (s.done(area, eps)) return {s.left + s.right, 1};
    integral a;
    integral b;
    {
        task_group<P> group(pool);
        group.run([&pool, &a, &s, x0, f0, eps] {
            a = integrate_fork_join(pool, x0, f0, s.mid, s.f_mid, s.left, eps);
        });
        b = integrate_fork_join(pool, s.mid, s.f_mid, x1, f1, s.right, eps);
        group.wait();
    }
    return {a.area + b.area, a.calls + b.calls + 1};
}

// The first call: integrate(0, f(0), n, f(n), 0).
inline integral integrate_serial(std::uint64_t n, double eps) {
    const auto x1 = static_cast<double>(n);
    return integrate_serial(0.0, integrate_f(0.0), x1, integrate_f(x1), 0.0, eps);
}

template <pool P>
integral integrate_once(P& pool, std::uint64_t n, double eps) {
    const auto x1 = static_cast<double>(n);
    integral result;
    pool.submit([&pool, &result, x1, eps] {
        result = integrate_fork_join(pool, 0.0, integrate_f(0.0), x1, integrate_f(x1), 0.0, eps);
    });
    pool.wait();
    return result;
}

// n^2 (n^2 + 2) / 4, the integral of (x^2 + 1) x over [0, n].
inline double integrate_exact(std::uint64_t n) {
    const auto x = static_cast<double>(n);
    return x * x * (x * x + 2) / 4;
}

// The serial recursion's result for (n, eps), computed once. Runner thread only.
inline const integral& integrate_expected(std::uint64_t n, double eps) {
    static std::map<std::pair<std::uint64_t, double>, integral> cache;
    const auto key = std::make_pair(n, eps);
    if (const auto it = cache.find(key); it != cache.end()) return it->second;
    return cache[key] = integrate_serial(n, eps);
}

// "" when `got` is within the relative tolerance of the closed form and made
// the serial number of calls, else "wrong result: ...".
inline std::string integrate_mismatch(std::uint64_t n, const integral& got,
                                      std::uint64_t want_calls) {
    const double exact = integrate_exact(n);
    if (std::abs(got.area - exact) <= k_integrate_tolerance * exact && got.calls == want_calls) {
        return {};
    }
    char text[160];
    std::snprintf(text, sizeof text, "integrate(n = %llu) = %.17g in %llu calls, expected %.17g",
                  static_cast<unsigned long long>(n), got.area,
                  static_cast<unsigned long long>(got.calls), exact);
    return "wrong result: " + std::string(text) + " in " + std::to_string(want_calls) + " calls";
}

template <pool P>
void run_integrate(benchmark::State& state, std::size_t workers, std::uint64_t n) {
    const std::uint64_t calls = integrate_expected(n, k_integrate_eps).calls;
    const std::string what = "integrate(n = " + std::to_string(n) + ")";
    if (const auto why = fork_join_limit<P>(calls, what); !why.empty()) return skip(state, why);
    std::string wrong;  // the first run's mismatch, if any
    run_row<P>(
        state, workers, std::nullopt,
        [&](P& pool) {
            const integral got = integrate_once(pool, n, k_integrate_eps);
            if (wrong.empty()) wrong = integrate_mismatch(n, got, calls);
        },
        [&] { return wrong; },
        [&](double wall) { report_task_rates(state, calls, workers, wall); });
}

}  // namespace poolbench::bench
