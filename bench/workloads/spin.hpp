// The spin kernel of WORKLOADS.md (xorshift64*, a dependent chain), its
// checksums, its sequential calibration (t1 of cpu's efficiency), and the
// jobs built on it.
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

#include "measure.hpp"

namespace poolbench::bench {

// ---------------------------------------------------------------------------
// Kernels and jobs

// xorshift64*, a dependent chain the compiler cannot shorten (WORKLOADS.md).
inline std::uint64_t spin(std::uint64_t seed, std::uint32_t rounds) {
    std::uint64_t x = seed | 1;
    for (std::uint32_t i = 0; i < rounds; ++i) {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        x *= 0x2545F4914F6CDD1DULL;
    }
    return x;
}

// splitmix64's finalizer (WORKLOADS.md, "Research workloads").
constexpr std::uint64_t splitmix(std::uint64_t x) {
    x += 0x9E3779B97F4A7C15ULL;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
    return x ^ (x >> 31);
}

inline std::uint32_t job_rounds(std::size_t i, std::uint32_t rounds, bool skewed) {
    return skewed && i % k_skew_every == 0 ? rounds * k_skew_factor : rounds;
}

// Order-sensitive (FNV-1a style) checksum of out.
inline std::uint64_t checksum(const std::vector<std::uint64_t>& out) {
    std::uint64_t h = 0xCBF29CE484222325ULL;
    for (const auto v : out) h = (h ^ v) * 0x100000001B3ULL;
    return h;
}

// The checksum a correct run of `jobs` spin jobs leaves in out, computed
// sequentially once per (jobs, rounds, skewed) and cached. Runner thread only.
inline std::uint64_t expected_checksum(std::size_t jobs, std::uint32_t rounds, bool skewed) {
    static std::map<std::tuple<std::size_t, std::uint32_t, bool>, std::uint64_t> cache;
    const auto key = std::make_tuple(jobs, rounds, skewed);
    if (const auto it = cache.find(key); it != cache.end()) return it->second;
    std::vector<std::uint64_t> out(jobs);
    for (std::size_t i = 0; i < jobs; ++i) out[i] = spin(i, job_rounds(i, rounds, skewed));
    return cache[key] = checksum(out);
}

// Measures the sequential time of each spin job length the workloads use
// (t1 of the cpu efficiency, the two job kinds of the skewed ideal). Call
// once at startup, from main, before any pool exists.
inline void calibrate_spin() {
    constexpr int k_runs = 7;
    constexpr std::uint64_t k_rounds_per_run = 2'000'000;  // ~5 ms of spinning
    auto measure = [](std::uint32_t rounds) {
        const std::size_t calls = std::max<std::uint64_t>(16, k_rounds_per_run / rounds);
        std::vector<std::uint64_t> out(calls);
        const double ns =
            median_ns_per_call([&](std::size_t i) { out[i] = spin(i, rounds); }, calls, k_runs);
        benchmark::DoNotOptimize(checksum(out));
        return ns;
    };
    auto& t = spin_timings();
    t.cpu_job_ns = measure(k_cpu_rounds);
    t.short_job_ns = measure(k_skewed_rounds);
    t.long_job_ns = measure(k_skewed_rounds * k_skew_factor);
}

// Sequential time of the whole skewed job set, in seconds.
inline double skewed_total_spin_seconds(std::size_t jobs) {
    const std::size_t long_jobs = (jobs + k_skew_every - 1) / k_skew_every;
    const auto& t = spin_timings();
    return (static_cast<double>(long_jobs) * t.long_job_ns +
            static_cast<double>(jobs - long_jobs) * t.short_job_ns) *
           1e-9;
}

struct spin_job {
    std::uint64_t* out;
    std::size_t index;
    std::uint32_t rounds;
    void operator()() const noexcept { out[index] = spin(index, rounds); }
};

}  // namespace poolbench::bench
