// Ordering: per-producer FIFO for every queue (each consumer sees each
// producer's sequence increase), global FIFO for mutex_queue and mpmc_ring
// with one producer and one consumer, and chase_lev_deque's owner-LIFO /
// thief-FIFO order.
#include <doctest/doctest.h>

#include <cstdint>
#include <vector>

#include "queue_test_support.hpp"
#include "transfer_check.hpp"

namespace poolbench::test {
namespace {

TEST_CASE_TEMPLATE("each consumer sees each producer's items in the order pushed" *
                       doctest::timeout(200),
                   Kind, mutex_kind, mpmc_ring_kind, moodycamel_kind, moodycamel_tokens_kind) {
    if (skip_threaded_test_under_tsan<Kind>()) return;
    const std::uint64_t items = scaled(200'000, 4);
    for (const std::size_t producers : {1, 4}) {
        for (const std::size_t consumers : {1, 4}) {
            CAPTURE(producers);
            CAPTURE(consumers);
            const transfer_result r = run_transfer<Kind>(producers, consumers, items);
            CHECK_FALSE(r.gave_up);
            CHECK(r.received == r.items);
            CHECK(r.backwards == 0);
        }
    }
}

TEST_CASE_TEMPLATE("one producer, one consumer: items come out in exactly the order pushed" *
                       doctest::timeout(200),
                   Kind, mutex_kind, mpmc_ring_kind) {
    const transfer_result r = run_transfer<Kind>(1, 1, scaled(200'000, 4));
    CHECK_FALSE(r.gave_up);
    CHECK(r.received == r.items);
    CHECK(r.missing == 0);
    CHECK(r.backwards == 0);
    CHECK(r.gaps == 0);
}

TEST_CASE_TEMPLATE("chase_lev_deque: each thief sees the owner's items in the order pushed" *
                       doctest::timeout(200),
                   T, std::uint64_t, boxed_u64) {
    for (std::size_t thieves = 1; thieves <= 3; ++thieves) {
        CAPTURE(thieves);
        const transfer_result r = run_deque_transfer<T>(thieves, scaled(100'000, 4), 10);
        CHECK_FALSE(r.gave_up);
        CHECK(r.received == r.items);
        CHECK(r.backwards == 0);
    }
}

TEST_CASE("chase_lev_deque: the owner pops newest first, thieves steal oldest first") {
    chase_lev_deque<int> deque(2);
    for (int i = 0; i < 100; ++i) deque.push(i);
    int v = -1;
    for (int expected = 0; expected < 10; ++expected) {
        REQUIRE(deque.try_steal(v));
        CHECK(v == expected);
    }
    for (int expected = 99; expected >= 90; --expected) {
        REQUIRE(deque.try_pop(v));
        CHECK(v == expected);
    }
    CHECK(deque.approx_size() == 80);
    // Alternate ends until empty: the two ends meet in the middle.
    std::vector<int> rest;
    while (deque.approx_size() > 0) {
        REQUIRE(deque.try_steal(v));
        rest.push_back(v);
        if (deque.try_pop(v)) rest.push_back(v);
    }
    REQUIRE(rest.size() == 80);
    for (std::size_t i = 0; i < rest.size(); i += 2) {
        CHECK(rest[i] == 10 + static_cast<int>(i / 2));
        CHECK(rest[i + 1] == 89 - static_cast<int>(i / 2));
    }
    CHECK_FALSE(deque.try_pop(v));
    CHECK_FALSE(deque.try_steal(v));
}

TEST_CASE_TEMPLATE("a single thread gets items back in FIFO order", Kind, mutex_kind,
                   mpmc_ring_kind, moodycamel_kind) {
    auto queue = Kind::template make<int>();
    int v = -1;
    CHECK_FALSE(queue->try_pop(v));
    for (int i = 0; i < 50; ++i) REQUIRE(queue->try_push(int{i}));
    for (int i = 0; i < 50; ++i) {
        REQUIRE(queue->try_pop(v));
        CHECK(v == i);
    }
    CHECK_FALSE(queue->try_pop(v));
}

}  // namespace
}  // namespace poolbench::test
