// detail::instrument (base layer): in a build with POOLBENCH_INSTRUMENT defined (CMake
// option POOLBENCH_INSTRUMENT, preset "instrumented"), counts, per shared
// atomic site of the pools, every read-modify-write and every writer change:
// a write by a thread other than the previous writer of that cache line,
// which on a many-core machine is a cache-line transfer. pool_bench turns
// the counts into shared_rmw_per_job and line_moves_per_job.
// What it sees: poolbench's own atomics (the pending count, the search
// count, parking, the deques' tops, fork-join counts, wake-up statistics,
// work_stealing's work requests; a plain store counts as one write).
// moodycamel::ConcurrentQueue's internals (the injection queue, the lockfree
// pool) are not instrumented.
// Elsewhere every call compiles to nothing. The counting itself writes
// shared counters: an instrumented build counts, it does not time.
// Thread-safe.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>

#include <base/cache_line.hpp>

namespace poolbench::detail::instrument {

#if defined(POOLBENCH_INSTRUMENT)
inline constexpr bool k_enabled = true;
#else
inline constexpr bool k_enabled = false;
#endif

enum class site : std::size_t {
    pending,       // detail::completion's count of pending work
    searching,     // work_stealing's count of searching workers
    parking,       // event_count's state and epoch
    deque_top,     // a Chase-Lev deque's top (steals, the owner's last pop)
    join,          // a fork-join group's count of children finished elsewhere
    statistic,     // shared statistics (wake-ups)
    work_request,  // a work_stealing worker's request flag (work_stealing/latent.hpp)
};
inline constexpr std::size_t k_sites = 7;
inline constexpr std::array<const char*, k_sites> k_site_names = {
    "pending", "searching", "parking", "deque_top", "join", "statistic", "work_request"};

struct totals {
    std::array<std::uint64_t, k_sites> rmws{};
    std::array<std::uint64_t, k_sites> line_moves{};

    std::uint64_t all_rmws() const noexcept {
        std::uint64_t n = 0;
        for (const auto v : rmws) n += v;
        return n;
    }
    std::uint64_t all_line_moves() const noexcept {
        std::uint64_t n = 0;
        for (const auto v : line_moves) n += v;
        return n;
    }
};

namespace state {
struct alignas(k_cache_line) site_counters {
    std::atomic<std::uint64_t> rmws{0};
    std::atomic<std::uint64_t> line_moves{0};
};
inline std::array<site_counters, k_sites> sites;
// The last writer of each cache line, by a hash of its address (two lines
// that share a slot count as one: an approximation that only adds moves).
inline constexpr int k_line_slot_bits = 14;
inline std::array<std::atomic<std::uint32_t>, std::size_t{1} << k_line_slot_bits> last_writer{};
inline std::atomic<std::uint32_t> next_thread{1};
}  // namespace state

inline std::uint32_t thread_tag() noexcept {
    // relaxed: a unique number per thread, nothing else is ordered by it.
    thread_local const std::uint32_t tag =
        state::next_thread.fetch_add(1, std::memory_order_relaxed);
    return tag;
}

// Counts one read-modify-write of the atomic at `object`.
inline void rmw(site s, const void* object) noexcept {
    if constexpr (k_enabled) {
        auto& c = state::sites[static_cast<std::size_t>(s)];
        // relaxed (all three): counters read once the measured work is over.
        c.rmws.fetch_add(1, std::memory_order_relaxed);
        const auto line = reinterpret_cast<std::uintptr_t>(object) / 64;
        const auto slot = static_cast<std::size_t>((line * 0x9E3779B97F4A7C15ULL) >>
                                                   (64 - state::k_line_slot_bits));
        const std::uint32_t me = thread_tag();
        if (state::last_writer[slot].exchange(me, std::memory_order_relaxed) != me) {
            c.line_moves.fetch_add(1, std::memory_order_relaxed);
        }
    } else {
        (void)s;
        (void)object;
    }
}

// The counts so far (zero where not enabled).
inline totals snapshot() noexcept {
    totals t;
    if constexpr (k_enabled) {
        for (std::size_t i = 0; i < k_sites; ++i) {
            // relaxed: read after the measured work, which the caller has joined.
            t.rmws[i] = state::sites[i].rmws.load(std::memory_order_relaxed);
            t.line_moves[i] = state::sites[i].line_moves.load(std::memory_order_relaxed);
        }
    }
    return t;
}

}  // namespace poolbench::detail::instrument
