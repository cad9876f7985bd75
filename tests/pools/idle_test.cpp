// work_stealing::idle on its own: the search bound, each wake-up rule, and a
// stress in which workers search a shared stock of work items, park when
// they find none, and are woken by producers: every item must be taken and
// nobody may sleep through work (a lost wake-up shows as a hang, which the
// ctest timeout turns into a failure, and as items left over).
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>
#include <vector>

#include <pools/work_stealing/idle.hpp>

#include "../support/eventually.hpp"

namespace {

using poolbench::work_stealing::idle;

// eventually() with this file's limit of 5 s.
template <class Pred>
bool eventually(Pred pred) {
    return poolbench::test::eventually(pred, std::chrono::seconds(5));
}

TEST_CASE(
    "at most half the workers, and half the cores, search; always at least one; "
    "one more briefly") {
    using search = idle::search;
    idle one(1, 16);
    CHECK(one.may_search() == search::full);
    one.begin_search();
    CHECK(one.may_search() == search::brief);
    one.begin_search();
    CHECK(one.may_search() == search::none);

    idle two(2, 16);  // one searches for the full budget, the other briefly
    CHECK(two.may_search() == search::full);
    two.begin_search();
    CHECK(two.may_search() == search::brief);
    two.begin_search();
    CHECK(two.may_search() == search::none);

    idle four(4, 16);
    CHECK(four.may_search() == search::full);
    four.begin_search();
    CHECK(four.may_search() == search::full);
    four.begin_search();
    CHECK(four.may_search() == search::brief);  // 2 of 4 search
    four.begin_search();
    CHECK(four.may_search() == search::none);  // 3 of 4
    four.end_search_found(false, [] { return false; });
    CHECK(four.may_search() == search::brief);
    CHECK(four.searching() == 2);

    idle oversubscribed(8, 2);  // 8 workers on 2 cores: one searcher, one more briefly
    CHECK(oversubscribed.may_search() == search::full);
    oversubscribed.begin_search();
    CHECK(oversubscribed.may_search() == search::brief);
    oversubscribed.begin_search();
    CHECK(oversubscribed.may_search() == search::none);
}

TEST_CASE("a brief searcher goes on for the full budget once it is within the half") {
    idle two(2, 16);
    two.begin_search();  // the full searcher
    REQUIRE(two.may_search() == idle::search::brief);
    two.begin_search();  // the brief one: the other still searches
    CHECK_FALSE(two.full_search_free());
    two.end_search_found(false, [] { return false; });  // the full one found work
    CHECK(two.full_search_free());                      // as may_search() would say for it now

    idle four(4, 16);  // two search for the full budget, a third briefly
    for (int k = 0; k < 3; ++k) four.begin_search();
    CHECK_FALSE(four.full_search_free());
    four.end_search_found(false, [] { return false; });
    CHECK(four.full_search_free());

    idle oversubscribed(8, 2);
    oversubscribed.begin_search();
    oversubscribed.begin_search();
    CHECK_FALSE(oversubscribed.full_search_free());
    oversubscribed.end_search_found(false, [] { return false; });
    CHECK(oversubscribed.full_search_free());
}

TEST_CASE("the last searcher does not sleep when work is visible") {
    idle i(2, 2);
    i.begin_search();
    CHECK(i.park([] { return true; }) == idle::parked::found_work);
    CHECK(i.searching() == 0);
}

TEST_CASE("an outside publish wakes a sleeper when nobody searches") {
    idle i(2, 2);
    std::atomic<bool> work{false};
    std::atomic<int> result{-1};
    std::thread worker([&] {
        i.begin_search();
        result.store(static_cast<int>(i.park([&] { return work.load(); })));
    });
    REQUIRE(eventually([&] { return i.parked_hint() == 1 && i.searching() == 0; }));
    work.store(true);
    i.after_outside_publish();
    worker.join();
    CHECK(result.load() == static_cast<int>(idle::parked::slept));
    CHECK(i.wakeups() == 1);
}

TEST_CASE("an outside publish wakes nobody while a worker searches") {
    idle i(2, 2);
    i.begin_search();
    i.after_outside_publish();
    CHECK(i.wakeups() == 0);
}

// hand_on_search(what, visible) with one worker parked and nobody searching:
// whether it woke that worker.
bool hands_on(poolbench::work_stealing::left_behind what, bool visible) {
    idle i(2, 2);
    std::thread sleeper([&] {
        while (i.park_unsearched([] { return false; }) != idle::parked::stopping) {
        }
    });
    REQUIRE(eventually([&] { return i.parked_hint() == 1; }));
    i.hand_on_search(what, [&] { return visible; });
    const bool woke = i.wakeups() == 1;
    i.stop();
    sleeper.join();
    return woke;
}

TEST_CASE("a quick look that found a job hands the search on when work is left anywhere") {
    using poolbench::work_stealing::left_behind;
    CHECK(hands_on(left_behind::batch, false));   // its own batch, in its deque
    CHECK(hands_on(left_behind::more, false));    // more where it took the job
    CHECK(hands_on(left_behind::nothing, true));  // another place's, whose wake-up coalesced
    CHECK_FALSE(hands_on(left_behind::nothing, false));
}

TEST_CASE("a quick look hands nothing on while a worker searches") {
    idle i(4, 4);
    i.begin_search();
    i.hand_on_search(poolbench::work_stealing::left_behind::batch, [] { return true; });
    CHECK(i.wakeups() == 0);
}

TEST_CASE("a worker parked without searching is woken, and stop() releases everyone") {
    idle i(3, 3);
    std::atomic<int> stopped{0};
    std::vector<std::thread> workers;
    for (int k = 0; k < 3; ++k) {
        workers.emplace_back([&] {
            for (;;) {
                const auto r = i.park_unsearched([] { return false; });
                if (r == idle::parked::stopping) break;
            }
            stopped.fetch_add(1);
        });
    }
    REQUIRE(eventually([&] { return i.parked_hint() == 3; }));
    i.after_outside_publish();  // nobody searches: one is woken, and parks again
    REQUIRE(eventually([&] { return i.wakeups() == 1; }));
    i.stop();
    for (auto& t : workers) t.join();
    CHECK(stopped.load() == 3);
}

TEST_CASE("a sleeper woken by stop() returns stopping, not slept") {
    idle i(1, 1);
    idle::parked result = idle::parked::found_work;
    std::thread worker([&] { result = i.park_unsearched([] { return false; }); });
    REQUIRE(eventually([&] { return i.parked_hint() == 1; }));
    // Parked (or about to be): either way its one call ends in stopping, so
    // a pool's workers leave at once instead of searching every deque first.
    i.stop();
    worker.join();
    CHECK(result == idle::parked::stopping);
}

// Workers run the protocol as work_stealing_pool does (search while fewer
// than half search, else park at once; poll a little, then park) over a
// stock of items. The producer publishes a few items as an outside submit
// does, then waits until they are taken before the next few, so every
// round ends with its last item racing the workers going to sleep. A lost
// wake-up leaves that item while everyone sleeps: the round times out.
TEST_CASE("stress: no work is left while every worker sleeps") {
    constexpr int k_workers = 4;
    constexpr int k_rounds = 20000;
    idle i(k_workers, k_workers);
    std::atomic<std::int64_t> stock{0};
    std::atomic<std::int64_t> taken{0};
    auto take = [&] {
        std::int64_t s = stock.load();
        while (s > 0) {
            if (stock.compare_exchange_weak(s, s - 1)) return true;
        }
        return false;
    };
    auto visible = [&] { return stock.load() > 0; };
    std::vector<std::thread> workers;
    for (int w = 0; w < k_workers; ++w) {
        workers.emplace_back([&] {
            for (;;) {
                if (take()) {
                    taken.fetch_add(1);
                    continue;
                }
                if (i.may_search() == idle::search::none) {
                    if (i.park_unsearched(visible) == idle::parked::stopping) return;
                    continue;
                }
                i.begin_search();
                bool found = false;
                for (int poll = 0; poll < 20 && !found; ++poll) found = take();
                if (found) {
                    i.end_search_found(stock.load() > 0, visible);
                    taken.fetch_add(1);
                    continue;
                }
                if (i.park(visible) == idle::parked::stopping) return;
            }
        });
    }
    std::int64_t published = 0;
    int stuck_rounds = 0;
    std::uint64_t lcg = 1;
    for (int round = 0; round < k_rounds && stuck_rounds == 0; ++round) {
        // A varying pause first, so that publishing meets the workers at every
        // point of their way from the last take to sleep.
        lcg = lcg * 6364136223846793005ULL + 1442695040888963407ULL;
        for (std::uint64_t k = 0; k < (lcg >> 33) % 2000; ++k) {
            std::atomic_signal_fence(std::memory_order_seq_cst);
        }
        const int items = 1 + round % 3;
        for (int k = 0; k < items; ++k) {
            stock.fetch_add(1);
            ++published;
            i.after_outside_publish();
        }
        if (!eventually([&] { return taken.load() == published; })) ++stuck_rounds;
    }
    i.stop();
    for (auto& t : workers) t.join();
    CHECK(stuck_rounds == 0);
    CHECK(taken.load() + stock.load() == published);
    MESSAGE("wake-ups: " << i.wakeups() << " in " << k_rounds << " rounds");
}

}  // namespace
