// work_stealing_pool: one Chase-Lev deque per worker (Chase & Lev, SPAA 2005;
// orderings of Le et al., PPoPP 2013; queues/chase_lev_deque.hpp). A job
// submitted from inside a worker goes to the bottom of that worker's deque;
// a job submitted from outside enters through a shared injection queue
// (moodycamel). An idle worker takes a batch from the injection queue, or
// steals from random victims, spins briefly, then parks on an event_count.
// submit(), wait(), stats(), worker_count() are thread-safe.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <concurrentqueue/concurrentqueue.h>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <optional>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "detail/completion.hpp"
#include "detail/counters.hpp"
#include "detail/fence.hpp"
#include "detail/group_counter.hpp"
#include "../base/instrument.hpp"
#include "detail/idle_spin.hpp"
#include "detail/producer_tokens.hpp"
#include "detail/run_job.hpp"
#include "detail/spin.hpp"
#include "detail/ws_worker.hpp"
#include "job.hpp"
#include "parking.hpp"
#include "pool.hpp"
#include "work_stealing/quiescence.hpp"

namespace poolbench {

// Searching and parking protocol.
//
// State: m_searching counts workers that are looking for work (neither
// running a job nor parked). Invariant: a job published to the injection
// queue is never left with every worker parked: either some worker is
// searching and will find it, or the submitter wakes one.
//  1. A worker with an empty deque first takes a quick look (a few rounds,
//     about a microsecond) without counting itself: for the protocol it is
//     still busy, and it will search again, counted, before it parks. Then,
//     unless half the workers already search (then it parks at once,
//     leaving m_searching alone: the searchers and submitters keep the
//     invariant; it looks again only if nobody searches by the time it has
//     announced its sleep), it increments m_searching and looks: the
//     injection queue, then every other worker's deque from a random start.
//  2. Found a job: a counted searcher decrements m_searching; if that made
//     it zero while workers are parked and work is left anywhere, it wakes
//     one, so that while work is waiting one worker keeps looking (the
//     ramp-up: each worker that finds work hands the search on). A quick
//     look that leaves more behind where it took its job does the same when
//     nobody searches. Without it, a job left in the deque of a worker whose
//     job blocks would wait for that job.
//  3. Found nothing for a while (the worker's adaptive poll budget, see
//     adapt_poll_budget()): prepare_wait() on m_parking, then
//     decrement m_searching. The worker that brings it to zero re-checks the
//     injection queue and every deque after the decrement: a submitter that
//     read a non-zero m_searching before it (and so did not wake anyone)
//     published its job before that re-check (both sides are separated by
//     seq_cst fences, so one sees the other). Work found: cancel_wait() and
//     go to 1. Otherwise commit_wait(): sleep until notified.
//  4. submit from outside: push to the injection queue, seq_cst fence, and
//     if m_searching is zero, notify one parked worker (event_count skips
//     the system call when none is parked).
//  5. submit from inside a worker: push to its own deque; the same check,
//     but a missed wake-up there only costs parallelism, never a job: the
//     owner itself pops its deque before it ever parks.
//  6. Shutdown: the destructor waits for all jobs, sets m_stopping and
//     notifies all; a worker reads m_stopping after prepare_wait(), so it
//     either sees it or is woken by the notify.
//
// wait() is counted by busy workers, not by jobs: the quiescence protocol
// (steps Q1-Q5) is written down in work_stealing/quiescence.hpp.
class work_stealing_pool {
public:
    static constexpr std::string_view name = "work_stealing";

    explicit work_stealing_pool(std::size_t workers)
        : m_count(detail::checked_worker_count(workers, name.data())) {
        m_workers.reserve(m_count);
        for (std::size_t i = 0; i < m_count; ++i) {
            m_workers.push_back(std::make_unique<detail::ws_worker>(0x9E3779B97F4A7C15ULL * (i + 1)));
            // A new pool has seen no work yet: its first polls are short.
            m_workers.back()->poll_budget = m_poll_budget / 4;
        }
        m_threads.reserve(m_count);
        try {
            for (std::size_t i = 0; i < m_count; ++i) {
                m_threads.emplace_back([this, i] { worker_main(*m_workers[i]); });
            }
        } catch (...) {
            shut_down();
            throw;
        }
    }

    work_stealing_pool(const work_stealing_pool&) = delete;
    work_stealing_pool& operator=(const work_stealing_pool&) = delete;

    // Runs every job already submitted, then joins the workers.
    ~work_stealing_pool() {
        m_completion.drain();
        shut_down();
    }

    // Thread-safe, also from inside a job (then the job goes to the calling
    // worker's own deque).
    // Throws std::bad_alloc (and submits nothing) when memory runs out.
    template <class F>
    void submit(F&& f) {
        if (detail::ws_worker* self = current_worker()) {
            // Quiescence step Q3: the busy worker's unit covers the job.
            detail::ws_task* t = self->make_task(std::forward<F>(f));
            try {
                push_local(*self, t);  // throws only when the deque cannot grow
            } catch (...) {
                t->work.reset();
                self->recycle(t);
                throw;
            }
            return;
        }
        job j(std::forward<F>(f));
        moodycamel::ProducerToken& token = m_tokens.get();
        m_quiescence.submitted();
        if (!m_injection.enqueue(token, std::move(j))) {
            m_quiescence.submit_failed();
            throw std::bad_alloc();
        }
        detail::store_load_fence();
        // relaxed: ordered by the fence above against the searcher's fence
        // in park() (protocol step 3).
        if (m_searching.load(std::memory_order_relaxed) == 0) wake_one_fenced();
    }

    // Thread-safe; throws std::logic_error from inside one of this pool's jobs.
    void wait() {
        detail::check_not_in_own_job(this, name.data());
        m_completion.wait();
    }

    // Runs one pending job (own deque first, then injection, then a steal) on
    // the calling worker. Only from inside a job of this pool.
    bool try_run_pending() {
        detail::ws_worker* self = current_worker();
        return self != nullptr && help_once(*self);
    }

    bool in_worker() const noexcept { return detail::tl_current_pool == this; }
    std::size_t worker_count() const noexcept { return m_count; }

    pool_stats stats() const {
        pool_stats s;
        for (const auto& w : m_workers) s += w->counters.snapshot();
        // relaxed: statistic.
        s.wakeups += m_wakeups.load(std::memory_order_relaxed);
        return s;
    }

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
    class native_task_group {
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

        void wait() noexcept {
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
            // Unless stolen, our children are on top of our own deque.
            detail::ws_worker& self = *m_owner;
            detail::ws_task* t = nullptr;
            while (self.deque.try_pop(t)) {
                m_pool.run(self, t);
                if (m_join.all_done()) return;
            }
            // A thief has one: run other jobs until it has finished it.
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

private:
    // The most jobs a worker takes from the injection queue at once (it
    // keeps them in its deque, where other workers can steal them).
    static constexpr std::size_t k_injection_batch = detail::ws_worker::k_inbox_size + 1;
    // Search rounds a worker makes before it counts itself as searching.
    static constexpr int k_quick_rounds = 8;

    // A task onto the calling worker's own deque (protocol step 5).
    [[gnu::always_inline]] void push_local(detail::ws_worker& self, detail::ws_task* t) {
        self.deque.push(t);
        // relaxed: a stale read only delays help (protocol step 5).
        if (m_searching.load(std::memory_order_relaxed) == 0 && m_parking.approx_waiters() != 0)
            [[unlikely]] {
            wake_one();
        }
    }

    detail::ws_worker* current_worker() const noexcept {
        return detail::tl_current_pool == this ? t_worker : nullptr;
    }

    void wake_one() {
        detail::store_load_fence();
        wake_one_fenced();
    }

    // wake_one() right after the caller's own store_load_fence.
    void wake_one_fenced() {
        if (m_parking.notify_one_fenced()) {
            // relaxed: statistic, on the rare path where a worker sleeps.
            m_wakeups.fetch_add(1, std::memory_order_relaxed);
            detail::instrument::rmw(detail::instrument::site::statistic, &m_wakeups);
        }
    }

    // Runs a job the worker holds (it is busy: quiescence step Q3). A
    // fork-join child reports to its group, as its last access to the node
    // and the group (both may be in the forking job's frame).
    [[gnu::always_inline]] void run(detail::ws_worker& self, detail::ws_task* t) {
        detail::ws_join* const join = t->join;
        const bool in_frame = t->in_frame;
        detail::run_job_unreported(t->work, m_completion, self.counters);
        if (!in_frame) self.recycle(t);
        if (join != nullptr) join->finished_on(self);
    }

    // Runs one pending job (own deque first, then a search round) on self,
    // the calling worker. Returns whether it ran one.
    bool help_once(detail::ws_worker& self) {
        detail::ws_task* t = nullptr;
        bool more_seen = false;
        if (!self.deque.try_pop(t) && (t = find_work(self, more_seen)) == nullptr) {
            return run_held(self);
        }
        run(self, t);
        return true;
    }

    // One search round: a batch from the injection queue, then one steal
    // attempt on every other worker from a random start. Owner of self only.
    // Sets more_seen when the job came from a place that still holds more
    // (the injection queue, or the victim's deque): the ramp-up's hint.
    detail::ws_task* find_work(detail::ws_worker& self, bool& more_seen) {
        if (self.holds_jobs()) return nullptr;  // the inbox is taken: run those first
        job first;
        if (m_injection.try_dequeue(*t_consumer, first)) {
            work_stealing::quiescence::claimed(self.quiescence, 1);
            // Then a fair share of what is left (Go's rule for its global
            // queue: length / workers), at most k_injection_batch in all,
            // kept in our deque where thieves can reach them. A big share
            // saves the producer's cache lines from a consumer per job; a
            // fair one leaves work for the others (blocking jobs, skew).
            const std::size_t left = m_injection.size_approx();
            const std::size_t awake = std::max<std::size_t>(1, m_count - std::min<std::size_t>(
                                                                   m_count, m_parking.approx_waiters()));
            const std::size_t share = std::min(k_injection_batch - 1, left / awake);
            std::size_t n = 0;
            if (share > 0) {
                n = m_injection.try_dequeue_bulk(*t_consumer, self.inbox.begin(), share);
                work_stealing::quiescence::claimed(self.quiescence, n);
            }
            more_seen = left > 0;
            return wrap_claimed(self, std::move(first), n);
        }
        if (m_count > 1) {
            const std::size_t start = self.random_index(m_count);
            for (std::size_t k = 0; k < m_count; ++k) {
                detail::ws_worker& victim = *m_workers[(start + k) % m_count];
                if (&victim == &self) continue;
                detail::ws_task* t = nullptr;
                // An idle thief announces itself (quiescence step Q4), so it
                // first checks that there is something to steal.
                if (!self.quiescence.busy && victim.deque.approx_size() <= 0) continue;
                const bool announced = m_quiescence.before_steal(self.quiescence);
                switch (victim.deque.steal(t)) {
                    case steal_status::success:
                        work_stealing::quiescence::stole(self.quiescence);
                        detail::worker_counters::bump(self.counters.steals);
                        more_seen = victim.deque.approx_size() > 0;
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
    detail::ws_task* wrap_claimed(detail::ws_worker& self, job&& first, std::size_t n) noexcept {
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
    bool run_held(detail::ws_worker& self) noexcept {
        if (!self.holds_jobs()) return false;
        job& j = self.inbox[self.held_begin++];
        detail::run_job_unreported(j, m_completion, self.counters);
        if (!self.holds_jobs()) self.held_begin = self.held_end = 0;
        return true;
    }

    // A few search rounds with a pause between them (about a microsecond).
    detail::ws_task* quick_look(detail::ws_worker& self, bool& more_seen) {
        for (int round = 0; round < k_quick_rounds; ++round) {
            if (detail::ws_task* t = find_work(self, more_seen)) return t;
            if (self.holds_jobs()) break;
            detail::cpu_relax();
        }
        return nullptr;
    }

    // Whether any job is visible anywhere. Used by the last searcher before
    // it parks (protocol step 3). O(workers), off the submit path.
    bool work_visible() const {
        if (m_injection.size_approx() != 0) return true;
        for (const auto& w : m_workers) {
            if (w->deque.approx_size() > 0) return true;
        }
        return false;
    }

    // At most half the workers (and at least one) search at once, so that
    // idle workers do not crowd the lines a producer writes (Go's runtime
    // and tokio keep the same bound). A hint: the count may be stale.
    bool may_search() const noexcept {
        // relaxed: a heuristic; the protocol holds whichever way it goes.
        return 2 * static_cast<std::size_t>(m_searching.load(std::memory_order_relaxed)) < m_count;
    }

    void begin_search() {
        m_searching.fetch_add(1);
        detail::instrument::rmw(detail::instrument::site::searching, &m_searching);
    }

    // The search found work. If we were the last searcher while workers are
    // parked, and work is left anywhere (the place our job came from, the
    // injection queue or any deque), wake one so the search goes on (the
    // ramp-up, protocol step 2). Without work in sight a wake-up would only
    // delay the job we found by a system call; work published later is the
    // submitter's to wake for (step 4). The scan matters when jobs block: a
    // job left in a blocked worker's deque runs only if someone steals it.
    // O(workers), but only when the search count drops to zero with workers
    // parked, never on the submit path.
    void end_search_found(bool more_seen) {
        detail::instrument::rmw(detail::instrument::site::searching, &m_searching);
        if (m_searching.fetch_sub(1) != 1) return;
        detail::store_load_fence();
        // relaxed: ordered by the fence above against prepare_wait()'s fence.
        if (m_parking.approx_waiters() == 0) return;
        if (more_seen || work_visible()) wake_one_fenced();
    }

    // Step 2 for a worker that found work without counting itself as a
    // searcher and left more where it found it: if workers are parked and
    // nobody searches, wake one. Costs one load while no worker is parked.
    void hand_on_search() {
        // relaxed: a hint; the fenced re-read below decides.
        if (m_parking.approx_waiters() == 0) return;
        detail::store_load_fence();
        // relaxed: ordered by the fence above against a searcher's fence in
        // end_search_found() and park().
        if (m_searching.load(std::memory_order_relaxed) == 0) wake_one_fenced();
    }

    // Adaptive polling. A worker that parked for less than the full budget
    // would have caught its next job by polling longer: its next poll gets
    // twice the time (up to the full budget). One that slept longer halves
    // it (down to a quarter). So a pool that goes idle stops paying for
    // polls that find nothing (a new pool starts at the minimum), while a
    // steady trickle of jobs soon keeps a worker polling between them.
    void adapt_poll_budget(detail::ws_worker& self, std::chrono::nanoseconds slept) const {
        self.poll_budget = slept < m_poll_budget ? std::min(m_poll_budget, self.poll_budget * 2)
                                                 : std::max(m_poll_budget / 4, self.poll_budget / 2);
    }

    // Parks the calling worker (protocol step 3). Returns false at shutdown.
    bool park(detail::ws_worker& self) {
        const auto key = m_parking.prepare_wait();
        const bool last = m_searching.fetch_sub(1) == 1;
        detail::instrument::rmw(detail::instrument::site::searching, &m_searching);
        detail::store_load_fence();
        if (last && work_visible()) {
            m_parking.cancel_wait();
            return true;
        }
        // acquire: pairs with the release store in shut_down().
        if (m_stopping.load(std::memory_order_acquire)) {
            m_parking.cancel_wait();
            return false;
        }
        detail::worker_counters::bump(self.counters.parks);
        m_parking.commit_wait(key);
        return true;
    }

    // Parks a worker that did not search because enough others do (protocol
    // step 1). It leaves m_searching alone, so the searchers and the
    // submitters keep the invariant; it looks once more only when nobody
    // searches. Returns false at shutdown.
    bool park_unsearched(detail::ws_worker& self) {
        const auto key = m_parking.prepare_wait();
        // relaxed: ordered by prepare_wait()'s fence against the searchers'
        // fences in park() (step 3).
        if (m_searching.load(std::memory_order_relaxed) == 0 && work_visible()) {
            m_parking.cancel_wait();
            return true;
        }
        // acquire: pairs with the release store in shut_down().
        if (m_stopping.load(std::memory_order_acquire)) {
            m_parking.cancel_wait();
            return false;
        }
        detail::worker_counters::bump(self.counters.parks);
        m_parking.commit_wait(key);
        return true;
    }

    void worker_main(detail::ws_worker& self) {
        detail::current_pool_scope scope(this);
        t_worker = &self;
        moodycamel::ConsumerToken consumer(m_injection);
        t_consumer = &consumer;
        for (;;) {
            detail::ws_task* t = nullptr;
            if (run_held(self)) continue;
            if (self.deque.try_pop(t)) {
                run(self, t);
                continue;
            }
            // A first look, not yet counted as a search: when work is right
            // there (a producer a few jobs ahead), the worker takes it without
            // touching m_searching or the pending count, which the submit
            // path reads on every job. Until begin_search() the worker counts
            // as busy for the protocol, which only costs a wake-up: it
            // searches again, counted, before it ever parks. It still hands
            // the search on when it leaves more behind (protocol step 2).
            bool more_seen = false;
            if ((t = quick_look(self, more_seen)) != nullptr) {
                if (more_seen) hand_on_search();
                run(self, t);
                continue;
            }
            if (self.holds_jobs()) continue;
            m_quiescence.went_idle(self.quiescence);
            if (!may_search()) {  // protocol step 1: half the workers search already
                if (!park_unsearched(self)) break;
                continue;
            }
            begin_search();
            detail::idle_spin spin(self.poll_budget);
            while ((t = find_work(self, more_seen)) == nullptr && !self.holds_jobs() &&
                   spin.keep_polling()) {
            }
            if (t != nullptr || self.holds_jobs()) {
                end_search_found(more_seen);
                if (t != nullptr) run(self, t);
                continue;
            }
            const auto parked_at = std::chrono::steady_clock::now();
            if (!park(self)) break;
            adapt_poll_budget(self, std::chrono::steady_clock::now() - parked_at);
        }
        t_consumer = nullptr;
        t_worker = nullptr;
    }

    void shut_down() noexcept {
        // release: pairs with the acquire load in park().
        m_stopping.store(true, std::memory_order_release);
        m_parking.notify_all();
        for (auto& t : m_threads) {
            if (t.joinable()) t.join();
        }
    }

    // The calling thread's worker record and injection token, when it is a
    // worker of this pool (checked through tl_current_pool).
    static inline thread_local detail::ws_worker* t_worker = nullptr;
    static inline thread_local moodycamel::ConsumerToken* t_consumer = nullptr;

    const std::size_t m_count;
    // The full poll budget, 200 us: longer than the gap between jobs that
    // arrive every 20 us, so a steady trickle finds a worker awake (latency
    // p99 on 2 workers: 527 us at 50 us of polling, 17 us at 200 us). Each
    // worker adapts its own between a quarter of this and all of it.
    const std::chrono::nanoseconds m_poll_budget =
        detail::idle_spin::budget_for(m_count, std::chrono::microseconds(200));
    std::vector<std::unique_ptr<detail::ws_worker>> m_workers;
    moodycamel::ConcurrentQueue<job> m_injection;
    // Outside submitters' tokens for m_injection; destroyed before it.
    detail::producer_tokens<moodycamel::ProducerToken, moodycamel::ConcurrentQueue<job>> m_tokens{
        m_injection};
    detail::completion m_completion;
    work_stealing::quiescence m_quiescence{m_completion};
    event_count m_parking;
    alignas(k_cache_line) std::atomic<std::uint32_t> m_searching{0};  // every searching worker
    alignas(k_cache_line) std::atomic<bool> m_stopping{false};
    std::atomic<std::uint64_t> m_wakeups{0};
    std::vector<std::thread> m_threads;
};

static_assert(pool<work_stealing_pool>);
static_assert(helping_pool<work_stealing_pool>);

}  // namespace poolbench
