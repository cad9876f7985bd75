// Exactly-once delivery under concurrency: every item pushed is popped exactly
// once, for P producers x C consumers with P, C in {1, 2, 4}, checked by a
// per-item flag array and a checksum; and for chase_lev_deque with one owner
// pushing and popping while 1..3 thieves steal, from capacity 2 up.
#include <doctest/doctest.h>

#include <cstdint>

#include "queue_test_support.hpp"
#include "transfer_check.hpp"

namespace poolbench::test {
namespace {

constexpr std::size_t k_thread_counts[] = {1, 2, 4};

// Per queue, 9 runs share these items: 2 * 10^6 in a plain build, 10^6
// under a sanitizer.
std::uint64_t items_per_run() {
    return scaled(2'000'000, 2) / 9 + 1;
}

void check_exactly_once(const transfer_result& r) {
    CHECK_FALSE(r.gave_up);
    CHECK(r.missing == 0);
    CHECK(r.duplicated == 0);
    CHECK(r.corrupt == 0);
    CHECK(r.received == r.items);
    CHECK(r.checksum_ok);
}

TEST_CASE_TEMPLATE("every item pushed is popped exactly once (P producers x C consumers)" *
                       doctest::timeout(200),
                   Kind, mutex_kind, mpmc_ring_kind, moodycamel_kind, moodycamel_tokens_kind) {
    if (skip_threaded_test_under_tsan<Kind>()) return;
    const std::uint64_t items = items_per_run();
    for (const std::size_t producers : k_thread_counts) {
        for (const std::size_t consumers : k_thread_counts) {
            CAPTURE(producers);
            CAPTURE(consumers);
            CAPTURE(items);
            check_exactly_once(run_transfer<Kind>(producers, consumers, items));
        }
    }
}

// Per payload type, 3 runs share 2 * 10^6 items (10^6 under a sanitizer).
TEST_CASE_TEMPLATE("chase_lev_deque: every item is taken exactly once by the owner or a thief" *
                       doctest::timeout(200),
                   T, std::uint64_t, boxed_u64) {
    const std::uint64_t items = scaled(2'000'000, 2) / 3 + 1;
    for (std::size_t thieves = 1; thieves <= 3; ++thieves) {
        CAPTURE(thieves);
        CAPTURE(items);
        check_exactly_once(run_deque_transfer<T>(thieves, items, 50));
    }
}

}  // namespace
}  // namespace poolbench::test
