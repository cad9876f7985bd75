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
// Invariant: a committed waiter never sleeps through published work: work
// published before its re-check is found by the re-check, and a notify after
// that publication sees the waiter and bumps the epoch it sleeps on.
//  1. prepare_wait() increments m_waiters, then reads m_epoch (seq_cst, then a
//     seq_cst fence so the caller's re-check loads cannot move above it).
//  2. notify_*() runs a seq_cst fence after the caller published work, then
//     reads m_waiters. By the fences' total order either the notifier sees the
//     waiter (it bumps m_epoch and wakes it: commit_wait's futex compares the
//     epoch with the key and does not sleep, or is woken), or the waiter's
//     re-check comes after the publication and finds the work.
//  3. commit_wait(key) sleeps while m_epoch == key, then decrements m_waiters.
//     Spurious returns are allowed; callers loop.
#pragma once

#include <atomic>
#include <cstdint>

#include "config.hpp"
#include "detail/fence.hpp"

namespace poolbench {

class event_count {
public:
    using key = std::uint32_t;

    // Announces the intent to sleep. Thread-safe.
    key prepare_wait() noexcept {
        m_waiters.fetch_add(1);
        const key k = m_epoch.load();
        detail::store_load_fence();
        return k;
    }

    // The re-check found work: withdraw the intent. Thread-safe.
    void cancel_wait() noexcept { m_waiters.fetch_sub(1); }

    // Sleeps until a notify after prepare_wait() (or spuriously). Thread-safe.
    void commit_wait(key k) noexcept {
        m_epoch.wait(k);
        m_waiters.fetch_sub(1);
    }

    // Wakes one sleeper if there is any. Returns whether one was signalled.
    // Cheap (a fence and a load) when nobody waits. Thread-safe.
    bool notify_one() noexcept { return notify(false); }

    // Wakes every sleeper. Thread-safe.
    bool notify_all() noexcept { return notify(true); }

    // How many threads are between prepare_wait and the end of commit_wait or
    // cancel_wait. A hint only: stale as soon as it is read. Thread-safe.
    std::uint32_t approx_waiters() const noexcept {
        // relaxed: a hint for heuristics; correctness never depends on it.
        return m_waiters.load(std::memory_order_relaxed);
    }

private:
    bool notify(bool all) noexcept {
        detail::store_load_fence();
        // relaxed: ordered by the fence above against prepare_wait()'s fence
        // (step 2 of the protocol).
        if (m_waiters.load(std::memory_order_relaxed) == 0) return false;
        m_epoch.fetch_add(1);
        if (all) {
            m_epoch.notify_all();
        } else {
            m_epoch.notify_one();
        }
        return true;
    }

    alignas(k_cache_line) std::atomic<std::uint32_t> m_epoch{0};    // futex word, waiters sleep on it
    alignas(k_cache_line) std::atomic<std::uint32_t> m_waiters{0};  // touched by every notify
};

}  // namespace poolbench
