// detail::group_counter: the count of a fork-join group's unfinished
// children, and the sleep of a waiter outside the pool until it reaches zero.
// add() by the group's owner before a child is handed out; finish() by the
// child, as its very last access to the group; done()/sleep_until_zero() by
// the owner.
//
// Protocol: the low 63 bits count unfinished children; k_sleeper is set by a
// waiter that sleeps. finish() that takes the count to zero with k_sleeper set
// wakes the sleeper through the atomic's address only (as std::latch's
// count_down does), so the owner may destroy the group as soon as it sees
// zero, even while finish() is still returning.
#pragma once

#include <atomic>
#include <cstdint>
#include <utility>

#include <pools/detail/help_until.hpp>

namespace poolbench::detail {

class group_counter {
public:
    void add() noexcept {
        // relaxed: the pool's submit publishes the child (release) after
        // this, so the child's finish() is ordered after the increment.
        m_state.fetch_add(1, std::memory_order_relaxed);
    }

    void finish() noexcept {
        // release: pairs with the acquire loads in done() and
        // sleep_until_zero(), publishing the child's writes to the owner.
        const std::uint64_t before = m_state.fetch_sub(1, std::memory_order_release);
        if (before == (k_sleeper | 1)) m_state.notify_all();
    }

    bool done() const noexcept {
        // acquire: pairs with the release fetch_sub in finish().
        return (m_state.load(std::memory_order_acquire) & k_count) == 0;
    }

    // For an owner inside the pool: calls try_help() (runs some other job,
    // returns whether it did) until the count is zero, pausing and then
    // yielding while it finds nothing to do.
    template <class Help>
    void help_until_zero(Help&& try_help) {
        help_until([this] { return done(); }, std::forward<Help>(try_help));
    }

    void sleep_until_zero() noexcept {
        // acquire: pairs with the release fetch_sub in finish().
        std::uint64_t s = m_state.fetch_or(k_sleeper, std::memory_order_acquire);
        while ((s & k_count) != 0) {
            m_state.wait(s | k_sleeper, std::memory_order_acquire);  // acquire: as above
            s = m_state.load(std::memory_order_acquire);             // acquire: as above
        }
        // relaxed: no child is left to read the bit.
        m_state.store(0, std::memory_order_relaxed);
    }

private:
    static constexpr std::uint64_t k_sleeper = std::uint64_t{1} << 63;
    static constexpr std::uint64_t k_count = k_sleeper - 1;

    std::atomic<std::uint64_t> m_state{0};
};

}  // namespace poolbench::detail
