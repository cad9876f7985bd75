// The three synchronisation primitives every pool is built on, each on its
// own: event_count (idle workers' sleep), detail::completion (wait-for-all)
// and detail::group_counter (a fork-join group's join). Each stress passes a
// token back and forth so that sleeps and wake-ups interleave in as many ways
// as the scheduler offers; a lost wake-up shows as a token not taken within
// the deadline (a failure naming it, never a hang), and ThreadSanitizer
// checks that what one side wrote is visible to the other. Also
// detail::per_thread, the per-thread records sequential_pool counts in, and
// detail::idle_spin, an idle worker's polling.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <thread>
#include <vector>

#include <base/sanitizer.hpp>
#include <pools/detail/completion.hpp>
#include <pools/detail/group_counter.hpp>
#include <pools/detail/idle_spin.hpp>
#include <pools/detail/per_thread.hpp>
#include <pools/parking.hpp>

#include "../support/eventually.hpp"

namespace {

// Rounds of each ping-pong: enough to hit the races on 2 cores, short enough
// for the sanitizer builds.
constexpr int k_rounds =
    poolbench::k_thread_sanitizer || poolbench::k_address_sanitizer ? 2'000 : 20'000;

using poolbench::test::eventually;

// ---------------------------------------------------------------------------
// event_count

// A sleeper in the event count's protocol: takes tokens from `stock` until
// `stop`, sleeping when there are none.
void take_tokens(poolbench::event_count& ec, std::atomic<std::int64_t>& stock,
                 std::atomic<std::int64_t>& taken, const std::atomic<bool>& stop) {
    for (;;) {
        std::int64_t s = stock.load();
        while (s > 0) {
            if (stock.compare_exchange_weak(s, s - 1)) {
                taken.fetch_add(1);
                s = stock.load();
            }
        }
        if (stop.load()) return;
        ec.prepare_wait();
        if (stock.load() > 0 || stop.load()) {
            ec.cancel_wait();
        } else {
            ec.commit_wait();
        }
    }
}

TEST_CASE("event_count: a notify with nobody waiting does nothing") {
    poolbench::event_count ec;
    CHECK_FALSE(ec.notify_one());
    CHECK_FALSE(ec.notify_all());
    CHECK(ec.approx_waiters() == 0);
}

TEST_CASE("event_count: a waiter that cancels leaves no waiter behind") {
    poolbench::event_count ec;
    ec.prepare_wait();
    CHECK(ec.approx_waiters() == 1);
    ec.cancel_wait();
    CHECK(ec.approx_waiters() == 0);
    CHECK_FALSE(ec.notify_one());
}

TEST_CASE("event_count: a notify between prepare_wait and commit_wait is not lost") {
    poolbench::event_count ec;
    ec.prepare_wait();
    CHECK(ec.notify_one());
    ec.commit_wait();  // returns at once: it takes the pending signal
    CHECK(ec.approx_waiters() == 0);
}

// The signal accounting the hunt below relies on, in one thread: a waiter
// whose signal arrived before it committed takes it and leaves, a notify
// that finds every waiter signalled sends nothing, and no signal outlives
// the waiters it was counted for.
TEST_CASE("event_count: a signal sent before commit_wait is taken, and the next notify signals") {
    poolbench::event_count ec;
    ec.prepare_wait();
    CHECK(ec.notify_one());
    CHECK_FALSE(ec.notify_one());  // the only waiter already has a signal coming
    ec.commit_wait();
    CHECK(ec.approx_waiters() == 0);
    ec.prepare_wait();
    CHECK(ec.notify_one());  // no signal left over from the first round
    ec.commit_wait();
    ec.prepare_wait();
    CHECK(ec.notify_all());
    CHECK_FALSE(ec.notify_all());
    ec.commit_wait();
    CHECK(ec.approx_waiters() == 0);
    CHECK_FALSE(ec.notify_one());
}

// A waiter that cancels leaves a pending signal to the waiters that sleep:
// its re-check came before the signal, and it may not search again (a pool
// that stops cancels and leaves). Two prepare_wait() calls stand for two
// waiters.
TEST_CASE("event_count: a cancel leaves a signal to the other waiters unless each has one") {
    poolbench::event_count ec;
    ec.prepare_wait();  // the sleeper
    ec.prepare_wait();  // the one that will cancel
    CHECK(ec.notify_all());
    CHECK_FALSE(ec.notify_one());  // both have a signal coming
    ec.cancel_wait();              // takes one: each waiter had one
    CHECK_FALSE(ec.notify_one());  // the sleeper still has its signal
    ec.commit_wait();              // returns at once
    CHECK(ec.approx_waiters() == 0);

    ec.prepare_wait();
    ec.prepare_wait();
    CHECK(ec.notify_one());  // one signal, two waiters
    ec.cancel_wait();        // leaves it to the sleeper
    CHECK_FALSE(ec.notify_one());
    ec.commit_wait();  // returns at once: the signal is still there
    CHECK(ec.approx_waiters() == 0);
    CHECK_FALSE(ec.notify_all());
}

TEST_CASE("event_count: one token at a time, never slept through (lost-wake-up hunt)") {
    for (const int sleepers : {1, 2, 4}) {
        CAPTURE(sleepers);
        poolbench::event_count ec;
        std::atomic<std::int64_t> stock{0}, taken{0};
        std::atomic<bool> stop{false};
        std::vector<std::thread> threads;
        for (int i = 0; i < sleepers; ++i) {
            threads.emplace_back([&] { take_tokens(ec, stock, taken, stop); });
        }
        int lost_at = -1;
        for (int round = 0; round < k_rounds && lost_at < 0; ++round) {
            stock.fetch_add(1);
            ec.notify_one();
            if (!eventually([&] { return taken.load() == round + 1; })) lost_at = round;
        }
        stop.store(true);
        ec.notify_all();
        for (auto& t : threads) t.join();
        CHECK_MESSAGE(lost_at < 0, "token " << lost_at << " was not taken within the deadline");
        CHECK(stock.load() == 0);
        CHECK(ec.approx_waiters() == 0);
    }
}

TEST_CASE("event_count: bursts from several producers are all taken") {
    constexpr int k_producers = 3;
    constexpr int k_sleepers = 3;
    const std::int64_t per_producer = k_rounds;
    poolbench::event_count ec;
    std::atomic<std::int64_t> stock{0}, taken{0};
    std::atomic<bool> stop{false};
    std::vector<std::thread> sleepers, producers;
    for (int i = 0; i < k_sleepers; ++i) {
        sleepers.emplace_back([&] { take_tokens(ec, stock, taken, stop); });
    }
    for (int p = 0; p < k_producers; ++p) {
        producers.emplace_back([&, p] {
            for (std::int64_t i = 0; i < per_producer; ++i) {
                stock.fetch_add(1);
                if ((i + p) % 3 == 0) {
                    ec.notify_all();
                } else {
                    ec.notify_one();
                }
                if (i % 64 == 0) std::this_thread::yield();
            }
        });
    }
    for (auto& t : producers) t.join();
    const bool all_taken = eventually([&] { return taken.load() == k_producers * per_producer; });
    stop.store(true);
    ec.notify_all();
    for (auto& t : sleepers) t.join();
    CHECK_MESSAGE(all_taken, taken.load() << " of " << k_producers * per_producer << " taken");
    CHECK(ec.approx_waiters() == 0);
}

// ---------------------------------------------------------------------------
// detail::completion

TEST_CASE("completion: wait returns at once when nothing is pending") {
    poolbench::detail::completion c;
    CHECK(c.idle());
    c.wait();
    c.add(3);
    CHECK_FALSE(c.idle());
    c.done(3);
    CHECK(c.idle());
    c.wait();
}

TEST_CASE("completion: wait returns only after every job's done, and sees its writes") {
    poolbench::detail::completion c;
    constexpr int k_jobs = 64;
    std::vector<std::int64_t> out(k_jobs, 0);  // plain writes, published by done()
    std::vector<std::thread> jobs;
    c.add(k_jobs);
    for (int i = 0; i < k_jobs; ++i) {
        jobs.emplace_back([&, i] {
            out[static_cast<std::size_t>(i)] = i + 1;
            c.done();
        });
    }
    c.wait();
    std::int64_t sum = 0;
    for (const auto v : out) sum += v;
    CHECK(sum == k_jobs * (k_jobs + 1) / 2);
    for (auto& t : jobs) t.join();
}

TEST_CASE("completion: a waiter racing the last done is never left asleep") {
    poolbench::detail::completion c;
    std::atomic<int> handed{0};
    std::atomic<bool> stop{false};
    std::int64_t written = 0;  // plain: done() publishes it to wait()
    std::thread worker([&] {
        int seen = 0;
        while (!stop.load()) {
            if (handed.load() == seen) {
                std::this_thread::yield();
                continue;
            }
            ++seen;
            written = seen;
            c.done();
        }
    });
    int wrong_at = 0;
    for (int round = 1; round <= k_rounds && wrong_at == 0; ++round) {
        c.add();
        handed.store(round);
        std::atomic<bool> returned{false};
        std::thread waiter([&] {
            c.wait();
            returned.store(true);
        });
        if (!eventually([&] { return returned.load(); })) {
            // The waiter sleeps through done(): it cannot be joined, and
            // waiting for it would be the hang this test exists to catch.
            std::fprintf(stderr, "completion: wait() did not return in round %d\n", round);
            std::abort();
        }
        waiter.join();
        if (written != round) wrong_at = round;
    }
    stop.store(true);
    worker.join();
    CHECK_MESSAGE(wrong_at == 0, "wait() returned before done()'s write in round " << wrong_at);
}

TEST_CASE("completion: the first exception is rethrown once, the others dropped") {
    poolbench::detail::completion c;
    c.add(2);
    c.record(std::make_exception_ptr(std::runtime_error("first")));
    c.done();
    c.record(std::make_exception_ptr(std::runtime_error("second")));
    c.done();
    CHECK_THROWS_WITH_AS(c.wait(), "first", std::runtime_error);
    CHECK_NOTHROW(c.wait());
    c.add();
    c.record(std::make_exception_ptr(std::runtime_error("third")));
    c.done();
    CHECK_NOTHROW(c.drain());  // drain discards
    CHECK_NOTHROW(c.wait());
}

// ---------------------------------------------------------------------------
// detail::group_counter

TEST_CASE("group_counter: done once every child has finished, with their writes visible") {
    for (const bool sleep : {false, true}) {
        CAPTURE(sleep);
        constexpr int k_children = 16;
        poolbench::detail::group_counter g;
        std::vector<std::int64_t> out(k_children, 0);
        std::vector<std::thread> children;
        for (int i = 0; i < k_children; ++i) {
            g.add();
            children.emplace_back([&, i] {
                out[static_cast<std::size_t>(i)] = i + 1;
                g.finish();
            });
        }
        if (sleep) {
            g.sleep_until_zero();
        } else {
            g.help_until_zero([] { return false; });
        }
        CHECK(g.done());
        std::int64_t sum = 0;
        for (const auto v : out) sum += v;
        CHECK(sum == k_children * (k_children + 1) / 2);
        for (auto& t : children) t.join();
    }
}

TEST_CASE("group_counter: the owner may free the group as soon as it sees zero") {
    // finish() must not touch the group after the count reaches zero: the
    // owner frees it at once (AddressSanitizer reports any later access).
    for (int round = 0; round < k_rounds / 4; ++round) {
        auto g = std::make_unique<poolbench::detail::group_counter>();
        g->add();
        std::thread child([group = g.get()] { group->finish(); });
        if (round % 2 == 0) {
            g->sleep_until_zero();
        } else {
            g->help_until_zero([] { return false; });
        }
        g.reset();
        child.join();
    }
}

TEST_CASE("help_until runs the helper until done, and pauses when it finds nothing") {
    int helped = 0;
    poolbench::detail::help_until([&] { return helped == 5; },
                                  [&] {
                                      ++helped;
                                      return true;
                                  });
    CHECK(helped == 5);
    int idle_calls = 0;
    poolbench::detail::help_until([&] { return idle_calls >= 200; },
                                  [&] {
                                      ++idle_calls;
                                      return false;
                                  });
    CHECK(idle_calls == 200);
}

TEST_CASE("idle_spin: polls until its budget is spent, and tells a round held off its CPU") {
    using poolbench::detail::idle_spin;
    idle_spin spent(std::chrono::nanoseconds(0));
    int rounds = 0;
    while (spent.keep_polling() && rounds < 1000) ++rounds;
    CHECK(rounds == 32);  // the pause rounds, then the first look at the clock

    idle_spin spin(std::chrono::seconds(60));
    // Back-to-back rounds are not held off (unless this thread itself was
    // descheduled for k_held_off, so one quick round of many suffices).
    bool quick = false;
    for (int i = 0; i < 1000; ++i) {
        REQUIRE(spin.keep_polling());
        if (i >= 32 && !spin.held_off()) quick = true;
    }
    CHECK(quick);
    std::this_thread::sleep_for(2 * idle_spin::k_held_off);
    REQUIRE(spin.keep_polling());
    CHECK(spin.held_off());
}

}  // namespace

TEST_CASE("per_thread: one record per thread, found again after switching objects") {
    poolbench::detail::per_thread<std::uint64_t> a;
    poolbench::detail::per_thread<std::uint64_t> b;
    const auto records = [](const poolbench::detail::per_thread<std::uint64_t>& p) {
        std::size_t n = 0;
        p.for_each([&n](const std::uint64_t&) { ++n; });
        return n;
    };
    const auto sum = [](const poolbench::detail::per_thread<std::uint64_t>& p) {
        std::uint64_t s = 0;
        p.for_each([&s](const std::uint64_t& v) { s += v; });
        return s;
    };
    for (int i = 0; i < 1000; ++i) {  // alternating: each switch misses the thread's cache
        ++a.local();
        ++b.local();
    }
    std::thread other([&] {
        a.local() += 5;
        b.local() += 7;
    });
    other.join();
    CHECK(records(a) == 2);
    CHECK(records(b) == 2);
    CHECK(sum(a) == 1005);
    CHECK(sum(b) == 1007);
}
