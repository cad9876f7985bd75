// The baselines of integrate: plain recursion (and the same through a call
// the compiler cannot inline: serial_noinline), a oneTBB task_group per fork
// inside the arena, omp task and taskwait (WORKLOADS.md, field workloads).
// Benchmark bodies: Google Benchmark's runner thread.
#pragma once

#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>

#include "baselines/baseline.hpp"
#include "workloads/integrate.hpp"

namespace poolbench::bench {

// Plain recursion through a call the compiler cannot inline (baseline.hpp).
[[gnu::noinline]] inline integral integrate_serial_noinline(double x0, double f0, double x1,
                                                            double f1, double area, double eps) {
    const integrate_split s(x0, f0, x1, f1);
    if (s.done(area, eps)) return {s.left + s.right, 1};
    auto* self = opaque_function(&integrate_serial_noinline);
    const integral a = self(x0, f0, s.mid, s.f_mid, s.left, eps);
    const integral b = self(s.mid, s.f_mid, x1, f1, s.right, eps);
    return {a.area + b.area, a.calls + b.calls + 1};
}

#if defined(POOLBENCH_HAS_TBB)
inline integral integrate_tbb(double x0, double f0, double x1, double f1, double area, double eps) {
    const integrate_split s(x0, f0, x1, f1);
    if (s.done(area, eps)) return {s.left + s.right, 1};
    integral a;
    tbb::task_group group;
    group.run([&a, &s, x0, f0, eps] { a = integrate_tbb(x0, f0, s.mid, s.f_mid, s.left, eps); });
    const integral b = integrate_tbb(s.mid, s.f_mid, x1, f1, s.right, eps);
    group.wait();
    return {a.area + b.area, a.calls + b.calls + 1};
}
#endif

#if defined(_OPENMP)
inline integral integrate_openmp(double x0, double f0, double x1, double f1, double area,
                                 double eps) {
    const integrate_split s(x0, f0, x1, f1);
    if (s.done(area, eps)) return {s.left + s.right, 1};
    integral a;
    integral* left = &a;
    const double mid = s.mid, f_mid = s.f_mid, left_area = s.left;
#pragma omp task
    *left = integrate_openmp(x0, f0, mid, f_mid, left_area, eps);
    const integral b = integrate_openmp(s.mid, s.f_mid, x1, f1, s.right, eps);
#pragma omp taskwait
    return {a.area + b.area, a.calls + b.calls + 1};
}
#endif

template <baseline B>
integral integrate_baseline_once([[maybe_unused]] std::size_t workers, std::uint64_t n, double eps,
                                 [[maybe_unused]] void* team) {
    const auto x1 = static_cast<double>(n);
    integral result;
    if constexpr (k_is_serial<B>) {
        result = integrate_serial(0.0, integrate_f(0.0), x1, integrate_f(x1), 0.0, eps);
    } else if constexpr (k_is_serial_noinline<B>) {
        result = integrate_serial_noinline(0.0, integrate_f(0.0), x1, integrate_f(x1), 0.0, eps);
    } else if constexpr (k_is_native_tbb<B>) {
#if defined(POOLBENCH_HAS_TBB)
        static_cast<tbb_team*>(team)->execute(
            [&] { result = integrate_tbb(0.0, integrate_f(0.0), x1, integrate_f(x1), 0.0, eps); });
#endif
    } else {
#if defined(_OPENMP)
#pragma omp parallel num_threads(omp_threads(workers))
#pragma omp single
        result = integrate_openmp(0.0, integrate_f(0.0), x1, integrate_f(x1), 0.0, eps);
#endif
    }
    return result;
}

template <baseline B>
void run_integrate(benchmark::State& state, std::size_t workers, std::uint64_t n) {
    if (const auto why = baseline_missing<B>(); !why.empty()) return skip(state, why);
    const std::uint64_t calls = integrate_expected(n, k_integrate_eps).calls;
    auto team = make_team<B>(workers);
    const std::uint64_t arg = static_cast<std::uint64_t>(opaque(static_cast<int>(n)));
    integral got;
    const double wall = timed_runs(state, [&] {
        got = integrate_baseline_once<B>(workers, arg, k_integrate_eps, team.get());
    });
    if (const auto why = integrate_mismatch(n, got, calls); !why.empty()) return skip(state, why);
    report_task_rates(state, calls, workers, wall);
}

}  // namespace poolbench::bench
