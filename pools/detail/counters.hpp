// detail::worker_counters: one worker's statistics, on its own cache lines.
// Each counter is written only by its owning worker (a relaxed load and store,
// no read-modify-write on the hot path) and read by stats() from any thread.
#pragma once

#include <atomic>
#include <cstdint>

#include <pools/config.hpp>
#include <pools/pool.hpp>

namespace poolbench::detail {

class alignas(k_cache_line) worker_counters {
public:
    // Owner thread only. Inlined: a load and a store, on every job's path.
    [[gnu::always_inline]] static void bump(std::atomic<std::uint64_t>& c,
                                            std::uint64_t n = 1) noexcept {
        // relaxed: single writer; readers only need an eventually-current
        // figure, and the atomic keeps the concurrent read race-free.
        c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
    }

    // Thread-safe snapshot.
    pool_stats snapshot() const noexcept {
        pool_stats s;
        // relaxed (all six): statistics, no ordering with the jobs themselves.
        s.jobs_run = jobs_run.load(std::memory_order_relaxed);
        s.steals = steals.load(std::memory_order_relaxed);
        s.failed_steals = failed_steals.load(std::memory_order_relaxed);
        s.parks = parks.load(std::memory_order_relaxed);
        s.wakeups = wakeups.load(std::memory_order_relaxed);
        s.exceptions = exceptions.load(std::memory_order_relaxed);
        return s;
    }

    std::atomic<std::uint64_t> jobs_run{0};
    std::atomic<std::uint64_t> steals{0};
    std::atomic<std::uint64_t> failed_steals{0};
    std::atomic<std::uint64_t> parks{0};
    std::atomic<std::uint64_t> wakeups{0};
    std::atomic<std::uint64_t> exceptions{0};
};

}  // namespace poolbench::detail
