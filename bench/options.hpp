// pool_bench's options: the environment (POOLBENCH_QUICK, POOLBENCH_WORKERS),
// read once at start-up into a `sweep`, and the worker counts and sizes it
// implies. A bad value is said on stderr and gives nothing (main exits 2).
#pragma once

#include <benchmark/benchmark.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <barrier>
#include <charconv>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include <pools/config.hpp>

namespace poolbench::bench {

// ---------------------------------------------------------------------------
// What to register

struct sweep {
    bool quick = false;
    bool workers_chosen = false;             // POOLBENCH_WORKERS was given
    std::vector<std::size_t> workers;        // default_workers() or the chosen list
    std::vector<std::size_t> sleep_workers;  // 8, 16, 32, 64, 100, 128, 256
    std::chrono::duration<double> idle{1.0};
    std::chrono::duration<double> latency{0.5};
};

inline std::optional<std::size_t> parse_count(std::string_view text) {
    std::size_t value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc{} || end != text.data() + text.size() || value == 0) return {};
    return value;
}

// 1, 2, 4, ... up to the hardware threads, the hardware thread count when it
// is not a power of two, and twice it (oversubscription). Quick: 1, the
// hardware threads and twice them, three counts on every machine, so that its
// length does not grow with the machine (2 hardware threads: 1, 2, 4; 16:
// 1, 16, 32).
inline std::vector<std::size_t> default_workers(std::size_t hw, bool quick) {
    std::vector<std::size_t> ws;
    if (quick) {
        ws = {1, hw, 2 * hw};
    } else {
        for (std::size_t w = 1; w <= hw; w *= 2) ws.push_back(w);
        ws.push_back(hw);
        ws.push_back(2 * hw);
    }
    std::sort(ws.begin(), ws.end());
    ws.erase(std::unique(ws.begin(), ws.end()), ws.end());
    return ws;
}

// "1,2,16" -> {1, 2, 16}; nothing (after saying why) for an empty item, a
// zero, a non-number, a count above k_max_workers or a duplicate.
inline std::optional<std::vector<std::size_t>> parse_workers(std::string_view list) {
    std::vector<std::size_t> ws;
    while (true) {
        const auto comma = list.find(',');
        const std::string item(list.substr(0, comma));
        const auto value = parse_count(item);
        if (!value || *value > k_max_workers) {
            std::fprintf(stderr,
                         "pool_bench: POOLBENCH_WORKERS: '%s' is not a worker count "
                         "(a whole number from 1 to %zu)\n",
                         item.c_str(), k_max_workers);
            return {};
        }
        if (std::find(ws.begin(), ws.end(), *value) != ws.end()) {
            std::fprintf(stderr, "pool_bench: POOLBENCH_WORKERS: %zu is listed twice\n", *value);
            return {};
        }
        ws.push_back(*value);
        if (comma == std::string_view::npos) break;
        list.remove_prefix(comma + 1);
    }
    std::sort(ws.begin(), ws.end());
    return ws;
}

// Reads the environment; nothing when a variable holds something unusable.
inline std::optional<sweep> sweep_from_environment() {
    sweep s;
    if (const char* quick = std::getenv("POOLBENCH_QUICK"); quick && *quick) {
        const std::string_view q(quick);
        if (q != "0" && q != "1") {
            std::fprintf(stderr, "pool_bench: POOLBENCH_QUICK must be 0 or 1, got '%s'\n", quick);
            return {};
        }
        s.quick = q == "1";
    }
    if (s.quick) {
        s.idle = std::chrono::duration<double>(0.1);
        s.latency = std::chrono::duration<double>(0.1);
        g_thread_per_job_max_jobs = k_thread_per_job_max_jobs_quick;
        g_queued_fork_join_max_tasks = k_queued_fork_join_max_tasks_quick;
        g_thread_per_job_fork_join_max_tasks = k_thread_per_job_fork_join_max_tasks_quick;
    }
    if (const char* list = std::getenv("POOLBENCH_WORKERS"); list && *list) {
        auto ws = parse_workers(list);
        if (!ws) return {};
        s.workers = std::move(*ws);
        s.workers_chosen = true;
    } else {
        s.workers = default_workers(hardware_threads(), s.quick);
    }
    for (std::size_t w = 8; w <= 256; w *= 2) {
        // Quick: 8 and 128 (the report's point) only.
        if (s.quick && w != 8 && w != 128) continue;
        s.sleep_workers.push_back(w);
        if (w == 64) s.sleep_workers.push_back(100);
    }
    return s;
}

// 10^3, 10^4, ... up to the workload's default N; quick: a tenth of the
// default only (the quick sweep's time: at the default, one row of the
// slower pools and of thread_pool's futures takes 1 to 3 s).
inline std::vector<std::size_t> job_counts(std::size_t default_jobs, bool quick) {
    if (quick) return {default_jobs / 10};
    std::vector<std::size_t> counts;
    for (std::size_t n = 1000; n <= default_jobs; n *= 10) counts.push_back(n);
    return counts;
}

// A field workload's sizes (WORKLOADS.md): quick runs the first, --full
// every one.
inline std::vector<std::size_t> field_sizes(const sweep& s, std::vector<std::size_t> sizes) {
    if (s.quick) sizes.resize(1);
    return sizes;
}
// The same where the quick sweep cannot afford the field's first size:
// quick runs `quick` instead (the workload's header says why).
inline std::vector<std::size_t> field_sizes(const sweep& s, std::size_t quick,
                                            std::vector<std::size_t> sizes) {
    if (s.quick) return {quick};
    return sizes;
}

// Tree sizes near the job counts above (2^(D+1) - 1 jobs: 2e3, 1.6e4, 1.3e5)
// up to the default depth 20 (2.1e6 jobs); quick: 17 only (2.6e5 jobs).
inline constexpr int k_tree_depth_quick = 17;
inline std::vector<int> tree_depths(bool quick) {
    if (quick) return {k_tree_depth_quick};
    return {10, 13, 16, k_tree_depth};
}

}  // namespace poolbench::bench
