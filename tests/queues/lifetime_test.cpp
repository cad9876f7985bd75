// Payload lifetimes, for all four queues: move-only payloads pass through,
// and every constructed item is destroyed exactly once, including the items
// still inside when the queue is destroyed, and when threads pass them.
#include <doctest/doctest.h>

#include <memory>
#include <set>
#include <thread>
#include <vector>

#include "queue_test_support.hpp"

namespace poolbench::test {
namespace {

// chase_lev_deque as a queue kind: the owner pushes and pops; thieves steal.
struct chase_lev_kind {
    static constexpr bool k_synchronises_by_fences = false;  // none under TSan
    template <class T>
    using queue = chase_lev_deque<T>;
    template <class T>
    static std::unique_ptr<queue<T>> make() {
        return std::make_unique<queue<T>>(2);
    }
    template <class T>
    static auto producer(queue<T>& q) {
        return [&q](T&& v) {
            q.push(std::move(v));
            return true;
        };
    }
    template <class T>
    static auto consumer(queue<T>& q) {
        return [&q](T& v) { return q.try_pop(v); };
    }
};

}  // namespace
}  // namespace poolbench::test

TYPE_TO_STRING_AS("chase_lev_deque", poolbench::test::chase_lev_kind);

namespace poolbench::test {
namespace {

TEST_CASE_TEMPLATE("move-only payloads pass through, and leftovers are freed", Kind, mutex_kind,
                   mpmc_ring_kind, moodycamel_kind, chase_lev_kind) {
    counted::reset_counts();
    {
        auto queue = Kind::template make<std::unique_ptr<counted>>();
        auto push = Kind::template producer<std::unique_ptr<counted>>(*queue);
        auto pop = Kind::template consumer<std::unique_ptr<counted>>(*queue);
        for (int i = 0; i < 50; ++i) REQUIRE(push(std::make_unique<counted>(i)));
        std::set<int> seen;
        std::unique_ptr<counted> out;
        for (int i = 0; i < 20; ++i) {
            REQUIRE(pop(out));
            REQUIRE(out != nullptr);
            CHECK(seen.insert(out->value).second);
            CHECK(out->value >= 0);
            CHECK(out->value < 50);
        }
        out.reset();
        CHECK(counted::live() == 30);
    }
    CHECK(counted::live() == 0);
}

TEST_CASE_TEMPLATE("each constructed item is destroyed exactly once, also when left inside", Kind,
                   mutex_kind, mpmc_ring_kind, moodycamel_kind, chase_lev_kind) {
    counted::reset_counts();
    {
        auto queue = Kind::template make<counted>();
        auto push = Kind::template producer<counted>(*queue);
        auto pop = Kind::template consumer<counted>(*queue);
        for (int i = 0; i < 50; ++i) REQUIRE(push(counted(i)));
        CHECK(counted::live() == 50);
        {
            counted out;
            for (int i = 0; i < 20; ++i) REQUIRE(pop(out));
            CHECK(counted::live() == 31);
        }
        CHECK(counted::live() == 30);
    }
    CHECK(counted::constructed.load() > 0);
    CHECK(counted::constructed.load() == counted::destroyed.load());
}

TEST_CASE("mpmc_ring: a failed push constructs and destroys nothing") {
    counted::reset_counts();
    {
        mpmc_ring<counted> ring(2);
        REQUIRE(ring.try_push(counted(1)));
        REQUIRE(ring.try_push(counted(2)));
        counted third(3);
        const long before = counted::constructed.load();
        CHECK_FALSE(ring.try_push(std::move(third)));
        CHECK(counted::constructed.load() == before);
        CHECK(third.value == 3);
    }
    CHECK(counted::live() == 0);
}

TEST_CASE("chase_lev_deque: stolen, popped and leftover items are each destroyed once") {
    counted::reset_counts();
    {
        chase_lev_deque<counted> deque(2);
        for (int i = 0; i < 50; ++i) deque.push(counted(i));
        counted out;
        for (int i = 0; i < 20; ++i) {
            REQUIRE(deque.try_steal(out));
            CHECK(out.value == i);
        }
        for (int i = 49; i >= 40; --i) {
            REQUIRE(deque.try_pop(out));
            CHECK(out.value == i);
        }
        CHECK(counted::live() == 21);
    }
    CHECK(counted::live() == 0);
}

// Producers and consumers pass counted items across threads; afterwards, and
// after the queue is gone, none is alive.
TEST_CASE_TEMPLATE("items passed between threads are destroyed exactly once" *
                       doctest::timeout(120),
                   Kind, mutex_kind, mpmc_ring_kind, moodycamel_kind) {
    if (skip_threaded_test_under_tsan<Kind>()) return;
    counted::reset_counts();
    constexpr int k_per_producer = 20'000;
    {
        auto queue = Kind::template make<std::unique_ptr<counted>>();
        std::atomic<int> popped{0};
        std::vector<std::thread> threads;
        for (int c = 0; c < 2; ++c) {
            threads.emplace_back([&] {
                auto pop = Kind::template consumer<std::unique_ptr<counted>>(*queue);
                std::unique_ptr<counted> out;
                backoff wait;
                while (popped.load() < k_per_producer) {  // leave half inside
                    if (pop(out)) {
                        popped.fetch_add(1);
                        out.reset();
                        wait.reset();
                    } else {
                        wait();
                    }
                }
            });
        }
        for (int p = 0; p < 2; ++p) {
            threads.emplace_back([&] {
                auto push = Kind::template producer<std::unique_ptr<counted>>(*queue);
                backoff wait;
                for (int i = 0; i < k_per_producer; ++i) {
                    auto item = std::make_unique<counted>(i);
                    while (!push(std::move(item)) && popped.load() < k_per_producer) wait();
                }
            });
        }
        for (auto& t : threads) t.join();
    }
    CHECK(counted::constructed.load() == counted::destroyed.load());
}

TEST_CASE("chase_lev_deque: items stolen by threads are destroyed exactly once" *
          doctest::timeout(120)) {
    counted::reset_counts();
    {
        chase_lev_deque<counted> deque(2);
        std::atomic<bool> done{false};
        std::vector<std::thread> thieves;
        for (int i = 0; i < 2; ++i) {
            thieves.emplace_back([&] {
                counted out;
                backoff wait;
                while (!done.load()) {
                    if (deque.try_steal(out)) {
                        wait.reset();
                    } else {
                        wait();
                    }
                }
            });
        }
        counted out;
        for (int i = 0; i < 40'000; ++i) {
            deque.push(counted(i));
            if (i % 3 == 0) (void)deque.try_pop(out);
        }
        done.store(true);
        for (auto& t : thieves) t.join();
    }
    CHECK(counted::constructed.load() == counted::destroyed.load());
}

}  // namespace
}  // namespace poolbench::test
