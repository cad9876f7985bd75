// mutex_queue<T>: an unbounded FIFO, a std::deque behind one std::mutex, with
// a condition variable for consumers that want to sleep until an item
// arrives. The textbook baseline: global FIFO, every operation serialised.
// All member functions are thread-safe.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <utility>

#include <queues/queue.hpp>

namespace poolbench {

template <class T>
class mutex_queue {
public:
    using value_type = T;

    // Never fails: the queue is unbounded. Thread-safe.
    bool try_push(T&& v) {
        {
            std::lock_guard lock(m_mutex);
            m_items.push_back(std::move(v));
        }
        m_not_empty.notify_one();
        return true;
    }

    // Thread-safe.
    bool try_pop(T& out) {
        std::lock_guard lock(m_mutex);
        return pop_locked(out);
    }

    // Sleeps until an item is there (true) or the queue is closed and empty
    // (false). Thread-safe.
    bool pop_wait(T& out) {
        std::unique_lock lock(m_mutex);
        m_not_empty.wait(lock, [this] { return !m_items.empty() || m_closed; });
        return pop_locked(out);
    }

    // Wakes every pop_wait; items already queued are still handed out.
    // Thread-safe.
    void close() {
        {
            std::lock_guard lock(m_mutex);
            m_closed = true;
        }
        m_not_empty.notify_all();
    }

    // A snapshot that may be stale by the time the caller reads it. Thread-safe.
    std::size_t approx_size() const {
        std::lock_guard lock(m_mutex);
        return m_items.size();
    }

private:
    bool pop_locked(T& out) {
        if (m_items.empty()) return false;
        out = std::move(m_items.front());
        m_items.pop_front();
        return true;
    }

    mutable std::mutex m_mutex;
    std::condition_variable m_not_empty;
    std::deque<T> m_items;
    bool m_closed = false;
};

static_assert(blocking_queue<mutex_queue<int>>);

}  // namespace poolbench
