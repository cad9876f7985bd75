// work_stealing_pool::native_task_group: fork-join as rayon's join does it,
// the group task_group<work_stealing_pool> is built on. Included by
// work_stealing/pool.hpp.
#pragma once

#include <chrono>
#include <optional>
#include <type_traits>
#include <utility>

#include <pools/detail/help_until.hpp>
#include <pools/work_stealing/pool.hpp>

namespace poolbench {

// For task_group<work_stealing_pool>: fork-join as rayon's join does it.
// A child forked inside a worker goes to the top of that worker's deque;
// the wait pops it back and runs it, or, when a thief took it, runs other
// jobs (its own deque first, then steals) until the thief has finished
// it. The first child since the last wait() lives in the group itself (in
// the forking job's frame, m_slot), later ones in nodes from the worker's
// free list.
//
// Protocol, for a group made inside a worker (one made outside submits
// plain jobs, counted by m_count). The group's join record m_join
// (detail::ws_join) holds the owner's plain count `pending` and the atomic
// `finished_elsewhere`.
// Invariant: pending - finished_elsewhere children of the group have not
// finished, and each of them is either in the owner's deque, above
// everything the owner pushed before it, or taken by a thief that runs it;
// so a join never waits for a queued child. Transitions:
//  J1. Fork (owner): the child goes into m_slot, or into a node when the
//      slot is taken, then onto the owner's deque; pending += 1.
//  J2. The owner pops a child and runs it (in its own join, or while it
//      helps in a nested one): pending -= 1 in that child's group.
//  J3. A thief runs a stolen child: finished_elsewhere += 1 (release), as
//      its last access to the child and the group.
//  J4. Join (owner): while pending != finished_elsewhere (acquire), pop and
//      run (J2); once the deque holds none of ours (they were stolen), run
//      other jobs until the two are equal. Then no child can touch the group
//      any more: both counts go back to 0 and the slot is free.
// A fork that nobody steals allocates nothing and makes no atomic
// read-modify-write beyond the deque's own; its join pops the slot back and
// calls it right here, as rayon's join runs its job inline.
// wait_until(deadline) is J4 that gives up at the deadline, leaving the
// invariant as it stands: the children not finished stay in the deque or
// with their thieves, and a later wait() (the destructor's, at the latest)
// joins them. Outside the pool it polls the count of submitted children.
// run(), wait() and wait_until(): the group's owner only.
class work_stealing_pool::native_task_group {
public:
    explicit native_task_group(work_stealing_pool& pool) noexcept
        : m_pool(pool), m_owner(pool.current_worker()), m_join(m_owner) {
        m_slot.join = &m_join;
    }
    native_task_group(const native_task_group&) = delete;
    native_task_group& operator=(const native_task_group&) = delete;
    ~native_task_group() { wait(); }

    // Precondition, checked at compile time: f does not throw (task_group
    // wraps each child in a handler that records its exception).
    template <class F>
    void run(F&& f) {
        static_assert(
            std::is_nothrow_invocable_v<std::decay_t<F>&>,
            "a native_task_group child must not throw: task_group records its exceptions");
        if (m_owner == nullptr) {
            run_outside(std::forward<F>(f));
            return;
        }
        detail::ws_task* t = &m_slot;
        if (!m_slot.in_frame) [[likely]] {
            m_slot.work.emplace(std::forward<F>(f));
            m_slot.in_frame = true;  // taken until the child has finished
        } else {
            t = m_owner->make_task(std::forward<F>(f), &m_join);
        }
        try {
            m_pool.push_local(*m_owner, t);  // throws only when the deque cannot grow
        } catch (...) {
            t->work.reset();
            if (t == &m_slot) {
                m_slot.in_frame = false;
            } else {
                m_owner->recycle(t);
            }
            throw;
        }
        ++m_join.pending;  // J1
    }

    // Small enough to inline: the destructors call it again after a join.
    [[gnu::always_inline]] void wait() noexcept {
        if (m_join.pending != 0) join();
        m_slot.in_frame = false;  // every child has finished (J4)
    }

    // wait() that gives up at the deadline (false), checked between the jobs
    // it runs: a job it runs may end after the deadline.
    [[gnu::noinline]] bool wait_until(std::chrono::steady_clock::time_point deadline) noexcept {
        if (m_join.pending != 0) {
            if (m_owner == nullptr) {
                if (!detail::poll_until([this] { return m_count.done(); }, deadline)) return false;
                m_join.pending = 0;
            } else if (!join_until(deadline)) {
                return false;
            }
        }
        m_slot.in_frame = false;  // every child has finished (J4)
        return true;
    }

private:
    // Out of line: the fast path of wait() (every child already joined,
    // as in the destructors' calls) stays a load and a compare. The common
    // case: our slot is on top of our deque; pop it back and call it here,
    // with no handler (children do not throw: run()'s precondition).
    [[gnu::noinline]] void join() noexcept {
        detail::ws_task* t = nullptr;
        if (m_owner != nullptr && m_owner->deque.try_pop(t) && t == &m_slot) [[likely]] {
            m_slot.work.consume();
            detail::worker_counters::bump(m_owner->counters.jobs_run);
            if (--m_join.pending == 0) return;  // J2; nothing was stolen
            t = nullptr;
        }
        join_rest(t);
    }

    // J4 in general: t is a job just popped from our deque, or null. A
    // group made outside the pool sleeps until its submitted children finish.
    [[gnu::noinline]] void join_rest(detail::ws_task* t) noexcept {
        if (m_owner == nullptr) {
            m_count.sleep_until_zero();
            m_join.pending = 0;
            return;
        }
        detail::ws_worker& self = *m_owner;
        for (;;) {
            if (t != nullptr) m_pool.run(self, t);  // J2 when it is a child of ours
            if (m_join.all_done()) break;
            if (!self.deque.try_pop(t)) {
                // A thief has our children: run other jobs until they finish.
                detail::help_until([this] { return m_join.all_done(); },
                                   [this] { return m_pool.help_once(*m_owner); });
                break;
            }
        }
        m_join.restart();
    }

    // J4 with a deadline: pop and run while the deque holds jobs, then run
    // other jobs until the thieves are done or the deadline passes.
    bool join_until(std::chrono::steady_clock::time_point deadline) noexcept {
        detail::ws_worker& self = *m_owner;
        detail::ws_task* t = nullptr;
        while (!m_join.all_done()) {
            if (std::chrono::steady_clock::now() >= deadline) return false;
            if (self.deque.try_pop(t)) {
                m_pool.run(self, t);  // J2 when it is a child of ours
                continue;
            }
            if (!detail::help_until_deadline([this] { return m_join.all_done(); },
                                             [this] { return m_pool.help_once(*m_owner); },
                                             deadline)) {
                return false;
            }
        }
        m_join.restart();
        return true;
    }

    // Outside a worker: the child is an ordinary submitted job that
    // counts itself finished, after destroying its captures, as its last
    // access to the group. pending counts them too, so that wait() has one
    // fast path.
    template <class F>
    void run_outside(F&& f) {
        m_count.add();
        try {
            m_pool.submit(
                [this, fn = std::optional<std::decay_t<F>>(std::forward<F>(f))]() mutable {
                    (*fn)();
                    fn.reset();
                    m_count.finish();
                });
        } catch (...) {
            m_count.finish();
            throw;
        }
        ++m_join.pending;
    }

    work_stealing_pool& m_pool;
    detail::ws_worker* const m_owner;  // null: the group was made outside the pool
    detail::ws_join m_join;            // children forked inside a worker
    detail::ws_task m_slot;            // the first child's node
    detail::group_counter m_count;     // children submitted from outside
};

}  // namespace poolbench
