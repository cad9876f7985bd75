// detail::completion: what every pool shares to implement wait(): a count of
// jobs submitted but not finished, the first exception since the last wait,
// and a sleep for outside threads until the count reaches zero (or, for
// wait_until(), a deadline passes).
// add() before a job is handed to a queue, done() after it ran; wait() from
// any thread. All members are thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <mutex>
#include <utility>

#include <base/instrument.hpp>
#include <pools/config.hpp>

namespace poolbench::detail {

// Protocol (wait vs done), invariant: a waiter is never left asleep while the
// pending count is zero.
//  - done() that brings m_pending to zero then reads m_waiters; wait() first
//    increments m_waiters, then reads m_pending. Both pairs are seq_cst, so in
//    the single total order either the waiter's increment comes first (done()
//    sees a waiter and notifies under the mutex) or done()'s decrement comes
//    first (the waiter's read sees zero and it never sleeps).
//  - The waiter re-reads m_pending under m_mutex before sleeping and done()
//    notifies while holding m_mutex, so the notify cannot fall between the
//    waiter's check and its sleep.
class completion {
public:
    // Called before the job(s) are published to a queue. Thread-safe.
    void add(std::int64_t n = 1) noexcept {
        // relaxed: the queue's publication (release) orders this before the
        // worker's done(), so the count never goes below zero.
        m_pending.fetch_add(n, std::memory_order_relaxed);
        instrument::rmw(instrument::site::pending, &m_pending);
    }

    // add() for a caller whose later seq_cst operations (a steal's CAS, say)
    // another thread may observe before that thread's own done(): seq_cst
    // puts this increment before them in the single total order.
    void add_ordered(std::int64_t n = 1) noexcept {
        m_pending.fetch_add(n, std::memory_order_seq_cst);
        instrument::rmw(instrument::site::pending, &m_pending);
    }

    // Called after n jobs finished (their exceptions already recorded).
    // Thread-safe. The pool must outlive the call: pools join the threads
    // that call done() before destroying the completion.
    void done(std::int64_t n = 1) noexcept {
        instrument::rmw(instrument::site::pending, &m_pending);
        if (m_pending.fetch_sub(n) == n && m_waiters.load() != 0) {
            std::lock_guard lock(m_mutex);
            m_idle.notify_all();
        }
    }

    // Keeps the first exception since the last take; counts the others.
    // Thread-safe.
    void record(std::exception_ptr e) noexcept {
        std::lock_guard lock(m_mutex);
        if (!m_first) {
            m_first = std::move(e);
            // release: pairs with the acquire load in rethrow_first(), which
            // then takes m_mutex anyway; the flag only skips the lock.
            m_has_error.store(true, std::memory_order_release);
        }
    }

    // True when nothing is pending. May be stale as soon as it returns.
    bool idle() const noexcept {
        // acquire: pairs with the fetch_sub in done(), so the finished jobs'
        // writes are visible to a caller that sees zero.
        return m_pending.load(std::memory_order_acquire) == 0;
    }

    // Blocks until nothing is pending, then rethrows the first recorded
    // exception, if any. Thread-safe; must not be called from a job of the
    // same pool (the pool checks that first).
    void wait() {
        if (!idle()) {
            m_waiters.fetch_add(1);
            {
                std::unique_lock lock(m_mutex);
                m_idle.wait(lock, [this] { return m_pending.load() == 0; });
            }
            m_waiters.fetch_sub(1);
        }
        rethrow_first();
    }

    // wait() with a deadline: true (after rethrowing the first recorded
    // exception, if any) once nothing is pending; false when the deadline
    // passed first: the jobs keep running and their exceptions stay for a
    // later wait. Thread-safe; the same protocol as wait().
    bool wait_until(std::chrono::steady_clock::time_point deadline) {
        if (!idle()) {
            m_waiters.fetch_add(1);
            bool finished = false;
            {
                std::unique_lock lock(m_mutex);
                finished =
                    m_idle.wait_until(lock, deadline, [this] { return m_pending.load() == 0; });
            }
            m_waiters.fetch_sub(1);
            if (!finished) return false;
        }
        rethrow_first();
        return true;
    }

    // Rethrows (and clears) the first exception recorded since the last call.
    void rethrow_first() {
        // acquire: pairs with the release store in record().
        if (!m_has_error.load(std::memory_order_acquire)) return;
        std::exception_ptr e;
        {
            std::lock_guard lock(m_mutex);
            e = std::exchange(m_first, nullptr);
            // relaxed: we hold m_mutex, which orders this with record().
            m_has_error.store(false, std::memory_order_relaxed);
        }
        if (e) std::rethrow_exception(e);
    }

    // For destructors: waits for all jobs and discards any exception.
    void drain() noexcept {
        try {
            wait();
        } catch (...) {
        }
    }

private:
    alignas(k_cache_line) std::atomic<std::int64_t> m_pending{0};   // submitters and workers
    alignas(k_cache_line) std::atomic<std::uint32_t> m_waiters{0};  // waiting threads
    std::atomic<bool> m_has_error{false};
    std::mutex m_mutex;
    std::condition_variable m_idle;
    std::exception_ptr m_first;  // guarded by m_mutex
};

}  // namespace poolbench::detail
