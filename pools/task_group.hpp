// task_group<Pool>: fork-join over any pool. run(f) hands f to the pool;
// wait() returns when every f run() through this group has finished and
// rethrows the first exception one of them threw. A wait() called from inside
// a job first runs, itself and newest first, every child that no worker has
// started yet (as rayon's join pops its own job back), so it never waits for a
// job that is still queued: recursive fork-join such as fib cannot deadlock on
// any pool, not even one that cannot help. While started children finish, a
// helping pool's worker runs other pending jobs (bounded nesting), others spin.
// oneTBB's pool brings its own task group (tbb_pool::native_task_group).
// cancel() makes the children that have not started skip their body (they
// still count as finished); wait_for(timeout) is wait() that returns false
// when the time runs out, leaving the children running.
// A child need not start before wait(): wait() may run it on the waiting
// thread, and work_stealing keeps a child forked inside a worker latent,
// for no other worker to see, until a heartbeat or an idle worker's
// request makes it stealable (work_stealing/latent.hpp). So a job must not
// block until a child of its own group has started, nor children until all
// of them run: that may wait for work that waits for it. Work that must
// run at the same time as other work is a job to submit().
// run(), wait() and wait_for() are called by the thread that owns the group,
// one at a time; cancel() and is_cancelled() by any thread, children too.
#pragma once

#include <atomic>
#include <chrono>
#include <concepts>
#include <cstdint>
#include <exception>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>

#include <base/cpu_relax.hpp>
#include <pools/detail/group_counter.hpp>
#include <pools/detail/group_status.hpp>
#include <pools/detail/help_until.hpp>
#include <pools/job.hpp>
#include <pools/pool.hpp>

namespace poolbench {

// Which exception a wait rethrows: only one a child of this same group
// threw. Each child records into its own group's group_status; a job the
// waiter runs while it helps (another group's child, a plain pool job)
// records into that group, or into the pool, never into this one.
//
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
        m_status.rethrow();
    }

    // wait() for at most `timeout`: true (after rethrowing the first
    // exception of a child) once every child has finished; false when the
    // time ran out first, the children still running or queued. A later
    // wait() or wait_for() waits again; the destructor waits for all.
    // Inside one of the pool's jobs it helps as wait() does (runs the
    // group's unstarted children, then other pending jobs) and looks at the
    // clock between jobs, so a job it runs may take it past the deadline.
    // Outside, it runs nothing: it polls the group (sleeping at most 1 ms
    // at a time) until its children finish or the deadline passes.
    template <class Rep, class Period>
    bool wait_for(const std::chrono::duration<Rep, Period>& timeout) {
        const auto deadline = detail::deadline_after(timeout);
        bool finished = false;
        if (m_pool.in_worker()) {
            while (m_head != nullptr && std::chrono::steady_clock::now() < deadline) {
                child* c = std::exchange(m_head, m_head->next_in_group);
                if (claim(c)) run_child(c);
                release(c);
            }
            finished = m_head == nullptr && help_until_done(deadline);
        } else {
            finished = detail::poll_until([this] { return m_count.done(); }, deadline);
        }
        if (!finished) return false;
        // Every child has finished: the nodes left on the list were run by
        // their tickets and hold only our reference.
        for (child* c = std::exchange(m_head, nullptr); c != nullptr;) {
            child* next = c->next_in_group;
            release(c);
            c = next;
        }
        m_status.rethrow();
        return true;
    }

    // Children that start from now on skip their body (they still count as
    // finished). Thread-safe; the children may call it.
    void cancel() noexcept { m_status.cancel(); }
    bool is_cancelled() const noexcept { return m_status.is_cancelled(); }

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
        // consume() destroys the captures, also when the child throws;
        // skipped, only its captures are destroyed.
        if (!m_status.run_child([c] { c->work.consume(); })) c->work.reset();
        m_count.finish();
    }

    // Every child left is running on another thread; a helping pool's worker
    // runs other pending jobs meanwhile (nesting bounded), others spin.
    void help_until_done() {
        m_count.help_until_zero([this] { return help_once(); });
    }

    // help_until_done() that gives up at the deadline (false).
    bool help_until_done(std::chrono::steady_clock::time_point deadline) {
        return detail::help_until_deadline([this] { return m_count.done(); },
                                           [this] { return help_once(); }, deadline);
    }

    bool help_once() {
        static thread_local int depth = 0;
        if constexpr (helping_pool<P>) {
            if (depth < k_max_help_depth) {
                ++depth;
                const bool helped = m_pool.try_run_pending();  // runs jobs noexcept
                --depth;
                return helped;
            }
        }
        return false;
    }

    P& m_pool;
    child* m_head = nullptr;
    detail::group_counter m_count;
    detail::group_status m_status;
};

// A pool that brings its own group (oneTBB's; work_stealing's, which pops
// its children back from the worker's own latent stack or deque as rayon's
// join does). A native group that keeps the group's status itself
// (status(): work_stealing's, whose children reach it through their nodes)
// runs the user's callables as they are and does what the handler below
// does where it runs them; any other gets each child wrapped in that
// handler.
// Its members are always inlined, as the native group's are: a fork's whole
// fast path then sits in the forking function. Left to the compiler, a
// large translation unit (the sweep's) kept wait() and the destructors out
// of line, and fib ran 1.5 times slower there than in a small one.
template <pool P>
requires requires {
    typename P::native_task_group;
}
class task_group<P> {
    using native = typename P::native_task_group;
    static constexpr bool k_native_status = requires(native & g) {
        { g.status() } -> std::same_as<detail::group_status&>;
    };

public:
    [[gnu::always_inline]] explicit task_group(P& pool) : m_group(pool) {}
    task_group(const task_group&) = delete;
    task_group& operator=(const task_group&) = delete;
    // The native group's destructor waits for the children (they record
    // their own exceptions, so it does not throw); m_status is declared
    // first so that it outlives that wait.
    [[gnu::always_inline]] ~task_group() {}

    template <class F>
    [[gnu::always_inline]] void run(F&& f) {
        if constexpr (k_native_status) {
            m_group.run(std::forward<F>(f));
        } else {
            m_group.run(guarded<std::decay_t<F>>{std::forward<F>(f), &status()});
        }
    }

    [[gnu::always_inline]] void wait() {
        if constexpr (requires { m_group.join(); }) {
            m_group.join();  // wait() and rethrow() in one
        } else {
            m_group.wait();
            status().rethrow();
        }
        if constexpr (requires { m_group.assume_joined(); }) m_group.assume_joined();
    }

    // As the generic task_group's wait_for(); how each native group waits
    // is said at its wait_until().
    template <class Rep, class Period>
    bool wait_for(const std::chrono::duration<Rep, Period>& timeout) {
        if (!m_group.wait_until(detail::deadline_after(timeout))) return false;
        status().rethrow();
        return true;
    }

    void cancel() noexcept { status().cancel(); }
    bool is_cancelled() const noexcept { return status().is_cancelled(); }

private:
    // The one handler of a child: it skips the body of a cancelled group's
    // child, records the exception and never lets one out (noexcept), so a
    // native group runs it with no handler of its own. oneTBB calls functors
    // through a const reference; the user's callable may be mutable, so it
    // is held mutable here.
    template <class F>
    struct guarded {
        mutable F f;
        detail::group_status* status;
        void operator()() const noexcept { status->run_child(f); }
    };

    struct no_status {};

    detail::group_status& status() noexcept {
        if constexpr (k_native_status) {
            return m_group.status();
        } else {
            return m_status;
        }
    }
    const detail::group_status& status() const noexcept {
        return const_cast<task_group*>(this)->status();
    }

    [[no_unique_address]] std::conditional_t<k_native_status, no_status, detail::group_status>
        m_status;
    native m_group;
};

}  // namespace poolbench
