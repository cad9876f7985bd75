// The loops' contract (pools/parallel_for.hpp, pools/parallel_reduce.hpp),
// one property per test case, run over every pool in poolbench::all_pools:
// automatic and fixed chunking, index and chunk bodies, mixed index types,
// empty, reversed and extreme ranges, the deterministic reduction (also
// where its head start stops inside a leaf, with a chunk map, and the
// leaves it is laid out in), stopping
// early on an exception, the head start handing a long loop over,
// nesting inside a job, and parallel_for_each.
// Part of the conformance program (tests of the contract only).
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <chrono>
#include <climits>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <limits>
#include <mutex>
#include <numeric>
#include <poolbench.hpp>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "../support/pool_names.hpp"

namespace {

constexpr std::size_t k_workers = 4;

template <class P>
constexpr bool k_thread_per_job =
    poolbench::execution_model_of<P> == poolbench::execution_model::thread_per_job;

// Counts how often each index of [0, n) was visited.
class visits {
public:
    explicit visits(std::size_t n) : m_counts(n) {}
    void mark(std::size_t i) { m_counts.at(i).fetch_add(1, std::memory_order_relaxed); }
    std::size_t not_once() const {
        std::size_t bad = 0;
        for (const auto& c : m_counts) bad += c.load() != 1;
        return bad;
    }

private:
    std::vector<std::atomic<std::uint32_t>> m_counts;
};

struct body_failed : std::runtime_error {
    using std::runtime_error::runtime_error;
};

}  // namespace

TEST_SUITE("conformance" * doctest::timeout(120)) {
    TEST_CASE_TEMPLATE_DEFINE("parallel_for with no grain visits every index exactly once", P,
                              loop_auto) {
        for (const std::size_t workers : {std::size_t{1}, k_workers}) {
            P pool(workers);
            // Around the head start's bound (32 indices a worker) and past it.
            for (const std::size_t n : {1, 2, 3, 17, 31, 32, 127, 128, 1000, 100'003}) {
                CAPTURE(workers);
                CAPTURE(n);
                visits v(n);
                poolbench::parallel_for(pool, std::size_t{0}, n,
                                        [&v](std::size_t i) { v.mark(i); });
                CHECK(v.not_once() == 0);
            }
        }
    }

    TEST_CASE_TEMPLATE_DEFINE("parallel_for takes first and last of different integral types", P,
                              loop_mixed_types) {
        P pool(k_workers);
        const std::size_t n = 10'000;
        visits a(n);
        poolbench::parallel_for(pool, 0, n, [&a](std::size_t i) { a.mark(i); });
        CHECK(a.not_once() == 0);
        visits b(n);
        poolbench::parallel_for(pool, std::int16_t{0}, static_cast<int>(n),
                                [&b](int i) { b.mark(static_cast<std::size_t>(i)); });
        CHECK(b.not_once() == 0);
        visits c(n);
        poolbench::parallel_for(
            pool, 0u, std::uint64_t{n}, [&c](std::uint64_t i) { c.mark(i); }, 64);
        CHECK(c.not_once() == 0);
    }

    TEST_CASE_TEMPLATE_DEFINE("a chunk body gets disjoint chunks that cover the range", P,
                              loop_chunks) {
        P pool(k_workers);
        const int first = -5'000;
        const int last = 5'001;
        const auto n = static_cast<std::size_t>(last - first);
        for (const std::size_t grain : {std::size_t{0}, std::size_t{1}, std::size_t{97}}) {
            CAPTURE(grain);
            visits v(n);
            std::atomic<std::size_t> too_long{0};
            const auto body = [&](int lo, int hi) {
                if (grain != 0 && static_cast<std::size_t>(hi - lo) > grain) too_long.fetch_add(1);
                for (int i = lo; i < hi; ++i) v.mark(static_cast<std::size_t>(i - first));
            };
            if (grain == 0) {
                poolbench::parallel_for(pool, first, last, body);
            } else if (!k_thread_per_job<P> || grain > 1) {
                poolbench::parallel_for(pool, first, last, body, grain);
            } else {
                continue;  // 10^4 threads
            }
            CHECK(v.not_once() == 0);
            CHECK(too_long.load() == 0);
        }
    }

    TEST_CASE_TEMPLATE_DEFINE("an empty or reversed range runs nothing", P, loop_empty) {
        P pool(k_workers);
        std::atomic<int> calls{0};
        const auto index = [&calls](int) { calls.fetch_add(1); };
        const auto chunk = [&calls](int, int) { calls.fetch_add(1); };
        poolbench::parallel_for(pool, 5, 5, index);
        poolbench::parallel_for(pool, 10, 3, index);
        poolbench::parallel_for(pool, -1, -5, chunk);
        poolbench::parallel_for(pool, 10, 3, chunk, 1);
        poolbench::parallel_for(pool, INT_MAX, INT_MIN, chunk);
        CHECK(poolbench::parallel_reduce(
                  pool, 7, 7, 42, [](int i) { return i; }, [](int a, int b) { return a + b; }) ==
              42);
        std::vector<int> none;
        poolbench::parallel_for_each(pool, none.begin(), none.end(), [&calls](int) { ++calls; });
        CHECK(calls.load() == 0);
    }

    TEST_CASE_TEMPLATE_DEFINE("a grain of 0 is an invalid_argument", P, loop_grain_zero) {
        P pool(k_workers);
        CHECK_THROWS_AS(poolbench::parallel_for(
                            pool, 0, 10, [](int) {}, 0),
                        std::invalid_argument);
    }

    TEST_CASE_TEMPLATE_DEFINE("ranges as wide as their type do not overflow", P, loop_extremes) {
        P pool(k_workers);
        // Chunks that only count: 2^32 - 1 ints, 2^64 - 1 int64s and uint64s.
        std::atomic<std::uint64_t> ints{0};
        std::atomic<int> empty_chunks{0};
        poolbench::parallel_for(pool, INT_MIN, INT_MAX, [&](int lo, int hi) {
            if (!(lo < hi)) empty_chunks.fetch_add(1);
            ints.fetch_add(static_cast<std::uint64_t>(static_cast<std::int64_t>(hi) - lo));
        });
        CHECK(ints.load() == 0xFFFF'FFFFull);
        CHECK(empty_chunks.load() == 0);
        std::atomic<std::uint64_t> longs{0};
        poolbench::parallel_for(
            pool, INT64_MIN, INT64_MAX, [&longs](std::int64_t lo, std::int64_t hi) {
                longs.fetch_add(static_cast<std::uint64_t>(hi) - static_cast<std::uint64_t>(lo));
            });
        CHECK(longs.load() == UINT64_MAX);
        std::atomic<std::uint64_t> unsigned_longs{0};
        poolbench::parallel_for(
            pool, std::uint64_t{0}, UINT64_MAX,
            [&unsigned_longs](std::uint64_t lo, std::uint64_t hi) {
                unsigned_longs.fetch_add(hi - lo);
            },
            UINT64_MAX / 8);
        CHECK(unsigned_longs.load() == UINT64_MAX);
        // The last indices of a signed range, one by one.
        std::atomic<std::int64_t> sum{0};
        poolbench::parallel_for(pool, INT64_MAX - 100, INT64_MAX,
                                [&sum](std::int64_t i) { sum.fetch_add(INT64_MAX - i); });
        CHECK(sum.load() == 5050);
    }

    TEST_CASE_TEMPLATE_DEFINE("parallel_reduce equals the serial fold, in index order", P,
                              reduce_serial) {
        P pool(k_workers);
        const int n = 100'003;
        const auto map = [](int i) { return static_cast<std::int64_t>(i) * i % 1'000'003 - 77; };
        std::int64_t serial = 5;
        for (int i = 0; i < n; ++i) serial += map(i);
        CHECK(poolbench::parallel_reduce(
                  pool, 0, static_cast<std::size_t>(n), std::int64_t{5},
                  [&map](std::size_t i) { return map(static_cast<int>(i)); },
                  std::plus<>{}) == serial);
        // Associative but not commutative: the order of the indices is kept.
        std::string digits = "x";
        for (int i = 0; i < 1000; ++i) digits += static_cast<char>('0' + i % 10);
        CHECK(poolbench::parallel_reduce(
                  pool, 0, 1000, std::string("x"),
                  [](int i) { return std::string(1, static_cast<char>('0' + i % 10)); },
                  [](std::string a, const std::string& b) { return a += b; }) == digits);
    }

    TEST_CASE_TEMPLATE_DEFINE("a long reduction's leaves hold 2^16 indices at most", P,
                              reduce_long) {
        // Over 10^8 + 7 indices a leaf of 16 per worker would take
        // milliseconds; the leaves are capped (parallel_reduce.hpp: at
        // 2^16 indices, where that makes no more than 1024 a worker), and
        // the chunks are the same every run. The chunk map sums its
        // indices in closed form, so the range costs nothing to cover.
        P pool(k_workers);
        const std::uint64_t n = 100'000'007;
        std::mutex m;
        std::vector<std::pair<std::uint64_t, std::uint64_t>> chunks;
        const auto map = [&](std::uint64_t lo, std::uint64_t hi) {
            {
                const std::lock_guard lock(m);
                chunks.emplace_back(lo, hi);
            }
            return (lo + hi - 1) * (hi - lo) / 2;
        };
        std::vector<std::pair<std::uint64_t, std::uint64_t>> first;
        for (int run = 0; run < 3; ++run) {
            CHECK(poolbench::parallel_reduce(pool, std::uint64_t{0}, n, std::uint64_t{0}, map,
                                             std::plus<>{}) == n * (n - 1) / 2);
            std::sort(chunks.begin(), chunks.end());
            if (run == 0) first = chunks;
            CHECK(chunks == first);
            chunks.clear();
        }
        REQUIRE(!first.empty());
        CHECK(first.front().first == 0);
        CHECK(first.back().second == n);
        std::uint64_t longest = 0;
        for (std::size_t i = 0; i < first.size(); ++i) {
            longest = std::max(longest, first[i].second - first[i].first);
            if (i > 0) CHECK(first[i].first == first[i - 1].second);
        }
        // 2^16 indices at most where 1024 leaves a worker suffice; here
        // only at one worker (the inline pools) do they not.
        const std::uint64_t w = pool.worker_count();
        const std::uint64_t most = std::max<std::uint64_t>(
            16 * w, std::min<std::uint64_t>(n / 65'536 + (n % 65'536 != 0), 1'024 * w));
        CHECK(longest <= n / most + (n % most != 0));
        if (w >= 2) CHECK(longest <= 65'536);
    }

    TEST_CASE_TEMPLATE_DEFINE("a float parallel_reduce is bit-identical over 100 runs", P,
                              reduce_deterministic) {
        // With an index map, and with a chunk map whose loop keeps a local
        // float sum of the same values.
        P pool(k_workers);
        const std::size_t n = 100'000;
        const auto value = [](std::size_t i) {
            return 1.0f / static_cast<float>(i + 1) * (i % 3 == 0 ? -1.0f : 1.0f);
        };
        const auto chunk = [&value](std::size_t lo, std::size_t hi) {
            float s = 0;
            for (auto i = lo; i < hi; ++i) s += value(i);
            return s;
        };
        const auto differing = [&](const auto& map) {
            const auto run = [&] {
                return std::bit_cast<std::uint32_t>(
                    poolbench::parallel_reduce(pool, std::size_t{0}, n, 0.0f, map, std::plus<>{}));
            };
            const auto first = run();
            int count = 0;
            for (int k = 0; k < 100; ++k) count += run() != first;
            return count;
        };
        CHECK(differing(value) == 0);
        CHECK(differing(chunk) == 0);
    }

    TEST_CASE_TEMPLATE_DEFINE("a reduce whose head start stops inside a leaf keeps the order", P,
                              reduce_head_start) {
        // The caller folds the first indices alone (parallel_reduce.hpp's
        // head start) for about a microsecond: index 0 takes 5 us, so it
        // stops after it, inside the first of the leaves (3 indices each
        // here, too few for a prefix of smaller ones), whose fold another
        // chunk then continues. Concatenation is associative, not
        // commutative: any index out of place shows.
        P pool(k_workers);
        const std::size_t n = 16 * k_workers * 3;
        std::string serial;
        for (std::size_t i = 0; i < n; ++i) serial += static_cast<char>('0' + i % 10);
        const auto map = [](std::size_t i) {
            if (i == 0) {
                const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(5);
                while (std::chrono::steady_clock::now() < until) {
                }
            }
            return std::string(1, static_cast<char>('0' + i % 10));
        };
        const auto concat = [](std::string a, const std::string& b) { return a += b; };
        for (int run = 0; run < 20; ++run) {
            CHECK(poolbench::parallel_reduce(pool, std::size_t{0}, n, std::string(), map, concat) ==
                  serial);
        }
    }

    TEST_CASE_TEMPLATE_DEFINE("a chunk map covers the range in order, the same chunks every run", P,
                              reduce_chunks) {
        // map(lo, hi) returns the chunk's digits, so the result shows any
        // index missing, twice or out of place; the chunks it was called
        // with are recorded, and must be the same in every run (one per
        // leaf of the fixed split tree), however the head start and the
        // workers' timing went, and laid out as parallel_reduce.hpp says.
        // Index 0's chunk takes 5 us, so the head start stops after it.
        P pool(k_workers);
        const std::size_t n = 16 * k_workers * 70 + 7;
        std::string serial = "x";
        for (std::size_t i = 0; i < n; ++i) serial += static_cast<char>('0' + i % 10);
        std::mutex m;
        std::vector<std::pair<std::size_t, std::size_t>> chunks;
        const auto map = [&](std::size_t lo, std::size_t hi) {
            if (lo == 0) {
                const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(5);
                while (std::chrono::steady_clock::now() < until) {
                }
            }
            {
                const std::lock_guard lock(m);
                chunks.emplace_back(lo, hi);
            }
            std::string digits;
            for (auto i = lo; i < hi; ++i) digits += static_cast<char>('0' + i % 10);
            return digits;
        };
        const auto concat = [](std::string a, const std::string& b) { return a += b; };
        std::vector<std::pair<std::size_t, std::size_t>> first;
        for (int run = 0; run < 20; ++run) {
            CHECK(poolbench::parallel_reduce(pool, std::size_t{0}, n, std::string("x"), map,
                                             concat) == serial);
            std::sort(chunks.begin(), chunks.end());
            if (run == 0) first = chunks;
            CHECK(chunks == first);
            chunks.clear();
        }
        // The leaves: 1, 4, 16, ... indices while fewer than n / 16 W
        // (here 70, or 280 at one worker), then 16 W whose sizes differ by
        // one at most.
        const std::size_t w = pool.worker_count();
        REQUIRE(n / (16 * w) >= poolbench::detail::k_reduce_prefix_from);
        std::size_t prefix = 0;
        for (std::size_t size = 1; size < n / (16 * w); size *= 4, ++prefix) {
            REQUIRE(prefix < first.size());
            CHECK(first[prefix].second - first[prefix].first == size);
        }
        REQUIRE(first.size() == prefix + 16 * w);
        const std::size_t base = (n - first[prefix].first) / (16 * w);
        CHECK(std::all_of(first.begin() + static_cast<std::ptrdiff_t>(prefix), first.end(),
                          [base](const auto& c) {
                              return c.second - c.first == base || c.second - c.first == base + 1;
                          }));
        // An int64 sum over mixed index types, and an empty range.
        const auto sum = [](long lo, long hi) {
            std::int64_t s = 0;
            for (long i = lo; i < hi; ++i) s += i % 7 - 3;
            return s;
        };
        CHECK(poolbench::parallel_reduce(pool, 0, 100'003L, std::int64_t{5}, sum, std::plus<>{}) ==
              5 + sum(0L, 100'003L));
        CHECK(poolbench::parallel_reduce(pool, 9, 2L, std::int64_t{5}, sum, std::plus<>{}) == 5);
    }

    TEST_CASE_TEMPLATE_DEFINE("a throwing body stops the loop early and is rethrown", P,
                              loop_stops) {
        // Index 0 throws; `ran` counts the indices that start after it threw
        // (those before depend on how the threads were scheduled): each
        // running chunk ends, no new one starts. Those take 2 us each, so
        // that the time the throw takes to reach the loop's handler (some
        // milliseconds under a sanitizer, unwinding for the first time)
        // lets the other workers start thousands of them, not the rest of
        // the range.
        P pool(k_workers);
        const std::size_t n = 1'000'000;
        std::atomic<bool> thrown{false};
        std::atomic<std::size_t> ran{0};
        const auto body = [&](std::size_t i) {
            if (thrown.load()) {
                ran.fetch_add(1, std::memory_order_relaxed);
                const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(2);
                while (std::chrono::steady_clock::now() < until) {
                }
            }
            if (i == 0) {
                thrown = true;
                throw body_failed("first index");
            }
        };
        CHECK_THROWS_AS(poolbench::parallel_for(pool, std::size_t{0}, n, body), body_failed);
        CHECK(ran.load() < n / 2);
        ran = 0;
        thrown = false;
        if (!k_thread_per_job<P>) {
            CHECK_THROWS_AS(poolbench::parallel_for(pool, std::size_t{0}, n, body, 1000),
                            body_failed);
            CHECK(ran.load() < n / 2);
            ran = 0;
            thrown = false;
        }
        CHECK_THROWS_AS(poolbench::parallel_reduce(
                            pool, std::size_t{0}, n, std::size_t{0},
                            [&body](std::size_t i) {
                                body(i);
                                return i;
                            },
                            std::plus<>{}),
                        body_failed);
        CHECK(ran.load() < n / 2);
        ran = 0;
        thrown = false;
        CHECK_THROWS_AS(poolbench::parallel_reduce(
                            pool, std::size_t{0}, n, std::size_t{0},
                            [&body](std::size_t lo, std::size_t hi) {
                                for (auto i = lo; i < hi; ++i) body(i);
                                return hi - lo;
                            },
                            std::plus<>{}),
                        body_failed);
        CHECK(ran.load() < n / 2);
        ran = 0;
        thrown = false;
        std::vector<std::size_t> items(n);
        std::iota(items.begin(), items.end(), std::size_t{0});
        CHECK_THROWS_AS(poolbench::parallel_for_each(pool, items.begin(), items.end(), body),
                        body_failed);
        CHECK(ran.load() < n / 2);
        // The pool stays usable.
        visits v(1000);
        poolbench::parallel_for(pool, 0, 1000,
                                [&v](int i) { v.mark(static_cast<std::size_t>(i)); });
        CHECK(v.not_once() == 0);
    }

    TEST_CASE_TEMPLATE_DEFINE("a parallel_for inside a job runs to the end", P, loop_nested) {
        for (const std::size_t workers : {std::size_t{1}, k_workers}) {
            CAPTURE(workers);
            P pool(workers);
            const std::size_t outer = k_thread_per_job<P> ? 4 : 16;
            const std::size_t inner = 10'000;
            visits v(outer * inner);
            std::atomic<std::int64_t> sums{0};
            for (std::size_t job = 0; job < 2; ++job) {
                pool.submit([&, job] {
                    if (job == 0) {
                        poolbench::parallel_for(pool, std::size_t{0}, outer, [&](std::size_t o) {
                            poolbench::parallel_for(pool, std::size_t{0}, inner,
                                                    [&](std::size_t i) { v.mark(o * inner + i); });
                        });
                    } else {
                        sums.fetch_add(poolbench::parallel_reduce(
                            pool, 0, 1000, std::int64_t{0}, [](int i) { return std::int64_t{i}; },
                            std::plus<>{}));
                    }
                });
            }
            pool.wait();
            CHECK(v.not_once() == 0);
            CHECK(sums.load() == 499'500);
        }
    }

    TEST_CASE_TEMPLATE_DEFINE("a long loop from outside the pool runs on the workers too", P,
                              loop_hands_over) {
        // The calling thread runs a loop's start alone (parallel_for.hpp, the
        // head start) only for a few microseconds: a loop of 2,000 indices
        // of 20 us each leaves most of them to other threads.
        if constexpr (poolbench::execution_model_of<P> !=
                      poolbench::execution_model::inline_on_submitter) {
            P pool(k_workers);
            const auto caller = std::this_thread::get_id();
            std::atomic<std::size_t> elsewhere{0};
            visits v(2'000);
            poolbench::parallel_for(pool, std::size_t{0}, std::size_t{2'000}, [&](std::size_t i) {
                if (std::this_thread::get_id() != caller) elsewhere.fetch_add(1);
                const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(20);
                while (std::chrono::steady_clock::now() < until) {
                }
                v.mark(i);
            });
            CHECK(v.not_once() == 0);
            CHECK(elsewhere.load() > 0);
        }
    }

    TEST_CASE_TEMPLATE_DEFINE("parallel_for_each calls f on every element once", P, for_each) {
        P pool(k_workers);
        std::vector<int> values(50'000, 1);
        poolbench::parallel_for_each(pool, values.begin(), values.end(), [](int& x) { x += 1; });
        CHECK(std::count(values.begin(), values.end(), 2) == 50'000);
        std::deque<std::int64_t> items(10'000);
        std::iota(items.begin(), items.end(), std::int64_t{1});
        std::atomic<std::int64_t> sum{0};
        poolbench::parallel_for_each(pool, items.cbegin(), items.cend(),
                                     [&sum](std::int64_t x) { sum.fetch_add(x); });
        CHECK(sum.load() == std::int64_t{10'000} * 10'001 / 2);
    }

    TEST_CASE("parallel_reduce's leaves tile the range as its header says") {
        // What the reduction's determinism rests on, for any range and
        // worker count: leaves that cover [0, n) in order, min(n, E) equal
        // ones, E = max(16 W, min(ceil(n / 2^16), 1024 W)), after a prefix
        // of 1, 4, 16, ... indices only where the equal leaves would hold
        // k_reduce_prefix_from or more, each prefix leaf shorter than
        // every equal one, the equal ones differing by one index at most;
        // and first_from(k), the first leaf that begins at k or after.
        using poolbench::detail::loop_offset;
        const loop_offset sizes[] = {1,         2,          63,          64,        1'000,
                                     2'047,     2'048,      4'096,       100'003,   1'000'000,
                                     2'097'152, 10'000'019, 100'000'000, UINT64_MAX};
        for (const loop_offset n : sizes) {
            for (const std::size_t w : {1, 2, 3, 4, 16, 128}) {
                CAPTURE(n);
                CAPTURE(w);
                const poolbench::detail::reduce_leaves leaves(n, w);
                const loop_offset most = std::max<loop_offset>(
                    16 * w, std::min<loop_offset>(n / 65'536 + (n % 65'536 != 0), 1'024 * w));
                const loop_offset equal = std::min<loop_offset>(n, most);
                REQUIRE(leaves.count >= equal);
                const loop_offset prefix = leaves.count - equal;
                CHECK((prefix > 0) == (n / most >= poolbench::detail::k_reduce_prefix_from));
                CHECK(leaves.begin(0) == 0);
                CHECK(leaves.end(leaves.count - 1) == n);
                CHECK(leaves.first_from(n) == leaves.count);
                loop_offset shortest = UINT64_MAX;
                loop_offset longest = 0;
                for (loop_offset leaf = 0; leaf < leaves.count; ++leaf) {
                    const loop_offset b = leaves.begin(leaf);
                    const loop_offset size = leaves.end(leaf) - b;
                    REQUIRE(size >= 1);
                    if (leaf < prefix) {
                        CHECK(size == loop_offset{1} << (2 * leaf));
                    } else {
                        shortest = std::min(shortest, size);
                        longest = std::max(longest, size);
                    }
                    CHECK(leaves.first_from(b) == leaf);
                    CHECK(leaves.first_from(b + 1) == leaf + 1);
                    if (size > 2) CHECK(leaves.first_from(b + size / 2) == leaf + 1);
                }
                CHECK(longest - shortest <= 1);
                // Leaves of 2^16 indices at most, where 1024 a worker suffice.
                if (n <= 1'024 * w * loop_offset{65'536}) CHECK(longest <= 65'536);
                if (prefix > 0) CHECK(leaves.end(prefix - 1) - leaves.begin(prefix - 1) < shortest);
            }
        }
    }

    TEST_CASE_TEMPLATE_APPLY(loop_auto, poolbench::all_pools);
    TEST_CASE_TEMPLATE_APPLY(loop_mixed_types, poolbench::all_pools);
    TEST_CASE_TEMPLATE_APPLY(loop_chunks, poolbench::all_pools);
    TEST_CASE_TEMPLATE_APPLY(loop_empty, poolbench::all_pools);
    TEST_CASE_TEMPLATE_APPLY(loop_grain_zero, poolbench::all_pools);
    TEST_CASE_TEMPLATE_APPLY(loop_extremes, poolbench::all_pools);
    TEST_CASE_TEMPLATE_APPLY(reduce_serial, poolbench::all_pools);
    TEST_CASE_TEMPLATE_APPLY(reduce_deterministic, poolbench::all_pools);
    TEST_CASE_TEMPLATE_APPLY(reduce_head_start, poolbench::all_pools);
    TEST_CASE_TEMPLATE_APPLY(reduce_chunks, poolbench::all_pools);
    TEST_CASE_TEMPLATE_APPLY(reduce_long, poolbench::all_pools);
    TEST_CASE_TEMPLATE_APPLY(loop_stops, poolbench::all_pools);
    TEST_CASE_TEMPLATE_APPLY(loop_nested, poolbench::all_pools);
    TEST_CASE_TEMPLATE_APPLY(loop_hands_over, poolbench::all_pools);
    TEST_CASE_TEMPLATE_APPLY(for_each, poolbench::all_pools);
}
