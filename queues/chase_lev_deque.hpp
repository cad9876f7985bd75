// chase_lev_deque<T>: an unbounded work-stealing deque. Its one owner thread
// pushes and pops at the bottom (LIFO); any thread steals from the top (FIFO).
// Algorithm: Chase & Lev, "Dynamic Circular Work-Stealing Deque" (SPAA 2005),
// with the C11 memory orderings of Lê, Pop, Cohen, Zappa Nardelli, "Correct and
// Efficient Work-Stealing for Weak Memory Models" (PPoPP 2013), Fig. 1.
// push, try_pop: the owner thread only. steal, try_steal, approx_size: any thread.
#pragma once

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

#include <base/cache_line.hpp>
#include <base/fence.hpp>
#include <base/instrument.hpp>
#include <base/sanitizer.hpp>
#include <queues/queue.hpp>

namespace poolbench {

// What one steal attempt did. empty and lost_race both leave out untouched;
// lost_race means the deque had an item but another thief (or the owner
// popping the last item) took it first, so trying again may succeed.
enum class steal_status { success, empty, lost_race };

namespace detail {

// ThreadSanitizer does not model std::atomic_thread_fence, so under TSan the
// deque uses an equivalent formulation without fences (see
// chase_lev_deque::publish_bottom, try_pop and steal): each fenced relaxed
// access becomes a seq_cst (or release) access, which TSan does model. Both
// formulations are correct; the fenced one is Lê et al.'s, and cheaper.
inline constexpr bool k_chase_lev_without_fences = k_thread_sanitizer;

// Lazily instantiated, so that std::atomic<T> is only named for T it accepts.
template <class T>
struct atomic_is_always_lock_free : std::bool_constant<std::atomic<T>::is_always_lock_free> {};

// Items are stored in the slots themselves when std::atomic<T> is lock-free
// (pointers, integers); otherwise each item is boxed on the heap.
template <class T>
inline constexpr bool k_chase_lev_stores_inline =
    std::conjunction_v<std::is_trivially_copyable<T>, std::is_default_constructible<T>,
                       std::is_copy_constructible<T>, std::is_copy_assignable<T>,
                       atomic_is_always_lock_free<T>>;

}  // namespace detail

// Protocol. m_top only grows, and only by a successful CAS; m_bottom is
// written by the owner only. Invariant: the items are the indices
// [top, bottom) of the current buffer, and each index pushed is taken exactly
// once, either by a thief's CAS of top from that index to the next, or by the
// owner's pop. Transitions:
//
//   push (owner): write slot b = bottom, then publish bottom = b + 1 with
//     release, so a thief that reads the new bottom also reads the slot.
//     If bottom - top == capacity, grow first (below).
//   pop (owner): announce the claim by storing bottom = b = bottom - 1, then,
//     after a seq_cst fence, read top = t.
//     - t < b: index b is the owner's, no CAS needed. A thief could only take
//       index b by reading top == b together with the old bottom b + 1; the
//       seq_cst fences (this one, between the store of bottom and the load of
//       top, and the thief's, between its loads of top and bottom) rule out
//       that both sides read the other's old value (proved in Lê et al.).
//     - t == b: the last item; thieves may be racing for the same index. The
//       owner races them with the same CAS top t -> t + 1: exactly one CAS
//       succeeds, and its caller gets the item. Either way the owner then
//       stores bottom = b + 1, which equals the new top: empty.
//     - t > b: it was empty (t == b + 1); restore bottom = b + 1.
//   steal (any thread): read top = t, seq_cst fence, read bottom = b. t >= b:
//     empty. Else read the buffer pointer and slot t, then CAS top
//     t -> t + 1. Failure means another thief or the owner's last-item pop
//     took index t: report lost_race and never touch the value read (for a
//     boxed item, the pointer may already be freed). Success: the item is ours.
//   grow (owner, inside push): copy [top, bottom) into a buffer twice as large
//     at the same indices and publish its pointer with release. The old buffer
//     stays alive until the deque is destroyed, since a thief may still read
//     it; nobody writes it any more, so a thief that reads slot t there reads
//     the same value as in the new buffer. Each buffer is half the next, so
//     all retired buffers together are smaller than the current one.
template <class T>
class chase_lev_deque {
public:
    using value_type = T;

    // True when items live in the slots as std::atomic<T> (no allocation per
    // push); false when each item is boxed on the heap.
    static constexpr bool k_stores_inline = detail::k_chase_lev_stores_inline<T>;

    static constexpr std::size_t k_default_capacity = 256;

    // initial_capacity is rounded up to a power of two; the deque grows by
    // doubling. Throws std::invalid_argument for 0 or a capacity too large to
    // round. Not thread-safe.
    explicit chase_lev_deque(std::size_t initial_capacity = k_default_capacity)
        : m_buffer(new buffer(rounded_capacity(initial_capacity), nullptr)) {}

    chase_lev_deque(const chase_lev_deque&) = delete;
    chase_lev_deque& operator=(const chase_lev_deque&) = delete;

    // Destroys the items still in the deque and frees every buffer. Not
    // thread-safe: every other thread's last call must happen before it.
    ~chase_lev_deque() {
        buffer* const a =
            m_buffer.load(std::memory_order_relaxed);  // relaxed: no concurrent callers (above)
        if constexpr (!k_stores_inline) {
            const std::int64_t b =
                m_bottom.load(std::memory_order_relaxed);  // relaxed: no concurrent callers
            for (std::int64_t i = m_top.load(std::memory_order_relaxed);  // relaxed: as above
                 i < b; ++i) {
                delete a->at(i).load(std::memory_order_relaxed);  // relaxed: as above
            }
        }
        delete a;
    }

    // Adds item at the bottom. Grows the deque when it is full; if growing or
    // boxing the item throws (std::bad_alloc, std::length_error), the deque
    // is unchanged.
    // Owner thread only. Always inlined: it is on every job's path, and a
    // large translation unit's inlining budget should not decide that.
    [[gnu::always_inline]] void push(T item) {
        const std::int64_t b =
            m_bottom.load(std::memory_order_relaxed);  // relaxed: only the owner writes m_bottom
        const std::int64_t t =
            m_top.load(std::memory_order_acquire);  // acquire: pairs with the top CAS in steal()
                                                    // and try_pop(): a thief's read of slot t
                                                    // happens before we reuse that slot below
        buffer* a =
            m_buffer.load(std::memory_order_relaxed);  // relaxed: only the owner writes m_buffer
        if (b - t > a->m_mask) [[unlikely]] {
            a = grow(a, t, b);
        }
        a->at(b).store(make_slot(std::move(item)),
                       std::memory_order_relaxed);  // relaxed: published by publish_bottom()
        publish_bottom(b + 1);
    }

    // Takes the most recently pushed item into out, or returns false when the
    // deque is empty (repeated calls on an empty deque stay false; bottom
    // never goes below top). Owner thread only.
    // Always inlined, as push() is.
    [[gnu::always_inline]] bool try_pop(T& out) {
        const std::int64_t b =
            m_bottom.load(std::memory_order_relaxed) - 1;  // relaxed: only the owner writes it
        buffer* const a =
            m_buffer.load(std::memory_order_relaxed);  // relaxed: only the owner writes m_buffer
        std::int64_t t = 0;
        if constexpr (detail::k_chase_lev_without_fences) {
            m_bottom.store(b, std::memory_order_seq_cst);
            t = m_top.load(std::memory_order_seq_cst);
        } else {
            m_bottom.store(b, std::memory_order_relaxed);  // relaxed: ordered before the load of
                                                           // m_top by the fence below
            // Pairs with the seq_cst fence in steal(): either the thief's load
            // of m_bottom sees b, or our load of m_top sees the thief's top
            // (see the protocol above). No weaker fence orders a store
            // before a later load.
            detail::store_load_fence();
            t = m_top.load(std::memory_order_relaxed);  // relaxed: ordered by the fence above
        }
        if (t > b) {
            m_bottom.store(b + 1, std::memory_order_relaxed);  // relaxed: restores the empty
                                                               // state; publishes no slot
            return false;
        }
        const slot_type s =
            a->at(b).load(std::memory_order_relaxed);  // relaxed: the owner wrote this slot
        if (t == b) {
            // seq_cst on failure too: a caller may act on "empty" (a
            // work-stealing worker going idle orders its count after the
            // thief's CAS that beat us; pools/work_stealing/quiescence.hpp).
            const bool won = m_top.compare_exchange_strong(t, t + 1, std::memory_order_seq_cst,
                                                           std::memory_order_seq_cst);
            detail::instrument::rmw(detail::instrument::site::deque_top, &m_top);
            m_bottom.store(b + 1, std::memory_order_relaxed);  // relaxed: bottom == top, empty;
                                                               // publishes no slot
            if (!won) return false;
        }
        take(s, out);
        return true;
    }

    // One attempt to take the oldest item into out; see steal_status.
    // Thread-safe: any thread may call it, the owner too.
    steal_status steal(T& out) {
        std::int64_t t = 0;
        std::int64_t b = 0;
        if constexpr (detail::k_chase_lev_without_fences) {
            t = m_top.load(std::memory_order_seq_cst);
            b = m_bottom.load(std::memory_order_seq_cst);
        } else {
            t = m_top.load(std::memory_order_acquire);  // acquire: pairs with the top CAS that
                                                        // wrote t, so the bottom we read next is
                                                        // no older than its writer's
            // Pairs with the seq_cst fence in try_pop(): either our load of
            // m_bottom sees the owner's claim, or the owner's load of m_top
            // sees ours. Acquire alone would not order our load of top before
            // our load of bottom against the owner's store-then-load.
            std::atomic_thread_fence(std::memory_order_seq_cst);
            b = m_bottom.load(std::memory_order_acquire);  // acquire: pairs with the release in
                                                           // publish_bottom(), so slots below b
                                                           // are visible
        }
        if (t >= b) return steal_status::empty;
        buffer* const a = m_buffer.load(
            std::memory_order_acquire);  // acquire: pairs with the release store in grow(), so
                                         // the copied slots and the mask are visible
        const slot_type s = a->at(t).load(
            std::memory_order_relaxed);  // relaxed: ordered by the acquire loads above; used
                                         // only if the CAS below confirms index t is ours
        const bool won = m_top.compare_exchange_strong(
            t, t + 1, std::memory_order_seq_cst,
            std::memory_order_relaxed);  // relaxed: on failure the value read is dropped
        detail::instrument::rmw(detail::instrument::site::deque_top, &m_top);
        if (!won) return steal_status::lost_race;
        take(s, out);
        return steal_status::success;
    }

    // steal() reduced to a bool: false when the deque was empty or another
    // thread took the item first. Thread-safe: any thread.
    bool try_steal(T& out) { return steal(out) == steal_status::success; }

    // bottom - top, clamped at 0; stale by the time the caller reads it, and
    // briefly one low while the owner pops. Thread-safe: any thread.
    std::int64_t approx_size() const noexcept {
        const std::int64_t b =
            m_bottom.load(std::memory_order_relaxed);  // relaxed: a snapshot, no data follows
        const std::int64_t t =
            m_top.load(std::memory_order_relaxed);  // relaxed: a snapshot, no data follows
        return std::max<std::int64_t>(b - t, 0);
    }

private:
    using slot_type = std::conditional_t<k_stores_inline, T, T*>;

    // A circular array of 2^k atomic slots; index i lives in slot i & mask.
    // Owns the buffer it replaced, so retired buffers live as long as this.
    struct buffer {
        buffer(std::int64_t capacity, buffer* previous)
            : m_mask(capacity - 1),
              m_slots(
                  std::make_unique<std::atomic<slot_type>[]>(static_cast<std::size_t>(capacity))),
              m_previous(previous) {}

        std::atomic<slot_type>& at(std::int64_t i) noexcept { return m_slots[i & m_mask]; }
        std::int64_t capacity() const noexcept { return m_mask + 1; }

        const std::int64_t m_mask;
        const std::unique_ptr<std::atomic<slot_type>[]> m_slots;
        const std::unique_ptr<buffer> m_previous;
    };

    static constexpr std::int64_t k_max_capacity = std::int64_t{1} << 40;

    static std::int64_t rounded_capacity(std::size_t capacity) {
        if (capacity == 0 || capacity > static_cast<std::size_t>(k_max_capacity)) {
            throw std::invalid_argument("chase_lev_deque: initial capacity must be in [1, " +
                                        std::to_string(k_max_capacity) + "], got " +
                                        std::to_string(capacity));
        }
        return static_cast<std::int64_t>(std::bit_ceil(capacity));
    }

    static slot_type make_slot(T&& item) {
        if constexpr (k_stores_inline) {
            return item;
        } else {
            return new T(std::move(item));
        }
    }

    static void take(slot_type s, T& out) {
        if constexpr (k_stores_inline) {
            out = s;
        } else {
            const std::unique_ptr<T> box(s);
            out = std::move(*box);
        }
    }

    // Publishes slot b - 1 by storing bottom = b. Owner thread only.
    void publish_bottom(std::int64_t b) {
        if constexpr (detail::k_chase_lev_without_fences) {
            m_bottom.store(b, std::memory_order_release);  // release: pairs with the acquire (here
                                                           // seq_cst) load of m_bottom in steal()
        } else {
            // Pairs with the acquire load of m_bottom in steal(): the slot
            // store before this fence happens before a thief that reads this
            // bottom reads the slot. Relaxed alone would let the thief see the
            // new bottom and the old slot.
            std::atomic_thread_fence(std::memory_order_release);  // release: pairs with the acquire
                                                                  // load of m_bottom in steal()
            m_bottom.store(b, std::memory_order_relaxed);  // relaxed: ordered by the fence above
        }
    }

    // Replaces the full buffer old by one twice as large holding [t, b).
    // Out of line and cold, so that push() stays small enough to inline.
    // Owner thread only.
    [[gnu::noinline, gnu::cold]] buffer* grow(buffer* old, std::int64_t t, std::int64_t b) {
        if (old->capacity() > std::numeric_limits<std::int64_t>::max() / 4) {
            throw std::length_error("chase_lev_deque: cannot grow beyond " +
                                    std::to_string(old->capacity()) + " items");
        }
        auto bigger = std::make_unique<buffer>(2 * old->capacity(), old);
        for (std::int64_t i = t; i < b; ++i) {
            bigger->at(i).store(
                old->at(i).load(std::memory_order_relaxed),  // relaxed: the owner wrote it
                std::memory_order_relaxed);  // relaxed: published by the release store below
        }
        buffer* const fresh = bigger.release();
        m_buffer.store(fresh,
                       std::memory_order_release);  // release: pairs with the acquire load of
                                                    // m_buffer in steal(): a thief that sees the
                                                    // new buffer sees its mask and copied slots
        return fresh;
    }

    // Written by thieves (CAS) and by the owner (CAS on the last item).
    alignas(k_cache_line) std::atomic<std::int64_t> m_top{0};

    // Written by the owner only, read by every thief.
    alignas(k_cache_line) std::atomic<std::int64_t> m_bottom{0};

    // Written by the owner when it grows, read by every thief and the owner.
    alignas(k_cache_line) std::atomic<buffer*> m_buffer;
};

static_assert(work_stealing_deque<chase_lev_deque<int*>>);
static_assert(work_stealing_deque<chase_lev_deque<std::unique_ptr<int>>>);
static_assert(chase_lev_deque<int*>::k_stores_inline);
static_assert(!chase_lev_deque<std::unique_ptr<int>>::k_stores_inline);

}  // namespace poolbench
