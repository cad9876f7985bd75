// Runs that move numbered items through a queue between threads and report
// what arrived: how many items were missing or duplicated (from a per-item
// flag array), whether the checksum matches, and how often a consumer saw a
// producer's sequence go backwards or skip. The exactly-once and FIFO tests
// both use them, each asserting its own property.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <thread>
#include <utility>
#include <vector>

#include "queue_test_support.hpp"

namespace poolbench::test {

struct transfer_result {
    std::uint64_t items = 0;
    std::uint64_t received = 0;
    std::uint64_t missing = 0;     // flag still 0 after the run
    std::uint64_t duplicated = 0;  // flag above 1
    bool checksum_ok = false;
    std::uint64_t backwards = 0;  // a producer's sequence decreased or repeated
    std::uint64_t gaps = 0;       // a producer's sequence skipped ahead
    std::uint64_t corrupt = 0;    // an item no producer pushed
    bool gave_up = false;         // the run hit k_run_deadline
};

// An item is (producer << 40) | sequence.
inline constexpr int k_producer_shift = 40;

inline std::uint64_t encode(std::uint64_t producer, std::uint64_t sequence) {
    return (producer << k_producer_shift) | sequence;
}
inline std::uint64_t producer_of(std::uint64_t item) {
    return item >> k_producer_shift;
}
inline std::uint64_t sequence_of(std::uint64_t item) {
    return item & ((std::uint64_t{1} << k_producer_shift) - 1);
}

// splitmix64's finaliser: a checksum of mixed values, so that a lost item and
// a duplicated one do not cancel out as they would in a plain sum.
inline std::uint64_t mix(std::uint64_t x) {
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

// What one consumer saw, kept thread-local and merged after the join.
struct consumer_log {
    explicit consumer_log(std::size_t producers) : last(producers, -1) {}

    void record(std::uint64_t item, std::vector<std::atomic<std::uint8_t>>& seen,
                const std::vector<std::uint64_t>& first_index) {
        const std::uint64_t p = producer_of(item);
        const std::uint64_t index = first_index[std::min(p, last.size())] + sequence_of(item);
        if (p >= last.size() || index >= first_index[p + 1]) {
            ++corrupt;  // not an item any producer pushed
            return;
        }
        seen[index].fetch_add(1, std::memory_order_relaxed);  // relaxed: read after join()
        const auto s = static_cast<std::int64_t>(sequence_of(item));
        checksum += mix(item);
        if (s <= last[p]) ++backwards;
        if (s > last[p] + 1) ++gaps;
        last[p] = s;
        ++received;
    }

    std::vector<std::int64_t> last;
    std::uint64_t checksum = 0;
    std::uint64_t backwards = 0;
    std::uint64_t gaps = 0;
    std::uint64_t received = 0;
    std::uint64_t corrupt = 0;
};

inline transfer_result summarise(const std::vector<std::atomic<std::uint8_t>>& seen,
                                 const std::vector<consumer_log>& logs,
                                 std::uint64_t expected_checksum, bool gave_up) {
    transfer_result r;
    r.items = seen.size();
    r.gave_up = gave_up;
    for (const auto& flag : seen) {
        const auto n = flag.load(std::memory_order_relaxed);  // relaxed: writers were joined
        if (n == 0) ++r.missing;
        if (n > 1) ++r.duplicated;
    }
    std::uint64_t checksum = 0;
    for (const auto& log : logs) {
        checksum += log.checksum;
        r.backwards += log.backwards;
        r.gaps += log.gaps;
        r.received += log.received;
        r.corrupt += log.corrupt;
    }
    r.checksum_ok = checksum == expected_checksum;
    return r;
}

// P producers push `items` numbered items in all; C consumers pop them, each
// exactly its share. Works for any queue kind of queue_test_support.hpp.
template <class Kind>
transfer_result run_transfer(std::size_t producers, std::size_t consumers, std::uint64_t items) {
    auto queue = Kind::template make<std::uint64_t>();
    std::vector<std::atomic<std::uint8_t>> seen(items);
    std::vector<std::uint64_t> first_index(producers + 1);
    std::uint64_t expected_checksum = 0;
    for (std::size_t p = 0; p <= producers; ++p) first_index[p] = items * p / producers;
    for (std::size_t p = 0; p < producers; ++p) {
        for (std::uint64_t s = 0; s < first_index[p + 1] - first_index[p]; ++s) {
            expected_checksum += mix(encode(p, s));
        }
    }

    const auto deadline = std::chrono::steady_clock::now() + k_run_deadline;
    std::atomic<bool> gave_up{false};
    auto expired = [&] {
        if (std::chrono::steady_clock::now() < deadline) return false;
        gave_up.store(true);
        return true;
    };

    std::vector<consumer_log> logs(consumers, consumer_log(producers));
    std::vector<std::thread> threads;
    for (std::size_t c = 0; c < consumers; ++c) {
        threads.emplace_back([&, c] {
            auto pop = Kind::template consumer<std::uint64_t>(*queue);
            const std::uint64_t share = items * (c + 1) / consumers - items * c / consumers;
            backoff wait;
            std::uint64_t item = 0;
            for (std::uint64_t got = 0; got < share;) {
                if (pop(item)) {
                    logs[c].record(item, seen, first_index);
                    ++got;
                    wait.reset();
                } else {
                    if (gave_up.load() || expired()) return;
                    wait();
                }
            }
        });
    }
    for (std::size_t p = 0; p < producers; ++p) {
        threads.emplace_back([&, p] {
            auto push = Kind::template producer<std::uint64_t>(*queue);
            backoff wait;
            for (std::uint64_t s = 0; s < first_index[p + 1] - first_index[p]; ++s) {
                std::uint64_t item = encode(p, s);
                while (!push(std::move(item))) {
                    if (gave_up.load() || expired()) return;
                    wait();
                }
                wait.reset();
            }
        });
    }
    for (auto& t : threads) t.join();
    return summarise(seen, logs, expected_checksum, gave_up.load());
}

// A chase_lev_deque payload that is not trivially copyable, so the deque
// boxes it on the heap.
struct boxed_u64 {
    boxed_u64() = default;
    explicit boxed_u64(std::uint64_t v) : value(v) {}
    boxed_u64(const boxed_u64& other) : value(other.value) {}
    boxed_u64& operator=(const boxed_u64&) = default;

    std::uint64_t value = 0;
};

inline std::uint64_t value_of(std::uint64_t v) {
    return v;
}
inline std::uint64_t value_of(const boxed_u64& v) {
    return v.value;
}

// One owner pushes `items` items (as producer 0, in increasing sequence) in
// random bursts and pops a random part of each burst back; `thieves` threads
// steal concurrently. Each round uses a fresh deque of capacity 2, so every
// round grows it several times while thieves steal. Thieves' logs check FIFO
// order; the owner's pops are LIFO and only counted.
template <class T>
transfer_result run_deque_transfer(std::size_t thieves, std::uint64_t items, std::size_t rounds) {
    constexpr std::uint64_t k_max_burst = 300;  // grows capacity 2 up to 512 each round
    std::vector<std::unique_ptr<chase_lev_deque<T>>> deques;
    for (std::size_t r = 0; r < rounds; ++r) {
        deques.push_back(std::make_unique<chase_lev_deque<T>>(2));
    }
    std::vector<std::atomic<std::uint8_t>> seen(items);
    const std::vector<std::uint64_t> first_index{0, items};
    std::uint64_t expected_checksum = 0;
    for (std::uint64_t s = 0; s < items; ++s) expected_checksum += mix(encode(0, s));

    const auto deadline = std::chrono::steady_clock::now() + k_run_deadline;
    std::atomic<bool> gave_up{false};
    std::atomic<std::size_t> round{0};
    std::atomic<bool> done{false};

    // Index 0 logs the owner's pops, 1..thieves the thieves' steals.
    std::vector<consumer_log> logs(thieves + 1, consumer_log(1));
    std::vector<std::thread> threads;
    for (std::size_t i = 1; i <= thieves; ++i) {
        threads.emplace_back([&, i] {
            backoff wait;
            T item{};
            for (;;) {
                if (deques[round.load()]->try_steal(item)) {
                    logs[i].record(value_of(item), seen, first_index);
                    wait.reset();
                    continue;
                }
                if (done.load() || gave_up.load()) return;
                if (std::chrono::steady_clock::now() >= deadline) {
                    gave_up.store(true);
                    return;
                }
                wait();
            }
        });
    }
    threads.emplace_back([&] {
        consumer_log& owner_log = logs[0];
        std::uint64_t rng = 0x2545f4914f6cdd1dULL;
        auto next_random = [&rng] {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            return rng;
        };
        // Owner pops arrive newest first; record them without the FIFO check.
        auto record_pop = [&](const T& item) {
            const std::uint64_t v = value_of(item);
            if (v >= items) {
                ++owner_log.corrupt;  // not an item the owner pushed
                return;
            }
            seen[v].fetch_add(1, std::memory_order_relaxed);  // relaxed: read after join()
            owner_log.checksum += mix(v);
            ++owner_log.received;
        };
        T item{};
        std::uint64_t next = 0;
        for (std::size_t r = 0; r < rounds; ++r) {
            round.store(r);
            chase_lev_deque<T>& deque = *deques[r];
            const std::uint64_t end = items * (r + 1) / rounds;
            while (next < end) {
                const std::uint64_t burst = std::min(1 + next_random() % k_max_burst, end - next);
                for (std::uint64_t k = 0; k < burst; ++k) deque.push(T(encode(0, next++)));
                for (std::uint64_t k = next_random() % (burst + 1); k > 0; --k) {
                    if (deque.try_pop(item)) record_pop(item);
                }
            }
            while (deque.try_pop(item)) record_pop(item);
        }
        done.store(true);
    });
    for (auto& t : threads) t.join();
    return summarise(seen, logs, expected_checksum, gave_up.load());
}

}  // namespace poolbench::test
