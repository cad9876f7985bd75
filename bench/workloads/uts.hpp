// uts: an unbalanced tree search, each node submitting its children from
// inside the pool, the node counts tallied per thread and checked against the
// serial walk.
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

#include <pools/detail/per_thread.hpp>

#include "workloads/harness.hpp"
#include "workloads/spin.hpp"

namespace poolbench::bench {

// ---------------------------------------------------------------------------
// uts: unbalanced tree search

// splitmix64's finalizer (WORKLOADS.md).
constexpr std::uint64_t splitmix(std::uint64_t x) {
    x += 0x9E3779B97F4A7C15ULL;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
    return x ^ (x >> 31);
}

struct uts_params {
    std::uint64_t b0 = 2000;  // children of the root
    std::uint64_t m = 8;      // children of a node that has any
    double q = 0.12475;       // probability that a non-root node has m children
    std::uint64_t seed = 1;
    std::uint32_t rounds = 100;  // spin rounds per node

    std::uint64_t root_hash() const { return splitmix(seed); }
    // A non-root node has m children iff the low 32 bits of splitmix(h) are
    // below q * 2^32 (compared exactly: both are exact as doubles).
    std::uint64_t children(std::uint64_t h, std::uint32_t depth) const {
        if (depth == 0) return b0;
        const auto low = static_cast<double>(splitmix(h) & 0xFFFFFFFFULL);
        return low < q * 4294967296.0 ? m : 0;
    }
    static std::uint64_t child_hash(std::uint64_t h, std::uint64_t i) {
        return splitmix(h + 0xD6E8FEB86659FD93ULL * (i + 1));
    }
};

// The default tree's size (WORKLOADS.md); tests check the serial traversal.
inline constexpr std::uint64_t k_uts_nodes = 1'360'161;
inline constexpr std::uint32_t k_uts_depth = 774;

// What a traversal found: nodes, the wrapping sum of their spins, the deepest.
struct uts_tally {
    std::uint64_t nodes = 0;
    std::uint64_t sum = 0;
    std::uint32_t max_depth = 0;

    void visit(std::uint64_t spun, std::uint32_t depth) noexcept {
        ++nodes;
        sum += spun;
        max_depth = std::max(max_depth, depth);
    }
    uts_tally& operator+=(const uts_tally& o) noexcept {
        nodes += o.nodes;
        sum += o.sum;
        max_depth = std::max(max_depth, o.max_depth);
        return *this;
    }
    bool operator==(const uts_tally&) const = default;
};

inline void uts_serial_node(const uts_params& p, std::uint64_t h, std::uint32_t depth,
                            uts_tally& t) {
    t.visit(spin(h, p.rounds), depth);
    const std::uint64_t n = p.children(h, depth);
    for (std::uint64_t i = 0; i < n; ++i)
        uts_serial_node(p, uts_params::child_hash(h, i), depth + 1, t);
}

// Plain recursion: the serial baseline and the reference every traversal
// must match.
inline uts_tally uts_serial(const uts_params& p) {
    uts_tally t;
    uts_serial_node(p, p.root_hash(), 0, t);
    return t;
}

// The serial tally of the default tree, computed once. Runner thread only.
inline const uts_tally& uts_expected() {
    static const uts_tally t = uts_serial(uts_params{});
    return t;
}

// One tally per thread that takes part in a run, each on its own cache
// lines (detail::per_thread), so that a node costs no shared write.
// local(): any thread, during the run. total(): after the run's wait, which
// orders every node's writes before it.
class uts_tallies {
public:
    uts_tally& local() { return m_tallies.local(); }
    uts_tally total() const {
        uts_tally t;
        m_tallies.for_each([&t](const uts_tally& r) { t += r; });
        return t;
    }

private:
    detail::per_thread<uts_tally> m_tallies;
};

// One run's shared, read-only state and its tallies.
struct uts_run {
    uts_params params;
    uts_tallies tallies;
};

// A node: spins, counts itself, and submits its children from inside the pool.
template <pool P>
struct uts_job {
    P* pool;
    uts_run* run;
    std::uint64_t hash;
    std::uint32_t depth;
    void operator()() const {
        run->tallies.local().visit(spin(hash, run->params.rounds), depth);
        const std::uint64_t n = run->params.children(hash, depth);
        for (std::uint64_t i = 0; i < n; ++i) {
            pool->submit(uts_job{pool, run, uts_params::child_hash(hash, i), depth + 1});
        }
    }
};

// One run: this thread submits the root and waits.
template <pool P>
uts_tally uts_once(P& pool, const uts_params& params) {
    uts_run run{params, {}};
    pool.submit(uts_job<P>{&pool, &run, params.root_hash(), 0});
    pool.wait();
    return run.tallies.total();
}

inline std::string uts_mismatch(const uts_tally& got, const uts_tally& want) {
    return "wrong result: uts visited " + std::to_string(got.nodes) + " nodes (sum " +
           std::to_string(got.sum) + ", depth " + std::to_string(got.max_depth) +
           "), the serial traversal " + std::to_string(want.nodes) + " (sum " +
           std::to_string(want.sum) + ", depth " + std::to_string(want.max_depth) + ")";
}

template <pool P>
void run_uts(benchmark::State& state, std::size_t workers) {
    const uts_tally& want = uts_expected();
    if (const auto why = research_jobs_limit<P>(want.nodes, "uts"); !why.empty()) {
        return skip(state, why);
    }
    std::string wrong;  // the first run's mismatch, if any
    run_row<P>(
        state, workers, want.nodes,
        [&](P& pool) {
            const uts_tally got = uts_once(pool, uts_params{});
            if (got != want && wrong.empty()) wrong = uts_mismatch(got, want);
        },
        [&] { return wrong; },
        [&](double wall) {
            state.counters["nodes_per_s"] =
                static_cast<double>(want.nodes) * static_cast<double>(state.iterations()) / wall;
        });
}

}  // namespace poolbench::bench
