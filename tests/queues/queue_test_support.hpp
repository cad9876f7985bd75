// Shared by the queue tests: how many items a run moves (scaled by
// POOLBENCH_SOAK and down under sanitizers), one "kind" per queue under test
// (how to build it, how a producer pushes and a consumer pops, with tokens
// where the queue has them), a counted payload type, and a spin-wait that
// yields so oversubscribed threads on 2 cores still make progress.
#pragma once

#include <doctest/doctest.h>

#include <base/sanitizer.hpp>
#include <queues/chase_lev_deque.hpp>
#include <queues/moodycamel_queue.hpp>
#include <queues/mpmc_ring.hpp>
#include <queues/mutex_queue.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <thread>
#include <utility>

namespace poolbench::test {

inline constexpr bool k_under_thread_sanitizer = k_thread_sanitizer;
inline constexpr bool k_under_address_sanitizer = k_address_sanitizer;
inline constexpr bool k_under_sanitizer = k_under_thread_sanitizer || k_under_address_sanitizer;

// POOLBENCH_SOAK=<multiplier> (a positive number) runs longer soaks.
inline double soak_multiplier() {
    const char* text = std::getenv("POOLBENCH_SOAK");
    if (text == nullptr) return 1.0;
    char* end = nullptr;
    const double value = std::strtod(text, &end);
    return (end != text && value > 0) ? value : 1.0;
}

// n items in a plain run, n / sanitizer_divisor under a sanitizer (never
// below min_sanitized), times the soak multiplier.
inline std::uint64_t scaled(std::uint64_t n, std::uint64_t sanitizer_divisor,
                            std::uint64_t min_sanitized = 1) {
    std::uint64_t base = n;
    if constexpr (k_under_sanitizer) {
        base = std::max(n / sanitizer_divisor, min_sanitized);
    }
    return static_cast<std::uint64_t>(static_cast<double>(base) * soak_multiplier());
}

// Spins a little, then yields: on 2 cores with 8 threads, a thread that only
// spins would keep the thread it waits for off the CPU.
class backoff {
public:
    void operator()() {
        if (++m_failures > 16) std::this_thread::yield();
    }
    void reset() { m_failures = 0; }

private:
    int m_failures = 0;
};

// A run that has not finished after this long has lost or stuck an item (a
// loaded 2-core machine has taken 110 s for a correct run); the
// worker loops give up so the test fails instead of hanging.
inline constexpr std::chrono::seconds k_run_deadline{240};

// --- Queue kinds: one per row of the typed tests. -----------------------
// k_synchronises_by_fences: see skip_threaded_test_under_tsan().

// Threads reach the queue through plain try_push / try_pop (no tokens).
template <template <class> class Q>
struct tokenless_access {
    template <class T>
    using queue = Q<T>;
    template <class T>
    static auto producer(queue<T>& q) {
        return [&q](T&& v) { return q.try_push(std::move(v)); };
    }
    template <class T>
    static auto consumer(queue<T>& q) {
        return [&q](T& v) { return q.try_pop(v); };
    }
};

struct mutex_kind : tokenless_access<mutex_queue> {
    static constexpr bool k_synchronises_by_fences = false;
    template <class T>
    static std::unique_ptr<queue<T>> make() {
        return std::make_unique<queue<T>>();
    }
};

// Small capacity, so that producers hit "full" and consumers hit "empty".
struct mpmc_ring_kind : tokenless_access<mpmc_ring> {
    static constexpr bool k_synchronises_by_fences = false;
    static constexpr std::size_t k_capacity = 64;
    template <class T>
    static std::unique_ptr<queue<T>> make() {
        return std::make_unique<queue<T>>(k_capacity);
    }
};

struct moodycamel_kind : tokenless_access<moodycamel_queue> {
    static constexpr bool k_synchronises_by_fences = true;
    template <class T>
    static std::unique_ptr<queue<T>> make() {
        return std::make_unique<queue<T>>();
    }
};

// The same queue through its token overloads: each thread owns one token.
struct moodycamel_tokens_kind {
    static constexpr bool k_synchronises_by_fences = true;
    template <class T>
    using queue = moodycamel_queue<T>;
    template <class T>
    static std::unique_ptr<queue<T>> make() {
        return std::make_unique<queue<T>>();
    }
    template <class T>
    static auto producer(queue<T>& q) {
        return [&q, token = q.make_producer_token()](T&& v) mutable {
            return q.try_push(token, std::move(v));
        };
    }
    template <class T>
    static auto consumer(queue<T>& q) {
        return [&q, token = q.make_consumer_token()](T& v) mutable { return q.try_pop(token, v); };
    }
};

// moodycamel::ConcurrentQueue synchronises through std::atomic_thread_fence,
// which ThreadSanitizer does not model, so TSan reports races inside it that
// are not there (upstream cameron314/concurrentqueue issues #49 and #62, where
// the author calls them false positives). Rather than suppress reports, its
// threaded tests skip under TSan; the Debug and ASan builds still run them.
// Call at the top of a threaded test case; true: return at once.
template <class Kind>
bool skip_threaded_test_under_tsan() {
    if constexpr (k_under_thread_sanitizer && Kind::k_synchronises_by_fences) {
        MESSAGE(
            "skipped under ThreadSanitizer: it does not model the fences this queue "
            "synchronises by");
        return true;
    }
    return false;
}

// --- A payload that counts its constructions and destructions. -----------

struct counted {
    static inline std::atomic<long> constructed{0};
    static inline std::atomic<long> destroyed{0};

    static void reset_counts() {
        constructed.store(0);
        destroyed.store(0);
    }
    static long live() { return constructed.load() - destroyed.load(); }

    counted() : counted(-1) {}
    explicit counted(int v) : value(v) { constructed.fetch_add(1); }
    counted(const counted& other) : value(other.value) { constructed.fetch_add(1); }
    counted(counted&& other) noexcept : value(other.value) { constructed.fetch_add(1); }
    counted& operator=(const counted&) = default;
    counted& operator=(counted&&) noexcept = default;
    ~counted() { destroyed.fetch_add(1); }

    int value;
};

}  // namespace poolbench::test

TYPE_TO_STRING_AS("mutex_queue", poolbench::test::mutex_kind);
TYPE_TO_STRING_AS("mpmc_ring", poolbench::test::mpmc_ring_kind);
TYPE_TO_STRING_AS("moodycamel_queue", poolbench::test::moodycamel_kind);
TYPE_TO_STRING_AS("moodycamel_queue+tokens", poolbench::test::moodycamel_tokens_kind);
