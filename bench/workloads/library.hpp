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

// The loops' kernels: out[i] for i in [lo, hi) (small_for), and the 64-bit
// sum of the elements of [lo, hi) (reduce). Every row of this program calls
// the same compiled copy, a chunk at a time, so that the rows differ only
// in how they split the loop. A loop this tight runs at a speed set by
// where its code lies: on an AMD Zen 5 core the vectorized small_for loop
// took 177 us over 10^6 ints starting 13 to 61 bytes into a 64-byte line
// and 284 us starting 0 to 8 bytes into one, the same instructions. Inlined
// into each row, every row drew its own placement (the serial loop read
// 177 us in one build and 294 us in another). Here the loop lies where the
// compiler puts it in a function that starts a line (noipa: no inlined or
// specialised copy elsewhere), the same in every row and every build of
// the same compiler; with g++ 12 that is the line's start, the slow place
// on Zen 5, for every row alike.
[[gnu::noipa, gnu::aligned(64)]] inline void small_for_kernel(const std::int32_t* in,
                                                              std::int32_t* out, std::size_t lo,
                                                              std::size_t hi) noexcept {
    for (std::size_t i = lo; i < hi; ++i) out[i] = library_element(in[i]);
}

[[gnu::noipa, gnu::aligned(64)]] inline std::int64_t reduce_kernel(const std::int32_t* in,
                                                                   std::size_t lo,
                                                                   std::size_t hi) noexcept {
    std::int64_t sum = 0;
    for (std::size_t i = lo; i < hi; ++i) sum += library_element(in[i]);
    return sum;
}

// small_for's body: a chunk (what the pools' loops call, and oneTBB's,
// OpenMP's and pthreadpool's).
struct small_for_body {
    const std::int32_t* in;
    std::int32_t* out;
    void operator()(std::size_t lo, std::size_t hi) const noexcept {
        small_for_kernel(in, out, lo, hi);
    }
};

// reduce's map: the sum of a chunk's elements (parallel_reduce's chunk map,
// oneTBB's range body, OpenMP's and pthreadpool's share of the range).
struct reduce_map {
    const std::int32_t* in;
    std::int64_t operator()(std::size_t lo, std::size_t hi) const noexcept {
        return reduce_kernel(in, lo, hi);
    }
};

// What the serial loops give: out (small_for) and the sum (reduce).
// (The expected results, so written without the kernels under test.)
inline void small_for_serial(const std::vector<std::int32_t>& in, std::vector<std::int32_t>& out) {
    for (std::size_t i = 0; i < in.size(); ++i) out[i] = library_element(in[i]);
}

inline std::int64_t reduce_serial(const std::vector<std::int32_t>& in) {
    std::int64_t sum = 0;
    for (const std::int32_t x : in) sum += library_element(x);
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
