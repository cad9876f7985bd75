// The control calls' contract, one property per test case, run over every
// pool in poolbench::all_pools: task_group cancellation and timed waits,
// pool.wait_for, which group a wait's exception comes from,
// this_worker_index(), pool_options (thread names, start/stop hooks), the
// default constructor's worker count and global_pool().
// Part of the conformance program (tests of the contract only).
#include <doctest/doctest.h>
#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <mutex>
#include <optional>
#include <poolbench.hpp>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "../support/pool_names.hpp"

namespace {

using namespace std::chrono_literals;

constexpr std::size_t k_workers = 4;

template <class P>
constexpr bool k_inline =
    poolbench::execution_model_of<P> == poolbench::execution_model::inline_on_submitter;

struct child_failed : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// A gate jobs block on until the test opens it. Gives up after 30 s, so a
// broken pool fails the case instead of hanging it.
class gate {
public:
    void pass() const {
        const auto deadline = std::chrono::steady_clock::now() + 30s;
        while (!m_open.load() && std::chrono::steady_clock::now() < deadline)
            std::this_thread::yield();
    }
    void open() { m_open.store(true); }

private:
    std::atomic<bool> m_open{false};
};

// Waits (at most 30 s) until counter reaches n.
bool reaches(const std::atomic<std::size_t>& counter, std::size_t n) {
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (counter.load() < n) {
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::yield();
    }
    return true;
}

// Counts its own destruction: a child's captures are destroyed exactly once
// whether its body ran or was skipped.
struct destroy_counter {
    std::atomic<std::size_t>* destroyed;
    explicit destroy_counter(std::atomic<std::size_t>* d) : destroyed(d) {}
    destroy_counter(destroy_counter&& o) noexcept
        : destroyed(std::exchange(o.destroyed, nullptr)) {}
    destroy_counter(const destroy_counter&) = delete;
    destroy_counter& operator=(const destroy_counter&) = delete;
    destroy_counter& operator=(destroy_counter&&) = delete;
    ~destroy_counter() {
        if (destroyed != nullptr) destroyed->fetch_add(1);
    }
};

std::size_t affinity_cpus() {
    cpu_set_t set;
    CPU_ZERO(&set);
    REQUIRE(sched_getaffinity(0, sizeof(set), &set) == 0);
    return static_cast<std::size_t>(CPU_COUNT(&set));
}

}  // namespace

TEST_SUITE("conformance" * doctest::timeout(120)) {
    TEST_CASE_TEMPLATE_DEFINE(
        "cancel: started children finish, unstarted ones skip, every child completes once", P,
        cancel_outside) {
        constexpr std::size_t n = 32;
        P pool(k_workers);
        std::atomic<std::size_t> entered{0};
        std::atomic<std::size_t> finished{0};
        std::atomic<std::size_t> destroyed{0};
        gate g;
        poolbench::task_group<P> group(pool);
        CHECK_FALSE(group.is_cancelled());
        if constexpr (k_inline<P>) {
            // Children run inside run(): the sixth cancels, the rest skip.
            for (std::size_t i = 0; i < n; ++i) {
                group.run([&, i, d = destroy_counter(&destroyed)] {
                    entered.fetch_add(1);
                    if (i == 5) group.cancel();
                    finished.fetch_add(1);
                });
            }
            group.wait();
            CHECK(entered.load() == 6);
        } else {
            // One child per worker blocks until the group is cancelled; the
            // others are still queued then, and skip.
            const std::size_t w = pool.worker_count();
            for (std::size_t i = 0; i < n; ++i) {
                group.run([&, d = destroy_counter(&destroyed)] {
                    entered.fetch_add(1);
                    g.pass();
                    finished.fetch_add(1);
                });
            }
            REQUIRE(reaches(entered, w));
            group.cancel();
            g.open();
            group.wait();
            CHECK(entered.load() == w);
        }
        CHECK(group.is_cancelled());
        CHECK(finished.load() == entered.load());  // every started child finished
        CHECK(destroyed.load() == n);              // and every child completed once
        CHECK_NOTHROW(pool.wait());
    }

    TEST_CASE_TEMPLATE_DEFINE(
        "cancel from a child inside a job: later children skip, every child completes once", P,
        cancel_inside) {
        constexpr std::size_t n = 200;
        P pool(k_workers);
        std::atomic<std::size_t> entered{0};
        std::atomic<std::size_t> destroyed{0};
        std::atomic<bool> cancelled_seen{false};
        std::atomic<std::size_t> ran_after_wait{0};
        pool.submit([&] {
            poolbench::task_group<P> group(pool);
            for (std::size_t i = 0; i < n; ++i) {
                group.run([&, i, d = destroy_counter(&destroyed)] {
                    entered.fetch_add(1);
                    if (i == n / 2) group.cancel();
                });
            }
            group.wait();
            cancelled_seen.store(group.is_cancelled());
            // Cancellation stays: a child run() afterwards is skipped too.
            group.run([&] { ran_after_wait.fetch_add(1); });
            group.wait();
        });
        pool.wait();
        CHECK(cancelled_seen.load());
        CHECK(entered.load() >= 1);
        CHECK(entered.load() <= n);
        CHECK(destroyed.load() == n);
        CHECK(ran_after_wait.load() == 0);
    }

    TEST_CASE_TEMPLATE_DEFINE("task_group::wait_for times out while children block, then succeeds",
                              P, group_wait_for) {
        P pool(k_workers);
        std::atomic<std::size_t> done{0};
        gate g;
        poolbench::task_group<P> group(pool);
        if constexpr (k_inline<P>) {
            for (int i = 0; i < 10; ++i) group.run([&] { done.fetch_add(1); });
            CHECK(group.wait_for(0ms));
        } else {
            constexpr std::size_t n = 2 * k_workers;
            for (std::size_t i = 0; i < n; ++i) {
                group.run([&] {
                    g.pass();
                    done.fetch_add(1);
                });
            }
            const auto start = std::chrono::steady_clock::now();
            CHECK_FALSE(group.wait_for(30ms));
            CHECK(std::chrono::steady_clock::now() - start >= 30ms);
            CHECK_FALSE(group.wait_for(0ms));
            g.open();
            CHECK(group.wait_for(30s));
            CHECK(done.load() == n);
        }
        // A timed wait rethrows its own child's exception, once.
        group.run([] { throw child_failed("child"); });
        CHECK_THROWS_AS((void)group.wait_for(30s), child_failed);
        CHECK(group.wait_for(0ms));
        CHECK_NOTHROW(pool.wait());
    }

    TEST_CASE_TEMPLATE_DEFINE("task_group::wait_for inside a job helps and succeeds", P,
                              group_wait_for_inside) {
        P pool(k_workers);
        std::atomic<std::size_t> done{0};
        std::atomic<int> ok{0};
        pool.submit([&] {
            poolbench::task_group<P> group(pool);
            for (int i = 0; i < 100; ++i) group.run([&] { done.fetch_add(1); });
            if (group.wait_for(30s) && done.load() == 100) ok.fetch_add(1);
        });
        pool.wait();
        CHECK(ok.load() == 1);
    }

    TEST_CASE_TEMPLATE_DEFINE("pool.wait_for times out while jobs block, then succeeds", P,
                              pool_wait_for) {
        static_assert(poolbench::timed_pool<P>);
        P pool(k_workers);
        CHECK(pool.wait_for(0ms));  // nothing pending
        if constexpr (!k_inline<P>) {
            gate g;
            std::atomic<std::size_t> done{0};
            for (std::size_t i = 0; i < 2 * k_workers; ++i) {
                pool.submit([&] {
                    g.pass();
                    done.fetch_add(1);
                });
            }
            const auto start = std::chrono::steady_clock::now();
            CHECK_FALSE(pool.wait_for(30ms));
            CHECK(std::chrono::steady_clock::now() - start >= 30ms);
            g.open();
            CHECK(pool.wait_for(30s));
            CHECK(done.load() == 2 * k_workers);
        }
        // The same exception rule as wait(): the first since the last wait, once.
        pool.submit([] { throw child_failed("job"); });
        CHECK_THROWS_AS((void)pool.wait_for(30s), child_failed);
        CHECK(pool.wait_for(std::chrono::hours(24 * 365 * 1000)));  // a long timeout is fine
        // From inside one of its own jobs: a logic_error, as wait().
        std::atomic<int> caught{0};
        pool.submit([&] {
            try {
                (void)pool.wait_for(1s);
            } catch (const std::logic_error&) {
                caught.fetch_add(1);
            }
        });
        pool.wait();
        CHECK(caught.load() == 1);
    }

    TEST_CASE_TEMPLATE_DEFINE(
        "a group's wait rethrows its own children's exception, never another's", P,
        group_exceptions) {
        constexpr int n = 64;
        P pool(k_workers);
        // Outside the pool.
        {
            poolbench::task_group<P> failing(pool);
            poolbench::task_group<P> clean(pool);
            for (int i = 0; i < n; ++i) {
                failing.run([] { throw child_failed("failing"); });
                clean.run([] {});
            }
            CHECK_NOTHROW(clean.wait());
            CHECK_THROWS_AS(failing.wait(), child_failed);
        }
        // Inside a job, where a wait may run the other group's children.
        std::atomic<int> wrong{0};
        pool.submit([&] {
            poolbench::task_group<P> failing(pool);
            poolbench::task_group<P> clean(pool);
            for (int i = 0; i < n; ++i) {
                failing.run([] { throw child_failed("failing"); });
                clean.run([] {
                    volatile int spin = 0;
                    for (int k = 0; k < 1000; ++k) spin = spin + k;
                });
            }
            try {
                clean.wait();
            } catch (...) {
                wrong.fetch_add(1);
            }
            bool threw = false;
            try {
                failing.wait();
            } catch (const child_failed&) {
                threw = true;
            }
            if (!threw) wrong.fetch_add(1);
        });
        CHECK_NOTHROW(pool.wait());  // neither group's exception reaches the pool
        CHECK(wrong.load() == 0);
    }

    TEST_CASE_TEMPLATE_DEFINE("this_worker_index is unique per worker and nullopt outside", P,
                              worker_index) {
        CHECK_FALSE(poolbench::this_worker_index().has_value());
        P pool(k_workers);
        const std::size_t w = pool.worker_count();
        std::mutex m;
        std::vector<std::optional<std::size_t>> seen;
        if constexpr (k_inline<P>) {
            // No workers: a job sees the submitting thread's (none here).
            pool.submit([&] { seen.push_back(poolbench::this_worker_index()); });
            REQUIRE(seen.size() == 1);
            CHECK_FALSE(seen[0].has_value());
        } else {
            // w jobs that all run at once, so each is on its own worker.
            std::atomic<std::size_t> running{0};
            for (std::size_t i = 0; i < w; ++i) {
                pool.submit([&] {
                    running.fetch_add(1);
                    reaches(running, w);
                    std::lock_guard lock(m);
                    seen.push_back(poolbench::this_worker_index());
                });
            }
            pool.wait();
            REQUIRE(seen.size() == w);
            std::set<std::size_t> distinct;
            for (const auto& i : seen) {
                REQUIRE(i.has_value());
                CHECK(*i < w);
                distinct.insert(*i);
            }
            CHECK(distinct.size() == w);
        }
        CHECK_FALSE(poolbench::this_worker_index().has_value());
    }

    TEST_CASE_TEMPLATE_DEFINE(
        "a default-constructed pool has a worker per CPU of the affinity mask", P,
        default_constructed) {
        static_assert(std::is_default_constructible_v<P>);
        P pool;
        const std::size_t expected = k_inline<P> ? 1 : affinity_cpus();
        CHECK(pool.worker_count() == expected);
        std::atomic<int> ran{0};
        pool.submit([&] { ran.fetch_add(1); });
        pool.wait();
        CHECK(ran.load() == 1);
    }

    TEST_CASE_TEMPLATE_DEFINE(
        "pool_options: workers are named, each hook runs once per worker on that worker", P,
        options) {
        if constexpr (std::is_constructible_v<P, poolbench::pool_options>) {
            constexpr std::size_t w = 3;
            std::mutex m;
            std::vector<std::size_t> starts;
            std::vector<std::size_t> stops;
            std::atomic<std::size_t> wrong_index{0};
            std::vector<std::string> names;
            {
                P pool(poolbench::pool_options{
                    .workers = w,
                    .thread_name = "pbtest",
                    .on_thread_start =
                        [&](std::size_t i) {
                            if (poolbench::this_worker_index() != i) wrong_index.fetch_add(1);
                            std::lock_guard lock(m);
                            starts.push_back(i);
                        },
                    .on_thread_stop =
                        [&](std::size_t i) {
                            if (poolbench::this_worker_index() != i) wrong_index.fetch_add(1);
                            std::lock_guard lock(m);
                            stops.push_back(i);
                        },
                });
                {
                    std::lock_guard lock(m);
                    CHECK(starts.size() == w);  // the constructor waited for every start hook
                }
                CHECK(pool.worker_count() == w);
                std::atomic<std::size_t> running{0};
                for (std::size_t i = 0; i < w; ++i) {
                    pool.submit([&] {
                        running.fetch_add(1);
                        reaches(running, w);
                        char name[16] = {};
                        pthread_getname_np(pthread_self(), name, sizeof(name));
                        std::lock_guard lock(m);
                        names.emplace_back(name);
                    });
                }
                pool.wait();
                std::lock_guard lock(m);
                CHECK(stops.empty());  // not before the pool's end
            }
            std::sort(starts.begin(), starts.end());
            std::sort(stops.begin(), stops.end());
            std::sort(names.begin(), names.end());
            CHECK(starts == std::vector<std::size_t>{0, 1, 2});
            CHECK(stops == std::vector<std::size_t>{0, 1, 2});
            CHECK(names == std::vector<std::string>{"pbtest-0", "pbtest-1", "pbtest-2"});
            CHECK(wrong_index.load() == 0);
        }
    }

    TEST_CASE_TEMPLATE_DEFINE("pool_options: a long thread name is cut to 15 characters", P,
                              long_name) {
        if constexpr (std::is_constructible_v<P, poolbench::pool_options>) {
            constexpr std::size_t w = 12;
            std::mutex m;
            std::vector<std::string> names;
            P pool(poolbench::pool_options{
                .workers = w,
                .thread_name = "a_very_long_name",
                .on_thread_start =
                    [&](std::size_t) {
                        char name[16] = {};
                        pthread_getname_np(pthread_self(), name, sizeof(name));
                        std::lock_guard lock(m);
                        names.emplace_back(name);
                    },
            });
            // The prefix is cut to leave "-<i>" whole: 13 characters for
            // workers 0-9, 12 for 10 and 11.
            std::vector<std::string> expected;
            for (std::size_t i = 0; i < w; ++i) {
                expected.push_back(std::string("a_very_long_name").substr(0, i < 10 ? 13 : 12) +
                                   "-" + std::to_string(i));
            }
            std::sort(names.begin(), names.end());
            std::sort(expected.begin(), expected.end());
            CHECK(names == expected);
            CHECK(std::count(names.begin(), names.end(), "a_very_long_-11") == 1);
        }
    }

    TEST_CASE_TEMPLATE_DEFINE(
        "pool_options: a throwing start hook fails the constructor; started workers stop", P,
        hook_throws) {
        if constexpr (std::is_constructible_v<P, poolbench::pool_options>) {
            constexpr std::size_t w = 4;
            std::atomic<std::size_t> stops{0};
            auto make = [&] {
                P pool(poolbench::pool_options{
                    .workers = w,
                    .on_thread_start =
                        [](std::size_t i) {
                            if (i == 1) throw child_failed("start hook");
                        },
                    .on_thread_stop = [&](std::size_t) { stops.fetch_add(1); },
                });
            };
            CHECK_THROWS_AS(make(), child_failed);
            CHECK(stops.load() == w - 1);  // every worker but the one whose hook threw
        }
    }

    TEST_CASE_TEMPLATE_APPLY(cancel_outside, poolbench::all_pools);
    TEST_CASE_TEMPLATE_APPLY(cancel_inside, poolbench::all_pools);
    TEST_CASE_TEMPLATE_APPLY(group_wait_for, poolbench::all_pools);
    TEST_CASE_TEMPLATE_APPLY(group_wait_for_inside, poolbench::all_pools);
    TEST_CASE_TEMPLATE_APPLY(pool_wait_for, poolbench::all_pools);
    TEST_CASE_TEMPLATE_APPLY(group_exceptions, poolbench::all_pools);
    TEST_CASE_TEMPLATE_APPLY(worker_index, poolbench::all_pools);
    TEST_CASE_TEMPLATE_APPLY(default_constructed, poolbench::all_pools);
    TEST_CASE_TEMPLATE_APPLY(options, poolbench::all_pools);
    TEST_CASE_TEMPLATE_APPLY(long_name, poolbench::all_pools);
    TEST_CASE_TEMPLATE_APPLY(hook_throws, poolbench::all_pools);

    TEST_CASE("global_pool() from several threads at once: one pool, and it runs their jobs") {
        constexpr int k_threads = 8;
        std::atomic<int> ready{0};
        std::atomic<int> ran{0};
        std::vector<poolbench::default_pool*> seen(k_threads, nullptr);
        {
            std::vector<std::jthread> threads;
            for (int t = 0; t < k_threads; ++t) {
                threads.emplace_back([&, t] {
                    ready.fetch_add(1);
                    while (ready.load() < k_threads) std::this_thread::yield();
                    poolbench::default_pool& pool = poolbench::global_pool();
                    seen[static_cast<std::size_t>(t)] = &pool;
                    pool.submit([&ran] { ran.fetch_add(1); });
                });
            }
        }
        poolbench::global_pool().wait();
        CHECK(ran.load() == k_threads);
        for (auto* p : seen) CHECK(p == &poolbench::global_pool());
        CHECK(poolbench::global_pool().worker_count() == affinity_cpus());
    }
}  // TEST_SUITE
