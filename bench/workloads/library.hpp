// small_for and reduce (WORKLOADS.md, library workloads; dispenso's
// simple_for and summing_for): what a user of poolbench's loops pays, from
// one outside thread: poolbench::parallel_for with automatic chunking over a
// cheap body, and poolbench::parallel_reduce of a 64-bit sum, each checked
// against the serial loop. Benchmark bodies: the runner thread.
#pragma once

#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <pools/parallel_for.hpp>
#include <pools/parallel_reduce.hpp>

#include "workloads/harness.hpp"
#include "workloads/spin.hpp"

namespace poolbench::bench {

// ---------------------------------------------------------------------------
// Parameters (WORKLOADS.md): quick 10^3 and 10^6, full also 10^8.

inline constexpr std::size_t k_library_n_small = 1'000;
inline constexpr std::size_t k_library_n_medium = 1'000'000;
inline constexpr std::size_t k_library_n_large = 100'000'000;

inline std::vector<std::size_t> library_sizes(bool quick) {
    if (quick) return {k_library_n_small, k_library_n_medium};
    return {k_library_n_small, k_library_n_medium, k_library_n_large};
}

// in[i] = (splitmix(i) & 255) - 127, filled before the clock starts.
inline std::vector<std::int32_t> library_input(std::size_t n) {
    std::vector<std::int32_t> in(n);
    for (std::size_t i = 0; i < n; ++i) {
        in[i] = static_cast<std::int32_t>(splitmix(i) & 255) - 127;
    }
    return in;
}

// The element of both workloads: x * x - 3 x.
inline std::int32_t library_element(std::int32_t x) noexcept {
    return x * x - 3 * x;
}

// small_for's body: out[i] for one index.
struct small_for_body {
    const std::int32_t* in;
    std::int32_t* out;
    void operator()(std::size_t i) const noexcept { out[i] = library_element(in[i]); }
};

// reduce's map: the element of index i, widened for the 64-bit sum.
struct reduce_map {
    const std::int32_t* in;
    std::int64_t operator()(std::size_t i) const noexcept { return library_element(in[i]); }
};

// What the serial loops give: out (small_for) and the sum (reduce).
inline void small_for_serial(const std::vector<std::int32_t>& in, std::vector<std::int32_t>& out) {
    const small_for_body body{in.data(), out.data()};
    for (std::size_t i = 0; i < in.size(); ++i) body(i);
}

inline std::int64_t reduce_serial(const std::vector<std::int32_t>& in) {
    const reduce_map map{in.data()};
    std::int64_t sum = 0;
    for (std::size_t i = 0; i < in.size(); ++i) sum += map(i);
    return sum;
}

// "" when out is the serial result, else "wrong result: ...".
inline std::string small_for_mismatch(const std::vector<std::int32_t>& in,
                                      const std::vector<std::int32_t>& out) {
    for (std::size_t i = 0; i < in.size(); ++i) {
        if (out[i] != library_element(in[i])) {
            return "wrong result: small_for out[" + std::to_string(i) +
                   "] = " + std::to_string(out[i]) + ", serial " +
                   std::to_string(library_element(in[i]));
        }
    }
    return {};
}

inline std::string reduce_mismatch(std::int64_t got, std::int64_t expected) {
    if (got == expected) return {};
    return "wrong result: reduce sum " + std::to_string(got) + ", serial " +
           std::to_string(expected);
}

// The figures of both: ns per call (the fixed cost of a loop at n = 1,000)
// and elements per second.
inline void report_library_figures(benchmark::State& state, std::size_t n, double wall) {
    const auto calls = static_cast<double>(state.iterations());
    state.counters["ns_per_call"] = wall * 1e9 / calls;
    state.counters["elements_per_s"] = static_cast<double>(n) * calls / wall;
}

// ---------------------------------------------------------------------------
// Over the pools: one call per run, from this (outside) thread; the loop
// returns once every element is done, so no pool wait follows it.

template <pool P>
void run_small_for(benchmark::State& state, std::size_t workers, std::size_t n) {
    const auto in = library_input(n);
    std::vector<std::int32_t> out(n, -1);  // -1: no element's value
    run_row<P>(
        state, workers, std::nullopt,
        [&](P& pool) {
            poolbench::parallel_for(pool, std::size_t{0}, n, small_for_body{in.data(), out.data()});
        },
        [&] { return small_for_mismatch(in, out); },
        [&](double wall) { report_library_figures(state, n, wall); });
}

template <pool P>
void run_reduce(benchmark::State& state, std::size_t workers, std::size_t n) {
    const auto in = library_input(n);
    const std::int64_t expected = reduce_serial(in);
    std::int64_t got = 0;
    run_row<P>(
        state, workers, std::nullopt,
        [&](P& pool) {
            got = poolbench::parallel_reduce(pool, std::size_t{0}, n, std::int64_t{0},
                                             reduce_map{in.data()}, std::plus<>{});
            benchmark::DoNotOptimize(got);
        },
        [&] { return reduce_mismatch(got, expected); },
        [&](double wall) { report_library_figures(state, n, wall); });
}

}  // namespace poolbench::bench
