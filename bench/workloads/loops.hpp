// parallel_for (WORKLOADS.md, research workloads): poolbench::parallel_for
// over N elements of the spin kernel, at fixed grains and automatic chunking,
// checked by checksum against the serial loop.
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

#include <pools/helpers.hpp>

#include "workloads/harness.hpp"
#include "workloads/spin.hpp"

namespace poolbench::bench {

// ---------------------------------------------------------------------------
// Parameters (defaults of WORKLOADS.md)

inline constexpr std::size_t k_parallel_for_n = 10'000'000;
inline constexpr std::size_t k_parallel_for_n_quick = 1'000'000;
inline constexpr std::uint32_t k_parallel_for_rounds = 10;

// ---------------------------------------------------------------------------
// parallel_for

// The grains of one worker count: 1, 64, 4096, N / (8 W), named "n_8w" in
// row names (its value changes with W), and automatic chunking ("auto": no
// grain passed), whose `value` is 0; the others' are at least 1.
struct grain_choice {
    std::string label;
    std::size_t value;
};

inline constexpr std::size_t k_grain_auto = 0;

// Quick: the default grain N / (8 W) and automatic chunking only; --full
// also 1, 64 and 4096.
inline std::vector<grain_choice> parallel_for_grains(std::size_t n, std::size_t workers,
                                                     bool quick) {
    const grain_choice n_8w{"n_8w", std::max<std::size_t>(1, n / (8 * workers))};
    const grain_choice automatic{"auto", k_grain_auto};
    if (quick) return {n_8w, automatic};
    return {{"1", 1}, {"64", 64}, {"4096", 4096}, n_8w, automatic};
}

// The body of every parallel_for run: out[i] = spin(i, rounds).
struct parallel_for_body {
    std::uint64_t* out;
    void operator()(std::size_t i) const noexcept { out[i] = spin(i, k_parallel_for_rounds); }
};

// Sum of the spins, wrapping: the checksum of parallel_for and uts.
inline std::uint64_t spin_sum(const std::vector<std::uint64_t>& out) {
    std::uint64_t s = 0;
    for (const auto v : out) s += v;
    return s;
}

inline void parallel_for_serial(std::vector<std::uint64_t>& out) {
    const parallel_for_body body{out.data()};
    for (std::size_t i = 0; i < out.size(); ++i) body(i);
}

// What the serial run of n elements sums to; computed once per n and cached.
// Runner thread only.
inline std::uint64_t parallel_for_expected(std::size_t n) {
    static std::map<std::size_t, std::uint64_t> cache;
    if (const auto it = cache.find(n); it != cache.end()) return it->second;
    std::vector<std::uint64_t> out(n);
    parallel_for_serial(out);
    return cache[n] = spin_sum(out);
}

// One run: poolbench::parallel_for from this (outside) thread, at `grain`
// or with automatic chunking (k_grain_auto), then the wait.
template <pool P>
void parallel_for_once(P& pool, std::vector<std::uint64_t>& out, std::size_t grain) {
    const parallel_for_body body{out.data()};
    if (grain == k_grain_auto) {
        poolbench::parallel_for(pool, std::size_t{0}, out.size(), body);
    } else {
        poolbench::parallel_for(pool, std::size_t{0}, out.size(), body, grain);
    }
    pool.wait();
}

template <pool P>
void run_parallel_for(benchmark::State& state, std::size_t workers, std::size_t n,
                      std::size_t grain) {
    // Automatic chunking makes a few jobs per worker, whatever n.
    const std::size_t jobs = grain == k_grain_auto ? workers : (n + grain - 1) / grain;
    if (const auto why = research_jobs_limit<P>(jobs, "this grain"); !why.empty()) {
        return skip(state, why);
    }
    const std::uint64_t expected = parallel_for_expected(n);
    std::vector<std::uint64_t> out(n);
    run_row<P>(
        state, workers, std::nullopt,
        [&out, grain](P& pool) { parallel_for_once(pool, out, grain); },
        [&] {
            const auto got = spin_sum(out);
            if (got == expected) return std::string();
            return "wrong result: parallel_for checksum " + std::to_string(got) + ", serial " +
                   std::to_string(expected);
        },
        [&](double wall) {
            report_elements_per_s(state, n, wall);
            if (grain != k_grain_auto) state.counters["grain"] = static_cast<double>(grain);
        });  // the pool's statistics: per job it ran, a chunk each
}

}  // namespace poolbench::bench
