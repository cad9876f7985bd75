// work_stealing_pool::native_task_group: fork-join as rayon's join does it,
// the group task_group<work_stealing_pool> is built on. Included by
// work_stealing/pool.hpp.
#pragma once

#include <optional>
#include <type_traits>
#include <utility>

#include "../detail/help_until.hpp"
#include "pool.hpp"

namespace poolbench {

// For task_group<work_stealing_pool>: fork-join as rayon's join does it.
// A child forked inside a worker goes to the top of that worker's deque;
// the wait pops it back and runs it, or, when a thief took it, runs other
// jobs (its own deque first, then steals) until the thief has finished
// it. A child is either still in the owner's deque, above everything the
// owner pushed before it, or running on the thief that stole it, so the
// wait never waits for a queued job. The first child since the last
// wait() lives in the group itself (in the forking job's frame), later
// ones in nodes from the worker's free list, and the join is counted
// with plain integers unless a child was stolen (detail::ws_join): a
// fork that nobody steals allocates nothing and makes no atomic
// read-modify-write beyond the deque's own.
// run() and wait(): the group's owner only.
class work_stealing_pool::native_task_group {
public:
    explicit native_task_group(work_stealing_pool& pool) noexcept
        : m_pool(pool), m_owner(pool.current_worker()), m_join(m_owner) {}
    native_task_group(const native_task_group&) = delete;
    native_task_group& operator=(const native_task_group&) = delete;
    ~native_task_group() { wait(); }

    template <class F>
    void run(F&& f) {
        if (m_owner == nullptr) {
            run_outside(std::forward<F>(f));
            return;
        }
        detail::ws_task* t = nullptr;
        if (!m_slot.in_frame) {
            m_slot.work.emplace(std::forward<F>(f));
            m_slot.join = &m_join;
            m_slot.in_frame = true;  // busy until wait() has seen it finish
            t = &m_slot;
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
        ++m_join.forked;
    }

    // Small enough to inline: the destructors call it again after a join.
    [[gnu::always_inline]] void wait() noexcept {
        if (m_owner == nullptr) {
            m_count.sleep_until_zero();
            return;
        }
        if (!m_join.all_done()) join();
        m_slot.in_frame = false;
    }

private:
    // Out of line: the fast path of wait() (every child already joined,
    // as in the destructors' calls) stays a load and a compare.
    [[gnu::noinline]] void join() noexcept {
        // Unless stolen, our children are on top of our own deque. The common
        // case, our in-frame child: pop it back and call it right here, as
        // rayon's join runs its job inline.
        detail::ws_worker& self = *m_owner;
        detail::ws_task* t = nullptr;
        if (!self.deque.try_pop(t)) return help_while_stolen();
        if (t == &m_slot) {
            detail::run_job_unreported(m_slot.work, m_pool.m_completion, self.counters);
            ++m_join.ran_here;
        } else {
            m_pool.run(self, t);
        }
        if (!m_join.all_done()) join_rest();
    }

    // More than one child, or the newest was not ours: the general join.
    void join_rest() noexcept {
        detail::ws_worker& self = *m_owner;
        detail::ws_task* t = nullptr;
        while (self.deque.try_pop(t)) {
            m_pool.run(self, t);
            if (m_join.all_done()) return;
        }
        help_while_stolen();
    }

    // A thief has a child of ours: run other jobs until it has finished it.
    void help_while_stolen() noexcept {
        detail::help_until([this] { return m_join.all_done(); },
                           [this] { return m_pool.help_once(*m_owner); });
    }

    // Outside a worker: the child is an ordinary submitted job that
    // counts itself finished, after destroying its captures, as its last
    // access to the group.
    template <class F>
    void run_outside(F&& f) {
        m_count.add();
        m_pool.submit([this, fn = std::optional<std::decay_t<F>>(std::forward<F>(f))]() mutable {
            (*fn)();
            fn.reset();
            m_count.finish();
        });
    }

    work_stealing_pool& m_pool;
    detail::ws_worker* const m_owner;  // null: the group was made outside the pool
    detail::ws_join m_join;            // children forked inside a worker
    detail::ws_task m_slot;            // the first child's node
    detail::group_counter m_count;     // children submitted from outside
};

}  // namespace poolbench
