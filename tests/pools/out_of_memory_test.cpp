// work_stealing_pool when memory runs out: a worker that cannot wrap the
// jobs it claimed from the injection queue in task nodes keeps them and runs
// them itself, a nested submit that cannot allocate throws bad_alloc and
// submits nothing, and so does a task group's run() from outside, whose
// group can still be waited for; an automatic loop whose pieces cannot be
// handed over runs them where it is. Every job and every index still runs
// exactly once and the pool goes on. This program replaces operator new, so
// that allocations of exactly one task node fail while g_fail_nodes is set,
// and every allocation while g_fail_all is (over-aligned ones too: the
// latent stack's cells).
#include <doctest/doctest.h>

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <latch>
#include <new>
#include <thread>
#include <vector>

#include <pools/parallel_for.hpp>
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
// The latent stack's cells are over-aligned: their arrays come from here
// (the array form too: the sanitizers' runtimes do not route it through
// the single-object one).
void* operator new(std::size_t n, std::align_val_t al) {
    if (g_fail_all.load(std::memory_order_relaxed)) {  // relaxed: as above
        g_failed.fetch_add(1, std::memory_order_relaxed);
        throw std::bad_alloc();
    }
    const auto a = static_cast<std::size_t>(al);
    if (void* p = std::aligned_alloc(a, (n + a - 1) / a * a + (n == 0 ? a : 0))) return p;
    throw std::bad_alloc();
}
void* operator new[](std::size_t n, std::align_val_t al) {
    return operator new(n, al);
}
void operator delete(void* p, std::align_val_t) noexcept {
    std::free(p);
}
void operator delete(void* p, std::size_t, std::align_val_t) noexcept {
    std::free(p);
}
void operator delete[](void* p, std::align_val_t) noexcept {
    std::free(p);
}
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept {
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

TEST_CASE("a kept child whose latent stack cannot grow throws, and forks nothing") {
    // One worker, one group of small children, each kept in its latent
    // cell: with every allocation failing, the forks go on into the room
    // the stack has, then one throws std::bad_alloc; the children forked
    // before it all run at the join, once, and jobs_run counts those.
    poolbench::work_stealing_pool pool(1);
    std::atomic<int> ran{0};
    int forked = 0;
    bool refused = false;
    const auto before = pool.stats().jobs_run;
    pool.submit([&] {
        poolbench::task_group<poolbench::work_stealing_pool> group(pool);
        g_fail_all.store(true);
        try {
            for (int i = 0; i < 1'000'000; ++i) {
                group.run([&ran] { ran.fetch_add(1); });
                ++forked;
            }
        } catch (const std::bad_alloc&) {
            refused = true;
        }
        g_fail_all.store(false);
        group.wait();
    });
    pool.wait();
    CHECK(refused);
    CHECK(forked > 0);
    CHECK(ran.load() == forked);
    CHECK(pool.stats().jobs_run - before == static_cast<std::uint64_t>(forked) + 1);
}

TEST_CASE("a kept child that cannot get a node stays latent, and its join runs it") {
    // Two workers: the idle one asks, and the busy one promotes its oldest
    // latent fork; a kept child needs a node for that, which cannot be had
    // while g_fail_nodes is set, so it stays latent and its join runs it.
    poolbench::work_stealing_pool pool(2);
    std::atomic<int> ran{0};
    constexpr int k_children = 20'000;
    pool.submit([&] {
        g_fail_nodes.store(true);
        {
            poolbench::task_group<poolbench::work_stealing_pool> group(pool);
            for (int i = 0; i < k_children; ++i) {
                group.run([&ran] { ran.fetch_add(1); });
                if (i % 100 == 0) std::this_thread::yield();  // time for the other to ask
            }
            group.wait();
        }
        g_fail_nodes.store(false);
    });
    pool.wait();
    CHECK(ran.load() == k_children);
}

TEST_CASE("an automatic loop from outside that cannot hand pieces over runs each index once") {
    // As many workers as CPUs (the default): a caller outside the pool then
    // keeps no piece and hands the rest of the loop over as one
    // (parallel_for.hpp's hands_over_whole()). With every allocation
    // failing, the caller cannot make that piece, and runs the loop itself;
    // with only task nodes failing, the worker that takes it can neither
    // wrap it nor promote its forks, and runs them all itself.
    constexpr std::size_t k_n = std::size_t{1} << 18;
    poolbench::work_stealing_pool pool;
    std::vector<std::atomic<std::uint8_t>> hits(k_n);  // allocated before the failures
    const auto count = [&hits](std::size_t i) {
        // relaxed: the loop's join publishes the counts to this thread.
        hits[i].fetch_add(1, std::memory_order_relaxed);
    };
    for (std::atomic<bool>* failing : {&g_fail_all, &g_fail_nodes}) {
        // relaxed: the loop's forks (the pool's submit) publish the reset.
        for (auto& h : hits) h.store(0, std::memory_order_relaxed);
        g_failed.store(0);
        failing->store(true);
        poolbench::parallel_for(pool, std::size_t{0}, k_n, count);
        failing->store(false);
        std::size_t once = 0;
        // relaxed: ordered after the counts by the loop's join, as above.
        for (const auto& h : hits) once += h.load(std::memory_order_relaxed) == 1;
        CHECK(once == k_n);
        if (failing == &g_fail_all) CHECK(g_failed.load() > 0);
    }
    // And the pool goes on.
    std::atomic<int> ran{0};
    for (int i = 0; i < 100; ++i) pool.submit([&ran] { ran.fetch_add(1); });
    pool.wait();
    CHECK(ran.load() == 100);
}

}  // namespace
