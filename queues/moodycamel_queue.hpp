// moodycamel_queue<T>: the concurrent_queue concept over
// moodycamel::ConcurrentQueue, a lock-free MPMC queue made of per-producer
// sub-queues (Cameron Desrochers, 2014).
//
// Caveat (from moodycamel's own documentation): items are FIFO only per
// producer. Items from two producers may come out in any interleaving, and a
// consumer may see a later item of producer A before an earlier item of
// producer B. There is no global order.
//
// All member functions are thread-safe. The *_token overloads take a token
// that one thread owns; a token must not be used by two threads at once.
#pragma once

#include <concurrentqueue/concurrentqueue.h>

#include <cstddef>
#include <utility>

#include <queues/queue.hpp>

namespace poolbench {

template <class T>
class moodycamel_queue {
public:
    using value_type = T;
    using producer_token = moodycamel::ProducerToken;
    using consumer_token = moodycamel::ConsumerToken;

    moodycamel_queue() = default;
    explicit moodycamel_queue(std::size_t initial_capacity) : m_queue(initial_capacity) {}

    // Allocates a block when the producer's sub-queue is full; fails only when
    // memory runs out. Thread-safe.
    bool try_push(T&& v) { return m_queue.enqueue(std::move(v)); }
    bool try_push(producer_token& token, T&& v) { return m_queue.enqueue(token, std::move(v)); }

    // Thread-safe.
    bool try_pop(T& out) { return m_queue.try_dequeue(out); }
    bool try_pop(consumer_token& token, T& out) { return m_queue.try_dequeue(token, out); }

    // Takes up to max items into out[0..). Thread-safe.
    std::size_t try_pop_bulk(consumer_token& token, T* out, std::size_t max) {
        return m_queue.try_dequeue_bulk(token, out, max);
    }

    producer_token make_producer_token() { return producer_token(m_queue); }
    consumer_token make_consumer_token() { return consumer_token(m_queue); }

    // May be stale or even briefly wrong under concurrent use. Thread-safe.
    std::size_t approx_size() const { return m_queue.size_approx(); }

private:
    moodycamel::ConcurrentQueue<T> m_queue;
};

static_assert(concurrent_queue<moodycamel_queue<int>>);

}  // namespace poolbench
