// mutex_pool: the textbook worker pool (and what Go's workers ranging over one
// channel amount to): one std::deque behind one std::mutex, idle workers
// asleep on a condition variable. The baseline every other pool must beat.
// Thread-safety: see queue_pool.hpp.
#pragma once

#include <string_view>

#include <pools/job.hpp>
#include <pools/queue_pool.hpp>
#include <queues/mutex_queue.hpp>

namespace poolbench {

template <>
struct queue_pool_traits<mutex_queue<job>> {
    static constexpr std::string_view name = "mutex";
};

using mutex_pool = queue_pool<mutex_queue<job>>;

static_assert(pool<mutex_pool>);
static_assert(timed_pool<mutex_pool>);
static_assert(helping_pool<mutex_pool>);

}  // namespace poolbench
