// Stress: random mixes of what the pool contract allows at the same time:
// several outside submitters, nested submissions of random depth, throwing
// jobs, task groups forked from inside jobs, outside threads waiting while
// others submit, and destruction with work still queued. Every job records
// itself; the totals must match exactly what was submitted. Seeds are fixed
// (reproducible); POOLBENCH_SOAK=<k> runs k times as many rounds.
#include <doctest/doctest.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <poolbench.hpp>
#include <random>
#include <stdexcept>
#include <string_view>
#include <thread>
#include <vector>

#include "../support/fork_join.hpp"
#include "../support/pool_names.hpp"

namespace {

int soak() {
    const char* s = std::getenv("POOLBENCH_SOAK");
    const int k = s ? std::atoi(s) : 1;
    return k > 0 ? k : 1;
}

template <class P>
constexpr bool k_thread_per_job =
    poolbench::execution_model_of<P> == poolbench::execution_model::thread_per_job;

struct counts {
    std::atomic<std::uint64_t> ran{0};
    std::atomic<std::uint64_t> thrown{0};
};

struct boom : std::runtime_error {
    boom() : std::runtime_error("boom") {}
};

// A job that may submit children (depth-limited) and may throw. Returns how
// many jobs it and its descendants make, computed from the same seed, so the
// submitter knows the exact expected totals.
struct plan {
    static std::uint64_t jobs(std::uint64_t seed, int depth) {
        std::uint64_t n = 1;
        if (depth > 0) {
            const int children = static_cast<int>(seed % 3);
            for (int c = 0; c < children; ++c) n += jobs(mix(seed, c), depth - 1);
        }
        return n;
    }
    static std::uint64_t throws(std::uint64_t seed, int depth) {
        std::uint64_t n = (seed % 17 == 5) ? 1 : 0;
        if (depth > 0) {
            const int children = static_cast<int>(seed % 3);
            for (int c = 0; c < children; ++c) n += throws(mix(seed, c), depth - 1);
        }
        return n;
    }
    static std::uint64_t mix(std::uint64_t seed, int c) {
        std::uint64_t x = seed * 0x9E3779B97F4A7C15ULL + static_cast<std::uint64_t>(c) + 1;
        x ^= x >> 31;
        return x * 0xBF58476D1CE4E5B9ULL;
    }
};

template <class P>
void random_job(P& pool, counts& c, std::uint64_t seed, int depth) {
    if (depth > 0) {
        const int children = static_cast<int>(seed % 3);
        for (int k = 0; k < children; ++k) {
            const std::uint64_t child = plan::mix(seed, k);
            pool.submit([&pool, &c, child, depth] { random_job(pool, c, child, depth - 1); });
        }
    }
    c.ran.fetch_add(1, std::memory_order_relaxed);
    if (seed % 17 == 5) {
        c.thrown.fetch_add(1, std::memory_order_relaxed);
        throw boom();
    }
}

}  // namespace

TEST_SUITE("stress" * doctest::timeout(600)) {
    TEST_CASE_TEMPLATE_DEFINE("random mixes of submit, nesting, throws, groups and waits", P, mix) {
        const int rounds = (k_thread_per_job<P> ? 2 : 40) * soak();
        const int roots_per_submitter = k_thread_per_job<P> ? 20 : 5000;
        std::mt19937_64 rng(0xC0FFEE);
        for (int round = 0; round < rounds; ++round) {
            const std::size_t workers = std::size_t{1} << (rng() % 4);  // 1, 2, 4, 8
            const int submitters = 1 + static_cast<int>(rng() % 4);
            const int depth = 1 + static_cast<int>(rng() % 4);
            CAPTURE(round);
            CAPTURE(workers);
            CAPTURE(submitters);
            counts c;
            std::atomic<long> fib_sum{0};
            std::uint64_t expected_jobs = 0;
            std::uint64_t expected_throws = 0;
            std::vector<std::vector<std::uint64_t>> seeds(submitters);
            for (auto& s : seeds) {
                for (int i = 0; i < roots_per_submitter; ++i) {
                    s.push_back(rng());
                    expected_jobs += plan::jobs(s.back(), depth);
                    expected_throws += plan::throws(s.back(), depth);
                }
            }
            std::uint64_t caught = 0;
            {
                P pool(workers);
                std::atomic<bool> submitting{true};
                std::vector<std::jthread> threads;
                for (int t = 0; t < submitters; ++t) {
                    threads.emplace_back([&, t] {
                        for (std::uint64_t seed : seeds[t]) {
                            pool.submit(
                                [&pool, &c, seed, depth] { random_job(pool, c, seed, depth); });
                        }
                        // A fork-join from inside the pool, among everything else.
                        pool.submit([&pool, &fib_sum] {
                            fib_sum.fetch_add(poolbench::test::fib(pool, 10));
                        });
                    });
                }
                // An outside waiter while the submitters are still at it; it may
                // catch some of the exceptions (each is reported once).
                std::jthread waiter([&] {
                    while (submitting.load()) {
                        try {
                            pool.wait();
                        } catch (const boom&) {
                            ++caught;
                        }
                        std::this_thread::yield();
                    }
                });
                for (auto& t : threads) t.join();
                submitting.store(false);
                waiter.join();
                if (round % 3 != 2) {
                    try {
                        pool.wait();
                    } catch (const boom&) {
                        ++caught;
                    }
                    CHECK(c.ran.load() == expected_jobs);
                    CHECK(pool.stats().exceptions == expected_throws);
                }
                // else: destroyed without a final wait; destruction runs the rest.
            }
            CHECK(c.ran.load() == expected_jobs);
            CHECK(c.thrown.load() == expected_throws);
            CHECK(caught <= expected_throws);
            if (expected_throws > 0 && round % 3 != 2) CHECK(caught >= 1);
            CHECK(fib_sum.load() == 55L * submitters);
        }
    }

    TEST_CASE_TEMPLATE_APPLY(mix, poolbench::all_pools);

}  // TEST_SUITE
