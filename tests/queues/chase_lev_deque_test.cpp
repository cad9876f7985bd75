// chase_lev_deque specifics: the last-item race between the owner's pop and
// a thief's steal, pops and steals on an empty deque (no underflow), growth
// from the smallest capacity, steal statuses and constructor validation.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <thread>

#include "queue_test_support.hpp"
#include "transfer_check.hpp"

namespace poolbench::test {
namespace {

TEST_CASE("chase_lev_deque: initial capacity 0 is rejected with a message naming it") {
    CHECK_THROWS_AS(chase_lev_deque<int>(0), std::invalid_argument);
    try {
        chase_lev_deque<int> deque(0);
        FAIL("no exception");
    } catch (const std::invalid_argument& e) {
        CHECK(std::string(e.what()).find("got 0") != std::string::npos);
    }
}

TEST_CASE("chase_lev_deque: stores pointers and integers inline, boxes the rest") {
    CHECK(chase_lev_deque<int*>::k_stores_inline);
    CHECK(chase_lev_deque<std::uint64_t>::k_stores_inline);
    CHECK_FALSE(chase_lev_deque<boxed_u64>::k_stores_inline);
    CHECK_FALSE(chase_lev_deque<std::unique_ptr<int>>::k_stores_inline);
}

TEST_CASE_TEMPLATE("chase_lev_deque: pop and steal on an empty deque fail every time", T,
                   std::uint64_t, boxed_u64) {
    chase_lev_deque<T> deque(2);
    T v{};
    for (int i = 0; i < 1000; ++i) {
        CHECK_FALSE(deque.try_pop(v));
        CHECK(deque.approx_size() == 0);
    }
    CHECK(deque.steal(v) == steal_status::empty);
    deque.push(T(7));
    CHECK(deque.approx_size() == 1);
    REQUIRE(deque.try_pop(v));
    CHECK(value_of(v) == 7);
    for (int i = 0; i < 1000; ++i) {
        CHECK_FALSE(deque.try_pop(v));
        CHECK(deque.steal(v) == steal_status::empty);
    }
    deque.push(T(8));
    CHECK(deque.steal(v) == steal_status::success);
    CHECK(value_of(v) == 8);
    CHECK_FALSE(deque.try_pop(v));
    CHECK(deque.approx_size() == 0);
}

TEST_CASE_TEMPLATE("chase_lev_deque: grows from capacity 1 and keeps every item", T, std::uint64_t,
                   boxed_u64) {
    chase_lev_deque<T> deque(1);
    T v{};
    // Steal from the top now and then, so the live range wraps in each buffer.
    std::uint64_t oldest = 0;
    for (std::uint64_t i = 0; i < 10'000; ++i) {
        deque.push(T(i));
        if (i % 3 == 0) {
            REQUIRE(deque.try_steal(v));
            CHECK(value_of(v) == oldest++);
        }
    }
    CHECK(deque.approx_size() == static_cast<std::int64_t>(10'000 - oldest));
    for (std::uint64_t expected = 9'999; expected >= oldest && expected != ~std::uint64_t{0};
         --expected) {
        REQUIRE(deque.try_pop(v));
        CHECK(value_of(v) == expected);
    }
    CHECK_FALSE(deque.try_pop(v));
}

// Each round of a race is a hand-over between two threads, so on a loaded
// machine (more runnable threads than CPUs, each hand-over a trip through
// the scheduler) a fixed number of rounds can take many minutes. A race
// runs its rounds until they are done or this much time has passed, and
// at least k_min_rounds either way: enough to meet every interleaving the
// head start steers it through, never a reason to time out.
inline constexpr std::chrono::seconds k_race_budget{30};
inline constexpr std::uint64_t k_min_rounds = 2'000;

// The owner opens round r, the thief reports back when it is done with it.
// After a round it has closed the owner may end the run early
// (end_after()); the thief's wait for the next round then returns false.
// If either side stops answering, the other gives up at k_run_deadline and
// the test fails instead of hanging.
class round_handshake {
public:
    void open(std::uint64_t r) { m_opened.store(r); }
    void close(std::uint64_t r) { m_closed.store(r); }
    bool wait_opened(std::uint64_t r) { return wait_for(m_opened, r); }
    bool wait_closed(std::uint64_t r) { return wait_for(m_closed, r); }
    bool abandoned() const { return m_abandoned.load(); }

    // The owner, after round r closed: true (and no round after r will be
    // opened) once k_race_budget has passed and k_min_rounds are done.
    bool end_after(std::uint64_t r) {
        if (r < k_min_rounds || std::chrono::steady_clock::now() < m_budget_end) return false;
        m_last.store(r);
        return true;
    }
    // The rounds the thief has closed.
    std::uint64_t rounds_done() const { return m_closed.load(); }

private:
    bool wait_for(const std::atomic<std::uint64_t>& round, std::uint64_t r) {
        backoff wait;
        while (round.load() != r) {
            if (r > m_last.load()) return false;
            if (m_abandoned.load()) return false;
            if (std::chrono::steady_clock::now() > m_deadline) {
                m_abandoned.store(true);
                return false;
            }
            wait();
        }
        return true;
    }

    const std::chrono::steady_clock::time_point m_budget_end =
        std::chrono::steady_clock::now() + k_race_budget;
    const std::chrono::steady_clock::time_point m_deadline =
        std::chrono::steady_clock::now() + k_run_deadline;
    std::atomic<std::uint64_t> m_opened{0};
    std::atomic<std::uint64_t> m_closed{0};
    std::atomic<std::uint64_t> m_last{~std::uint64_t{0}};  // no round after it is opened
    std::atomic<bool> m_abandoned{false};
};

// Gives the thief a head start of about `delay` steps before the owner acts.
inline void head_start(std::uint64_t delay) {
    for (std::uint64_t spin = delay; spin > 0; --spin) {
        std::atomic_signal_fence(std::memory_order_seq_cst);
    }
}

// The head start adapts so that the two keep meeting: longer after a round
// the thief reached too late to take anything, shorter after a round the
// owner got nothing.
inline std::uint64_t adapt(std::uint64_t delay, bool owner_got, bool thief_got) {
    if (!thief_got) return std::min<std::uint64_t>(delay + delay / 8 + 1, 1 << 20);
    if (!owner_got) return delay - delay / 8;
    return delay;
}

// One item in the deque; the owner pops while one thief steals. Exactly one
// of them must get it, every round.
template <class T>
void last_item_race(std::uint64_t rounds) {
    chase_lev_deque<T> deque(2);
    round_handshake handshake;
    std::atomic<std::uint64_t> thief_got{0};  // the value stolen this round, 0: none
    std::atomic<std::uint64_t> lost_races{0};

    std::thread thief([&] {
        T item{};
        for (std::uint64_t r = 1; r <= rounds; ++r) {
            if (!handshake.wait_opened(r)) return;
            const steal_status s = deque.steal(item);
            if (s == steal_status::lost_race) lost_races.fetch_add(1);
            thief_got.store(s == steal_status::success ? value_of(item) : 0);
            handshake.close(r);
        }
    });

    std::uint64_t owner_wins = 0;
    std::uint64_t thief_wins = 0;
    std::uint64_t both = 0;
    std::uint64_t neither = 0;
    std::uint64_t wrong_value = 0;
    std::uint64_t delay = 0;
    T item{};
    for (std::uint64_t r = 1; r <= rounds; ++r) {
        deque.push(T(r));
        handshake.open(r);
        head_start(delay + r % 16);
        const bool owner_got = deque.try_pop(item);
        if (!handshake.wait_closed(r)) break;
        const std::uint64_t stolen = thief_got.load();
        delay = adapt(delay, owner_got, stolen != 0);
        if (owner_got && stolen != 0) ++both;
        if (!owner_got && stolen == 0) ++neither;
        if (owner_got) {
            ++owner_wins;
            if (value_of(item) != r) ++wrong_value;
        }
        if (stolen != 0) {
            ++thief_wins;
            if (stolen != r) ++wrong_value;
        }
        if (handshake.end_after(r)) break;
    }
    thief.join();
    const std::uint64_t done = handshake.rounds_done();
    CHECK_FALSE(handshake.abandoned());
    CHECK(done >= std::min(rounds, k_min_rounds));
    CHECK(both == 0);
    CHECK(neither == 0);
    CHECK(wrong_value == 0);
    CHECK(owner_wins + thief_wins == done);
    CHECK(deque.approx_size() == 0);
    CHECK_FALSE(deque.try_pop(item));
    MESSAGE("rounds " << done << " of " << rounds << ": owner won " << owner_wins << ", thief won "
                      << thief_wins << ", thief lost the CAS " << lost_races.load());
}

TEST_CASE_TEMPLATE("chase_lev_deque: owner pop vs thief steal of the last item, one winner" *
                       doctest::timeout(200),
                   T, std::uint64_t, boxed_u64) {
    last_item_race<T>(scaled(100'000, 1));
}

// Two or three items in the deque; the owner pops until it fails while one
// thief steals until it finds the deque empty. Each item must go to exactly
// one of them. Unlike the one-item race, the owner takes all but the last
// item without a CAS, which is safe only because of the seq_cst fences (or
// seq_cst operations) between its store of bottom and its load of top.
template <class T>
void few_items_race(std::uint64_t rounds) {
    chase_lev_deque<T> deque(4);
    round_handshake handshake;
    std::atomic<std::uint64_t> thief_mask{0};  // bit i: the thief took item i of the round
    auto bit = [](const T& item) { return std::uint64_t{1} << (value_of(item) % 4); };

    std::thread thief([&] {
        T item{};
        for (std::uint64_t r = 1; r <= rounds; ++r) {
            if (!handshake.wait_opened(r)) return;
            std::uint64_t mask = 0;
            for (steal_status s = deque.steal(item);
                 s != steal_status::empty && !handshake.abandoned(); s = deque.steal(item)) {
                if (s == steal_status::success) mask |= bit(item);
            }
            thief_mask.store(mask);
            handshake.close(r);
        }
    });

    std::uint64_t overlaps = 0;
    std::uint64_t lost = 0;
    std::uint64_t contested = 0;
    std::uint64_t delay = 0;
    T item{};
    for (std::uint64_t r = 1; r <= rounds; ++r) {
        const std::uint64_t count = 2 + r % 2;
        for (std::uint64_t i = 0; i < count; ++i) deque.push(T(r * 4 + i));
        handshake.open(r);
        head_start(delay + r % 16);
        std::uint64_t mask = 0;
        while (deque.try_pop(item)) mask |= bit(item);
        if (!handshake.wait_closed(r)) break;
        const std::uint64_t stolen = thief_mask.load();
        if ((mask & stolen) != 0) ++overlaps;
        if ((mask | stolen) != (std::uint64_t{1} << count) - 1) ++lost;
        if (mask != 0 && stolen != 0) ++contested;
        delay = adapt(delay, mask != 0, stolen != 0);
        if (handshake.end_after(r)) break;
    }
    thief.join();
    const std::uint64_t done = handshake.rounds_done();
    CHECK_FALSE(handshake.abandoned());
    CHECK(done >= std::min(rounds, k_min_rounds));
    CHECK(overlaps == 0);
    CHECK(lost == 0);
    CHECK(deque.approx_size() == 0);
    MESSAGE("rounds " << done << " of " << rounds << ": both owner and thief took items in "
                      << contested);
}

TEST_CASE_TEMPLATE("chase_lev_deque: owner pops vs thief steals of 2-3 items, each taken once" *
                       doctest::timeout(200),
                   T, std::uint64_t, boxed_u64) {
    few_items_race<T>(scaled(100'000, 1));
}

}  // namespace
}  // namespace poolbench::test
