// How rows are registered: Google Benchmark registration with real time, the
// row name workload/pool/workers:W, and the one fold over every pool type (and
// the baselines) that each workload's registration runs.
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

#include <pools/all_pools.hpp>

#include "baselines/baseline.hpp"

namespace poolbench::bench {

// Every timed row runs as many iterations as last at least the minimum time
// of initialize_benchmark() (context.hpp; Google Benchmark finds the count on
// a row's first repetition and keeps it for the others), after one untimed
// warm-up run on the same pool inside the row (workloads/harness.hpp).

template <class Body>
void add(const std::string& name, Body body) {
    benchmark::RegisterBenchmark(name.c_str(), std::move(body))
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond);
}

// A row that is one long run by definition (idle, latency): one iteration.
template <class Body>
void add_once(const std::string& name, Body body) {
    benchmark::RegisterBenchmark(name.c_str(), std::move(body))
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond)
        ->Iterations(1);
}

template <class P>
std::string row(std::string_view workload, std::size_t workers) {
    return std::string(workload) + "/" + std::string(P::name) +
           "/workers:" + std::to_string(workers);
}

template <class P>
std::vector<std::size_t> workers_for(const std::vector<std::size_t>& sweep_workers) {
    std::vector<std::size_t> ws;
    for (const auto w : sweep_workers) {
        if (registers_at_workers<P>(w)) ws.push_back(w);
    }
    return ws;
}

// The one registration helper: calls add_rows(std::type_identity<P>{}) for
// every pool type P in all_pools, in the tuple's order.
template <class AddRows>
void for_each_pool(AddRows&& add_rows) {
    [&]<class... Ps>(std::type_identity<std::tuple<Ps...>>) {
        (add_rows(std::type_identity<Ps>{}), ...);
    }(std::type_identity<all_pools>{});
}

// for_each_pool, then the baselines (bench/baselines.hpp), for the workloads
// WORKLOADS.md gives baselines.
template <class AddRows>
void for_each_pool_and_baseline(AddRows&& add_rows) {
    for_each_pool(add_rows);
    [&]<class... Bs>(std::type_identity<std::tuple<Bs...>>) {
        (add_rows(std::type_identity<Bs>{}), ...);
    }(std::type_identity<all_baselines>{});
}

}  // namespace poolbench::bench
