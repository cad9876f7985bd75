// When a work_stealing worker reads the clock for its heartbeat
// (detail::ws_heartbeat, work_stealing/latent.hpp): the fork countdown is
// aimed, at the pace of the forks before each read, just past the next
// beat. Checked with made-up times, as a worker's forks would drive it: the
// beats come once a period and at most k_past_beat + k_least_aim (and a
// fork) late, the clock is read at most twice a beat while the pace holds,
// the aim follows a pace that changes, and a job taken from elsewhere
// learns its own pace.
#include <doctest/doctest.h>

#include <chrono>
#include <cstdint>
#include <vector>

#include <pools/work_stealing/latent.hpp>

namespace {

using namespace std::chrono_literals;
using heartbeat = poolbench::detail::ws_heartbeat;
using time_point = std::chrono::steady_clock::time_point;
using std::chrono::nanoseconds;

constexpr nanoseconds k_beat = heartbeat::k_heartbeat;
constexpr nanoseconds k_late = heartbeat::k_past_beat + heartbeat::k_least_aim;

// A worker's forks on a made-up clock, each taking `each`: the countdown
// counted down as a fork does, and at 0 the clock read and the countdown
// set to the interval (as work_stealing_pool::beat_or_request() does).
struct forker {
    heartbeat beat;
    time_point now{std::chrono::seconds(1)};
    std::vector<time_point> beats;
    std::uint64_t reads = 0;

    void forks(std::uint64_t n, nanoseconds each) {
        for (std::uint64_t i = 0; i < n; ++i) {
            now += each;
            if (--beat.countdown != 0) continue;
            ++reads;
            if (beat.due(now)) beats.push_back(now);
            beat.set_countdown(beat.interval());
        }
    }
    // Forks for `span` of made-up time.
    void run_for(nanoseconds span, nanoseconds each) {
        forks(static_cast<std::uint64_t>(span / each), each);
    }
};

}  // namespace

TEST_CASE("paced_interval: the forks that fit in the aim at the last pace, bounded") {
    // 1,000 forks in 10 us: 2,000 in 20 us.
    CHECK(heartbeat::paced_interval(1000, 10us, 20us) == 2000);
    // Slower forks: fewer.
    CHECK(heartbeat::paced_interval(1000, 100us, 1us) == 10);
    // Never below 1, even when no fork fits.
    CHECK(heartbeat::paced_interval(1000, 1000us, 1ns) == 1);
    CHECK(heartbeat::paced_interval(0, 10us, 10us) == 1);
    // Grows at most k_most_growth times from one read to the next.
    CHECK(heartbeat::paced_interval(100, 1us, 30us) == 100 * heartbeat::k_most_growth);
    // Never above k_max_interval, however fast the forks.
    CHECK(heartbeat::paced_interval(10'000, 1us, 30us) == heartbeat::k_max_interval);
    CHECK(heartbeat::paced_interval(std::uint64_t{1} << 40, 1us, 30us) ==
          heartbeat::k_max_interval);
    // A read at the same instant as the last: the most it may grow.
    CHECK(heartbeat::paced_interval(4, 0ns, 30us) == 4 * heartbeat::k_most_growth);
}

TEST_CASE("at a steady pace a beat comes once a period, late by at most the aim's slack") {
    for (const nanoseconds each : {3ns, 40ns, 700ns, 5000ns}) {
        CAPTURE(each.count());
        forker f;
        f.run_for(200 * k_beat, each);
        REQUIRE(f.beats.size() >= 2);
        // The first read is a beat (none came before), then the pace is
        // learnt; from the tenth beat on, every gap is within bounds.
        for (std::size_t i = 10; i < f.beats.size(); ++i) {
            const nanoseconds gap = f.beats[i] - f.beats[i - 1];
            CHECK(gap >= k_beat);
            CHECK(gap <= k_beat + k_late + each);
        }
        // About one beat a period over the run.
        CHECK(f.beats.size() * (k_beat + k_late + each) >= 200 * k_beat);
        // Forks far shorter than a beat read the clock at most twice a
        // beat; forks longer than the least aim read it at every fork.
        if (each * 16 < heartbeat::k_least_aim) {
            CHECK(f.reads <= 2 * f.beats.size() + 10);
        }
    }
}

TEST_CASE("the aim follows the pace: forks that slow down or speed up keep the beat") {
    forker f;
    f.run_for(50 * k_beat, 5ns);
    // Four times slower: the first beat after the change may be late by the
    // interval that was aimed at the faster pace, the ones after are not.
    const std::size_t before = f.beats.size();
    f.run_for(50 * k_beat, 20ns);
    REQUIRE(f.beats.size() > before + 10);
    for (std::size_t i = before + 2; i < f.beats.size(); ++i) {
        CHECK(f.beats[i] - f.beats[i - 1] <= k_beat + k_late + 20ns);
    }
    // Ten times faster: the interval grows k_most_growth times a read at
    // most, and the beats stay within bounds once it has.
    const std::size_t slow = f.beats.size();
    f.run_for(50 * k_beat, 2ns);
    REQUIRE(f.beats.size() > slow + 10);
    for (std::size_t i = slow + 2; i < f.beats.size(); ++i) {
        CHECK(f.beats[i] - f.beats[i - 1] >= k_beat);
        CHECK(f.beats[i] - f.beats[i - 1] <= k_beat + k_late + 2ns);
    }
}

TEST_CASE("a job taken from elsewhere beats at its first fork and learns its own pace") {
    forker f;
    f.run_for(20 * k_beat, 2ns);  // fine forks: an interval of thousands
    REQUIRE(f.beat.interval() > 1000);
    // Idle for a millisecond, then a job whose ticks come 10 us apart (a
    // loop's blocks between promotion points): its first fork reads the
    // clock and beats, and from then on a beat comes once a period, not
    // after the thousands of ticks the last job's pace would allow.
    f.now += 1ms;
    f.beat.start_job();
    REQUIRE(f.beat.countdown == 1);
    const std::size_t before = f.beats.size();
    f.forks(1, 10us);
    CHECK(f.beats.size() == before + 1);
    CHECK(f.beat.interval() == 1);
    f.run_for(40 * k_beat, 10us);
    REQUIRE(f.beats.size() > before + 20);
    for (std::size_t i = before + 1; i < f.beats.size(); ++i) {
        CHECK(f.beats[i] - f.beats[i - 1] <= k_beat + k_late + 10us);
    }
    // And back to fine forks in a new job: the interval grows back,
    // k_most_growth times a read, and the clock is read at most twice a
    // beat once it has.
    f.beat.start_job();
    f.run_for(4 * k_beat, 2ns);
    const std::uint64_t reads = f.reads;
    const std::size_t beats = f.beats.size();
    f.run_for(100 * k_beat, 2ns);
    CHECK(f.reads - reads <= 2 * (f.beats.size() - beats));
}

TEST_CASE("take_forks counts every fork once, whatever the reads between") {
    forker f;
    f.forks(12'345, 7ns);
    CHECK(f.beat.take_forks() == 12'345);
    f.forks(1, 7ns);
    f.forks(999, 7ns);
    CHECK(f.beat.take_forks() == 1000);
    CHECK(f.beat.take_forks() == 0);
}
