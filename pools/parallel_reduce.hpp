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

// The leaves of n > 0 indices at `workers` workers: min(n, 16 W), the first
// n % leaves of them one index longer.
struct reduce_leaves {
    loop_offset count;
    loop_offset base;   // n / count
    loop_offset extra;  // n % count

    reduce_leaves(loop_offset n, std::size_t workers) noexcept
        : count(std::min(n, k_reduce_leaves_per_worker * std::max<loop_offset>(workers, 1))),
          base(n / count),
          extra(n % count) {}

    loop_offset begin(loop_offset leaf) const noexcept {
        return leaf * base + std::min(leaf, extra);
    }
    loop_offset end(loop_offset leaf) const noexcept { return begin(leaf + 1); }
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
    // leaf_value(leaf).
    const auto run_leaves = [&](const auto& leaf_value) {
        if (at.leaf == leaves.count) return;
        detail::run_auto(
            pool, leaves.count - at.leaf,
            [&](detail::loop_offset from, detail::loop_offset to) {
                for (auto leaf = at.leaf + from; leaf < at.leaf + to; ++leaf) leaf_value(leaf);
            },
            rest);
    };
    if constexpr (detail::chunk_map<Map, I, T>) {
        const auto leaf_value = [&](detail::loop_offset leaf) {
            values[static_cast<std::size_t>(leaf)].emplace(map(
                detail::index_at(lo, leaves.begin(leaf)), detail::index_at(lo, leaves.end(leaf))));
        };
        // A chunk map's head start runs whole leaves, so that each leaf is
        // still one call whoever makes it.
        if (detail::head_start_applies(pool, n)) {
            started = detail::run_head_start(
                leaves.count,
                [&](detail::loop_offset from, detail::loop_offset to) {
                    for (auto leaf = from; leaf < to; ++leaf) leaf_value(leaf);
                },
                [] { return false; });
            at.leaf = started.done;
            rest = started.pace_for(leaves.count - started.done);
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
