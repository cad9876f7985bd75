// task_group<Pool>: fork-join over any pool. run(f) hands f to the pool;
// wait() returns when every f run() through this group has finished and
// rethrows the first exception one of them threw. A wait() called from inside
// a job first runs, itself and newest first, every child that no worker has
// started yet (as rayon's join pops its own job back), so it never waits for a
// job that is still queued: recursive fork-join such as fib cannot deadlock on
// any pool, not even one that cannot help. While started children finish, a
// helping pool's worker runs other pending jobs (bounded nesting), others spin.
// oneTBB's pool brings its own task group (tbb_pool::native_task_group).
// run() and wait() are called by the thread that owns the group, one at a time.
#pragma once

#include <atomic>
#include <cstdint>
#include <exception>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>

#include <base/cpu_relax.hpp>
#include <pools/detail/group_counter.hpp>
#include <pools/job.hpp>
#include <pools/pool.hpp>

namespace poolbench {

namespace detail {

// The first exception of a group's jobs. record() is called by jobs before
// they count themselves done; rethrow() by the waiter after all are done, so the
// group's counter orders the two.
class first_exception {
public:
    void record(std::exception_ptr e) noexcept {
        // relaxed: only decides who stores; the store is published to the
        // waiter by the job's release decrement of the group's counter.
        if (!m_claimed.exchange(true, std::memory_order_relaxed)) m_first = std::move(e);
    }
    // Inlined: after every wait, usually to find nothing.
    [[gnu::always_inline]] void rethrow() {
        // relaxed: the waiter's acquire load of the counter (zero) already
        // ordered every record() before this.
        if (m_claimed.load(std::memory_order_relaxed)) [[unlikely]]
            rethrow_recorded();
    }

private:
    [[noreturn, gnu::noinline]] void rethrow_recorded() {
        std::exception_ptr e = std::exchange(m_first, nullptr);
        m_claimed.store(false, std::memory_order_relaxed);  // relaxed: no job is running now
        std::rethrow_exception(e);
    }

    std::atomic<bool> m_claimed{false};
    std::exception_ptr m_first;
};

}  // namespace detail

// Protocol (the counter's own protocol: detail/group_counter.hpp).
// Each run() makes a child node {job, claimed flag, two references} kept on
// the group's own list, and submits a ticket job pointing at the node.
// Whoever first sets `claimed` (the ticket, when a worker runs it, or the
// waiter, in wait()) runs the child; the other side only drops its reference,
// and the last reference frees the node. So each child runs exactly once,
// and a waiter only ever waits for children that are running right now.
template <pool P>
class task_group {
public:
    explicit task_group(P& pool) noexcept : m_pool(pool) {}
    task_group(const task_group&) = delete;
    task_group& operator=(const task_group&) = delete;

    // A group must not be left with children that point at it.
    ~task_group() {
        try {
            wait();
        } catch (...) {
        }
    }

    template <class F>
    void run(F&& f) {
        auto* c = new child{job(std::forward<F>(f)), m_head};
        m_head = c;
        m_count.add();
        try {
            m_pool.submit([this, c] {
                if (claim(c)) run_child(c);
                release(c);
            });
        } catch (...) {
            // No ticket: run it here (late, but it runs exactly once).
            if (claim(c)) run_child(c);
            release(c);
        }
    }

    void wait() {
        // Our own children no worker has started: run them here, newest first.
        for (child* c = std::exchange(m_head, nullptr); c != nullptr;) {
            child* next = c->next_in_group;
            if (claim(c)) run_child(c);
            release(c);
            c = next;
        }
        if (m_pool.in_worker()) {
            help_until_done();
        } else {
            m_count.sleep_until_zero();
        }
        m_error.rethrow();
    }

private:
    struct child {
        job work;
        child* next_in_group;  // the owner's list; only the owner reads it
        std::atomic<bool> claimed{false};
        std::atomic<std::uint32_t> refs{2};  // the ticket's and the group's
    };

    // How deep a worker may nest other jobs inside group waits before it just
    // spins: keeps FIFO pools (whose oldest job may itself fork and wait)
    // from growing the stack without bound.
    static constexpr int k_max_help_depth = 32;

    static bool claim(child* c) noexcept {
        // relaxed: the RMW alone decides who runs the child; the job's
        // contents were published by the pool's submit (or are our own).
        return !c->claimed.exchange(true, std::memory_order_relaxed);
    }

    static void release(child* c) noexcept {
        // acq_rel: release orders our use of the node before the other
        // side's delete; acquire makes the other side's use visible to ours.
        if (c->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) delete c;
    }

    void run_child(child* c) noexcept {
        try {
            c->work.consume();  // destroys the captures, also when it throws
        } catch (...) {
            m_error.record(std::current_exception());
        }
        m_count.finish();
    }

    // Every child left is running on another thread; a helping pool's worker
    // runs other pending jobs meanwhile (nesting bounded), others spin.
    void help_until_done() {
        static thread_local int depth = 0;
        m_count.help_until_zero([this] {
            if constexpr (helping_pool<P>) {
                if (depth < k_max_help_depth) {
                    ++depth;
                    const bool helped = m_pool.try_run_pending();  // runs jobs noexcept
                    --depth;
                    return helped;
                }
            }
            return false;
        });
    }

    P& m_pool;
    child* m_head = nullptr;
    detail::group_counter m_count;
    detail::first_exception m_error;
};

// A pool that brings its own group (oneTBB's; work_stealing's, which pops
// its children back from the worker's own deque as rayon's join does).
template <pool P>
requires requires {
    typename P::native_task_group;
}
class task_group<P> {
public:
    explicit task_group(P& pool) : m_group(pool) {}
    task_group(const task_group&) = delete;
    task_group& operator=(const task_group&) = delete;
    // The native group's destructor waits for the children (they catch
    // their own exceptions, so it does not throw); m_error is declared
    // first so that it outlives that wait.
    ~task_group() = default;

    template <class F>
    void run(F&& f) {
        m_group.run(guarded<std::decay_t<F>>{std::forward<F>(f), &m_error});
    }

    void wait() {
        m_group.wait();
        m_error.rethrow();
    }

private:
    // The one handler of a child: it records the exception and never lets
    // one out (noexcept), so a native group runs it with no handler of its
    // own. oneTBB calls functors through a const reference; the user's
    // callable may be mutable, so it is held mutable here.
    template <class F>
    struct guarded {
        mutable F f;
        detail::first_exception* error;
        void operator()() const noexcept {
            try {
                f();
            } catch (...) {
                error->record(std::current_exception());
            }
        }
    };

    detail::first_exception m_error;
    typename P::native_task_group m_group;
};

}  // namespace poolbench
