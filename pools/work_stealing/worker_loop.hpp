// work_stealing_pool, the worker side: what a worker does with its time.
// Its loop runs its own deque first (newest first; at a fair turn, after 61
// turns or about 30 us of them, whichever comes first, detail::ws_fair_pace:
// waiting outside jobs or its oldest job first), then takes a quick look
// elsewhere without counting itself idle, then goes idle (quiescence step
// Q5) and searches (idle protocol steps 1-3): a batch from the injection
// queue, then one steal attempt on every other worker from a random start,
// polling for its adaptive budget before it parks.
// help_once() is the same search for a worker that waits inside a job (a
// fork-join wait).
// Included by work_stealing/pool.hpp; every function here runs on the worker
// whose state it is given (the owner of `self`).
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <utility>

#include <pools/detail/cpu_placement.hpp>
#include <pools/detail/current_pool.hpp>
#include <pools/work_stealing/pool.hpp>

namespace poolbench {

inline void work_stealing_pool::worker_main(detail::ws_worker& self) {
    detail::current_pool_scope scope(this);
    note_cpu(self);
    t_worker = &self;
    moodycamel::ConsumerToken consumer(m_injection);
    t_consumer = &consumer;
    for (;;) {
        detail::ws_task* t = nullptr;
        if (run_held(self)) continue;
        if (self.fair.turn() && fair_turn(self)) continue;
        if (self.deque.try_pop(t)) {
            run(self, t);
            continue;
        }
        // A first look, not yet counted as a search: when work is right
        // there (a producer a few jobs ahead), the worker takes it without
        // touching the search count or the pending count. Until it goes
        // idle the worker counts as busy for both protocols, which only
        // costs a wake-up: it searches again, counted, before it ever parks.
        // It still hands the search on when nobody searches and work is
        // left behind or anywhere else (idle protocol step 2).
        auto left = work_stealing::left_behind::nothing;
        if ((t = quick_look(self, left)) != nullptr) {
            if (m_count > 1) m_idle.hand_on_search(left, [this] { return work_visible(); });
            run(self, t);
            continue;
        }
        if (self.holds_jobs()) continue;
        m_quiescence.went_idle(self.quiescence);
        self.fair.restart();
        const auto search = m_idle.may_search();            // idle step 1
        if (search == work_stealing::idle::search::none) {  // half the workers (and one) search
            const auto result = m_idle.park_unsearched([this] { return work_visible(); });
            if (result == work_stealing::idle::parked::stopping) break;
            if (result == work_stealing::idle::parked::slept) {
                detail::worker_counters::bump(self.counters.parks);
                leave_shared_cpu(self);
            }
            continue;
        }
        m_idle.begin_search();
        if (search == work_stealing::idle::search::full) {
            t = poll_for_work(self, left, self.poll_budget);
        } else {  // brief: unless the others have left the search, or stalled in it
            // The snapshot only where searchers_stalled() can say yes: an
            // O(workers) pass that a pool with more workers than CPUs
            // (hundreds, in the `sleep` row) would make for nothing.
            const std::uint64_t others = m_cpu_per_worker ? others_search_rounds(self) : 0;
            t = poll_for_work(self, left, k_brief_search);
            if (t == nullptr && !self.holds_jobs() &&
                (m_idle.full_search_free() || searchers_stalled(self, others))) {
                t = poll_for_work(self, left, self.poll_budget);
            }
        }
        if (t != nullptr || self.holds_jobs()) {
            m_idle.end_search_found(left != work_stealing::left_behind::nothing,
                                    [this] { return work_visible(); });
            if (t != nullptr) run(self, t);
            continue;
        }
        const auto parked_at = std::chrono::steady_clock::now();
        const auto result = m_idle.park([this] { return work_visible(); });  // idle step 3
        if (result == work_stealing::idle::parked::stopping) break;
        if (result == work_stealing::idle::parked::slept) {
            detail::worker_counters::bump(self.counters.parks);
            leave_shared_cpu(self);
        }
        adapt_poll_budget(self, std::chrono::steady_clock::now() - parked_at);
    }
    t_consumer = nullptr;
    t_worker = nullptr;
}

// Idle protocol step 1's polling: find_work() rounds, each counted in
// self.search_rounds, until a job turns up, jobs are held, or `budget` has
// passed (detail::idle_spin). The job, or null. Null also after a round
// that waited long for its CPU (idle_spin::held_off()) while other workers
// search, where every worker can have a CPU of its own (m_cpu_per_worker):
// another thread holds this worker's CPU, and while it polls there it
// holds a place in the search count that keeps submitters from waking a
// worker with a CPU free (searchers_stalled()); it parks instead.
inline detail::ws_task* work_stealing_pool::poll_for_work(detail::ws_worker& self,
                                                          work_stealing::left_behind& left,
                                                          std::chrono::nanoseconds budget) {
    detail::idle_spin spin(budget);
    for (;;) {
        self.search_rounds.add();
        if (detail::ws_task* t = find_work(self, left); t != nullptr) return t;
        if (self.holds_jobs() || !spin.keep_polling()) return nullptr;
        if (m_cpu_per_worker && spin.held_off() && m_idle.searching() > 1) return nullptr;
    }
}

// The search rounds of every worker but self (ws_search_rounds).
inline std::uint64_t work_stealing_pool::others_search_rounds(
    const detail::ws_worker& self) const noexcept {
    std::uint64_t rounds = 0;
    for (const auto& w : m_workers) {
        if (w.get() != &self) rounds += w->search_rounds.get();
    }
    return rounds;
}

// At the end of a brief search that found nothing (idle protocol step 1):
// whether the other workers counted as searching made no round of their
// search during it (others_search_rounds() still reads `before`). Then
// their CPUs are held by other threads: a searcher that shares its CPU
// with a thread outside the pool (a submitter that spins until its next
// submit) waits for that thread's time slice to end, up to milliseconds,
// while the count it holds tells submitters that nobody need be woken,
// and tells this worker, which has a CPU, to park. So this worker searches
// in its place for a full budget. Measured (the latency row, one job every
// 20 us from an outside thread, 2 workers on 2 CPUs): before, 10 % of the
// jobs waited over 200 us, for a searcher queued behind the submitter.
// Only where every worker can have a CPU of its own (m_cpu_per_worker):
// with more workers than CPUs a searcher waiting for its CPU is the
// common case, and one more searcher only takes CPU time from the rest
// (`empty` at 4 workers on 2 CPUs, 11 alternated rounds: 16 % and 27 %
// slower, unaligned and aligned builds, p = 0.1 and 0.32).
inline bool work_stealing_pool::searchers_stalled(const detail::ws_worker& self,
                                                  std::uint64_t before) const noexcept {
    return m_cpu_per_worker && m_idle.searching() > 1 && others_search_rounds(self) == before;
}

// The fair turn (detail::ws_fair_pace says when): a fair share of the
// injection queue, held in the inbox so that the loop runs them next
// (run_held), ahead of the deque; with nothing there, the oldest job of the
// own deque (a steal from its top, which the owner may do: jobs of an
// injection batch can lie beneath a job that resubmits itself). Returns
// whether it took a job; when it took none, the pace starts again. It reads
// the queue's size before it dequeues, so that a turn with nothing outside
// touches no producer's lines (the first version dequeued blindly: tree was
// 23 % slower at one worker). Owner of self only, from the top of its loop
// (no job of its own running).
inline bool work_stealing_pool::fair_turn(detail::ws_worker& self) {
    if (self.holds_jobs()) return false;
    if (self.fair.wants_clock()) self.fair.pace(std::chrono::steady_clock::now());
    if (const std::size_t waiting = m_injection.size_approx(); waiting != 0) {
        const std::size_t awake = m_count - std::min(m_count - 1, m_idle.parked_hint());
        const std::size_t share = std::clamp<std::size_t>(waiting / awake, 1, self.inbox.size());
        const std::size_t n = m_injection.try_dequeue_bulk(*t_consumer, self.inbox.begin(), share);
        if (n > 0) {
            work_stealing::quiescence::claimed(self.quiescence, n);
            self.held_begin = 0;
            self.held_end = n;
            if (m_count > 1 && m_injection.size_approx() != 0) {
                m_idle.hand_on_search(work_stealing::left_behind::more,
                                      [this] { return work_visible(); });
            }
            return true;
        }
    }
    detail::ws_task* t = nullptr;
    // Only a busy worker can hold jobs in its deque (an idle one found it
    // empty, quiescence Q5); taking its own is Q3, as a pop is.
    if (!self.quiescence.busy || self.deque.steal(t) != steal_status::success) {
        self.fair.restart();
        return false;
    }
    run(self, t);
    return true;
}

// A beat is due or another worker asked (tick(), at a fork or a promotion
// point): the oldest latent fork goes onto the deque (L2 of
// work_stealing/latent.hpp), where a thief can take it, waking a sleeper if
// nobody searches (idle protocol step 5). When the countdown ran out it is
// set again (ws_worker::rearm()). With one worker there is nobody to take
// a fork: the clock is never read. Never inlined: it is the rare path of a
// fork and of a promotion point, and inlined into a forking function
// (fib's) its clock read kept three more values in callee-saved registers,
// which that function then saved and restored at every call, leaves
// included (scripts/fork-cost: 100 -> 91 instructions per fork).
[[gnu::noinline, gnu::cold]] inline void work_stealing_pool::beat_or_request(
    detail::ws_worker& self) noexcept {
    if (m_count == 1) {
        if (self.heartbeat.countdown == 0) self.rearm(detail::ws_heartbeat::k_max_interval);
        return;
    }
    bool promote = self.work_request.take();
    if (self.heartbeat.countdown == 0) {
        if (self.heartbeat.due()) promote = true;
        self.rearm(self.heartbeat.interval());
    }
    if (promote && !self.latent.empty()) promote_oldest(self);
}

// J1 at a fork whose countdown ran out, or when another worker asked: the
// push that may grow the latent stack, then beat_or_request(). When the
// stack cannot grow the child is dropped (its node recycled, its count in
// its group's pending taken back) and std::bad_alloc propagates from the
// fork. Never inlined, for the reason beat_or_request() is not, and so
// that a forking function has no handler of its own for the push.
[[gnu::noinline, gnu::cold]] inline void work_stealing_pool::fork_slow(detail::ws_worker& self,
                                                                       std::uintptr_t entry) {
    try {
        self.latent.push(entry);
    } catch (...) {
        detail::ws_task* const t = detail::ws_latent_entry::take(entry);
        --t->join->pending;
        t->work.reset();
        if (!t->in_frame()) self.recycle(t);
        self.heartbeat.fork_failed();
        throw;
    }
    beat_or_request(self);
}

// A kept child's fork (native_task_group::keep()) whose countdown ran out,
// or when another worker asked: the room for its cell, which a countdown
// that ran out does not promise (ws_worker::rearm()). When the stack
// cannot grow, the decrement is taken back and std::bad_alloc propagates
// from the fork, with nothing forked. Never inlined, for the reason
// fork_slow() is not.
[[gnu::noinline, gnu::cold]] inline void work_stealing_pool::fork_room(detail::ws_worker& self) {
    if (self.latent.reserve(1) != 0) return;
    self.heartbeat.fork_failed();
    throw std::bad_alloc();
}

// Before a join runs one of self's latent forks itself (work_stealing/
// join.hpp, J4): that child may run long, and a child that blocks makes no
// fork that could promote the others. So a request is served here too,
// and when the join rule says so (publish_all_due(): workers sleep, and a
// CPU is free for one, or a beat came since self last did this) every
// latent fork goes onto the deque, oldest first, each push waking a
// sleeper when nobody searches (idle protocol step 5): with idle capacity,
// publishing costs less than running the group's children one after
// another. Every one, not only while the sleepers' count reads non-zero:
// the first pushes' wake-ups take sleepers out of that count before they
// have taken anything, and a fork left latent under a child that blocks
// waits for that child (three children that wait for each other, in a
// pool with every CPU taken: stalled in 3 runs of 30 of join_test, in 4 of
// 150 publishing all, the rest a wake-up after a push that no sleeper
// took, which step 5 does not promise). Reads the sleepers' count, a
// shared line, only on this path (a join whose child is not simply the
// youngest latent fork), never at a fork.
inline void work_stealing_pool::promote_before_join(detail::ws_worker& self) noexcept {
    if (m_count == 1 || self.latent.empty()) return;
    if (self.work_request.take()) promote_oldest(self);
    if (!publish_all_due(self)) return;
    self.heartbeat.take_join_beat();
    while (!self.latent.empty()) {
        if (!promote_oldest(self)) break;
    }
}

// L2: the oldest latent fork onto the deque; a kept child moves into a
// node first. False (the fork stays latent, and its join runs it) when no
// node can be made or the deque cannot grow.
inline bool work_stealing_pool::promote_oldest(detail::ws_worker& self) noexcept {
    const detail::ws_latent_cell& c = self.latent.oldest();
    const bool kept = detail::ws_latent_entry::kept(c.entry);
    detail::ws_task* t = nullptr;
    try {
        t = kept ? c.ops->promote(self, detail::ws_latent_entry::kept_join(c.entry), c.closure)
                 : detail::ws_latent_entry::take(c.entry);
    } catch (...) {  // std::bad_alloc: no node for the kept child
        return false;
    }
    t->join->published();  // before the push that lets a thief take it
    try {
        push_local(self, t);
    } catch (...) {  // std::bad_alloc, or a deque at its size limit
        if (kept) {  // the cell still holds the child
            t->work.reset();
            self.recycle(t);
        }
        return false;
    }
    self.latent.drop_oldest();
    return true;
}

// J4's next job of its own for a join, run here (J2 when it is one of the
// join's children): the youngest latent fork (after
// promote_before_join()), else the newest job of the deque. False when
// both are empty (what is left of the group is with thieves).
inline bool work_stealing_pool::run_next_for_join(detail::ws_worker& self) noexcept {
    promote_before_join(self);
    if (!self.latent.empty()) {
        const std::uintptr_t e = self.latent.pop();
        if (!detail::ws_latent_entry::kept(e)) {
            run(self, detail::ws_latent_entry::take(e));
            return true;
        }
        // As run() does a fork-join child's node: the child (a copy: the
        // cell is free once popped), then its group told, then the forks.
        detail::ws_join& join = detail::ws_latent_entry::kept_join(e);
        join.run_kept(self.latent.popped());
        join.finished_on(self);
        self.report_forks();
        return true;
    }
    detail::ws_task* t = nullptr;
    if (!self.deque.try_pop(t)) return false;
    run(self, t);
    return true;
}

// Runs one pending job (own deque first, then a search round) on self,
// the calling worker. Returns whether it ran one.
inline bool work_stealing_pool::help_once(detail::ws_worker& self) {
    detail::ws_task* t = nullptr;
    auto left = work_stealing::left_behind::nothing;
    if (!self.deque.try_pop(t) && (t = find_work(self, left)) == nullptr) {
        return run_held(self);
    }
    run(self, t);
    return true;
}

// One search round: a batch from the injection queue, then one steal
// attempt on each of `victims` other workers (all by default) from a random
// start. Owner of self only.
// Sets `left` to what it left behind (idle protocol step 2): a batch moved
// into our deque, more in the place the job came from (the injection queue,
// the victim's deque), or nothing: the ramp-up's hint.
inline detail::ws_task* work_stealing_pool::find_work(detail::ws_worker& self,
                                                      work_stealing::left_behind& left,
                                                      std::size_t victims) {
    if (self.holds_jobs()) return nullptr;  // the inbox is taken: run those first
    job first;
    if (m_injection.try_dequeue(*t_consumer, first)) {
        work_stealing::quiescence::claimed(self.quiescence, 1);
        // Then a fair share of what is left (Go's rule for its global
        // queue: length / workers), at most k_injection_batch in all,
        // kept in our deque where thieves can reach them. A big share
        // saves the producer's cache lines from a consumer per job; a
        // fair one leaves work for the others (blocking jobs, skew).
        const std::size_t remaining = m_injection.size_approx();
        const std::size_t awake = m_count - std::min(m_count - 1, m_idle.parked_hint());
        const std::size_t share = std::min(k_injection_batch - 1, remaining / awake);
        std::size_t n = 0;
        if (share > 0) {
            n = m_injection.try_dequeue_bulk(*t_consumer, self.inbox.begin(), share);
            work_stealing::quiescence::claimed(self.quiescence, n);
        }
        left = n > 0           ? work_stealing::left_behind::batch
               : remaining > 0 ? work_stealing::left_behind::more
                               : work_stealing::left_behind::nothing;
        self.heartbeat.start_job();  // its first fork is promoted
        note_cpu(self);
        return wrap_claimed(self, std::move(first), n);
    }
    if (m_count > 1) {
        const std::size_t start = self.random_index(m_count);
        for (std::size_t k = 0; k < m_count && victims > 0; ++k) {
            detail::ws_worker& victim = *m_workers[(start + k) % m_count];
            if (&victim == &self) continue;
            --victims;
            detail::ws_task* t = nullptr;
            // Nothing to steal: ask the victim to promote a latent fork
            // (work_stealing/latent.hpp); the next search may find it. An
            // idle thief announces itself (quiescence step Q4), so it tries
            // only where there is something to steal.
            if (victim.deque.approx_size() <= 0) {
                victim.work_request.ask();
                if (!self.quiescence.busy) continue;
            }
            const bool announced = m_quiescence.before_steal(self.quiescence);
            switch (victim.deque.steal(t)) {
                case steal_status::success:
                    work_stealing::quiescence::stole(self.quiescence);
                    detail::worker_counters::bump(self.counters.steals);
                    note_cpu(self);
                    left = victim.deque.approx_size() > 0 ? work_stealing::left_behind::more
                                                          : work_stealing::left_behind::nothing;
                    self.heartbeat.start_job();
                    return t;
                case steal_status::lost_race:
                case steal_status::empty:
                    m_quiescence.steal_failed(announced);
                    detail::worker_counters::bump(self.counters.failed_steals);
                    break;
            }
        }
    }
    return nullptr;
}

// Puts the claimed jobs inbox[0, n) into our deque and returns first in a
// node. Out of memory (a node, or a bigger deque), what is left stays in
// the inbox as held jobs, first last, and the result is null: the worker
// runs them from there (run_held) before it looks anywhere else, so no
// claimed job is lost and the pool goes on.
inline detail::ws_task* work_stealing_pool::wrap_claimed(detail::ws_worker& self, job&& first,
                                                         std::size_t n) noexcept {
    std::size_t i = 0;
    try {
        for (; i < n; ++i) {
            detail::ws_task* t = self.make_task(std::move(self.inbox[i]));
            try {
                self.deque.push(t);
            } catch (...) {
                self.inbox[i] = std::move(t->work);
                self.recycle(t);
                throw;
            }
        }
        return self.make_task(std::move(first));
    } catch (...) {  // std::bad_alloc (or a deque at its size limit)
        self.inbox[n] = std::move(first);
        self.held_begin = i;
        self.held_end = n + 1;
        return nullptr;
    }
}

// Runs one held job (see wrap_claimed). Returns whether there was one.
inline bool work_stealing_pool::run_held(detail::ws_worker& self) noexcept {
    if (!self.holds_jobs()) return false;
    job& j = self.inbox[self.held_begin++];
    detail::run_job_unreported(j, m_completion, self.counters);
    self.report_forks();  // as run() does
    if (!self.holds_jobs()) self.held_begin = self.held_end = 0;
    return true;
}

// A few search rounds with a pause between them (about a microsecond), each
// trying at most k_quick_victims other workers.
inline detail::ws_task* work_stealing_pool::quick_look(detail::ws_worker& self,
                                                       work_stealing::left_behind& left) {
    for (int round = 0; round < k_quick_rounds; ++round) {
        if (detail::ws_task* t = find_work(self, left, k_quick_victims)) return t;
        if (self.holds_jobs()) break;
        detail::cpu_relax();
    }
    return nullptr;
}

// After a sleep: a worker woken onto a CPU where another worker of the pool
// runs, while a CPU of its affinity mask has none, moves there (by its
// mask, which it then restores: detail::move_to_free_cpu()). A scheduler
// that packs threads onto few CPUs (some VMs' guest kernels) wakes a worker
// onto the CPU of the worker that woke it and leaves it queued there, a
// time slice behind its neighbour, while another CPU idles; the pair then
// parks and wakes the same way call after call. Measured (2-vCPU VM, 2
// workers, 200 back-to-back parallel_for calls over 10^6 ints from an
// outside thread, 16 pools each way): without the move, 7 of 16 pools ran
// 25 % to 60 % slower than the rest, their second worker parking on one
// call in eight to one in two (0.12 to 0.49 parks a call); with it, all 16
// at the rest's speed (0.01 parks a call); pinning each worker to a CPU of
// its own for good did the same.
// Not when the wake-up came from a submitter outside the pool (idle::
// last_waker()): a thread that keeps submitting (the `empty` row, one
// submitter beside 2 workers on 2 CPUs) is better off with a CPU to itself
// while the workers share the other, and the move took it (9.7 against
// 7.9 ms a run). The CPUs the others were last seen on are hints
// (ws_cpu_hint), possibly stale: a wrong guess costs one migration. Only
// where every worker can have a CPU of its own (m_cpu_per_worker).
inline void work_stealing_pool::leave_shared_cpu(detail::ws_worker& self) noexcept {
    if (!m_cpu_per_worker) return;
    const int here = self.cpu.note();
    if (here < 0 || m_idle.last_waker() == work_stealing::idle::waker::outside) return;
    const auto worker_on = [this, &self](int cpu) {
        return std::any_of(m_workers.begin(), m_workers.end(),
                           [&](const auto& w) { return w.get() != &self && w->cpu.get() == cpu; });
    };
    if (!worker_on(here)) return;
    if (const int moved_to = detail::move_to_free_cpu(here, worker_on); moved_to >= 0) {
        self.cpu.set(moved_to);
    }
}

// Notes the worker's CPU hint (ws_cpu_hint), only where leave_shared_cpu()
// reads the hints at all.
inline void work_stealing_pool::note_cpu(detail::ws_worker& self) noexcept {
    if (m_cpu_per_worker) self.cpu.note();
}

// Adaptive polling. A worker that parked for less than the full budget
// would have caught its next job by polling longer: its next poll gets
// twice the time (up to the full budget). One that slept longer halves
// it (down to a quarter). So a pool that goes idle stops paying for
// polls that find nothing (a new pool starts at the minimum), while a
// steady trickle of jobs soon keeps a worker polling between them.
inline void work_stealing_pool::adapt_poll_budget(detail::ws_worker& self,
                                                  std::chrono::nanoseconds slept) const {
    self.poll_budget = slept < m_poll_budget ? std::min(m_poll_budget, self.poll_budget * 2)
                                             : std::max(m_poll_budget / 4, self.poll_budget / 2);
}

}  // namespace poolbench
