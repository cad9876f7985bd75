// mpmc_ring<T>: a bounded lock-free multi-producer multi-consumer FIFO ring.
// Algorithm: Dmitry Vyukov's bounded MPMC queue (1024cores.net, "Bounded MPMC
// queue", 2010): each cell carries a sequence number saying whose turn it is,
// and a push or pop claims a position with one CAS on a 64-bit counter.
// try_push and try_pop are safe from any number of threads at once; the
// constructor and destructor are not (nobody else may use the ring then).
#pragma once

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <new>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

#include <base/cache_line.hpp>
#include <queues/queue.hpp>

namespace poolbench {

// Cell protocol. Positions are 64-bit counters that only grow (modulo 2^64);
// position p lives in cell p & mask. Invariant, for the cell of position p:
//
//   sequence == p             empty, waiting for the producer of p
//   sequence == p + 1         holds the item of p, waiting for its consumer
//   sequence == p + capacity  emptied again, waiting for the producer of the
//                             next lap, p + capacity (which is the first row
//                             again, one lap later)
//
// Transitions:
//   push: read m_tail = p; if the cell's sequence == p, CAS m_tail p -> p+1 to
//         own the cell, construct the item, then store sequence = p + 1
//         (release). A sequence below p means the cell still holds the item
//         of p - capacity: the ring is full, fail. A sequence above p means
//         another producer took p first: re-read m_tail and retry.
//   pop:  read m_head = p; if the cell's sequence == p + 1, CAS m_head
//         p -> p+1 to own the item, move it out, destroy it, then store
//         sequence = p + capacity (release). A sequence below p + 1 means no
//         item was published at p yet: the ring is empty, fail. A sequence
//         above means another consumer took p first: re-read m_head, retry.
// Only the CAS winner touches a cell's storage, and between its CAS and its
// release store nobody else does, so the storage needs no atomics. Sequences
// are compared by their signed difference, which stays correct across the
// 2^64 wrap because live differences are at most the capacity.
//
// Progress caveat (inherent to the algorithm): a producer preempted between its
// CAS and its release store makes consumers of that cell see "empty" (and a
// preempted consumer makes producers see "full") until it resumes. try_pop may
// therefore return false while later positions already hold items.
template <class T>
class mpmc_ring {
    static_assert(std::is_nothrow_move_constructible_v<T>,
                  "mpmc_ring<T> needs a noexcept move constructor: a push that throws after "
                  "claiming its cell would block that cell forever");
    static_assert(std::is_nothrow_destructible_v<T>);

public:
    using value_type = T;

    // For tests only: the position both counters start from, so a test can
    // drive the 64-bit counters through their wrap-around at 2^64.
    struct start_position {
        std::uint64_t value;
    };

    // capacity is rounded up to a power of two, and to at least 2 (with one
    // cell the sequences of "full" and "empty for the next lap" coincide).
    // Throws std::invalid_argument for 0 or a capacity too large to round.
    // Not thread-safe.
    explicit mpmc_ring(std::size_t capacity) : mpmc_ring(capacity, start_position{0}) {}

    // As above, with both position counters starting at start.value. For
    // tests of the counter wrap-around. Not thread-safe.
    mpmc_ring(std::size_t capacity, start_position start)
        : m_mask(rounded_capacity(capacity) - 1),
          m_cells(std::make_unique<cell[]>(m_mask + 1)),
          m_tail(start.value),
          m_head(start.value) {
        for (std::uint64_t i = 0; i <= m_mask; ++i) {
            const std::uint64_t position = start.value + i;
            m_cells[position & m_mask].m_sequence.store(
                position, std::memory_order_relaxed);  // relaxed: published to other threads by
                                                       // whatever hands them the ring
        }
    }

    mpmc_ring(const mpmc_ring&) = delete;
    mpmc_ring& operator=(const mpmc_ring&) = delete;

    // Destroys the items still in the ring. Not thread-safe: every other
    // thread's last call must happen before it.
    ~mpmc_ring() {
        const std::uint64_t tail =
            m_tail.load(std::memory_order_relaxed);  // relaxed: no concurrent callers (see above)
        for (std::uint64_t p = m_head.load(std::memory_order_relaxed);  // relaxed: as above
             p != tail; ++p) {
            cell& c = m_cells[p & m_mask];
            if (c.m_sequence.load(std::memory_order_relaxed) == p + 1) {  // relaxed: as above
                std::destroy_at(c.item());
            }
        }
    }

    // Moves v into the ring and returns true, or returns false, leaving v
    // untouched, when the ring is full. Thread-safe.
    bool try_push(T&& v) {
        std::uint64_t pos =
            m_tail.load(std::memory_order_relaxed);  // relaxed: a guess the CAS below validates;
                                                     // the item travels by the cell's sequence
        cell* c = nullptr;
        for (;;) {
            c = &m_cells[pos & m_mask];
            const std::uint64_t seq = c->m_sequence.load(
                std::memory_order_acquire);  // acquire: pairs with the release store in try_pop()
                                             // that emptied the cell, so the old item's
                                             // destruction happens before our construction
            const auto diff = static_cast<std::int64_t>(seq - pos);
            if (diff == 0) {
                if (m_tail.compare_exchange_weak(
                        pos, pos + 1,
                        std::memory_order_relaxed,  // relaxed: only claims position pos; the
                                                    // acquire load above already ordered the cell
                        std::memory_order_relaxed)) {  // relaxed: failure reloads pos, a new guess
                    break;
                }
            } else if (diff < 0) {
                return false;  // full: the cell still holds the item of pos - capacity
            } else {
                pos = m_tail.load(std::memory_order_relaxed);  // relaxed: a new guess, as above
            }
        }
        std::construct_at(c->item(), std::move(v));
        c->m_sequence.store(pos + 1,
                            std::memory_order_release);  // release: pairs with the acquire load
                                                         // in try_pop(), publishing the item
        return true;
    }

    // Moves the oldest item into out and returns true, or returns false when
    // the ring is empty. Thread-safe.
    bool try_pop(T& out) {
        std::uint64_t pos =
            m_head.load(std::memory_order_relaxed);  // relaxed: a guess the CAS below validates;
                                                     // the item travels by the cell's sequence
        cell* c = nullptr;
        for (;;) {
            c = &m_cells[pos & m_mask];
            const std::uint64_t seq = c->m_sequence.load(
                std::memory_order_acquire);  // acquire: pairs with the release store in
                                             // try_push(), so the item's construction is visible
            const auto diff = static_cast<std::int64_t>(seq - (pos + 1));
            if (diff == 0) {
                if (m_head.compare_exchange_weak(
                        pos, pos + 1,
                        std::memory_order_relaxed,  // relaxed: only claims position pos; the
                                                    // acquire load above already ordered the cell
                        std::memory_order_relaxed)) {  // relaxed: failure reloads pos, a new guess
                    break;
                }
            } else if (diff < 0) {
                return false;  // empty: nothing published at pos yet
            } else {
                pos = m_head.load(std::memory_order_relaxed);  // relaxed: a new guess, as above
            }
        }
        // The cell is freed for the next lap even if T's move assignment throws.
        struct free_cell_on_exit {
            cell* c;
            std::uint64_t next_lap;
            ~free_cell_on_exit() {
                std::destroy_at(c->item());
                c->m_sequence.store(next_lap,
                                    std::memory_order_release);  // release: pairs with the acquire
                                                                 // load in try_push(): our move
                                                                 // and destroy happen before the
                                                                 // next lap's construction
            }
        } guard{c, pos + m_mask + 1};
        out = std::move(*c->item());
        return true;
    }

    // The capacity after rounding. Thread-safe.
    std::size_t capacity() const noexcept { return static_cast<std::size_t>(m_mask + 1); }

    // Items pushed and not yet popped, clamped to [0, capacity]; may be stale
    // by the time the caller reads it. Thread-safe.
    std::size_t approx_size() const noexcept {
        const std::uint64_t head =
            m_head.load(std::memory_order_relaxed);  // relaxed: a snapshot, no data follows it
        const std::uint64_t tail =
            m_tail.load(std::memory_order_relaxed);  // relaxed: a snapshot, no data follows it
        const auto diff = static_cast<std::int64_t>(tail - head);
        return static_cast<std::size_t>(
            std::clamp<std::int64_t>(diff, 0, static_cast<std::int64_t>(m_mask + 1)));
    }

private:
    struct cell {
        std::atomic<std::uint64_t> m_sequence{0};
        alignas(T) std::byte m_storage[sizeof(T)];

        T* item() noexcept { return std::launder(reinterpret_cast<T*>(m_storage)); }
    };

    static std::size_t rounded_capacity(std::size_t capacity) {
        constexpr std::size_t largest = std::size_t{1}
                                        << (std::numeric_limits<std::size_t>::digits - 1);
        if (capacity == 0 || capacity > largest) {
            throw std::invalid_argument("mpmc_ring: capacity must be in [1, " +
                                        std::to_string(largest) + "], got " +
                                        std::to_string(capacity));
        }
        return std::bit_ceil(std::max<std::size_t>(capacity, 2));
    }

    // Read-only after construction, read by every thread: a line of its own,
    // so that writes to the counters below never evict it.
    alignas(k_cache_line) const std::uint64_t m_mask;
    const std::unique_ptr<cell[]> m_cells;

    // Next position to push. Written (CAS) by every producer.
    alignas(k_cache_line) std::atomic<std::uint64_t> m_tail;

    // Next position to pop. Written (CAS) by every consumer.
    alignas(k_cache_line) std::atomic<std::uint64_t> m_head;
};

static_assert(concurrent_queue<mpmc_ring<int>>);
static_assert(concurrent_queue<mpmc_ring<std::unique_ptr<int>>>);

}  // namespace poolbench
