// work_stealing_pool::native_task_group: fork-join with latent forks, the
// group task_group<work_stealing_pool> is built on. Included by
// work_stealing/pool.hpp.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <type_traits>
#include <utility>

#include <pools/detail/help_until.hpp>
#include <pools/detail/preserving_call.hpp>
#include <pools/work_stealing/pool.hpp>

namespace poolbench {

// For task_group<work_stealing_pool>: fork-join as heartbeat scheduling
// does it (work_stealing/latent.hpp). A child forked inside a worker goes
// on that worker's stack of latent forks, where no other thread looks; a
// heartbeat or another worker's request promotes the oldest latent fork
// onto the worker's deque, where a thief may take it. The wait pops a
// latent child and calls it, as the serial program would; pops a promoted
// one back from the deque; or, when a thief took it, runs other jobs (its
// own deque first, then steals) until the thief has finished it. The
// first child since the last wait() lives in the group itself (in the
// forking job's frame, m_join.slot); a later one is kept in its own cell
// of the latent stack when its closure fits (ws_latent_cell), else in a
// node from the worker's free list. A kept child takes a node only if it
// is promoted.
//
// Protocol, for a group made inside a worker (one made outside submits
// plain jobs, counted by m_join.outside). The group's join record m_join
// (detail::ws_join) holds the owner's plain count `pending` and the atomic
// `finished_elsewhere`.
// Invariant: pending - finished_elsewhere children of the group have not
// finished, and each of them is latent on the owner's stack, in the
// owner's deque, or taken by a thief that runs it; so a join never waits
// for a child that is still queued. Transitions:
//  J1. Fork (owner): the child goes into the slot; when the slot is taken,
//      into a cell of its own on the owner's latent stack if it fits
//      (kept), else into a node. Its entry goes on top of that stack (L1);
//      pending += 1. Then, when a beat is due or a worker asked, the oldest
//      latent fork (this group's or an older one) moves to the deque (L2;
//      a kept one into a node first).
//  J2. The owner pops a child (from its latent stack or its deque) and
//      runs it, in its own join or while it helps in a nested one:
//      pending -= 1 in that child's group.
//  J3. A thief runs a stolen child: finished_elsewhere += 1 (release), as
//      its last access to the child and the group. (finished_elsewhere is
//      set to 0 when the round's first child is promoted, before the push
//      that lets a thief take it: ws_join::published(); a round with no
//      promoted child has no thief and never sets it.)
//  J4. Join (owner): while pending != finished_elsewhere (acquire), pop and
//      run (J2), latent forks first, then the deque; once both hold none
//      (the rest were stolen), run other jobs until the two are equal. Then
//      no child can touch the group any more: pending goes back to 0 (and
//      with it the mark that finished_elsewhere is set up) and the slot is
//      free.
// A fork that stays latent allocates nothing, writes nothing another
// thread reads and makes no atomic read-modify-write; its join pops the
// slot or the kept cell back and calls it right here. A fork whose child
// fits a cell makes no ordinary call either, on any path: its rare ones
// (the beat or request, a latent stack that must grow, a group made
// outside the pool) go through detail::preserving_call(), which keeps
// every register, so that a function forking in a loop holds the loop's
// values in any register and the compiler need not save callee-saved
// ones before the function's own first test (a recursion's leaf returns
// without a prologue: scripts/fork-cost, skynet 81.9 -> 63.2 instructions
// a node).
// A join may run latent forks of other groups of its worker (younger ones,
// made in the same job after this group's children); by L, never one older
// than a child of its own that is still unfinished.
// wait_until(deadline) is J4 that gives up at the deadline, leaving the
// invariant as it stands: the children not finished stay latent, in the
// deque or with their thieves, and a later wait() (the destructor's, at the
// latest) joins them. Outside the pool it polls the count of submitted
// children.
// run(), wait() and wait_until(): the group's owner only.
class work_stealing_pool::native_task_group {
public:
    [[gnu::always_inline]] explicit native_task_group(work_stealing_pool& pool) noexcept
        : m_pool(pool), m_join(pool.current_worker()) {}
    native_task_group(const native_task_group&) = delete;
    native_task_group& operator=(const native_task_group&) = delete;
    [[gnu::always_inline]] ~native_task_group() {
        if (m_join.pending != 0) wait();  // nothing after a wait() (assume_joined())
    }

    // f may throw: whoever runs it records the exception in the group's
    // status (ws_join::run_child()), and a cancelled group skips it.
    template <class F>
    [[gnu::always_inline]] void run(F&& f) {
        // The slot is free while no child of this round is unfinished or
        // queued: when pending is 0 (J2 counts it down only after the
        // child has run). A later child is kept in its latent cell when it
        // fits (keep()), else it takes a node. A group made outside the
        // pool counts its children below zero (run_outside()), so that one
        // signed test tells a later child of a group made inside, and its
        // fork tests the owner no more (scripts/fork-cost: 2 instructions
        // per fork in skynet).
        // A child that fits a cell makes no ordinary call on any path (the
        // rare ones go through detail::preserving_invoke()), so that a loop
        // of such forks holds no value across a call. Their lambdas capture
        // by value (such a closure is trivially copyable), so that no
        // local's address escapes.
        constexpr bool keeps = detail::ws_latent_cell::keeps<std::decay_t<F>>;
        if constexpr (keeps) {
            if (static_cast<std::int64_t>(m_join.pending) > 0) [[likely]] {
                keep(std::forward<F>(f));
                return;
            }
            if (owner() == nullptr) [[unlikely]] {
                detail::preserving_invoke(
                    [this, closure = std::decay_t<F>(std::forward<F>(f))]() mutable {
                        run_outside(std::move(closure));
                    });
                return;
            }
        } else if (owner() == nullptr) {
            run_outside(std::forward<F>(f));
            return;
        }
        std::uintptr_t entry = 0;
        // A group made inside the pool counts no child below zero, so a
        // child that fits and is not kept is the round's first.
        if (keeps || m_join.pending == 0) [[likely]] {
            ::new (static_cast<void*>(&m_join.slot))
                detail::ws_task(std::in_place, std::forward<F>(f));
            entry = detail::ws_latent_entry::slot(m_join);
        } else {
            entry = detail::ws_latent_entry::node(owner()->make_task(std::forward<F>(f), &m_join));
        }
        // J1 (pending first, where the compiler still knows it, so that a
        // round's first fork stores 1; fork_slow() takes it back when the
        // push fails), and L2 when a beat is due or a worker asked: the
        // heartbeat's countdown, which also bounds the forks that push
        // without a test (ws_worker::rearm()).
        ++m_join.pending;
        detail::ws_worker& self = *owner();
        if (m_pool.tick(self)) [[unlikely]] {
            if constexpr (keeps) {
                detail::preserving_invoke(
                    [pool = &m_pool, s = &self, entry] { pool->fork_slow(*s, entry); });
            } else {
                m_pool.fork_slow(self, entry);
            }
        } else {
            self.latent.push_unchecked(entry);
        }
    }

    // J4, with nothing to rethrow (the destructor's, and join()'s when its
    // fast path does not apply): the general join is join_rest(), which
    // also pops and calls the slot.
    [[gnu::always_inline]] void wait() noexcept {
        if (m_join.pending != 0) join_rest();
    }

    // wait(), then the group's first exception rethrown (task_group's
    // wait()). Inlined, for its fast path, the common case (fib's join): the
    // group's status is read once, before the child runs: when the group is
    // neither cancelled nor holds an exception, and its slot is the youngest
    // latent fork (top() is null or a fork that is latent now, ws_latent),
    // the slot is the round's only unfinished child (every other
    // child of the round is younger: a latent one would lie above the slot,
    // and one promoted would have had the slot promoted before it, L2), so
    // pending is 1, and after the child returns nothing can have been
    // recorded. A child that throws leaves the same way, its exception
    // rethrown as it is (the group's first: nothing else was recorded).
    [[gnu::always_inline]] void join() {
        if (owner() != nullptr && owner()->latent.top() == detail::ws_latent_entry::slot(m_join) &&
            m_join.status.clean()) [[likely]] {
            owner()->latent.pop();
            try {
                m_join.slot.work.consume_abandoned();  // the slot's job is never read again
            } catch (...) {
                finish_only_child();
                throw;
            }
            finish_only_child();
            m_join.status.assume_clean();
            return;
        }
        wait();
        m_join.status.rethrow();
    }

    // After wait() has returned (J4 ended with the counts at 0): says so to
    // the compiler, so that the destructor's wait() after task_group's
    // compiles to nothing.
    [[gnu::always_inline]] void assume_joined() const noexcept {
        if (m_join.pending != 0) __builtin_unreachable();
    }

    // The group's first exception and cancellation (task_group's cancel(),
    // is_cancelled() and the rethrow after a wait).
    detail::group_status& status() noexcept { return m_join.status; }

    // wait() that gives up at the deadline (false), checked between the jobs
    // it runs: a job it runs may end after the deadline.
    [[gnu::noinline]] bool wait_until(std::chrono::steady_clock::time_point deadline) noexcept {
        if (m_join.pending != 0) {
            if (owner() == nullptr) {
                if (!detail::poll_until([this] { return m_join.outside.done(); }, deadline))
                    return false;
                m_join.pending = 0;
            } else if (!join_until(deadline)) {
                return false;
            }
        }
        return true;
    }

private:
    // J2 for join()'s only child: pending goes from 1 to 0.
    [[gnu::always_inline]] void finish_only_child() noexcept { m_join.pending = 0; }

    // The worker that made the group; null when it was made outside the pool.
    detail::ws_worker* owner() const noexcept { return m_join.owner; }

    // J4 in general. A group made outside the pool sleeps until its
    // submitted children finish.
    [[gnu::noinline]] void join_rest() noexcept {
        if (owner() == nullptr) {
            m_join.outside.sleep_until_zero();
            m_join.pending = 0;
            return;
        }
        detail::ws_worker& self = *owner();
        // The common case of a group of several children (skynet's ten):
        // they are the youngest latent forks, popped and called here
        // (pop_own_latent()). With one worker nobody can want them; with
        // more, the join rule (latent.hpp) is looked at in full once, here,
        // and before each later child only the request flag is read. The
        // rule spares the group's first child: when its slot is the top,
        // it is the round's only unfinished child (join()'s reasoning), and
        // it is run here whoever wants work.
        if (m_pool.worker_count() == 1) {
            if (pop_own_latent<false>(self)) return;
        } else if ((self.latent.top() == detail::ws_latent_entry::slot(m_join) ||
                    !m_pool.wants_latent(self)) &&
                   pop_own_latent<true>(self)) {
            return;
        }
        while (!m_join.all_done()) {
            if (!m_pool.run_next_for_join(self)) {  // J2 when it is a child of ours
                // A thief has our children: run other jobs until they finish.
                detail::help_until([this] { return m_join.all_done(); },
                                   [this] { return m_pool.help_once(*owner()); });
                break;
            }
        }
        m_join.restart();
    }

    // J4's fast path: pops and calls the group's children while they are
    // the youngest latent forks, as join() does the slot; true when that
    // finished them all (none of them was promoted). Not through the
    // pool's run(): a child of ours popped on our own worker needs neither
    // its checks of the node (its group, the slot or not) nor the join's
    // owner check (13 instructions per fork in skynet, scripts/fork-cost).
    // Children kept in their cells are run by their type's own loop
    // (ws_kept::run_own()), which pops them, the slot after them, while
    // they are on top, with each child's call inlined.
    // A child kept in its cell or in a node, whose latent siblings would
    // wait while it runs, is popped only while no worker asked (Shared:
    // more than one worker; the caller looked at the whole join rule
    // first); otherwise run_next_for_join() serves the request, and the
    // join rule, first. A worker that runs out of work asks the busy ones
    // before it parks (find_work()), so a request is what tells a join,
    // between two children, that a worker has become idle; the sleepers'
    // count, a shared line, is read once per join, not once per child
    // (skynet at 2 workers: 9 instructions per child against 3).
    // The round's later children lie above its slot (forked later); an
    // entry tagged with bit 0 is a slot, ours or another group's, or none
    // at all (ws_latent); one tagged with bit 1 is a kept child, ours
    // when it is `kept`.
    template <bool Shared>
    [[gnu::always_inline]] bool pop_own_latent(detail::ws_worker& self) noexcept {
        const std::uintptr_t kept = detail::ws_latent_entry::kept(m_join);
        for (std::uintptr_t e = self.latent.top();; e = self.latent.top()) {
            if (e == kept) {
                if (Shared && self.work_request.asked()) return false;
                const detail::ws_cell_ops& ops = *self.latent.top_cell().ops;
                if ((Shared ? ops.run_shared : ops.run_own)(self, m_join))
                    return true;  // J2 for each
                continue;
            } else if (detail::ws_latent_entry::tagged(e)) {
                if (e != detail::ws_latent_entry::slot(m_join)) return false;
                self.latent.pop();  // J2
                m_join.run_child(m_join.slot.work);
            } else if (detail::ws_latent_entry::kept(e)) {
                return false;  // another group's
            } else {
                detail::ws_task* const t = reinterpret_cast<detail::ws_task*>(e);
                if (t->join != &m_join || (Shared && self.work_request.asked())) return false;
                self.latent.pop();  // J2
                m_join.run_child(t->work);
                self.recycle(t);
            }
            if (--m_join.pending == 0) return true;
        }
    }

    // J4 with a deadline: pop and run while the latent stack or the deque
    // holds jobs, then run other jobs until the thieves are done or the
    // deadline passes.
    bool join_until(std::chrono::steady_clock::time_point deadline) noexcept {
        detail::ws_worker& self = *owner();
        while (!m_join.all_done()) {
            if (std::chrono::steady_clock::now() >= deadline) return false;
            if (m_pool.run_next_for_join(self)) continue;  // J2 when it is a child of ours
            if (!detail::help_until_deadline([this] { return m_join.all_done(); },
                                             [this] { return m_pool.help_once(*owner()); },
                                             deadline)) {
                return false;
            }
        }
        m_join.restart();
        return true;
    }

    // J1 for a child kept in its latent cell (a later child of the round,
    // ws_latent_cell::keeps<F>): the cell is written in place, with no node
    // and no job; when the countdown ran out or a worker asked, room is
    // made first (fork_room(), which throws std::bad_alloc with nothing
    // forked when the stack cannot grow) and the beat or request is served
    // after the push, as fork_slow() does for the others.
    template <class F>
    [[gnu::always_inline]] void keep(F&& f) {
        detail::ws_worker& self = *owner();
        if (m_pool.tick(self)) [[unlikely]] {
            detail::preserving_invoke([pool = &m_pool, s = &self] { pool->fork_room(*s); });
            push_kept(self, std::forward<F>(f));
            detail::preserving_invoke(
                [pool = &m_pool, s = &self]() noexcept { pool->beat_or_request(*s); });
            return;
        }
        push_kept(self, std::forward<F>(f));
    }
    template <class F>
    [[gnu::always_inline]] void push_kept(detail::ws_worker& self, F&& f) noexcept {
        self.latent.keep_unchecked(detail::ws_latent_entry::kept(m_join),
                                   detail::ws_kept<std::decay_t<F>>::ops, std::forward<F>(f));
        ++m_join.pending;
    }

    // Outside a worker: the child is an ordinary submitted job that
    // counts itself finished, after destroying its captures, as its last
    // access to the group. pending counts them too (below zero), so that
    // wait() has one test.
    template <class F>
    void run_outside(F&& f) {
        m_join.outside.add();
        try {
            m_pool.submit(
                [this, fn = std::optional<std::decay_t<F>>(std::forward<F>(f))]() mutable {
                    m_join.status.run_child(*fn);
                    fn.reset();
                    m_join.outside.finish();  // release: publishes the record() above
                });
        } catch (...) {
            m_join.outside.finish();
            throw;
        }
        --m_join.pending;  // below zero: run()'s test of a later child
    }

    work_stealing_pool& m_pool;
    // The children: inside a worker, the round's first in its slot, built
    // by run() (J1); outside, the count of those submitted.
    detail::ws_join m_join;
};

}  // namespace poolbench
