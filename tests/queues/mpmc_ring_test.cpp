// mpmc_ring specifics: capacity rounding and validation, full and empty at
// the boundaries, a failed push leaving its argument untouched, and the
// wrap-around of cells (capacity 2) and of the 64-bit position counters.
#include <doctest/doctest.h>

#include <cstdint>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

#include "queue_test_support.hpp"
#include "transfer_check.hpp"

namespace poolbench::test {
namespace {

constexpr std::uint64_t k_max = std::numeric_limits<std::uint64_t>::max();

TEST_CASE("mpmc_ring: capacity is rounded up to a power of two, at least 2") {
    CHECK(mpmc_ring<int>(1).capacity() == 2);
    CHECK(mpmc_ring<int>(2).capacity() == 2);
    CHECK(mpmc_ring<int>(3).capacity() == 4);
    CHECK(mpmc_ring<int>(64).capacity() == 64);
    CHECK(mpmc_ring<int>(65).capacity() == 128);
}

TEST_CASE("mpmc_ring: capacity 0 is rejected with a message naming it") {
    CHECK_THROWS_AS(mpmc_ring<int>(0), std::invalid_argument);
    try {
        mpmc_ring<int> ring(0);
        FAIL("no exception");
    } catch (const std::invalid_argument& e) {
        CHECK(std::string(e.what()).find("got 0") != std::string::npos);
    }
    CHECK_THROWS_AS(mpmc_ring<int>(std::numeric_limits<std::size_t>::max()), std::invalid_argument);
}

// Fills and drains the ring `laps` times, checking the exact boundaries.
void fill_and_drain(mpmc_ring<std::uint64_t>& ring, int laps) {
    std::uint64_t next_in = 0;
    std::uint64_t next_out = 0;
    std::uint64_t v = 0;
    for (int lap = 0; lap < laps; ++lap) {
        for (std::size_t i = 0; i < ring.capacity(); ++i) REQUIRE(ring.try_push(next_in++));
        CHECK(ring.approx_size() == ring.capacity());
        std::uint64_t extra = 12345;
        CHECK_FALSE(ring.try_push(std::move(extra)));
        for (std::size_t i = 0; i < ring.capacity(); ++i) {
            REQUIRE(ring.try_pop(v));
            CHECK(v == next_out++);
        }
        CHECK(ring.approx_size() == 0);
        CHECK_FALSE(ring.try_pop(v));
        // Half-full steps, so the two counters cross the wrap at different laps.
        REQUIRE(ring.try_push(next_in++));
        REQUIRE(ring.try_pop(v));
        CHECK(v == next_out++);
    }
}

TEST_CASE("mpmc_ring: capacity 2 wraps around its cells many times") {
    mpmc_ring<std::uint64_t> ring(2);
    fill_and_drain(ring, 1000);
}

TEST_CASE("mpmc_ring: 64-bit position counters wrap around at 2^64") {
    for (const std::uint64_t back : {1, 2, 3, 5, 64, 100}) {
        CAPTURE(back);
        mpmc_ring<std::uint64_t> small(2, mpmc_ring<std::uint64_t>::start_position{k_max - back});
        fill_and_drain(small, 200);
        mpmc_ring<std::uint64_t> larger(64, mpmc_ring<std::uint64_t>::start_position{k_max - back});
        fill_and_drain(larger, 10);
    }
}

// mpmc_ring_kind at capacity 2, with the position counters starting at start.
struct near_wrap_kind : mpmc_ring_kind {
    static inline std::uint64_t start = 0;
    template <class T>
    static std::unique_ptr<mpmc_ring<T>> make() {
        return std::make_unique<mpmc_ring<T>>(2, typename mpmc_ring<T>::start_position{start});
    }
};

TEST_CASE("mpmc_ring: threads pass items across the 2^64 wrap at capacity 2" *
          doctest::timeout(200)) {
    const std::uint64_t items = scaled(100'000, 4);
    for (const std::size_t threads : {1, 2}) {
        CAPTURE(threads);
        // The counters cross 2^64 about a third of the way into the run.
        near_wrap_kind::start = k_max - items / 3;
        const transfer_result r = run_transfer<near_wrap_kind>(threads, threads, items);
        CHECK_FALSE(r.gave_up);
        CHECK(r.missing == 0);
        CHECK(r.duplicated == 0);
        CHECK(r.checksum_ok);
        CHECK(r.backwards == 0);
        if (threads == 1) CHECK(r.gaps == 0);
    }
}

TEST_CASE("mpmc_ring: a push into a full ring fails and leaves its argument untouched") {
    mpmc_ring<std::unique_ptr<int>> ring(2);
    REQUIRE(ring.try_push(std::make_unique<int>(1)));
    REQUIRE(ring.try_push(std::make_unique<int>(2)));
    auto third = std::make_unique<int>(3);
    CHECK_FALSE(ring.try_push(std::move(third)));
    REQUIRE(third != nullptr);
    CHECK(*third == 3);
    std::unique_ptr<int> out;
    REQUIRE(ring.try_pop(out));
    CHECK(*out == 1);
    CHECK(ring.try_push(std::move(third)));
    CHECK(third == nullptr);
}

}  // namespace
}  // namespace poolbench::test
