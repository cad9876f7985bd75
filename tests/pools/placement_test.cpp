// Where work_stealing's workers run: detail::move_to_free_cpu() moves the
// calling thread and leaves its affinity mask as it was, and the pool's
// leave_shared_cpu() (a worker woken onto another worker's CPU moves to a
// free one) never changes a worker's mask: neither the inherited one nor
// one the user set in on_thread_start. Needs two or more CPUs in the
// process's mask; with one, the cases that need a second CPU say so and
// pass.
#include <doctest/doctest.h>

#include <sched.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <mutex>
#include <thread>
#include <vector>

#include <pools/detail/cpu_placement.hpp>
#include <pools/detail/worker_count.hpp>
#include <pools/task_group.hpp>
#include <pools/work_stealing_pool.hpp>

namespace {

// The calling thread's affinity mask as a list of CPUs, read as the library
// reads it (detail::with_affinity_mask(): a set sized for every CPU the
// kernel knows, not a fixed cpu_set_t of 1,024).
std::vector<int> mask_cpus() {
    std::vector<int> cpus;
    const bool read = poolbench::detail::with_affinity_mask(
        false, [&cpus](const cpu_set_t* mask, std::size_t size, int room) noexcept {
            try {
                for (int c = 0; c < room; ++c) {
                    if (CPU_ISSET_S(static_cast<std::size_t>(c), size, mask)) cpus.push_back(c);
                }
                return true;
            } catch (...) {  // no memory for the list
                return false;
            }
        });
    REQUIRE(read);
    return cpus;
}

void pin_to(int cpu) {
    cpu_set_t* const set = CPU_ALLOC(cpu + 1);
    REQUIRE(set != nullptr);
    const std::size_t size = CPU_ALLOC_SIZE(cpu + 1);
    CPU_ZERO_S(size, set);
    CPU_SET_S(static_cast<std::size_t>(cpu), size, set);
    const int rc = sched_setaffinity(0, size, set);
    CPU_FREE(set);
    REQUIRE(rc == 0);
}

// Rounds of work for every worker with sleeps between them, so that the
// workers park and are woken (each wake runs leave_shared_cpu()).
void park_and_wake(poolbench::work_stealing_pool& pool, int rounds) {
    for (int r = 0; r < rounds; ++r) {
        std::atomic<int> sink{0};
        poolbench::task_group<poolbench::work_stealing_pool> group(pool);
        for (std::size_t i = 0; i < 4 * pool.worker_count(); ++i) {
            group.run([&sink] {
                const auto until =
                    std::chrono::steady_clock::now() + std::chrono::microseconds(200);
                while (std::chrono::steady_clock::now() < until) {
                }
                // relaxed: a count, read after group.wait(), which orders it.
                sink.fetch_add(1, std::memory_order_relaxed);
            });
        }
        group.wait();
        CHECK(sink.load() == static_cast<int>(4 * pool.worker_count()));
        std::this_thread::sleep_for(std::chrono::milliseconds(3));  // past the poll budget
    }
}

}  // namespace

TEST_CASE("move_to_free_cpu moves the thread to the one CPU left free and keeps its mask") {
    const auto cpus = mask_cpus();
    if (cpus.size() < 2) {
        MESSAGE("one CPU in the mask: nothing to move to");
        return;
    }
    std::thread t([&] {
        const int here = poolbench::detail::current_cpu();
        REQUIRE(here >= 0);
        const int target = cpus[0] == here ? cpus[1] : cpus[0];
        const int moved =
            poolbench::detail::move_to_free_cpu(here, [&](int c) { return c != target; });
        CHECK(moved == target);
        CHECK(poolbench::detail::current_cpu() == target);
        CHECK(mask_cpus() == cpus);
        // Every CPU taken: no move.
        CHECK(poolbench::detail::move_to_free_cpu(target, [](int) { return true; }) == -1);
        CHECK(mask_cpus() == cpus);
    });
    t.join();
}

TEST_CASE("workers that park and wake keep the affinity mask they inherited") {
    const auto cpus = mask_cpus();
    const std::size_t workers = std::max<std::size_t>(2, cpus.size());
    std::mutex m;
    std::vector<std::vector<int>> at_stop;
    {
        poolbench::work_stealing_pool pool(
            poolbench::pool_options{.workers = workers, .on_thread_stop = [&](std::size_t) {
                                        std::lock_guard lock(m);
                                        at_stop.push_back(mask_cpus());
                                    }});
        park_and_wake(pool, 20);
        CHECK(pool.stats().parks > 0);
    }
    REQUIRE(at_stop.size() == workers);
    for (const auto& mask : at_stop) CHECK(mask == cpus);
}

TEST_CASE("workers pinned by on_thread_start stay where they were pinned") {
    const auto cpus = mask_cpus();
    const int cpu = cpus.back();
    std::atomic<int> elsewhere{0};
    std::mutex m;
    std::vector<std::vector<int>> at_stop;
    {
        // Both workers on one CPU, as the user asked: sharing it is no
        // reason to move.
        poolbench::work_stealing_pool pool(
            poolbench::pool_options{.workers = 2,
                                    .on_thread_start = [cpu](std::size_t) { pin_to(cpu); },
                                    .on_thread_stop =
                                        [&](std::size_t) {
                                            std::lock_guard lock(m);
                                            at_stop.push_back(mask_cpus());
                                        }});
        for (int r = 0; r < 20; ++r) {
            poolbench::task_group<poolbench::work_stealing_pool> group(pool);
            for (int i = 0; i < 8; ++i) {
                group.run([&] {
                    if (poolbench::detail::current_cpu() != cpu) elsewhere.fetch_add(1);
                });
            }
            group.wait();
            std::this_thread::sleep_for(std::chrono::milliseconds(3));
        }
    }
    CHECK(elsewhere.load() == 0);
    REQUIRE(at_stop.size() == 2);
    for (const auto& mask : at_stop) CHECK(mask == std::vector<int>{cpu});
}
