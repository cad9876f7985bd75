// uts: the Unbalanced Tree Search benchmark exactly as published (Olivier et
// al., "UTS: An Unbalanced Tree Search Benchmark", LCPC 2006; the trees of the
// UTS distribution's sample_trees.sh and its SHA-1 generator, WORKLOADS.md):
// each node forks all its children through the pool's task group, and the
// nodes, the depth and the leaves are reduced up the joins. SHA-1 is nettle's.
// Any thread may walk a tree; a tree's parameters are constants.
#pragma once

#include <benchmark/benchmark.h>
#include <nettle/sha1.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "workloads/harness.hpp"

namespace poolbench::bench {

// ---------------------------------------------------------------------------
// The published trees

enum class uts_type { binomial, geometric };
// The geometric trees' shape of the target branching factor over depth, with
// UTS's own numbering (-a).
enum class uts_shape { linear = 0, expdec = 1, cyclic = 2, fixed = 3 };

// What a traversal found: nodes, the deepest node (the root at depth 0), and
// the nodes without children.
struct uts_result {
    std::uint64_t nodes = 0;
    std::uint64_t leaves = 0;
    std::uint32_t depth = 0;

    uts_result& operator+=(const uts_result& o) noexcept {
        nodes += o.nodes;
        leaves += o.leaves;
        depth = std::max(depth, o.depth);
        return *this;
    }
    bool operator==(const uts_result&) const = default;
};

// One tree: UTS's command-line parameters and the published result (all
// zero where none is published).
struct uts_tree {
    std::string_view name;  // the row's tree:<name>
    uts_type type = uts_type::binomial;
    uts_shape shape = uts_shape::linear;  // -a (geometric)
    std::uint32_t gen_mx = 0;             // -d (geometric)
    double b0 = 0;                        // -b
    double q = 0;                         // -q (binomial)
    std::uint32_t m = 0;                  // -m (binomial)
    std::int32_t seed = 0;                // -r
    uts_result published{};
};

// sample_trees.sh, and the nodes/leaves/depth it publishes for each.
inline constexpr uts_tree k_uts_t1{.name = "t1",
                                   .type = uts_type::geometric,
                                   .shape = uts_shape::fixed,
                                   .gen_mx = 10,
                                   .b0 = 4,
                                   .seed = 19,
                                   .published = {4'130'071, 3'305'118, 10}};
inline constexpr uts_tree k_uts_t1l{.name = "t1l",
                                    .type = uts_type::geometric,
                                    .shape = uts_shape::fixed,
                                    .gen_mx = 13,
                                    .b0 = 4,
                                    .seed = 29,
                                    .published = {102'181'082, 81'746'377, 13}};
inline constexpr uts_tree k_uts_t2{.name = "t2",
                                   .type = uts_type::geometric,
                                   .shape = uts_shape::cyclic,
                                   .gen_mx = 16,
                                   .b0 = 6,
                                   .seed = 502,
                                   .published = {4'117'769, 2'342'762, 81}};
inline constexpr uts_tree k_uts_t3{.name = "t3",
                                   .type = uts_type::binomial,
                                   .b0 = 2000,
                                   .q = 0.124875,
                                   .m = 8,
                                   .seed = 42,
                                   .published = {4'112'897, 3'599'034, 1572}};
inline constexpr uts_tree k_uts_t3l{.name = "t3l",
                                    .type = uts_type::binomial,
                                    .b0 = 2000,
                                    .q = 0.200014,
                                    .m = 5,
                                    .seed = 7,
                                    .published = {111'345'631, 89'076'904, 17844}};
// The small tree of `pool_bench --checksums` (bench/external/README.md):
// -t 1 -a 3 -d 6 -b 4 -r 19, nothing published.
inline constexpr uts_tree k_uts_checksum_tree{.name = "checksum",
                                              .type = uts_type::geometric,
                                              .shape = uts_shape::fixed,
                                              .gen_mx = 6,
                                              .b0 = 4,
                                              .seed = 19};

// UTS caps every node but the binomial root at this many children.
inline constexpr std::uint32_t k_uts_max_children = 100;

// ---------------------------------------------------------------------------
// Nodes: a 20-byte SHA-1 state and a depth

struct uts_node {
    std::array<std::uint8_t, SHA1_DIGEST_SIZE> state;
    std::uint32_t depth;
};

inline void uts_put_be32(std::uint8_t* out, std::uint32_t v) noexcept {
    out[0] = static_cast<std::uint8_t>(v >> 24);
    out[1] = static_cast<std::uint8_t>(v >> 16);
    out[2] = static_cast<std::uint8_t>(v >> 8);
    out[3] = static_cast<std::uint8_t>(v);
}

// The root: SHA-1 of 16 zero bytes and the seed, big-endian (rng_init).
inline uts_node uts_root(const uts_tree& t) noexcept {
    std::array<std::uint8_t, 20> in{};
    uts_put_be32(in.data() + 16, static_cast<std::uint32_t>(t.seed));
    uts_node n{{}, 0};
    sha1_ctx ctx;
    sha1_init(&ctx);
    sha1_update(&ctx, in.size(), in.data());
    sha1_digest(&ctx, n.state.size(), n.state.data());
    return n;
}

// Child i: SHA-1 of the parent's state and i, big-endian (rng_spawn).
inline uts_node uts_child(const uts_node& parent, std::uint32_t i) noexcept {
    std::array<std::uint8_t, SHA1_DIGEST_SIZE + 4> in;
    std::copy(parent.state.begin(), parent.state.end(), in.begin());
    uts_put_be32(in.data() + SHA1_DIGEST_SIZE, i);
    uts_node n{{}, parent.depth + 1};
    sha1_ctx ctx;
    sha1_init(&ctx);
    sha1_update(&ctx, in.size(), in.data());
    sha1_digest(&ctx, n.state.size(), n.state.data());
    return n;
}

// u in [0, 1): bytes 16..19 big-endian, masked to 31 bits, over 2^31
// (rng_rand, rng_toProb).
inline double uts_uniform(const uts_node& n) noexcept {
    const std::uint32_t r = (std::uint32_t{n.state[16]} << 24) |
                            (std::uint32_t{n.state[17]} << 16) | (std::uint32_t{n.state[18]} << 8) |
                            std::uint32_t{n.state[19]};
    return static_cast<double>(r & 0x7fffffffU) / 2147483648.0;
}

// The geometric trees' target branching factor at `depth` (the root: b0).
inline double uts_target(const uts_tree& t, std::uint32_t depth) noexcept {
    if (depth == 0) return t.b0;
    const double d = depth;
    const double mx = t.gen_mx;
    switch (t.shape) {
        case uts_shape::expdec:
            return t.b0 * std::pow(d, -std::log(t.b0) / std::log(mx));
        case uts_shape::cyclic:
            if (d > 5 * mx) return 0;
            return std::pow(t.b0, std::sin(2.0 * 3.141592653589793 * d / mx));
        case uts_shape::fixed:
            return depth < t.gen_mx ? t.b0 : 0;
        case uts_shape::linear:
            break;
    }
    return t.b0 * (1.0 - d / mx);
}

// How many children node n has (uts_numChildren).
inline std::uint32_t uts_children(const uts_tree& t, const uts_node& n) noexcept {
    if (t.type == uts_type::binomial) {
        if (n.depth == 0) return static_cast<std::uint32_t>(t.b0);
        return uts_uniform(n) < t.q ? t.m : 0;
    }
    const double p = 1.0 / (1.0 + uts_target(t, n.depth));
    if (p >= 1.0) return 0;
    const double k = std::floor(std::log(1.0 - uts_uniform(n)) / std::log(1.0 - p));
    return k >= k_uts_max_children ? k_uts_max_children : static_cast<std::uint32_t>(k);
}

// The result of a node with no children.
inline uts_result uts_leaf(const uts_node& n) noexcept {
    return {1, 1, n.depth};
}

// ---------------------------------------------------------------------------
// Traversals

// Plain recursion: the serial baseline and the unit test's walk.
inline uts_result uts_serial_node(const uts_tree& t, const uts_node& n) {
    const std::uint32_t k = uts_children(t, n);
    if (k == 0) return uts_leaf(n);
    uts_result r{1, 0, n.depth};
    for (std::uint32_t i = 0; i < k; ++i) r += uts_serial_node(t, uts_child(n, i));
    return r;
}

inline uts_result uts_serial(const uts_tree& t) {
    return uts_serial_node(t, uts_root(t));
}

// A node's children's results, one slot each: on the stack up to
// k_uts_inline_slots (every node of T3 but its root), else on the heap.
class uts_slots {
public:
    static constexpr std::uint32_t k_uts_inline_slots = 16;
    explicit uts_slots(std::uint32_t k)
        : m_heap(k > k_uts_inline_slots ? std::make_unique<uts_result[]>(k) : nullptr),
          m_slots(m_heap ? m_heap.get() : m_inline.data()) {}
    uts_result& operator[](std::uint32_t i) noexcept { return m_slots[i]; }

private:
    std::array<uts_result, k_uts_inline_slots> m_inline{};
    std::unique_ptr<uts_result[]> m_heap;
    uts_result* m_slots;
};

// Fork-join through the pool's task group: every child is forked (it hashes
// its own state from the parent's, which outlives it), the parent joins
// them all and adds their results. Call from inside a job.
template <pool P>
uts_result uts_fork_join(P& pool, const uts_tree& t, const uts_node& n) {
    const std::uint32_t k = uts_children(t, n);
    if (k == 0) return uts_leaf(n);
    uts_slots slots(k);
    {
        task_group<P> group(pool);
        for (std::uint32_t i = 0; i < k; ++i) {
            group.run([&pool, &t, &n, i, slot = &slots[i]] {
                *slot = uts_fork_join(pool, t, uts_child(n, i));
            });
        }
        group.wait();
    }
    uts_result r{1, 0, n.depth};
    for (std::uint32_t i = 0; i < k; ++i) r += slots[i];
    return r;
}

// One run: this thread submits the root job and waits.
template <pool P>
uts_result uts_once(P& pool, const uts_tree& t) {
    uts_result r;
    pool.submit([&pool, &t, &r] { r = uts_fork_join(pool, t, uts_root(t)); });
    pool.wait();
    return r;
}

// "wrong result: ..." when r is not t's published result, else "".
inline std::string uts_mismatch(const uts_tree& t, const uts_result& r) {
    if (r == t.published) return {};
    const auto line = [](const uts_result& x) {
        return std::to_string(x.nodes) + " nodes, depth " + std::to_string(x.depth) + ", " +
               std::to_string(x.leaves) + " leaves";
    };
    return "wrong result: uts tree " + std::string(t.name) + " gave " + line(r) + ", published " +
           line(t.published);
}

// nodes_per_s and ns_per_task (= wall x W / nodes, libfork's metric).
inline void report_uts(benchmark::State& state, const uts_tree& t, std::size_t workers,
                       double wall) {
    const double nodes =
        static_cast<double>(t.published.nodes) * static_cast<double>(state.iterations());
    state.counters["nodes_per_s"] = nodes / wall;
    state.counters["ns_per_task"] = wall * 1e9 * static_cast<double>(workers) / nodes;
}

template <pool P>
void run_uts(benchmark::State& state, std::size_t workers, const uts_tree& t) {
    if (const auto why = fork_join_limit<P>(t.published.nodes, "uts"); !why.empty()) {
        return skip(state, why);
    }
    std::string wrong;  // the first run's mismatch, if any
    run_row<P>(
        state, workers, std::nullopt,
        [&](P& pool) {
            const uts_result got = uts_once(pool, t);
            if (wrong.empty()) wrong = uts_mismatch(t, got);
        },
        [&] { return wrong; }, [&](double wall) { report_uts(state, t, workers, wall); });
}

}  // namespace poolbench::bench
