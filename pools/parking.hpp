// event_count: lets idle workers sleep without lost wake-ups and lets
// submitters skip the wake-up system call when nobody sleeps. The classic
// event count (Vyukov; folly::EventCount; Taskflow's notifier) over a 32-bit
// futex word, through C++20 std::atomic::wait/notify.
// All member functions are thread-safe; a key from prepare_wait() belongs to
// the thread that took it.
//
// Protocol. A waiter:   key = prepare_wait();  re-check for work;
//                       found work ? cancel_wait() : commit_wait(key).
//           A notifier: publish work;  notify_one() / notify_all().
// State: m_epoch, the futex word waiters sleep on; m_state, the number of
// waiters (between prepare_wait and leaving) and of signals: notifies sent
// to them that no waiter has consumed yet (signals <= waiters).
// Invariant: a committed waiter never sleeps through published work: work
// published before its re-check is found by the re-check, and a notify after
// that publication either signals it or sees that every waiter already has a
// signal coming, and each of those waiters will leave and search afterwards.
//  1. prepare_wait() increments the waiters, then reads m_epoch (seq_cst, then
//     a seq_cst fence so the caller's re-check loads cannot move above it).
//  2. notify_one() runs a seq_cst fence after the caller published work, then
//     reads m_state. No waiter: nothing to do (any later waiter's re-check
//     comes after the fence and finds the work). As many signals as waiters:
//     nothing to do either (each of them leaves, then fences, then searches,
//     so it finds the work). Otherwise it adds a signal (CAS), bumps m_epoch
//     and wakes one sleeper: commit_wait's futex compares the epoch with the
//     key and does not sleep, or is woken.
//  3. Leaving (commit_wait after the sleep, or cancel_wait) takes the waiter
//     and, if any is pending, one signal, then runs a seq_cst fence, so the
//     caller's search after it sees all work whose notifier saw the signal.
// Counting signals is what keeps a busy submitter from making a system call
// per job while the worker it woke is still on its way: a notify that finds
// every waiter signalled costs a fence and a load. Spurious returns from
// commit_wait are allowed; callers loop.
#pragma once

#include <atomic>
#include <cstdint>

#include <base/fence.hpp>
#include <base/instrument.hpp>
#include <pools/config.hpp>

namespace poolbench {

class event_count {
public:
    using key = std::uint32_t;

    // Announces the intent to sleep. Thread-safe.
    key prepare_wait() noexcept {
        m_state.fetch_add(k_waiter);
        detail::instrument::rmw(detail::instrument::site::parking, &m_state);
        const key k = m_epoch.load();
        detail::store_load_fence();
        return k;
    }

    // The re-check found work: withdraw the intent. Thread-safe.
    void cancel_wait() noexcept { leave(); }

    // Sleeps until a notify after prepare_wait() (or spuriously). Thread-safe.
    void commit_wait(key k) noexcept {
        m_epoch.wait(k);
        leave();
    }

    // Wakes one sleeper unless every waiter already has a signal coming.
    // Returns whether it signalled one. Cheap (a fence and a load) when
    // nobody waits. Thread-safe.
    bool notify_one() noexcept {
        detail::store_load_fence();
        return notify_one_fenced();
    }

    // notify_one() for a caller that has already run detail::store_load_fence()
    // after publishing its work. Thread-safe.
    bool notify_one_fenced() noexcept {
        // relaxed: ordered by the caller's fence against prepare_wait()'s
        // fence and leave()'s fence (steps 2 and 3); the CAS re-reads it.
        std::uint32_t s = m_state.load(std::memory_order_relaxed);
        do {
            if (waiters(s) == signals(s)) return false;
        } while (!m_state.compare_exchange_weak(s, s + k_signal));
        detail::instrument::rmw(detail::instrument::site::parking, &m_state);
        m_epoch.fetch_add(1);
        detail::instrument::rmw(detail::instrument::site::parking, &m_epoch);
        m_epoch.notify_one();
        return true;
    }

    // Wakes every sleeper. Thread-safe.
    bool notify_all() noexcept {
        detail::store_load_fence();
        // relaxed: as in notify_one_fenced(); the CAS re-reads it.
        std::uint32_t s = m_state.load(std::memory_order_relaxed);
        do {
            if (waiters(s) == 0) return false;
        } while (!m_state.compare_exchange_weak(s, waiters(s) * (k_signal + 1)));
        detail::instrument::rmw(detail::instrument::site::parking, &m_state);
        m_epoch.fetch_add(1);
        detail::instrument::rmw(detail::instrument::site::parking, &m_epoch);
        m_epoch.notify_all();
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

    // Step 3: one waiter fewer, and one pending signal fewer if there is one.
    void leave() noexcept {
        std::uint32_t s = m_state.load(std::memory_order_relaxed);  // relaxed: the CAS re-reads it
        std::uint32_t next = 0;
        do {
            next = s - k_waiter - (signals(s) != 0 ? k_signal : 0);
        } while (!m_state.compare_exchange_weak(s, next));
        detail::instrument::rmw(detail::instrument::site::parking, &m_state);
        detail::store_load_fence();
    }

    alignas(k_cache_line) std::atomic<std::uint32_t> m_epoch{0};  // futex word, waiters sleep on it
    alignas(k_cache_line) std::atomic<std::uint32_t> m_state{0};  // waiters and signals
};

}  // namespace poolbench
