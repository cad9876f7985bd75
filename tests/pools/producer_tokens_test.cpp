// detail::producer_tokens: one token per (thread, queue), found again on every
// call, given back when the thread exits, never used after its owner is gone.
// The sanitizer builds turn any use of a freed token into a failure.
#include <doctest/doctest.h>

#include <concurrentqueue/concurrentqueue.h>

#include <atomic>
#include <cstddef>
#include <memory>
#include <pools/detail/producer_tokens.hpp>
#include <thread>
#include <vector>

namespace {

using queue = moodycamel::ConcurrentQueue<int>;
using tokens = poolbench::detail::producer_tokens<moodycamel::ProducerToken, queue>;

std::size_t drain(queue& q) {
    std::size_t n = 0;
    int v = 0;
    while (q.try_dequeue(v)) ++n;
    return n;
}

TEST_CASE("a thread gets the same token on every call, and it enqueues") {
    queue q;
    tokens t(q);
    moodycamel::ProducerToken& first = t.get();
    for (int i = 0; i < 100; ++i) {
        REQUIRE(&t.get() == &first);
        REQUIRE(q.enqueue(t.get(), i));
    }
    CHECK(t.token_count() == 1);
    CHECK(drain(q) == 100);
}

TEST_CASE("one thread, two queues: a token each, stable while alternating") {
    queue qa;
    queue qb;
    tokens ta(qa);
    tokens tb(qb);
    moodycamel::ProducerToken* a = &ta.get();
    moodycamel::ProducerToken* b = &tb.get();
    CHECK(a != b);
    for (int i = 0; i < 50; ++i) {
        REQUIRE(&ta.get() == a);
        REQUIRE(&tb.get() == b);
        REQUIRE(qa.enqueue(ta.get(), i));
        REQUIRE(qb.enqueue(tb.get(), i));
    }
    CHECK(drain(qa) == 50);
    CHECK(drain(qb) == 50);
}

TEST_CASE("threads that exit give their tokens back") {
    queue q;
    tokens t(q);
    constexpr int k_threads = 64;
    for (int round = 0; round < 3; ++round) {
        std::vector<std::thread> threads;
        for (int i = 0; i < k_threads; ++i) {
            threads.emplace_back([&] { REQUIRE(q.enqueue(t.get(), 1)); });
        }
        for (auto& th : threads) th.join();
        CHECK(t.token_count() == 0);
    }
    CHECK(drain(q) == 3 * k_threads);
}

TEST_CASE("a thread that outlives the queue never touches its token again") {
    std::atomic<int> step{0};
    auto q = std::make_unique<queue>();
    auto t = std::make_unique<tokens>(*q);
    std::thread user([&] {
        REQUIRE(q->enqueue(t->get(), 7));
        step.store(1);
        while (step.load() != 2) std::this_thread::yield();
        // The owner is gone; a new one (perhaps at the same address) must
        // give this thread a new token, and exiting must not touch the old.
        queue q2;
        tokens t2(q2);
        REQUIRE(q2.enqueue(t2.get(), 8));
        CHECK(drain(q2) == 1);
    });
    while (step.load() != 1) std::this_thread::yield();
    CHECK(drain(*q) == 1);
    t.reset();
    q.reset();
    step.store(2);
    user.join();
}

TEST_CASE("a thread that feeds many short-lived queues keeps a short list") {
    for (int i = 0; i < 1000; ++i) {
        queue q;
        tokens t(q);
        REQUIRE(q.enqueue(t.get(), i));
        REQUIRE(drain(q) == 1);
    }
    // Entries of owners that are gone are dropped when a new one is added.
    CHECK(poolbench::detail::tl_thread_tokens.entries.size() <= 2);
}

TEST_CASE("many threads enqueue through their tokens at once: every item arrives") {
    queue q;
    tokens t(q);
    constexpr int k_threads = 8;
    constexpr int k_items = 20000;
    std::vector<std::thread> threads;
    for (int i = 0; i < k_threads; ++i) {
        threads.emplace_back([&, i] {
            for (int k = 0; k < k_items; ++k) REQUIRE(q.enqueue(t.get(), i * k_items + k));
        });
    }
    std::vector<char> seen(static_cast<std::size_t>(k_threads) * k_items, 0);
    std::size_t got = 0;
    int v = 0;
    while (got < seen.size()) {
        if (q.try_dequeue(v)) {
            REQUIRE(seen[static_cast<std::size_t>(v)] == 0);
            seen[static_cast<std::size_t>(v)] = 1;
            ++got;
        }
    }
    for (auto& th : threads) th.join();
    CHECK(got == seen.size());
    CHECK(t.token_count() == 0);
}

}  // namespace
