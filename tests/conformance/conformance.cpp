// The conformance suite: every guarantee of the `pool` concept
// (pools/pool.hpp), one property per test case, run over every pool in
// poolbench::all_pools. Tests of the contract only: nothing here reaches into
// poolbench::detail.
#include <doctest/doctest.h>

#include <atomic>
#include <barrier>
#include <chrono>
#include <cstdint>
#include <memory>
#include <numeric>
#include <poolbench/pools/all_pools.hpp>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;

constexpr std::size_t k_workers = 4;

// Flags set by each job; exactly_once() checks each was set by one job only.
class run_flags {
public:
    explicit run_flags(std::size_t n) : m_flags(n) {}
    void mark(std::size_t i) { m_flags[i].fetch_add(1, std::memory_order_relaxed); }
    std::size_t count_not_once() const {
        std::size_t bad = 0;
        for (const auto& f : m_flags) bad += f.load() != 1;
        return bad;
    }

private:
    std::vector<std::atomic<std::uint32_t>> m_flags;
};

struct job_failed : std::runtime_error {
    using std::runtime_error::runtime_error;
};

}  // namespace

// Every case is threaded: a deadlock must fail the case, and ctest's TIMEOUT
// kills the program if it never returns.
TEST_SUITE("conformance" * doctest::timeout(120)) {

TEST_CASE_TEMPLATE_DEFINE("every job runs exactly once (one submitter)", P, exactly_once_one) {
    constexpr std::size_t n = 100'000;
    run_flags flags(n);
    std::atomic<std::uint64_t> sum{0};
    P pool(k_workers);
    for (std::size_t i = 0; i < n; ++i) {
        pool.submit([&flags, &sum, i] {
            flags.mark(i);
            sum.fetch_add(i, std::memory_order_relaxed);
        });
    }
    pool.wait();
    CHECK(flags.count_not_once() == 0);
    CHECK(sum.load() == std::uint64_t{n} * (n - 1) / 2);
    CHECK(pool.stats().jobs_run == n);
}

TEST_CASE_TEMPLATE_DEFINE("every job runs exactly once (four submitters)", P, exactly_once_four) {
    constexpr std::size_t n = 100'000;
    constexpr std::size_t submitters = 4;
    run_flags flags(n);
    std::atomic<std::uint64_t> sum{0};
    P pool(k_workers);
    {
        std::vector<std::jthread> threads;
        for (std::size_t t = 0; t < submitters; ++t) {
            threads.emplace_back([&, t] {
                for (std::size_t i = t; i < n; i += submitters) {
                    pool.submit([&flags, &sum, i] {
                        flags.mark(i);
                        sum.fetch_add(i, std::memory_order_relaxed);
                    });
                }
            });
        }
    }
    pool.wait();
    CHECK(flags.count_not_once() == 0);
    CHECK(sum.load() == std::uint64_t{n} * (n - 1) / 2);
}

TEST_CASE_TEMPLATE_DEFINE("nested submissions are waited for", P, nested) {
    // A binary tree of jobs: each job at depth d > 0 submits two of depth d-1.
    constexpr int depth = 12;
    std::atomic<std::uint64_t> ran{0};
    P pool(k_workers);
    struct node {
        static void run(P& p, std::atomic<std::uint64_t>& ran, int d) {
            ran.fetch_add(1, std::memory_order_relaxed);
            if (d == 0) return;
            p.submit([&p, &ran, d] { run(p, ran, d - 1); });
            p.submit([&p, &ran, d] { run(p, ran, d - 1); });
        }
    };
    pool.submit([&] { node::run(pool, ran, depth); });
    pool.wait();
    CHECK(ran.load() == (std::uint64_t{1} << (depth + 1)) - 1);
}

TEST_CASE_TEMPLATE_DEFINE("writes made by jobs are visible after wait", P, visibility) {
    // Plain (non-atomic) writes: only the wait's synchronisation makes them
    // visible here; ThreadSanitizer checks that it does.
    constexpr std::size_t n = 10'000;
    std::vector<std::uint64_t> out(n, 0);
    P pool(k_workers);
    for (int round = 1; round <= 3; ++round) {
        for (std::size_t i = 0; i < n; ++i) {
            pool.submit([&out, i, round] { out[i] = i * static_cast<std::uint64_t>(round); });
        }
        pool.wait();
        std::size_t wrong = 0;
        for (std::size_t i = 0; i < n; ++i) wrong += out[i] != i * static_cast<std::uint64_t>(round);
        CHECK(wrong == 0);
    }
}

TEST_CASE_TEMPLATE_DEFINE("a throwing job is rethrown by wait, and nothing else is lost", P,
                          exceptions) {
    constexpr std::size_t n = 1'000;
    std::atomic<std::size_t> ran{0};
    P pool(k_workers);
    for (std::size_t i = 0; i < n; ++i) {
        pool.submit([&ran, i] {
            ran.fetch_add(1);
            if (i % 100 == 7) throw job_failed("job " + std::to_string(i));
        });
    }
    CHECK_THROWS_AS(pool.wait(), job_failed);
    CHECK(ran.load() == n);  // every job ran, throwing or not
    CHECK(pool.stats().exceptions == n / 100);
    // The exceptions were collected: the next wait does not rethrow them.
    CHECK_NOTHROW(pool.wait());
    // The workers survived: the pool still runs jobs on all of them.
    for (std::size_t i = 0; i < n; ++i) pool.submit([&ran] { ran.fetch_add(1); });
    CHECK_NOTHROW(pool.wait());
    CHECK(ran.load() == 2 * n);
}

TEST_CASE_TEMPLATE_DEFINE("wait rethrows the exception a job threw first", P, first_exception) {
    P pool(k_workers);
    pool.submit([] { throw job_failed("first"); });
    // Once the first has certainly been thrown, throw a second one.
    while (pool.stats().exceptions < 1) std::this_thread::yield();
    pool.submit([] { throw job_failed("second"); });
    std::string what;
    try {
        pool.wait();
    } catch (const job_failed& e) {
        what = e.what();
    }
    CHECK(what == "first");
    CHECK(pool.stats().exceptions == 2);
    CHECK_NOTHROW(pool.wait());
}

TEST_CASE_TEMPLATE_DEFINE("wait from inside a job is a logic_error, not a deadlock", P,
                          wait_inside) {
    std::atomic<int> caught{0};
    P pool(k_workers);
    pool.submit([&] {
        try {
            pool.wait();
        } catch (const std::logic_error&) {
            caught.fetch_add(1);
        }
    });
    pool.wait();
    CHECK(caught.load() == 1);
}

TEST_CASE_TEMPLATE_DEFINE("destruction runs every pending job", P, destruction) {
    constexpr std::size_t n = 10'000;
    run_flags flags(n);
    {
        P pool(k_workers);
        for (std::size_t i = 0; i < n; ++i) {
            pool.submit([&flags, i] {
                flags.mark(i);
                // Slow enough that most jobs are still queued at destruction.
                volatile int spin = 0;
                for (int k = 0; k < 200; ++k) spin = spin + k;
            });
        }
    }
    CHECK(flags.count_not_once() == 0);
}

TEST_CASE_TEMPLATE_DEFINE("a bad worker count is an invalid_argument", P, bad_workers) {
    CHECK_THROWS_AS(P(0), std::invalid_argument);
    CHECK_THROWS_AS(P(static_cast<std::size_t>(-1)), std::invalid_argument);
    try {
        P pool(0);
    } catch (const std::invalid_argument& e) {
        CHECK(std::string(e.what()).find("got 0") != std::string::npos);
    }
}

TEST_CASE_TEMPLATE_DEFINE("submit one then wait, 1000 rounds (lost wake-up hunt)", P, ping) {
    P pool(k_workers);
    std::uint64_t expected = 0;
    std::atomic<std::uint64_t> sum{0};
    for (std::uint64_t round = 0; round < 1000; ++round) {
        pool.submit([&sum, round] { sum.fetch_add(round, std::memory_order_relaxed); });
        pool.wait();
        expected += round;
        REQUIRE(sum.load(std::memory_order_relaxed) == expected);
    }
}

TEST_CASE_TEMPLATE_DEFINE("wait on a pool that never got a job returns at once", P, empty_wait) {
    P pool(k_workers);
    pool.wait();
    pool.wait();
    CHECK(pool.stats().jobs_run == 0);
}

TEST_CASE_TEMPLATE_DEFINE("several threads wait while others submit", P, concurrent_wait) {
    constexpr std::size_t per_thread = 20'000;
    std::atomic<std::uint64_t> ran{0};
    P pool(k_workers);
    {
        std::vector<std::jthread> threads;
        for (int t = 0; t < 2; ++t) {
            threads.emplace_back([&] {
                for (std::size_t i = 0; i < per_thread; ++i) {
                    pool.submit([&ran] { ran.fetch_add(1, std::memory_order_relaxed); });
                    if (i % 1000 == 0) pool.wait();
                }
            });
        }
        for (int t = 0; t < 2; ++t) {
            threads.emplace_back([&] {
                for (int i = 0; i < 200; ++i) pool.wait();
            });
        }
    }
    pool.wait();
    CHECK(ran.load() == 2 * per_thread);
}

TEST_CASE_TEMPLATE_DEFINE("name and worker count are reported", P, identity) {
    P pool(3);
    CHECK(!std::string_view(P::name).empty());
    CHECK(pool.worker_count() >= 1);
    CHECK(pool.worker_count() <= 3);
}

TEST_CASE_TEMPLATE_APPLY(exactly_once_one, poolbench::all_pools);
TEST_CASE_TEMPLATE_APPLY(exactly_once_four, poolbench::all_pools);
TEST_CASE_TEMPLATE_APPLY(nested, poolbench::all_pools);
TEST_CASE_TEMPLATE_APPLY(visibility, poolbench::all_pools);
TEST_CASE_TEMPLATE_APPLY(exceptions, poolbench::all_pools);
TEST_CASE_TEMPLATE_APPLY(first_exception, poolbench::all_pools);
TEST_CASE_TEMPLATE_APPLY(wait_inside, poolbench::all_pools);
TEST_CASE_TEMPLATE_APPLY(destruction, poolbench::all_pools);
TEST_CASE_TEMPLATE_APPLY(bad_workers, poolbench::all_pools);
TEST_CASE_TEMPLATE_APPLY(ping, poolbench::all_pools);
TEST_CASE_TEMPLATE_APPLY(empty_wait, poolbench::all_pools);
TEST_CASE_TEMPLATE_APPLY(concurrent_wait, poolbench::all_pools);
TEST_CASE_TEMPLATE_APPLY(identity, poolbench::all_pools);

}  // TEST_SUITE
