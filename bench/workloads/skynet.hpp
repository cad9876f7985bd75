// skynet (WORKLOADS.md, field workloads; the skynet benchmark of the task
// runtimes' suites): a 10-ary tree of tasks, each node forking its ten
// children through the pool's task group (whose wait helps) and summing
// their results up the joins; a leaf returns its base. 1,111,111 tasks at
// depth 6. Benchmark bodies: Google Benchmark's runner thread.
#pragma once

#include <benchmark/benchmark.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "workloads/harness.hpp"

namespace poolbench::bench {

inline constexpr int k_skynet_depth = 6;
inline constexpr int k_skynet_depth_full = 8;
inline constexpr std::size_t k_skynet_children = 10;

// 10^e, for the bases of the children (e <= 18).
constexpr std::uint64_t skynet_pow10(int e) {
    std::uint64_t p = 1;
    for (int i = 0; i < e; ++i) p *= 10;
    return p;
}

// Tasks of a tree of `depth`: the sum of 10^l for l = 0..depth.
constexpr std::uint64_t skynet_tasks(int depth) {
    std::uint64_t t = 0;
    for (int l = 0; l <= depth; ++l) t += skynet_pow10(l);
    return t;
}

// The sum of the leaves' bases 0 .. 10^depth - 1.
constexpr std::uint64_t skynet_sum(int depth) {
    const std::uint64_t leaves = skynet_pow10(depth);
    return leaves * (leaves - 1) / 2;
}
static_assert(skynet_tasks(6) == 1'111'111 && skynet_sum(6) == 499'999'500'000);
static_assert(skynet_sum(8) == 4'999'999'950'000'000);

// The node of base `base` at level `level`: child k has base
// base + k x 10^(depth - level - 1). Call from inside a job of the pool.
template <pool P>
std::uint64_t skynet_fork_join(P& pool, std::uint64_t base, int level, int depth) {
    if (level == depth) return base;
    const std::uint64_t step = skynet_pow10(depth - level - 1);
    std::array<std::uint64_t, k_skynet_children> sums{};
    {
        task_group<P> group(pool);
        for (std::size_t k = 0; k < k_skynet_children; ++k) {
            group.run([&pool, slot = &sums[k], b = base + k * step, level, depth] {
                *slot = skynet_fork_join(pool, b, level + 1, depth);
            });
        }
        group.wait();
    }
    std::uint64_t sum = 0;
    for (const auto s : sums) sum += s;
    return sum;
}

// One run: this thread submits the root and waits.
template <pool P>
std::uint64_t skynet_once(P& pool, int depth) {
    std::uint64_t sum = 0;
    pool.submit([&pool, &sum, depth] { sum = skynet_fork_join(pool, 0, 0, depth); });
    pool.wait();
    return sum;
}

inline std::string skynet_mismatch(int depth, std::uint64_t got) {
    return "wrong result: skynet(depth " + std::to_string(depth) + ") summed " +
           std::to_string(got) + ", expected " + std::to_string(skynet_sum(depth));
}

template <pool P>
void run_skynet(benchmark::State& state, std::size_t workers, int depth) {
    const std::uint64_t tasks = skynet_tasks(depth);
    const std::string what = "skynet at depth " + std::to_string(depth);
    if (const auto why = fork_join_limit<P>(tasks, what); !why.empty()) return skip(state, why);
    std::string wrong;  // the first run's wrong sum, if any
    run_row<P>(
        state, workers, std::nullopt,
        [&](P& pool) {
            const std::uint64_t got = skynet_once(pool, depth);
            if (got != skynet_sum(depth) && wrong.empty()) wrong = skynet_mismatch(depth, got);
        },
        [&] { return wrong; },
        [&](double wall) { report_task_rates(state, tasks, workers, wall); });
}

}  // namespace poolbench::bench
