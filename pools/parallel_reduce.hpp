// parallel_reduce: a reduction over an index range, written once over the
// pool concept, whose result depends only on the range and the worker count,
// never on timing (oneTBB's parallel_deterministic_reduce): the range is cut
// into leaves fixed by those two, each leaf folded left to right (or given to
// a chunk map whole), the leaves combined in a fixed balanced tree; so a
// floating-point sum is reproducible. The leaves run as a parallel_for
// (pools/parallel_for.hpp), after the calling thread's head start over the
// first indices. Any thread may call.
#pragma once

#include <algorithm>
#include <chrono>
#include <concepts>
#include <cstddef>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

#include <pools/parallel_for.hpp>
#include <pools/pool.hpp>

namespace poolbench {

namespace detail {

// Leaves per worker: enough for the automatic loop to balance them (a leaf
// is a function call, not a job; the loop splits no finer), few enough that
// their values and the tree that combines them stay cheap next to a short
// reduction. 8 left the last leaves' imbalance in the time: reduce over 10^6
// ints at 2 workers, ten alternated runs, 185 us a call at 8, 180 at 16,
// 181 at 32; over 1,000, 0.70 us at 16 and 0.99 at 32.
inline constexpr loop_offset k_reduce_leaves_per_worker = 16;

// The most indices an equal leaf holds, where that makes no more than
// k_reduce_leaves_per_worker_most leaves a worker: a long reduction gets
// more than 16 leaves a worker. A leaf is the least a split leaves, so the
// workers' last leaves end up to a leaf's time apart: over 10^8 ints at 2
// workers, in a loop that splits on demand (parallel_for.hpp), 16 leaves a
// worker took 1.1 ms each and the last ones ended 1.2 ms apart (medians of
// 12 rounds); leaves of 2^16 indices (763 a worker), 31 us apart. 40
// rotated rounds: 41.1 -> 40.0 ms a call (1.5 %, p = 0.17), 1.043 -> 1.019
// of native_tbb's time (p = 0.002 and 0.06). The bound on leaves a worker
// bounds the values kept (one slot a leaf) however long the range.
inline constexpr loop_offset k_reduce_leaf_most = loop_offset{1} << 16;
inline constexpr loop_offset k_reduce_leaves_per_worker_most = 1024;

// Equal leaves of at least this many indices are preceded by a prefix of
// smaller ones (reduce_leaves). A shorter leaf holds fewer indices than an
// index loop's head start runs before its fourth look at the clock (85);
// and a prefix there would cost a small reduction more looks (26 ns each)
// than it saves: over 1,000 ints, leaves of 31 at 2 workers, 0.56 us a call
// without one and 0.65 with (15 alternated rounds; 0.47 and 0.56 at one).
inline constexpr loop_offset k_reduce_prefix_from = 64;

// The leaves of n > 0 indices at `workers` workers: min(n, E) equal
// leaves, E = max(16 W, min(ceil(n / 2^16), 1024 W)) (equal_leaves()),
// preceded, where they would hold k_reduce_prefix_from indices or more, by
// a prefix of leaves of 1, 4, 16, ... indices, each four times the one
// before and shorter than n / E; the equal leaves share what the prefix
// leaves (`left`), the first left % count of them one index longer. The
// prefix leaves are the head start's first blocks (parallel_for.hpp), so
// that a chunk map's head start, which runs whole leaves, looks at the
// clock after as little work as an index map's does, and the block after
// them asks for at least one equal leaf (4^prefix >= n / E), so it runs
// past what it asked by one leaf at most. Without them a chunk map's first
// block was one leaf of n / 16 W indices, however long: over 10^6 ints,
// 9.5 us of the caller alone at 2 workers and 19 us at one, where the head
// start means to stop after 1 us.
struct reduce_leaves {
    loop_offset prefix = 0;      // leaves in the prefix
    loop_offset prefix_end = 0;  // indices in them: (4^prefix - 1) / 3
    loop_offset count = 0;       // all the leaves
    loop_offset base = 0;        // indices in an equal leaf: left / (count - prefix)
    loop_offset extra = 0;       // left % (count - prefix), left = n - prefix_end

    reduce_leaves(loop_offset n, std::size_t workers) noexcept {
        const loop_offset equal = equal_leaves(n, workers);  // at most
        const loop_offset largest = n / equal >= k_reduce_prefix_from ? n / equal - 1 : 0;
        for (loop_offset size = 1; size <= largest; size *= 4) {  // the prefix
            ++prefix;
            prefix_end += size;
        }
        const loop_offset left = n - prefix_end;  // > 0: prefix_end < 4 n / 3 equal
        const loop_offset equal_count = std::min(left, equal);
        count = prefix + equal_count;
        base = left / equal_count;
        extra = left % equal_count;
    }

    // E above: how many equal leaves n indices get at most.
    static loop_offset equal_leaves(loop_offset n, std::size_t workers) noexcept {
        const loop_offset w = std::max<loop_offset>(workers, 1);
        return std::max(
            k_reduce_leaves_per_worker * w,
            std::min(ceil_div(n, k_reduce_leaf_most), k_reduce_leaves_per_worker_most * w));
    }

    loop_offset begin(loop_offset leaf) const noexcept {
        if (leaf < prefix) return ((loop_offset{1} << (2 * leaf)) - 1) / 3;
        const loop_offset k = leaf - prefix;
        return prefix_end + k * base + (k < extra ? k : extra);
    }
    loop_offset end(loop_offset leaf) const noexcept { return begin(leaf + 1); }

    // The first leaf that begins at offset k or after; count when none does.
    loop_offset first_from(loop_offset k) const noexcept {
        if (k <= prefix_end) {
            loop_offset leaf = 0;
            while (leaf < prefix && begin(leaf) < k) ++leaf;
            return leaf;  // begin(prefix) == prefix_end >= k
        }
        // The equal leaves: the first `extra` of base + 1 indices, then of
        // base (>= 1).
        const loop_offset r = k - prefix_end;
        const loop_offset longer = extra * (base + 1);
        const loop_offset q =
            r <= longer ? ceil_div(r, base + 1) : extra + ceil_div(r - longer, base);
        return prefix + q < count ? prefix + q : count;
    }
};

// Where a reduction's head start stopped: `leaf`, the first leaf not folded
// whole, and when the head start folded some of that leaf's indices (those
// before the head start's `done`), their fold in `partial`.
template <class T>
struct reduce_cursor {
    loop_offset leaf = 0;
    std::optional<T> partial;
};

// combine over values[a, b) (each engaged) in a fixed balanced tree.
template <class T, class Combine>
T combine_tree(std::vector<std::optional<T>>& values, std::size_t a, std::size_t b,
               Combine& combine) {
    if (b - a == 1) return std::move(*values[a]);
    const std::size_t mid = a + (b - a) / 2;
    T left = combine_tree(values, a, mid, combine);
    return combine(std::move(left), combine_tree(values, mid, b, combine));
}

// A chunk map: map(lo, hi) gives the value of the indices [lo, hi), a T,
// the combination of their values in index order, as the user computes it
// (a local sum in a loop, as oneTBB's range reductions and dispenso's
// chunked loops are written). A map that can be called both ways is called
// with chunks.
template <class Map, class I, class T>
concept chunk_map =
    std::invocable<Map&, I, I> && std::convertible_to<std::invoke_result_t<Map&, I, I>, T>;

// What parallel_reduce takes as map: a chunk map, or an index map, map(i)
// -> T.
template <class Map, class I, class T>
concept value_map = chunk_map<Map, I, T> ||
    (std::invocable<Map&, I>&& std::convertible_to<std::invoke_result_t<Map&, I>, T>);

}  // namespace detail

// combine(init, the combination of the indices' values over [first, last)),
// computed in parallel; combine must be associative (it need not be
// commutative: the order of the indices is kept). map gives the values:
// map(i) one index's, or, when map takes a half-open chunk (lo, hi), the
// value of those indices, combined in index order by map itself (its loop
// may keep a local sum; detail::chunk_map). The split tree is fixed by the
// range and pool.worker_count(), and a chunk map is called once per leaf of
// it, so the same call gives the same result bit for bit whatever the
// timing. An empty or reversed range returns init; first and last may be of
// different integral types, as in parallel_for. Once map or combine throws,
// no new leaf starts, and the first exception is rethrown after the running
// ones end.
template <pool P, detail::loop_index I1, detail::loop_index I2, class T, class Map, class Combine>
requires detail::value_map<Map, std::common_type_t<I1, I2>, T> &&
    std::convertible_to<std::invoke_result_t<Combine&, T, T>, T>
        T parallel_reduce(P& pool, I1 first, I2 last, T init, Map map, Combine combine) {
    using I = std::common_type_t<I1, I2>;
    const auto lo = static_cast<I>(first);
    const auto hi = static_cast<I>(last);
    if (!(lo < hi)) return init;
    const detail::loop_offset n = detail::distance(lo, hi);
    const detail::reduce_leaves leaves(n, pool.worker_count());
    std::vector<std::optional<T>> values(static_cast<std::size_t>(leaves.count));
    // The head start (parallel_for.hpp): the caller computes the first
    // values alone, so that a short reduction never touches the pool. It
    // ends at `at`: inside leaf at.leaf when an index map's head start
    // stopped there, with the fold of that leaf's indices before
    // started.done in at.partial.
    detail::reduce_cursor<T> at;
    detail::head_start_result started;  // none: done == 0
    std::chrono::nanoseconds rest{};    // the pace for what is left; zero when unknown
    // The leaves from at.leaf on, in parallel, each given its value by
    // leaf_value(leaf). The automatic loop runs over the indices
    // [started.done, n), not over the leaves: a chunk of them runs the
    // leaves that begin in it (the chunk at started.done also at.leaf,
    // which an index map's head start may have left inside), so that a
    // piece's share is of indices whatever the leaves' sizes (the prefix's
    // are smaller), and no piece is split below two equal leaves. The head
    // start, where it applied, was this function's.
    const auto run_leaves = [&](const auto& leaf_value) {
        const detail::loop_offset done = started.done;
        if (done == n) return;
        detail::run_auto(
            pool, n - done,
            [&](detail::loop_offset from, detail::loop_offset to) {
                auto leaf = from == 0 ? at.leaf : leaves.first_from(done + from);
                for (; leaf < leaves.count && leaves.begin(leaf) < done + to; ++leaf)
                    leaf_value(leaf);
            },
            detail::auto_options{.rest = rest, .least = leaves.base, .head_start = false});
    };
    if constexpr (detail::chunk_map<Map, I, T>) {
        const auto leaf_value = [&](detail::loop_offset leaf) {
            values[static_cast<std::size_t>(leaf)].emplace(map(
                detail::index_at(lo, leaves.begin(leaf)), detail::index_at(lo, leaves.end(leaf))));
        };
        // A chunk map's head start runs whole leaves, so that each leaf is
        // still one call whoever makes it: each block asked for, from the
        // first leaf not run to the end of the leaf it ends in (the prefix
        // leaves are the first blocks exactly: detail::reduce_leaves).
        if (detail::head_start_applies(pool, n)) {
            started = detail::run_head_start(
                n,
                [&](detail::loop_offset, detail::loop_offset to) {  // from: begin(at.leaf)
                    do {
                        leaf_value(at.leaf);
                    } while (leaves.end(at.leaf++) < to);
                    return leaves.begin(at.leaf);
                },
                [] { return false; });
            rest = started.pace_for(n - started.done);
        }
        run_leaves(leaf_value);
    } else {
        // map(k) folded onto acc for each offset k in [from, to), in order.
        const auto fold = [&](detail::loop_offset from, detail::loop_offset to, T acc) {
            for (auto k = from; k < to; ++k)
                acc = combine(std::move(acc), map(detail::index_at(lo, k)));
            return acc;
        };
        // An index map's head start runs blocks of indices and may stop
        // inside a leaf, whose chunk below then continues the fold: a leaf
        // is still folded left to right, whoever folds it.
        if (detail::head_start_applies(pool, n)) {
            started = detail::run_head_start(
                n,
                [&](detail::loop_offset k,
                    detail::loop_offset to) {  // k: where the last block ended
                    while (k < to) {
                        if (!at.partial) at.partial.emplace(map(detail::index_at(lo, k++)));
                        const auto leaf_end = leaves.end(at.leaf);
                        const auto stop = std::min(to, leaf_end);
                        *at.partial = fold(k, stop, std::move(*at.partial));
                        k = stop;
                        if (k == leaf_end) {
                            values[static_cast<std::size_t>(at.leaf)] = std::move(at.partial);
                            at.partial.reset();
                            ++at.leaf;
                        }
                    }
                    return to;
                },
                [] { return false; });
            rest = started.pace_for(n - started.done);
        }
        // The head start's leaf goes on from where it stopped.
        run_leaves([&](detail::loop_offset leaf) {
            const auto end = leaves.end(leaf);
            auto& value = values[static_cast<std::size_t>(leaf)];
            if (leaf == at.leaf && at.partial) {
                value.emplace(fold(started.done, end, std::move(*at.partial)));
            } else {
                const auto k = leaves.begin(leaf);
                value.emplace(fold(k + 1, end, map(detail::index_at(lo, k))));
            }
        });
    }
    T all = detail::combine_tree(values, 0, values.size(), combine);
    return combine(std::move(init), std::move(all));
}

}  // namespace poolbench
