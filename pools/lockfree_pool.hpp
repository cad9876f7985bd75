// lockfree_pool: one moodycamel::ConcurrentQueue shared by all workers; each
// worker keeps a producer token (for nested submissions) and a consumer token;
// idle workers spin briefly, then park on an event_count, so a submit costs a
// system call only when a worker actually sleeps. Measures what a lock-free
// shared queue buys over the mutex pool. Thread-safety: see queue_pool.hpp.
#pragma once

#include <string_view>

#include <pools/job.hpp>
#include <pools/queue_pool.hpp>
#include <queues/moodycamel_queue.hpp>

namespace poolbench {

template <>
struct queue_pool_traits<moodycamel_queue<job>> {
    static constexpr std::string_view name = "lockfree";
};

using lockfree_pool = queue_pool<moodycamel_queue<job>>;

static_assert(pool<lockfree_pool>);
static_assert(timed_pool<lockfree_pool>);
static_assert(helping_pool<lockfree_pool>);

}  // namespace poolbench
