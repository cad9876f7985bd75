// work_stealing_pool when memory runs out: a worker that cannot wrap the
// jobs it claimed from the injection queue in task nodes keeps them and runs
// them itself, a nested submit that cannot allocate throws bad_alloc and
// submits nothing, and so does a task group's run() from outside, whose
// group can still be waited for. Every job still runs exactly once and the
// pool goes on. This program replaces operator new, so that allocations of
// exactly one task node fail while g_fail_nodes is set, and every
// allocation while g_fail_all is.
#include <doctest/doctest.h>

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <latch>
#include <new>
#include <thread>

#include <pools/task_group.hpp>
#include <pools/work_stealing_pool.hpp>

// This file's operator new takes its memory from malloc, so its operator
// delete must free() it; GCC, seeing both inlined at a delete of a new'd
// object, warns of a mismatch that is not there.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace {
std::atomic<bool> g_fail_nodes{false};
std::atomic<bool> g_fail_all{false};
std::atomic<int> g_failed{0};
}  // namespace

void* operator new(std::size_t n) {
    // relaxed (both): a switch the test flips around the work it measures;
    // the pool's own synchronisation orders the jobs.
    if ((n == sizeof(poolbench::detail::ws_task) && g_fail_nodes.load(std::memory_order_relaxed)) ||
        g_fail_all.load(std::memory_order_relaxed)) {
        g_failed.fetch_add(1, std::memory_order_relaxed);
        throw std::bad_alloc();
    }
    if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
    throw std::bad_alloc();
}
void operator delete(void* p) noexcept {
    std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
    std::free(p);
}

namespace {

TEST_CASE("claimed outside jobs that cannot be wrapped still run, each once") {
    constexpr int k_jobs = 5000;
    poolbench::work_stealing_pool pool(2);
    std::latch gate(1);
    std::atomic<int> blocked{0};
    for (int i = 0; i < 2; ++i) {
        pool.submit([&] {
            blocked.fetch_add(1);
            gate.wait();
        });
    }
    while (blocked.load() < 2) std::this_thread::yield();
    // Both workers are busy: these wait in the injection queue, to be
    // claimed in batches once the gate opens.
    std::atomic<int> ran{0};
    for (int i = 0; i < k_jobs; ++i) pool.submit([&ran] { ran.fetch_add(1); });
    g_fail_nodes.store(true);
    gate.count_down();
    pool.wait();
    g_fail_nodes.store(false);
    CHECK(ran.load() == k_jobs);
    CHECK(g_failed.load() > 0);
    // And the pool goes on.
    for (int i = 0; i < 100; ++i) pool.submit([&ran] { ran.fetch_add(1); });
    pool.wait();
    CHECK(ran.load() == k_jobs + 100);
}

TEST_CASE("a nested submit that cannot allocate throws and submits nothing") {
    poolbench::work_stealing_pool pool(1);
    std::atomic<int> ran{0};
    std::atomic<int> refused{0};
    pool.submit([&] {
        g_fail_nodes.store(true);
        for (int i = 0; i < 10; ++i) {
            try {
                pool.submit([&ran] { ran.fetch_add(1); });
            } catch (const std::bad_alloc&) {
                refused.fetch_add(1);
            }
        }
        g_fail_nodes.store(false);
        pool.submit([&ran] { ran.fetch_add(1); });
    });
    pool.wait();
    CHECK(ran.load() + refused.load() == 11);
    CHECK(ran.load() >= 1);
}

TEST_CASE("a task group run from outside that cannot allocate throws, and its wait returns") {
    poolbench::work_stealing_pool pool(2);
    std::atomic<int> ran{0};
    poolbench::task_group<poolbench::work_stealing_pool> group(pool);
    group.run([&ran] { ran.fetch_add(1); });
    // Too big for a job's inline buffer: the submit has to allocate.
    const std::array<char, 128> pad{};
    bool refused = false;
    g_fail_all.store(true);
    try {
        group.run([&ran, pad] {
            (void)pad;
            ran.fetch_add(1);
        });
    } catch (const std::bad_alloc&) {
        refused = true;
    }
    g_fail_all.store(false);
    CHECK(refused);
    group.wait();
    CHECK(ran.load() == 1);
    group.run([&ran] { ran.fetch_add(1); });
    group.wait();
    CHECK(ran.load() == 2);
}

}  // namespace
