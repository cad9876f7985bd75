// Stress: random mixes of what the pool contract allows at the same time:
// several outside submitters, nested submissions of random depth, throwing
// jobs, task groups forked from inside jobs, outside threads waiting while
// others submit, and destruction with work still queued. Every job records
// itself; the totals must match exactly what was submitted. And random
// fork-join trees: groups of random width and depth, inside the pool and
// from outside it, whose children throw, whose groups are cancelled while
// they fork or waited on with a short timeout first, with loops and
// reductions among them; every child runs at most once, all of them unless
// their group was cancelled, and each wait rethrows only its own
// children's exception. Seeds are fixed (reproducible); POOLBENCH_SOAK=<k>
// runs k times as many rounds.
#include <doctest/doctest.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <functional>
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

// What a fork-join tree saw go wrong; every count must stay 0.
struct tree_faults {
    std::atomic<std::uint64_t> nodes{0};        // nodes run (for the record)
    std::atomic<std::uint64_t> double_runs{0};  // a child ran twice
    std::atomic<std::uint64_t> missing{0};      // a child of a group never cancelled did not run
    std::atomic<std::uint64_t> extra{0};        // more children ran than were forked
    std::atomic<std::uint64_t> foreign{0};      // a wait rethrew another group's exception
    std::atomic<std::uint64_t> lost{0};         // a child threw and no wait of its group said so
    std::atomic<std::uint64_t> invented{0};     // a wait threw though no child of its group did
    std::atomic<std::uint64_t> wrong_sums{0};   // a loop or reduction inside the tree went wrong
};

// Thrown by a child: the address of the group it is a child of.
struct from_group {
    const void* group;
};

constexpr std::size_t k_tree_width = 4;

// One node: forks up to k_tree_width children (each a node one level down,
// some of which throw after their own subtree is done), may cancel its
// group halfway through forking, may wait with a short timeout before its
// wait, may run a parallel_for or parallel_reduce, and checks what its own
// group did. Exceptions from its own group are caught here, so nothing
// leaves a node.
template <class P>
void tree_node(P& pool, tree_faults& f, std::uint64_t seed, int depth) {
    f.nodes.fetch_add(1, std::memory_order_relaxed);
    if (seed % 9 == 2) {
        const auto sum = poolbench::parallel_reduce(
            pool, 0, 1000, std::int64_t{0}, [](int i) { return std::int64_t{i}; }, std::plus<>{});
        if (sum != 499'500) f.wrong_sums.fetch_add(1);
    }
    if (seed % 9 == 4) {
        std::array<std::atomic<int>, 64> hits{};
        poolbench::parallel_for(pool, std::size_t{0}, hits.size(),
                                [&hits](std::size_t i) { hits[i].fetch_add(1); });
        for (const auto& h : hits) {
            if (h.load() != 1) f.wrong_sums.fetch_add(1);
        }
    }
    if (depth == 0) return;
    const std::size_t width = seed % (k_tree_width + 1);
    const bool cancel = seed % 11 == 4;
    const bool timed = seed % 7 == 1;
    std::array<std::atomic<int>, k_tree_width> runs{};
    std::atomic<std::size_t> threw{0};
    std::size_t caught = 0;
    {
        poolbench::task_group<P> group(pool);
        for (std::size_t c = 0; c < width; ++c) {
            const std::uint64_t child = plan::mix(seed, static_cast<int>(c));
            group.run([&pool, &f, &runs, &threw, &group, child, c, depth] {
                runs[c].fetch_add(1);
                tree_node(pool, f, child, depth - 1);
                if (child % 13 == 3) {
                    threw.fetch_add(1);
                    throw from_group{&group};
                }
            });
            if (cancel && c == width / 2) group.cancel();
        }
        const auto note = [&](const from_group& e) {
            ++caught;
            if (e.group != &group) f.foreign.fetch_add(1);
        };
        if (timed) {
            try {
                (void)group.wait_for(std::chrono::microseconds(seed % 64));
            } catch (const from_group& e) {
                note(e);
            }
        }
        try {
            group.wait();
        } catch (const from_group& e) {
            note(e);
        }
    }
    std::size_t ran = 0;
    for (const auto& r : runs) {
        if (r.load() > 1) f.double_runs.fetch_add(1);
        ran += static_cast<std::size_t>(r.load());
    }
    if (ran > width) f.extra.fetch_add(1);
    if (!cancel && ran != width) f.missing.fetch_add(1);
    if (threw.load() > 0 && caught == 0) f.lost.fetch_add(1);
    if (threw.load() == 0 && caught > 0) f.invented.fetch_add(1);
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

    TEST_CASE_TEMPLATE_DEFINE(
        "random fork-join trees: children run once, cancelled groups skip, waits rethrow their own",
        P, trees) {
        const int rounds = (k_thread_per_job<P> ? 2 : 24) * soak();
        const int roots = k_thread_per_job<P> ? 4 : 60;
        std::mt19937_64 rng(0x7EE5);
        for (int round = 0; round < rounds; ++round) {
            const std::size_t workers = std::size_t{1} << (rng() % 4);  // 1, 2, 4, 8
            const int depth = 2 + static_cast<int>(rng() % 4);
            CAPTURE(round);
            CAPTURE(workers);
            CAPTURE(depth);
            tree_faults f;
            std::vector<std::uint64_t> seeds(static_cast<std::size_t>(roots));
            for (auto& s : seeds) s = rng();
            {
                P pool(workers);
                // Half the roots are submitted jobs, half the children of a
                // group made outside the pool, its wait on this thread.
                for (std::size_t i = 0; i < seeds.size(); i += 2) {
                    pool.submit(
                        [&pool, &f, seed = seeds[i], depth] { tree_node(pool, f, seed, depth); });
                }
                poolbench::task_group<P> outside(pool);
                for (std::size_t i = 1; i < seeds.size(); i += 2) {
                    outside.run(
                        [&pool, &f, seed = seeds[i], depth] { tree_node(pool, f, seed, depth); });
                }
                CHECK_NOTHROW(outside.wait());
                CHECK_NOTHROW(pool.wait());
            }
            CHECK(f.nodes.load() >= seeds.size());
            CHECK(f.double_runs.load() == 0);
            CHECK(f.missing.load() == 0);
            CHECK(f.extra.load() == 0);
            CHECK(f.foreign.load() == 0);
            CHECK(f.lost.load() == 0);
            CHECK(f.invented.load() == 0);
            CHECK(f.wrong_sums.load() == 0);
        }
    }

    TEST_CASE_TEMPLATE_APPLY(trees, poolbench::all_pools);

}  // TEST_SUITE
