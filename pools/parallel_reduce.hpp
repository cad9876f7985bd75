// parallel_reduce: a reduction over an index range, written once over the
// pool concept, whose result depends only on the range and the worker count,
// never on timing (oneTBB's parallel_deterministic_reduce): the range is cut
// into leaves fixed by those two, each leaf folded left to right, the leaves
// combined in a fixed balanced tree; so a floating-point sum is reproducible.
// The leaves run as a parallel_for (pools/parallel_for.hpp). Any thread may call.
#pragma once

#include <algorithm>
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
// is a function call, not a job).
inline constexpr loop_offset k_reduce_leaves_per_worker = 8;

// The leaves of n > 0 indices at `workers` workers: min(n, 8 W), the first
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

// combine over values[a, b) (each engaged) in a fixed balanced tree.
template <class T, class Combine>
T combine_tree(std::vector<std::optional<T>>& values, std::size_t a, std::size_t b,
               Combine& combine) {
    if (b - a == 1) return std::move(*values[a]);
    const std::size_t mid = a + (b - a) / 2;
    T left = combine_tree(values, a, mid, combine);
    return combine(std::move(left), combine_tree(values, mid, b, combine));
}

}  // namespace detail

// combine(init, the combination of map(i) for every i in [first, last)),
// computed in parallel; combine must be associative (it need not be
// commutative: the order of the indices is kept). The split tree is fixed by
// the range and pool.worker_count(), so the same call gives the same result
// bit for bit whatever the timing. An empty or reversed range returns init;
// first and last may be of different integral types, as in parallel_for.
// Once map or combine throws, no new leaf starts, and the first exception is
// rethrown after the running ones end.
template <pool P, detail::loop_index I1, detail::loop_index I2, class T, class Map, class Combine>
requires std::invocable<Map&, std::common_type_t<I1, I2>> &&
    std::convertible_to<std::invoke_result_t<Map&, std::common_type_t<I1, I2>>, T> &&
    std::convertible_to<std::invoke_result_t<Combine&, T, T>, T>
        T parallel_reduce(P& pool, I1 first, I2 last, T init, Map map, Combine combine) {
    using I = std::common_type_t<I1, I2>;
    const auto lo = static_cast<I>(first);
    const auto hi = static_cast<I>(last);
    if (!(lo < hi)) return init;
    const detail::reduce_leaves leaves(detail::distance(lo, hi), pool.worker_count());
    std::vector<std::optional<T>> values(static_cast<std::size_t>(leaves.count));
    detail::run_auto(pool, leaves.count,
                     [&](detail::loop_offset leaf_lo, detail::loop_offset leaf_hi) {
                         for (auto leaf = leaf_lo; leaf < leaf_hi; ++leaf) {
                             const auto end = leaves.end(leaf);
                             auto k = leaves.begin(leaf);
                             T acc = map(detail::index_at(lo, k));
                             for (++k; k < end; ++k) {
                                 acc = combine(std::move(acc), map(detail::index_at(lo, k)));
                             }
                             values[static_cast<std::size_t>(leaf)].emplace(std::move(acc));
                         }
                     });
    T all = detail::combine_tree(values, 0, values.size(), combine);
    return combine(std::move(init), std::move(all));
}

}  // namespace poolbench
