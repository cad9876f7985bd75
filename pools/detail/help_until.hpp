// detail::help_until: the loop of a thread that must wait for a condition
// inside a pool: it runs other jobs meanwhile, and pauses, then yields, while
// it finds none. Used by fork-join waits. Also the deadline-bounded waits of
// task groups (help_until_deadline inside a pool, poll_until outside it) and
// deadline_after(), the one conversion of a timeout to a deadline.
#pragma once

#include <algorithm>
#include <chrono>
#include <thread>

#include <base/cpu_relax.hpp>

namespace poolbench::detail {

// Calls try_help() (runs some other job, returns whether it did) until
// done() is true, pausing and then yielding while it finds nothing to do.
template <class Done, class Help>
void help_until(Done&& done, Help&& try_help) {
    int idle_rounds = 0;
    while (!done()) {
        if (try_help()) {
            idle_rounds = 0;
        } else if (++idle_rounds < 64) {
            cpu_relax();
        } else {
            std::this_thread::yield();
        }
    }
}

}  // namespace poolbench::detail

namespace poolbench::detail {

// now + timeout on the steady clock, saturated: a timeout too long to add
// (duration::max(), say) gives time_point::max(), never an overflow.
template <class Rep, class Period>
std::chrono::steady_clock::time_point deadline_after(
    const std::chrono::duration<Rep, Period>& timeout) noexcept {
    using clock = std::chrono::steady_clock;
    const auto now = clock::now();
    if (timeout <= std::chrono::duration<Rep, Period>::zero()) return now;
    const auto room =
        std::chrono::duration_cast<std::chrono::duration<double>>(clock::time_point::max() - now);
    if (std::chrono::duration<double>(timeout) >= room) return clock::time_point::max();
    return now + std::chrono::ceil<clock::duration>(timeout);
}

// help_until() that gives up at the deadline: true once done(), false when
// the deadline passed first. A job try_help() runs may end after it.
template <class Done, class Help>
bool help_until_deadline(Done&& done, Help&& try_help,
                         std::chrono::steady_clock::time_point deadline) {
    int idle_rounds = 0;
    while (!done()) {
        if (std::chrono::steady_clock::now() >= deadline) return done();
        if (try_help()) {
            idle_rounds = 0;
        } else if (++idle_rounds < 64) {
            cpu_relax();
        } else {
            std::this_thread::yield();
        }
    }
    return true;
}

// For a thread outside the pool: polls done() until it is true (true) or
// the deadline passes (false), yielding at first, then sleeping, each sleep
// twice the last, at most 1 ms, never past the deadline. (A sleep that a
// finishing child would wake, as group_counter's untimed one, needs a timed
// atomic wait, which C++20 lacks; a condition variable would cost every
// group its construction and destruction.)
template <class Done>
bool poll_until(Done&& done, std::chrono::steady_clock::time_point deadline) {
    using clock = std::chrono::steady_clock;
    constexpr auto k_longest_sleep = std::chrono::microseconds(1000);
    auto sleep = std::chrono::microseconds(2);
    for (int round = 0; !done(); ++round) {
        const auto now = clock::now();
        if (now >= deadline) return done();
        if (round < 16) {
            std::this_thread::yield();
            continue;
        }
        std::this_thread::sleep_for(std::min<clock::duration>(sleep, deadline - now));
        sleep = std::min(sleep * 2, k_longest_sleep);
    }
    return true;
}

}  // namespace poolbench::detail
