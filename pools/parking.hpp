// event_count: lets idle workers sleep without lost wake-ups and lets
// submitters skip the wake-up system call when nobody sleeps. The classic
// event count (Vyukov; folly::EventCount; Eigen's and Taskflow's notifier)
// over a 32-bit futex word, through C++20 std::atomic::wait/notify.
// All member functions are thread-safe.
//
// Protocol. A waiter:   prepare_wait();  re-check for work;
//                       found work ? cancel_wait() : commit_wait().
//           A notifier: publish work;  notify_one() / notify_all().
// State: m_state counts the waiters (between prepare_wait and leaving) and
// the signals: notifies that no waiter has taken yet. A signal belongs to no
// waiter in particular. m_epoch, the futex word waiters sleep on, moves with
// every signal added, and only then.
// Invariant: signals <= waiters, and each pending signal is taken by a
// waiter in commit_wait(), which searches after taking it. A notify after
// published work either adds a signal, or finds as many signals as waiters,
// each of which then leaves after the notify and searches (a waiter that
// cancels found work on its re-check and searches again once it has run
// it, or saw the pool stop with no work left). So work is never slept
// through.
//  1. prepare_wait() adds a waiter (seq_cst, then a seq_cst fence, so the
//     caller's re-check loads cannot move above it).
//  2. notify_one() runs a seq_cst fence after the caller published work, then
//     reads m_state. No waiter: nothing to do (any later waiter's re-check
//     comes after the fence and finds the work). As many signals as waiters:
//     nothing to do either (each of those waiters leaves taking one, then
//     fences, then searches, so it finds the work). Otherwise it adds a
//     signal (CAS), then bumps m_epoch and wakes one sleeper.
//  3. commit_wait() reads m_epoch, then m_state: a pending signal, it takes
//     and leaves; none, it sleeps while m_epoch holds what it read. A signal
//     it did not see was added after its read of m_state, so bumped m_epoch
//     after its read of m_epoch: the futex does not sleep, or is woken.
//     A woken waiter goes round again, so it never sleeps with a signal
//     pending. Waiters arriving and leaving do not move m_epoch, so they do
//     not stir a waiter on its way to sleep.
//  4. Leaving removes the waiter in one CAS, then runs a seq_cst fence, so
//     the caller's search after it sees all work whose notifier counted a
//     signal before the CAS. commit_wait removes a signal with it.
//     cancel_wait removes one only when every waiter has one (to keep
//     signals <= waiters; the others still have one each): a canceller's
//     re-check came before the signal, and it may leave without searching
//     again (a pool that stops), so a signal it took from a sleeper would
//     leave that sleeper asleep.
// Counting signals is what keeps a busy submitter from making a system call
// per job while the worker it woke is still on its way: a notify that finds
// every waiter signalled costs a fence and a load.
// tests/model/test_event_count_model.py explores every interleaving of a
// model of this protocol, and of two earlier designs whose lost wake-ups it
// finds: a commit_wait that slept on an epoch read in prepare_wait without
// looking for a signal (a waiter that read the epoch after a notify's bump,
// and whose re-check missed the work because it had already taken it, slept
// with the signal counted as its own, and later notifies skipped it); and a
// cancel_wait that always took a pending signal (the stop's notify_all
// signalled a sleeper, a worker that then saw the stop cancelled with that
// signal, and the sleeper slept on). primitives_test checks both cases in
// one thread too.
#pragma once

#include <atomic>
#include <cstdint>

#include <base/fence.hpp>
#include <base/instrument.hpp>
#include <pools/config.hpp>

namespace poolbench {

class event_count {
public:
    // Announces the intent to sleep (step 1). Thread-safe.
    void prepare_wait() noexcept {
        m_state.fetch_add(k_waiter);
        detail::instrument::rmw(detail::instrument::site::parking, &m_state);
        detail::store_load_fence();
    }

    // The re-check found work (or the end): withdraw the intent (step 4).
    // Thread-safe.
    void cancel_wait() noexcept {
        std::uint32_t s = m_state.load(std::memory_order_relaxed);  // relaxed: the CAS re-reads it
        std::uint32_t next = 0;
        do {
            next = s - k_waiter - (signals(s) == waiters(s) ? k_signal : 0);
        } while (!m_state.compare_exchange_weak(s, next));
        detail::instrument::rmw(detail::instrument::site::parking, &m_state);
        detail::store_load_fence();
    }

    // Sleeps until a notify after prepare_wait() has left a signal, then
    // takes it (step 3). Thread-safe.
    void commit_wait() noexcept {
        for (;;) {
            const std::uint32_t epoch = m_epoch.load();
            std::uint32_t s = m_state.load();
            while (signals(s) != 0) {
                if (m_state.compare_exchange_weak(s, s - k_waiter - k_signal)) {
                    detail::instrument::rmw(detail::instrument::site::parking, &m_state);
                    detail::store_load_fence();
                    return;
                }
            }
            m_epoch.wait(epoch);  // returns once m_epoch differs from `epoch`
        }
    }

    // Wakes one sleeper unless every waiter already has a signal coming
    // (step 2). Returns whether it signalled one. Cheap (a fence and a load)
    // when nobody waits. Thread-safe.
    bool notify_one() noexcept {
        detail::store_load_fence();
        return notify_one_fenced();
    }

    // notify_one() for a caller that has already run detail::store_load_fence()
    // after publishing its work. Thread-safe.
    bool notify_one_fenced() noexcept {
        // relaxed: ordered by the caller's fence against prepare_wait()'s
        // fence and the fences of leaving (steps 2 and 4); the CAS re-reads
        // it.
        std::uint32_t s = m_state.load(std::memory_order_relaxed);
        do {
            if (waiters(s) == signals(s)) return false;
        } while (!m_state.compare_exchange_weak(s, s + k_signal));
        detail::instrument::rmw(detail::instrument::site::parking, &m_state);
        bump_and_wake(false);
        return true;
    }

    // Wakes every sleeper: a signal for each waiter. Thread-safe.
    bool notify_all() noexcept {
        detail::store_load_fence();
        // relaxed: as in notify_one_fenced(); the CAS re-reads it.
        std::uint32_t s = m_state.load(std::memory_order_relaxed);
        do {
            if (waiters(s) == signals(s)) return false;
        } while (!m_state.compare_exchange_weak(s, waiters(s) * (k_signal + 1)));
        detail::instrument::rmw(detail::instrument::site::parking, &m_state);
        bump_and_wake(true);
        return true;
    }

    // How many threads are between prepare_wait and the end of commit_wait or
    // cancel_wait. A hint only: stale as soon as it is read. Thread-safe.
    std::uint32_t approx_waiters() const noexcept {
        // relaxed: a hint for heuristics; correctness never depends on it.
        return waiters(m_state.load(std::memory_order_relaxed));
    }

private:
    // m_state: waiters in the low 16 bits, signals in the high 16 bits.
    static constexpr std::uint32_t k_waiter = 1;
    static constexpr std::uint32_t k_signal = std::uint32_t{1} << 16;
    static_assert(k_max_workers < k_signal, "waiters must fit in 16 bits");

    static constexpr std::uint32_t waiters(std::uint32_t s) noexcept { return s & (k_signal - 1); }
    static constexpr std::uint32_t signals(std::uint32_t s) noexcept { return s >> 16; }

    // Step 2's end, after the signal is counted: move the futex word, wake.
    void bump_and_wake(bool all) noexcept {
        m_epoch.fetch_add(1);
        detail::instrument::rmw(detail::instrument::site::parking, &m_epoch);
        if (all) {
            m_epoch.notify_all();
        } else {
            m_epoch.notify_one();
        }
    }

    alignas(k_cache_line) std::atomic<std::uint32_t> m_epoch{0};  // futex word, waiters sleep on it
    alignas(k_cache_line) std::atomic<std::uint32_t> m_state{0};  // waiters and signals
};

}  // namespace poolbench
