// detail::idle_spin: how an idle worker polls before it parks. It pauses
// (cpu_relax) for a few rounds, then yields its core on every round, until a
// time budget is spent. Parking costs a system call on both sides (the sleep
// and the submitter's wake-up), so a worker that may get work within
// microseconds should keep polling; yielding lets a producer that shares the
// core (more threads than cores) run instead of the poller.
// One object per idle period, owned by one thread.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <thread>

#include <base/cpu_relax.hpp>

namespace poolbench::detail {

class idle_spin {
public:
    // The hardware threads the pools count with: polling budgets here, and
    // work_stealing's bound on searching workers.
    static std::size_t hardware_threads() noexcept {
        return std::max(1u, std::thread::hardware_concurrency());
    }

    // The budget for a pool of `workers` whose workers poll for `full` when
    // the pool has no more workers than the machine has hardware threads;
    // scaled down by hardware threads / workers when it oversubscribes the
    // machine (100 workers on 2 cores should sleep, not poll, between
    // I/O-bound jobs).
    static std::chrono::nanoseconds budget_for(std::size_t workers,
                                               std::chrono::nanoseconds full) noexcept {
        const std::size_t hw = hardware_threads();
        if (workers <= hw) return full;
        return full * static_cast<std::int64_t>(hw) / static_cast<std::int64_t>(workers);
    }

    explicit idle_spin(std::chrono::nanoseconds budget) noexcept : m_budget(budget) {}

    // Call after each poll that found nothing: waits a little and returns
    // false once the budget is spent (time to park).
    bool keep_polling() noexcept {
        if (m_rounds < k_pause_rounds) {
            if (m_rounds == 0) m_start = m_last = std::chrono::steady_clock::now();
            ++m_rounds;
            cpu_relax();
            return true;
        }
        std::this_thread::yield();
        const auto now = std::chrono::steady_clock::now();
        m_held_off = now - m_last > k_held_off;
        m_last = now;
        return now - m_start < m_budget;
    }

    // Whether the last round (since the previous keep_polling()) took over
    // k_held_off: the poller waited that long for its CPU, which another
    // thread holds (a round is a look and a yield, a microsecond or so
    // when the CPU is its own).
    bool held_off() const noexcept { return m_held_off; }
    static constexpr std::chrono::nanoseconds k_held_off{50'000};

private:
    static constexpr int k_pause_rounds = 32;

    std::chrono::nanoseconds m_budget;
    std::chrono::steady_clock::time_point m_start{};
    std::chrono::steady_clock::time_point m_last{};
    int m_rounds = 0;
    bool m_held_off = false;
};

}  // namespace poolbench::detail
