// When a work_stealing worker takes a fair turn (detail::ws_fair_pace,
// work_stealing/worker.hpp): every 61 turns while turns are short, every
// ~30 us of turns while they are long. The pace is checked on its own with
// made-up times, then in a pool: outside jobs queued behind a job that
// resubmits itself, each run of it at least 20 us long, all run within a
// bounded number of its runs (counted in runs, not time: 610 at one fair
// turn in 61, about 130 paced).
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>

#include <pools/work_stealing_pool.hpp>

namespace {

using namespace std::chrono_literals;
using pace_type = poolbench::detail::ws_fair_pace;
using time_point = std::chrono::steady_clock::time_point;

constexpr std::uint32_t k_longest = pace_type::k_longest;

// Runs turns of `each` on `pace` from `now` until the next fair turn, reading
// the clock there if the pace wants it; returns the time after them.
time_point to_fair_turn(pace_type& pace, time_point now, std::chrono::nanoseconds each) {
    for (;;) {
        now += each;
        if (pace.turn()) break;
    }
    if (pace.wants_clock()) pace.pace(now);
    return now;
}

// A job that resubmits itself until told to stop; its first run waits until
// the outside jobs are all queued, the others spin k_spin.
constexpr auto k_spin = 20us;
struct background {
    poolbench::work_stealing_pool* pool;
    std::atomic<int>* runs;
    std::atomic<bool>* queued;
    std::atomic<bool>* stop;
    void operator()() const {
        // The first run waits until every outside job is queued, so that
        // all of them wait behind this job from its second run on.
        if (runs->fetch_add(1) == 0) {
            while (!queued->load()) std::this_thread::yield();
        } else {
            const auto end = std::chrono::steady_clock::now() + k_spin;
            while (std::chrono::steady_clock::now() < end) {
            }
        }
        if (!stop->load()) pool->submit(*this);
    }
};

// A pace brought down to a fair turn at every turn (turns of 1 ms); returns
// the time after them.
time_point paced_to_every_turn(pace_type& pace) {
    time_point now{1s};
    now = to_fair_turn(pace, now, 1ms);  // the first read: nothing to compare yet
    now = to_fair_turn(pace, now, 1ms);
    return now;
}

}  // namespace

TEST_CASE("fair pace: short turns keep the longest interval, reading the clock every other time") {
    pace_type pace;
    time_point now{1s};
    int reads = 0;
    for (int fair = 0; fair < 20; ++fair) {
        for (std::uint32_t t = 1; t < k_longest; ++t) CHECK_FALSE(pace.turn());
        CHECK(pace.turn());
        now += 100ns * k_longest;
        if (pace.wants_clock()) {
            ++reads;
            pace.pace(now);
        }
        CHECK(pace.interval() == k_longest);
    }
    // The first read, the one right after it, then every other one.
    CHECK(reads == 11);
}

TEST_CASE("fair pace: long turns shrink the interval to what fits in the period") {
    pace_type pace;
    time_point now{1s};
    now = to_fair_turn(pace, now, 10us);  // the first read: nothing to compare yet
    CHECK(pace.interval() == k_longest);
    now = to_fair_turn(pace, now, 10us);  // 61 turns of 10 us: 3 fit in 30 us
    CHECK(pace.interval() == 3);
    now = to_fair_turn(pace, now, 10us);  // 30 us: as it should be
    CHECK(pace.interval() == 3);
    now = to_fair_turn(pace, now, 1ms);  // turns longer than the period: every turn
    CHECK(pace.interval() == 1);
    now = to_fair_turn(pace, now, 1ms);
    CHECK(pace.interval() == 1);
}

TEST_CASE("fair pace: turns that get short double the interval back to the longest") {
    pace_type pace;
    time_point now = paced_to_every_turn(pace);
    REQUIRE(pace.interval() == 1);
    std::uint32_t expected = 1;
    while (expected < k_longest) {
        now = to_fair_turn(pace, now, 100ns);  // well under half the period
        expected = std::min(k_longest, 2 * expected);
        CHECK(pace.interval() == expected);
    }
}

TEST_CASE("fair pace: a restart forgets the pace and the time") {
    pace_type pace;
    time_point now = paced_to_every_turn(pace);
    REQUIRE(pace.interval() == 1);
    pace.restart();
    CHECK(pace.interval() == k_longest);
    // However long the time since, the first read after a restart only
    // notes the time (an idle worker's sleep is not a long turn).
    now += 10s;
    now = to_fair_turn(pace, now, 100ns);
    CHECK(pace.interval() == k_longest);
    now = to_fair_turn(pace, now, 100ns);
    CHECK(pace.interval() == k_longest);
}

TEST_CASE("outside jobs queued behind a job that resubmits itself run within 200 of its runs") {
    constexpr int k_outside = 640;  // ten fair shares of 64
    poolbench::work_stealing_pool pool(1);
    std::atomic<int> background_runs{0};
    std::atomic<bool> queued{false};
    std::atomic<bool> stop{false};
    std::atomic<int> outside_done{0};

    pool.submit(background{&pool, &background_runs, &queued, &stop});
    while (background_runs.load() == 0) std::this_thread::yield();
    // The background's run count when the last outside job ran.
    std::atomic<int> runs_at_last{0};
    for (int i = 0; i < k_outside; ++i) {
        pool.submit([&] {
            if (outside_done.fetch_add(1) == k_outside - 1)
                runs_at_last.store(background_runs.load());
        });
    }
    queued.store(true);
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while (outside_done.load() < k_outside && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::yield();
    }
    stop.store(true);
    pool.wait();
    REQUIRE(outside_done.load() == k_outside);
    // One fair turn in 61 would take 10 x 61 = 610 runs. Paced: the first two
    // fair turns after about 61 and 122 runs (the first reads the clock, the
    // second finds turns of 20 us), then one at every run: about 130.
    CHECK(runs_at_last.load() < 200);
}
