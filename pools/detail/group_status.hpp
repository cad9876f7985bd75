// detail::group_status: what a group of jobs (a task_group, a parallel
// loop) shares with its children: the first exception one of them threw,
// and whether the group was cancelled (a loop's stop flag). Every member is
// thread-safe; the order between record() and rethrow() comes from the
// group's own count (see each).
#pragma once

#include <atomic>
#include <cstdint>
#include <exception>
#include <utility>

namespace poolbench {

namespace detail {

// What a group shares with its children: the first exception one of them
// threw, and whether the group was cancelled, as two bits of one atomic byte
// (so setting up a group stores one byte). record() is called by children
// before they count themselves done; rethrow() by the waiter after all are
// done, so the group's counter orders the two. Cancellation is set once,
// never cleared: a cancelled group skips every child that starts
// afterwards, also those run() later (make a new group to start again), and
// is_cancelled() stays true after the wait.
class group_status {
public:
    void record(std::exception_ptr e) noexcept {
        // relaxed: only decides who stores; the store is published to the
        // waiter by the child's release decrement of the group's counter.
        if ((m_bits.fetch_or(k_claimed, std::memory_order_relaxed) & k_claimed) == 0)
            m_first = std::move(e);
    }
    // record(std::current_exception()), for a handler: out of line, so that
    // a handler inlined into a forking function keeps nothing live across
    // its calls (scripts/fork-cost).
    [[gnu::noinline, gnu::cold]] void record_current() noexcept {
        record(std::current_exception());
    }

    // What every child of a group does, wherever it runs: body() unless the
    // group was cancelled (then false, and body is not called), its
    // exception recorded. The caller counts the child finished afterwards,
    // which publishes the record to the waiter.
    template <class Body>
    [[gnu::always_inline]] bool run_child(Body&& body) noexcept {
        if (is_cancelled()) [[unlikely]]
            return false;
        try {
            body();
        } catch (...) {
            record_current();
        }
        return true;
    }

    // Inlined: after every wait, usually to find nothing.
    [[gnu::always_inline]] void rethrow() {
        // relaxed: the waiter's acquire load of the counter (zero) already
        // ordered every record() before this.
        if ((m_bits.load(std::memory_order_relaxed) & k_claimed) != 0) [[unlikely]]
            rethrow_recorded();
        assume_clean();
    }

    // Whether the group is cancelled or holds an exception: a join that
    // finds neither may run a child of its own without the checks of
    // run_child() and rethrow() (work_stealing's join, join.hpp). relaxed:
    // as is_cancelled() and rethrow().
    [[gnu::always_inline]] bool clean() const noexcept {
        return m_bits.load(std::memory_order_relaxed) == 0;
    }
    // Where nothing is recorded (after rethrow(); after a clean() group's
    // only child returned), nothing is held: record() sets the bit before it
    // stores, rethrow_recorded() clears it after it takes m_first. Said to
    // the compiler, so that the destructor that usually follows (a group's,
    // in the forking function) tests nothing.
    [[gnu::always_inline]] void assume_clean() const noexcept {
        if (m_first != nullptr) __builtin_unreachable();
    }

    // relaxed (both): the bit publishes no data. A child that starts after
    // cancel() in happens-before order (it waited on a latch or a lock the
    // canceller released afterwards, or was run() afterwards) reads it set
    // by coherence; one that starts at the same moment may run.
    void cancel() noexcept { m_bits.fetch_or(k_cancelled, std::memory_order_relaxed); }
    [[gnu::always_inline]] bool is_cancelled() const noexcept {
        return (m_bits.load(std::memory_order_relaxed) & k_cancelled) != 0;
    }

private:
    static constexpr std::uint8_t k_claimed = 1;
    static constexpr std::uint8_t k_cancelled = 2;

    [[noreturn, gnu::noinline]] void rethrow_recorded() {
        std::exception_ptr e = std::exchange(m_first, nullptr);
        // relaxed: no child is running now; an RMW, so a concurrent cancel()
        // (from another thread) is not lost.
        m_bits.fetch_and(static_cast<std::uint8_t>(~k_claimed), std::memory_order_relaxed);
        std::rethrow_exception(e);
    }

    std::atomic<std::uint8_t> m_bits{0};
    std::exception_ptr m_first;
};

}  // namespace detail

}  // namespace poolbench
