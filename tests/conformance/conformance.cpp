// The conformance suite: every guarantee of the `pool` concept
// (pools/pool.hpp), one property per test case, run over every pool in
// poolbench::all_pools. Tests of the contract only: nothing here reaches into
// poolbench::detail. The tbb pool is left out of the ThreadSanitizer build
// (see CMakeLists.txt): Debian's oneTBB is not instrumented, so TSan reports
// false races inside it.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <future>
#include <memory>
#include <numeric>
#include <poolbench.hpp>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "../support/all_running.hpp"
#include "../support/fork_join.hpp"
#include "../support/pool_names.hpp"

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

// thread_per_job starts an operating-system thread for every job, so the job
// counts are divided by 100 for it (the properties checked stay the same):
// 10^5 threads per case would dominate the run, and ThreadSanitizer allows a
// process 8128 threads in all.
template <class P>
constexpr bool k_thread_per_job =
    poolbench::execution_model_of<P> == poolbench::execution_model::thread_per_job;

template <class P>
constexpr std::size_t jobs(std::size_t n) {
    return k_thread_per_job<P> ? n / 100 : n;
}

struct job_failed : std::runtime_error {
    using std::runtime_error::runtime_error;
};

}  // namespace

// Every case is threaded: a deadlock must fail the case, and ctest's TIMEOUT
// kills the program if it never returns.
TEST_SUITE("conformance" * doctest::timeout(120)) {
    TEST_CASE_TEMPLATE_DEFINE("every job runs exactly once (one submitter)", P, exactly_once_one) {
        constexpr std::size_t n = jobs<P>(100'000);
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

    TEST_CASE_TEMPLATE_DEFINE("every job runs exactly once (four submitters)", P,
                              exactly_once_four) {
        constexpr std::size_t n = jobs<P>(100'000);
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
        constexpr int depth = k_thread_per_job<P> ? 7 : 12;
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
        constexpr std::size_t n = jobs<P>(10'000);
        std::vector<std::uint64_t> out(n, 0);
        P pool(k_workers);
        for (int round = 1; round <= 3; ++round) {
            for (std::size_t i = 0; i < n; ++i) {
                pool.submit([&out, i, round] { out[i] = i * static_cast<std::uint64_t>(round); });
            }
            pool.wait();
            std::size_t wrong = 0;
            for (std::size_t i = 0; i < n; ++i)
                wrong += out[i] != i * static_cast<std::uint64_t>(round);
            CHECK(wrong == 0);
        }
    }

    TEST_CASE_TEMPLATE_DEFINE("a throwing job is rethrown by wait, and nothing else is lost", P,
                              exceptions) {
        constexpr std::size_t n = k_thread_per_job<P> ? 300 : 1'000;
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
        constexpr std::size_t n = jobs<P>(10'000);
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
        for (std::uint64_t round = 0; round < jobs<P>(100'000) / 100; ++round) {
            pool.submit([&sum, round] { sum.fetch_add(round, std::memory_order_relaxed); });
            pool.wait();
            expected += round;
            REQUIRE(sum.load(std::memory_order_relaxed) == expected);
        }
    }

    TEST_CASE_TEMPLATE_DEFINE("wait on a pool that never got a job returns at once", P,
                              empty_wait) {
        P pool(k_workers);
        pool.wait();
        pool.wait();
        CHECK(pool.stats().jobs_run == 0);
    }

    TEST_CASE_TEMPLATE_DEFINE("several threads wait while others submit", P, concurrent_wait) {
        constexpr std::size_t per_thread = jobs<P>(20'000);
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

    TEST_CASE_TEMPLATE_DEFINE("jobs that block until all run at once each get a worker", P,
                              blocking_jobs) {
        // W jobs, each blocked until all W are running: only a pool that puts
        // every worker to use gets them all going (batch jobs that wait on a
        // subprocess or a remote call rely on it). Gives up after 30 s instead of
        // hanging, and then fails.
        // Also with many more workers than cores (64), where a worker's quick
        // look at a few others finds nothing and only the full search and the
        // wake-ups get every job a worker.
        for (int round = 0; round < 8; ++round) {
            CAPTURE(round);
            P pool(round % 2 == 0 ? k_workers : 64);
            const std::size_t w = pool.worker_count();
            // Let idle workers park first (they poll for at most 200 us): the
            // jobs must wake them, not find them still awake.
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
            poolbench::test::all_running jobs(w);
            for (std::size_t i = 0; i < w; ++i) pool.submit([&jobs] { jobs.arrive(); });
            pool.wait();
            REQUIRE_FALSE(jobs.gave_up());
        }
    }

    TEST_CASE_TEMPLATE_DEFINE("name and worker count are reported", P, identity) {
        P pool(3);
        CHECK(!std::string_view(P::name).empty());
        CHECK(pool.worker_count() >= 1);
        CHECK(pool.worker_count() <= 3);
    }

    // fib through poolbench::test::fib (tests/support/fork_join.hpp).
    TEST_CASE_TEMPLATE_DEFINE("fork-join fib(20) through task_group equals 6765", P, fork_join) {
        // thread_per_job starts a thread per fork: fib(12) (232 forks) there.
        constexpr int n = k_thread_per_job<P> ? 12 : 20;
        constexpr long expected = k_thread_per_job<P> ? 144 : 6765;
        for (std::size_t workers : {1, 2, 4}) {
            CAPTURE(workers);
            P pool(workers);
            long result = 0;
            pool.submit([&] { result = poolbench::test::fib(pool, n); });
            pool.wait();
            CHECK(result == expected);
        }
    }

    TEST_CASE_TEMPLATE_DEFINE("nested task groups never wait for a queued job (one worker)", P,
                              group_one_worker) {
        // With one worker busy in the group wait, the children can only run if
        // the wait runs them itself.
        P pool(1);
        std::atomic<int> ran{0};
        pool.submit([&] {
            poolbench::task_group<P> group(pool);
            for (int i = 0; i < 10; ++i) group.run([&ran] { ran.fetch_add(1); });
            group.wait();
            ran.fetch_add(100);
        });
        pool.wait();
        CHECK(ran.load() == 110);
    }

    TEST_CASE_TEMPLATE_DEFINE(
        "a task group inside a job: many children, several waits, stolen ones too", P,
        group_rounds) {
        // Each round forks children that take a little while (so idle workers
        // steal some) and whose captures count their own destruction; after each
        // wait every child has run and its captures are gone, and only the round
        // with a throwing child rethrows. The same group is reused across waits.
        struct destroyed_counter {
            std::atomic<int>* destroyed;
            explicit destroyed_counter(std::atomic<int>* d) : destroyed(d) {}
            destroyed_counter(destroyed_counter&& o) noexcept
                : destroyed(std::exchange(o.destroyed, nullptr)) {}
            destroyed_counter(const destroyed_counter&) = delete;
            ~destroyed_counter() {
                if (destroyed != nullptr) destroyed->fetch_add(1);
            }
        };
        constexpr int k_rounds = 5;
        constexpr int k_children = k_thread_per_job<P> ? 8 : 64;
        P pool(k_workers);
        std::atomic<int> ran{0};
        std::atomic<int> destroyed{0};
        std::atomic<int> failures{0};
        pool.submit([&] {
            poolbench::task_group<P> group(pool);
            for (int round = 0; round < k_rounds; ++round) {
                for (int i = 0; i < k_children; ++i) {
                    group.run([&ran, d = destroyed_counter(&destroyed), round, i] {
                        volatile std::uint64_t sink = 0;
                        for (int k = 0; k < 2000; ++k) sink = sink + static_cast<std::uint64_t>(k);
                        ran.fetch_add(1);
                        if (round == 2 && i == 7) throw job_failed("round 2");
                    });
                }
                bool threw = false;
                try {
                    group.wait();
                } catch (const job_failed&) {
                    threw = true;
                }
                const int expected = (round + 1) * k_children;
                if (threw != (round == 2) || ran.load() != expected ||
                    destroyed.load() != expected) {
                    failures.fetch_add(1);
                }
            }
        });
        pool.wait();
        CHECK(failures.load() == 0);
        CHECK(ran.load() == k_rounds * k_children);
        CHECK(destroyed.load() == k_rounds * k_children);
    }

    TEST_CASE_TEMPLATE_DEFINE("task_group waited from outside; its first exception is rethrown", P,
                              group_outside) {
        P pool(k_workers);
        std::atomic<int> ran{0};
        poolbench::task_group<P> group(pool);
        for (int i = 0; i < 100; ++i) {
            group.run([&ran, i] {
                ran.fetch_add(1);
                if (i == 50) throw job_failed("group job");
            });
        }
        CHECK_THROWS_AS(group.wait(), job_failed);
        CHECK(ran.load() == 100);
        CHECK_NOTHROW(pool.wait());  // the group kept its exception from the pool
    }

    TEST_CASE_TEMPLATE_DEFINE("submit_for_result carries values and exceptions", P, results) {
        P pool(k_workers);
        std::vector<std::future<int>> futures;
        for (int i = 0; i < 100; ++i) {
            futures.push_back(poolbench::submit_for_result(pool, [i] { return i * i; }));
        }
        auto failing = poolbench::submit_for_result(pool, []() -> int { throw job_failed("x"); });
        // The job's exception goes to its future, not to the pool's wait. (Waiting
        // first also keeps TSan quiet: libstdc++'s exception_ptr reference count
        // is not instrumented, so a job dropping its promise while this thread
        // reads the exception would look like a race.)
        CHECK_NOTHROW(pool.wait());
        int sum = 0;
        for (auto& f : futures) sum += f.get();
        CHECK(sum == 328350);
        CHECK_THROWS_AS(failing.get(), job_failed);
    }

    TEST_CASE_TEMPLATE_DEFINE("parallel_for visits every index exactly once", P, parallel_for) {
        P pool(k_workers);
        for (std::size_t grain : {1, 7, 1000}) {
            CAPTURE(grain);
            const std::size_t n = jobs<P>(10'007);
            run_flags flags(n);
            poolbench::parallel_for(
                pool, std::size_t{0}, n, [&flags](std::size_t i) { flags.mark(i); }, grain);
            CHECK(flags.count_not_once() == 0);
        }
        CHECK_THROWS_AS(poolbench::parallel_for(
                            pool, 0, 10, [](int) {}, 0),
                        std::invalid_argument);
        int calls = 0;
        poolbench::parallel_for(pool, 5, 5, [&calls](int) { ++calls; });
        CHECK(calls == 0);
    }

    TEST_CASE_TEMPLATE_DEFINE("make_pool builds the pool by its name", P, by_name) {
        auto pool = poolbench::make_pool(P::name, 2);
        CHECK(pool.pool_name() == P::name);
        std::atomic<int> ran{0};
        const int n = static_cast<int>(jobs<P>(100'000) / 100);
        for (int i = 0; i < n; ++i) pool.submit([&ran] { ran.fetch_add(1); });
        pool.wait();
        CHECK(ran.load() == n);
        CHECK(pool.stats().jobs_run == static_cast<std::uint64_t>(n));
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
    TEST_CASE_TEMPLATE_APPLY(blocking_jobs, poolbench::all_pools);
    TEST_CASE_TEMPLATE_APPLY(fork_join, poolbench::all_pools);
    TEST_CASE_TEMPLATE_APPLY(group_outside, poolbench::all_pools);
    TEST_CASE_TEMPLATE_APPLY(group_rounds, poolbench::all_pools);
    TEST_CASE_TEMPLATE_APPLY(group_one_worker, poolbench::all_pools);
    TEST_CASE_TEMPLATE_APPLY(results, poolbench::all_pools);
    TEST_CASE_TEMPLATE_APPLY(parallel_for, poolbench::all_pools);
    TEST_CASE_TEMPLATE_APPLY(by_name, poolbench::all_pools);

    TEST_CASE("make_pool rejects an unknown name and lists the known ones") {
        try {
            (void)poolbench::make_pool("no_such_pool", 2);
            FAIL("make_pool accepted an unknown name");
        } catch (const std::invalid_argument& e) {
            const std::string what = e.what();
            CHECK(what.find("no_such_pool") != std::string::npos);
            for (std::string_view n : poolbench::pool_names())
                CHECK(what.find(n) != std::string::npos);
        }
        const auto names = poolbench::pool_names();
        for (std::string_view expected :
             {"mutex", "lockfree", "work_stealing", "sequential", "thread_per_job"}) {
            CHECK(std::find(names.begin(), names.end(), expected) != names.end());
        }
#if defined(POOLBENCH_HAS_TBB)
        CHECK(std::find(names.begin(), names.end(), "tbb") != names.end());
#endif
#if defined(POOLBENCH_HAS_ASIO)
        CHECK(std::find(names.begin(), names.end(), "asio") != names.end());
#endif
        CHECK_THROWS_AS((void)poolbench::make_pool("mutex", 0), std::invalid_argument);
    }

}  // TEST_SUITE
