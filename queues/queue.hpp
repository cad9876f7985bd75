// The queue concepts every queue in queues/ satisfies, so pools and tests are
// written once over any of them. Queues here know nothing of pools or jobs.
//
// concurrent_queue: try_push and try_pop, each safe from any thread at once.
//   try_push(v) moves from v only when it returns true (a bounded queue that
//   is full returns false and leaves v as it was).
// blocking_queue: adds pop_wait(out), which sleeps until an item arrives or the
//   queue is closed, and close(). Thread-safe.
// work_stealing_deque: push/try_pop by the one owner thread only, try_steal by
//   any thread; see chase_lev_deque.hpp.
#pragma once

#include <concepts>
#include <cstdint>
#include <utility>

namespace poolbench {

template <class Q>
concept concurrent_queue = requires(Q& q, typename Q::value_type& out) {
    typename Q::value_type;
    { q.try_push(std::move(out)) } -> std::same_as<bool>;
    { q.try_pop(out) } -> std::same_as<bool>;
};

template <class Q>
concept blocking_queue = concurrent_queue<Q> && requires(Q& q, typename Q::value_type& out) {
    { q.pop_wait(out) } -> std::same_as<bool>;  // false: closed and drained
    q.close();
};

template <class D>
concept work_stealing_deque = requires(D& d, typename D::value_type& out) {
    typename D::value_type;
    d.push(std::move(out));                      // owner only
    { d.try_pop(out) } -> std::same_as<bool>;    // owner only, LIFO end
    { d.try_steal(out) } -> std::same_as<bool>;  // any thread, FIFO end
    { d.approx_size() } -> std::convertible_to<std::int64_t>;
};

}  // namespace poolbench
