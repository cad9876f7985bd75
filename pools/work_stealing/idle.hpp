// work_stealing::idle: how work_stealing_pool's idle workers search, sleep
// and are woken, so that no job waits while every worker sleeps, no more
// than about half the workers poll at once, and a busy submitter makes no
// system call per job. One per pool; every member is thread-safe.
// "Work" is whatever the pool's work_visible() reports (its injection queue
// and every worker's deque); the pool passes it in where a step re-checks.
//
// Protocol.
// State: m_searching counts the workers that are looking for work (neither
// holding work nor parked); m_parking is the event count they sleep on.
// Invariant: a job published to the injection queue is never left with
// every worker parked: either some worker is searching and will find it
// (the last searcher re-checks before it parks), or the submitter wakes one.
//  1. A worker with an empty deque first takes a quick look (a few rounds,
//     about a microsecond) without counting itself: for the protocol it is
//     still busy, and it will search again, counted, before it parks. Then,
//     if fewer than half the workers search (may_search()), it increments
//     m_searching (begin_search()) and looks: the injection queue, then every
//     other worker's deque from a random start (one worker past the half
//     does too, for a brief budget, then for a full one if by then it is
//     within the half (full_search_free()); where every worker can have a
//     CPU of its own, also when the counted searchers made no round of
//     their search meanwhile: their CPUs are held by other threads; and
//     there a counted searcher held off its CPU for a long round leaves the
//     search to the others, parking as in step 3).
//     Otherwise it parks at once
//     (park_unsearched()), leaving m_searching alone: the searchers and the
//     submitters keep the invariant, and it looks once more only if nobody
//     searches by the time it has announced its sleep.
//  2. Found a job (end_search_found()): a counted searcher decrements
//     m_searching; if that made it zero while workers are parked and work is
//     left anywhere, it wakes one, so that while work is waiting one worker
//     keeps looking (the ramp-up: each worker that finds work hands the
//     search on). A quick look that found a job does the same when nobody
//     searches (hand_on_search()), after a fence when it just moved an
//     injection batch into its own deque. Without it, a job left in the
//     deque of a worker whose job blocks would wait for that job. "Anywhere"
//     matters: wake-ups coalesce, so a chain of hand-ons that one place's
//     leftovers started can end where that place runs dry while another
//     place still holds jobs (64 outside jobs that block until all run, on
//     64 workers, stalled that way with 20 running).
//  3. Found nothing for a while (the pool's adaptive poll budget): park():
//     prepare_wait() on m_parking, then decrement m_searching. The worker
//     that brings it to zero re-checks for work after the decrement: a
//     submitter that read a non-zero m_searching before it (and so woke
//     nobody) published its job before that re-check (both sides are
//     separated by seq_cst fences, so one sees the other). Work found:
//     cancel_wait(), back to 1. Otherwise commit_wait(): sleep until notified.
//  4. Submit from outside: publish to the injection queue, then
//     after_outside_publish(): a seq_cst fence, and if m_searching is zero,
//     notify one parked worker (the event count skips the system call when
//     nobody is parked, and when every waiter already has a signal coming).
//  5. Submit from inside a worker: push to its own deque, then
//     after_local_push(): the same check, cheaper, since a missed wake-up
//     there only costs parallelism, never a job: the owner pops its deque
//     before it ever parks.
//  6. Shutdown (stop()): once every job has run, set m_stopping and notify
//     all; a worker reads m_stopping after prepare_wait(), so it either sees
//     it or is woken by the notify, and reads it again once woken: a worker
//     woken by stop() leaves without searching.
// tests/model/test_idle_model.py explores every interleaving of a model of
// steps 1-6 with the worker loop around them (outside jobs that push a
// child; jobs that block until every one has started, which need step 2's
// hand-on), and finds the lost wake-up when park() skips the last
// searcher's re-check or when either hand-on of step 2 is dropped; without
// step 5 nothing is lost, as step 5 says.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>

#include <base/fence.hpp>
#include <base/instrument.hpp>
#include <pools/config.hpp>
#include <pools/detail/idle_spin.hpp>
#include <pools/parking.hpp>

namespace poolbench::work_stealing {

// What a worker that found a job left behind (step 2): nothing; more jobs
// where it took its own (a victim's deque, the injection queue); or a batch
// it just moved from the injection queue into its own deque, where only a
// thief can reach them while its job runs.
enum class left_behind : std::uint8_t { nothing, more, batch };

class idle {
public:
    // What park() and park_unsearched() did.
    enum class parked { slept, found_work, stopping };

    // cores: the hardware threads the pool's workers share.
    explicit idle(std::size_t workers,
                  std::size_t cores = detail::idle_spin::hardware_threads()) noexcept
        : m_search_limit(std::min(workers, std::max<std::size_t>(1, cores))) {}

    // Step 1: how long an idle worker may search. At most half the workers
    // (and at least one) search for the full poll budget at once, so that
    // idle workers do not crowd the lines a producer writes (Go's runtime
    // and tokio keep the same bound); and at most half the cores, so that in
    // a pool with more workers than cores the pollers do not take the
    // submitter's core. One worker past that half searches only briefly
    // (work_stealing_pool::k_brief_search): without it, in a pool of two,
    // the second worker to go idle parked at once, and a caller that ran
    // small loops back to back from outside woke it for every loop (a
    // parallel_for of 1,000 indices at 2 workers: 4.5 us, or 13 us when
    // the wake-up was paid). A hint: the count may be stale.
    enum class search : std::uint8_t { none, brief, full };
    search may_search() const noexcept {
        // relaxed: a heuristic; the protocol holds whichever way it goes.
        const std::uint32_t searching = m_searching.load(std::memory_order_relaxed);
        if (within_half(searching)) return search::full;
        // searching >= 1 here: within_half(0) holds (m_search_limit >= 1).
        return within_half(searching - 1) ? search::brief : search::none;
    }

    // At the end of a brief search that found nothing, for the worker that
    // made it (counted in m_searching): whether may_search() would say full
    // now, the searchers it deferred to having found work and left. Then it
    // goes on for the full budget, as it would have had it gone idle a
    // moment later. Otherwise two workers that go idle together each defer
    // to the other (one still counted from its last search), both park
    // after the brief search, and the next job from outside waits for a
    // wake-up: measured (the latency row, one job every 20 us from an
    // outside thread, 2 workers on 2 CPUs, 8 alternated rounds), 0.150
    // parks per job before, 0.047 with it (p < 0.001).
    bool full_search_free() const noexcept {
        // relaxed: a hint, as in may_search(). The caller is counted: >= 1.
        return within_half(m_searching.load(std::memory_order_relaxed) - 1);
    }

    void begin_search() noexcept {
        m_searching.fetch_add(1);
        detail::instrument::rmw(detail::instrument::site::searching, &m_searching);
    }

    // Step 2, for a counted searcher that found a job. more_seen: it left
    // jobs behind (left_behind::more or batch). The work_visible() scan is O(workers)
    // but runs only when the count drops to zero with workers parked.
    template <class WorkVisible>
    void end_search_found(bool more_seen, WorkVisible&& work_visible) noexcept {
        const bool last = m_searching.fetch_sub(1) == 1;
        detail::instrument::rmw(detail::instrument::site::searching, &m_searching);
        if (!last) return;
        detail::store_load_fence();
        // relaxed: ordered by the fence above against prepare_wait()'s fence.
        if (m_parking.approx_waiters() == 0) return;
        if (more_seen || work_visible()) wake_one_fenced();
    }

    // Step 2, for a worker whose quick look found a job: when nobody searches
    // and workers are parked, wake one if it left jobs behind or any are
    // visible elsewhere. Elsewhere: wake-ups coalesce (a notify finds every
    // waiter signalled, or a searcher about to park), so the chain that one
    // place's leftovers started may end at that place while another's still
    // wait. A batch it just published is checked behind a fence: a worker
    // parking now either sees those jobs or is seen here, so they cannot
    // sit in the deque of a worker whose job blocks while every other worker
    // sleeps. Otherwise one relaxed load while nobody is parked: a parker
    // re-checks for older work itself (steps 1 and 3).
    template <class WorkVisible>
    void hand_on_search(left_behind what, WorkVisible&& work_visible) noexcept {
        // relaxed: a hint; the fenced re-reads below decide.
        if (what != left_behind::batch && m_parking.approx_waiters() == 0) return;
        detail::store_load_fence();
        // relaxed (both): ordered by the fence above against a searcher's
        // fence in end_search_found() and park(), and prepare_wait()'s.
        if (m_searching.load(std::memory_order_relaxed) != 0) return;
        if (m_parking.approx_waiters() == 0) return;
        if (what != left_behind::nothing || work_visible()) wake_one_fenced();
    }

    // Step 3, for a counted searcher that found nothing. Returns after the
    // sleep, or at once when work turned up or the pool is stopping.
    template <class WorkVisible>
    parked park(WorkVisible&& work_visible) noexcept {
        m_parking.prepare_wait();
        const bool last = m_searching.fetch_sub(1) == 1;
        detail::instrument::rmw(detail::instrument::site::searching, &m_searching);
        detail::store_load_fence();
        if (last && work_visible()) {
            m_parking.cancel_wait();
            return parked::found_work;
        }
        return sleep();
    }

    // Step 1, for a worker that did not search because enough others do.
    template <class WorkVisible>
    parked park_unsearched(WorkVisible&& work_visible) noexcept {
        m_parking.prepare_wait();
        // relaxed: ordered by prepare_wait()'s fence against the searchers'
        // fences in park().
        if (m_searching.load(std::memory_order_relaxed) == 0 && work_visible()) {
            m_parking.cancel_wait();
            return parked::found_work;
        }
        return sleep();
    }

    // Step 4: after an outside submit published its job.
    void after_outside_publish() noexcept {
        detail::store_load_fence();
        // relaxed: ordered by the fence above against the searcher's fence
        // in park().
        if (m_searching.load(std::memory_order_relaxed) == 0) wake_one_fenced(waker::outside);
    }

    // Step 5: after a worker pushed onto its own deque.
    [[gnu::always_inline]] void after_local_push() noexcept {
        // relaxed: a stale read only delays help (step 5). Sleepers first:
        // while every worker is busy, that one read settles it.
        if (m_parking.approx_waiters() != 0 && m_searching.load(std::memory_order_relaxed) == 0)
            [[unlikely]] {
            detail::store_load_fence();
            wake_one_fenced();
        }
    }

    // Step 6: call once no job is left; every worker then returns stopping.
    void stop() noexcept {
        // release: pairs with the acquire load in sleep().
        m_stopping.store(true, std::memory_order_release);
        m_parking.notify_all();
    }

    // Workers woken by a notify so far.
    std::uint64_t wakeups() const noexcept {
        // relaxed: statistic.
        return m_wakeups.load(std::memory_order_relaxed);
    }

    // How many workers are parked (or about to be). A hint, for heuristics.
    std::size_t parked_hint() const noexcept { return m_parking.approx_waiters(); }

    // Who sent the latest wake-up: a worker (work it left behind or
    // published) or a submitter outside the pool (idle protocol step 4). A
    // hint, for a worker just woken (work_stealing_pool::leave_shared_cpu()).
    enum class waker : std::uint8_t { worker, outside };
    waker last_waker() const noexcept {
        // relaxed: a hint.
        return m_last_waker.load(std::memory_order_relaxed);
    }

    // How many workers search now. A hint, for tests and heuristics.
    std::uint32_t searching() const noexcept {
        // relaxed: a hint.
        return m_searching.load(std::memory_order_relaxed);
    }

private:
    // Whether a worker that finds `others` searching is within the half that
    // searches for the full budget (may_search(), full_search_free()).
    bool within_half(std::uint32_t others) const noexcept {
        return 2 * static_cast<std::size_t>(others) < m_search_limit;
    }

    parked sleep() noexcept {
        // acquire: pairs with the release store in stop().
        if (m_stopping.load(std::memory_order_acquire)) {
            m_parking.cancel_wait();
            return parked::stopping;
        }
        m_parking.commit_wait();
        // acquire: as above. Woken by stop(), the worker leaves at once
        // rather than search every deque first (with thousands of workers,
        // a search by each made shutdown quadratic in the workers).
        if (m_stopping.load(std::memory_order_acquire)) return parked::stopping;
        return parked::slept;
    }

    // Wakes one sleeper, right after the caller's own store_load_fence.
    void wake_one_fenced(waker who = waker::worker) noexcept {
        if (m_parking.notify_one_fenced()) {
            // relaxed: a hint (last_waker()); a wake-up can overtake it.
            if (m_last_waker.load(std::memory_order_relaxed) != who) {
                m_last_waker.store(who, std::memory_order_relaxed);
            }
            // relaxed: statistic, on the rare path where a worker sleeps.
            m_wakeups.fetch_add(1, std::memory_order_relaxed);
            detail::instrument::rmw(detail::instrument::site::statistic, &m_wakeups);
        }
    }

    const std::size_t m_search_limit;  // min(workers, cores): may_search() allows half (and one)
    event_count m_parking;
    alignas(k_cache_line) std::atomic<std::uint32_t> m_searching{0};
    alignas(k_cache_line) std::atomic<bool> m_stopping{false};
    std::atomic<std::uint64_t> m_wakeups{0};
    std::atomic<waker> m_last_waker{waker::worker};
};

}  // namespace poolbench::work_stealing
