// detail::ws_worker: one work_stealing_pool worker's own state: its Chase-Lev
// deque of tasks, its free list of task nodes, its statistics and its random
// victim sequence. Aligned to its own cache lines: the deque's indices are
// read by thieves, everything else is touched by the owner only.
// Owner thread only, except deque.steal() and counters.snapshot().
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "../../queues/chase_lev_deque.hpp"
#include "../config.hpp"
#include "../job.hpp"
#include "counters.hpp"

namespace poolbench::detail {

// A job in a worker's deque. Nodes are recycled through the free list of
// whichever worker ran them, so a steady state allocates nothing.
struct ws_task {
    job work;
    ws_task* next_free = nullptr;
    // False for a fork-join child: its parent job stays pending until the
    // child has finished, so the pool's pending count need not track it.
    bool counted = true;
};

class alignas(k_cache_line) ws_worker {
public:
    explicit ws_worker(std::uint64_t seed) noexcept : m_random(seed | 1) {}

    ws_worker(const ws_worker&) = delete;
    ws_worker& operator=(const ws_worker&) = delete;

    ~ws_worker() {
        ws_task* t = nullptr;
        while (deque.try_pop(t)) delete t;
        while (m_free != nullptr) delete std::exchange(m_free, m_free->next_free);
    }

    // A node holding j, from the free list when it has one. Owner only.
    ws_task* make_task(job&& j, bool counted = true) {
        if (m_free == nullptr) return new ws_task{std::move(j), nullptr, counted};
        ws_task* t = std::exchange(m_free, m_free->next_free);
        --m_free_count;
        t->work = std::move(j);
        t->counted = counted;
        return t;
    }

    // Returns a node whose job has run (and been reset). Owner only; the node
    // may have been made by another worker.
    void recycle(ws_task* t) noexcept {
        if (m_free_count >= k_max_free) {
            delete t;
            return;
        }
        t->next_free = m_free;
        m_free = t;
        ++m_free_count;
    }

    // A victim index in [0, n), from a xorshift64 sequence. Owner only.
    std::size_t random_index(std::size_t n) noexcept {
        m_random ^= m_random << 13;
        m_random ^= m_random >> 7;
        m_random ^= m_random << 17;
        return static_cast<std::size_t>(m_random % n);
    }

    chase_lev_deque<ws_task*> deque;
    worker_counters counters;
    std::int64_t unreported = 0;  // jobs run but not yet reported done (owner only)

private:
    // Enough nodes to absorb a burst without returning them to the heap, few
    // enough that an idle worker holds at most ~1 MB.
    static constexpr std::size_t k_max_free = 8192;

    ws_task* m_free = nullptr;
    std::size_t m_free_count = 0;
    std::uint64_t m_random;
};

}  // namespace poolbench::detail
