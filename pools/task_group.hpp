// task_group<Pool>: fork-join over any pool. run(f) submits f to the pool;
// wait() returns when every job run() through this group has finished and
// rethrows the first exception one of them threw. Called from inside a job of
// a helping pool, wait() runs other pending jobs of the pool while it waits
// (help-while-waiting), so recursive fork-join (fib) never deadlocks; on a
// pool that cannot help (thread_per_job) that is a std::logic_error. oneTBB's
// pool brings its own task group (tbb_pool::native_task_group).
// run() is thread-safe; wait() may be called by one thread at a time.
#pragma once

#include <atomic>
#include <cstdint>
#include <exception>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <thread>
#include <utility>

#include "detail/spin.hpp"
#include "pool.hpp"

namespace poolbench {

// Whether a task_group wait from inside one of P's jobs is supported.
template <class P>
inline constexpr bool supports_task_group =
    helping_pool<P> || requires { typename P::native_task_group; };

namespace detail {

// The first exception of a group's jobs. record() is called by jobs before
// they count themselves done; take() by the waiter after all are done, so the
// group's counter orders the two.
class first_exception {
public:
    void record(std::exception_ptr e) noexcept {
        // relaxed: only decides who stores; the store is published to the
        // waiter by the job's release decrement of the group's counter.
        if (!m_claimed.exchange(true, std::memory_order_relaxed)) m_first = std::move(e);
    }
    void rethrow() {
        // relaxed: the waiter's acquire load of the counter (zero) already
        // ordered every record() before this.
        if (!m_claimed.load(std::memory_order_relaxed)) return;
        std::exception_ptr e = std::exchange(m_first, nullptr);
        m_claimed.store(false, std::memory_order_relaxed);  // relaxed: no job is running now
        std::rethrow_exception(e);
    }

private:
    std::atomic<bool> m_claimed{false};
    std::exception_ptr m_first;
};

}  // namespace detail

// Protocol: m_state holds the number of unfinished jobs in its low bits and
// k_sleeper, set by a waiter that blocks (outside the pool). A job's last
// access to the group is its fetch_sub; if that took the count to zero with
// k_sleeper set, it wakes the sleeper through the atomic's address only (as
// std::latch::count_down does), so the waiter may destroy the group as soon
// as it sees zero. A waiter inside the pool never sleeps: it runs other jobs.
template <pool P>
class task_group {
public:
    explicit task_group(P& pool) noexcept : m_pool(pool) {}
    task_group(const task_group&) = delete;
    task_group& operator=(const task_group&) = delete;

    // A group must not be left with jobs running that point at it.
    ~task_group() {
        try {
            wait();
        } catch (...) {
        }
    }

    template <class F>
    void run(F&& f) {
        // relaxed: the pool's submit publishes the job (release) after this,
        // so the job's decrement is ordered after the increment.
        m_state.fetch_add(1, std::memory_order_relaxed);
        m_pool.submit([this, f = std::forward<F>(f)]() mutable {
            try {
                f();
            } catch (...) {
                m_error.record(std::current_exception());
            }
            finish_one();
        });
    }

    void wait() {
        if (m_pool.in_worker()) {
            if constexpr (helping_pool<P>) {
                help_until_done();
            } else {
                throw std::logic_error(std::string("poolbench: task_group::wait() inside a job of the ") +
                                       std::string(P::name) +
                                       " pool, which cannot run other jobs while it waits");
            }
        } else {
            sleep_until_done();
        }
        m_error.rethrow();
    }

private:
    static constexpr std::uint64_t k_sleeper = std::uint64_t{1} << 63;
    static constexpr std::uint64_t k_count = k_sleeper - 1;

    void finish_one() noexcept {
        // release: pairs with the acquire loads in the waits, publishing the
        // job's writes (and its record()) to the waiter.
        const std::uint64_t before = m_state.fetch_sub(1, std::memory_order_release);
        if (before == (k_sleeper | 1)) m_state.notify_all();
    }

    void help_until_done() {
        int idle_rounds = 0;
        // acquire: pairs with the release fetch_sub in finish_one().
        while ((m_state.load(std::memory_order_acquire) & k_count) != 0) {
            if (m_pool.try_run_pending()) {
                idle_rounds = 0;
            } else if (++idle_rounds < 64) {
                detail::cpu_relax();
            } else {
                std::this_thread::yield();
            }
        }
    }

    void sleep_until_done() {
        // acquire: pairs with the release fetch_sub in finish_one().
        std::uint64_t s = m_state.fetch_or(k_sleeper, std::memory_order_acquire);
        while ((s & k_count) != 0) {
            m_state.wait(s | k_sleeper, std::memory_order_acquire);  // acquire: as above
            s = m_state.load(std::memory_order_acquire);             // acquire: as above
        }
        // relaxed: no job of this group is left to read the bit.
        m_state.store(0, std::memory_order_relaxed);
    }

    P& m_pool;
    std::atomic<std::uint64_t> m_state{0};
    detail::first_exception m_error;
};

// oneTBB brings its own group, whose wait already helps.
template <pool P>
    requires requires { typename P::native_task_group; }
class task_group<P> {
public:
    explicit task_group(P& pool) : m_group(pool) {}
    task_group(const task_group&) = delete;
    task_group& operator=(const task_group&) = delete;
    ~task_group() {
        try {
            m_group.wait();
        } catch (...) {
        }
    }

    template <class F>
    void run(F&& f) {
        m_group.run(guarded<std::decay_t<F>>{std::forward<F>(f), &m_error});
    }

    void wait() {
        m_group.wait();
        m_error.rethrow();
    }

private:
    // oneTBB calls functors through a const reference; the user's callable
    // may be mutable, so it is held mutable here.
    template <class F>
    struct guarded {
        mutable F f;
        detail::first_exception* error;
        void operator()() const {
            try {
                f();
            } catch (...) {
                error->record(std::current_exception());
            }
        }
    };

    typename P::native_task_group m_group;
    detail::first_exception m_error;
};

}  // namespace poolbench
