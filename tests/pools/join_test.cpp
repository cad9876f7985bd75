// work_stealing_pool's fork-join (work_stealing/join.hpp, steps J1-J4) on
// its own, with two workers and children that hold on until the test lets
// them go, so that each case takes the path it names: a child in the
// group's slot stolen and joined by helping, the slot reused after that, a
// child run by its worker inside the join of another of its groups, and a
// stolen child's exception. Each child counts its runs; each must run once.
#include <doctest/doctest.h>

#include <atomic>
#include <stdexcept>
#include <thread>

#include <pools/task_group.hpp>
#include <pools/work_stealing_pool.hpp>

namespace {

using pool_type = poolbench::work_stealing_pool;
using group_type = poolbench::task_group<pool_type>;

void wait_for(const std::atomic<bool>& flag) {
    while (!flag.load()) std::this_thread::yield();
}

TEST_CASE("a stolen child is joined by helping, and the group's slot serves the next round") {
    pool_type pool(2);
    std::atomic<int> runs{0};
    std::atomic<bool> started{false};
    std::atomic<bool> go{false};
    std::atomic<bool> stolen{false};
    std::atomic<int> second_runs{0};
    pool.submit([&] {
        const auto me = std::this_thread::get_id();
        group_type group(pool);
        group.run([&] {
            stolen.store(std::this_thread::get_id() != me);
            started.store(true);
            wait_for(go);
            runs.fetch_add(1);
        });
        wait_for(started);  // only the other worker can have started it
        go.store(true);
        group.wait();  // J4: the deque holds none of ours; help until it finishes
        CHECK(runs.load() == 1);
        group.run([&second_runs] { second_runs.fetch_add(1); });
        group.wait();
        CHECK(second_runs.load() == 1);
    });
    pool.wait();
    CHECK(stolen.load());
    CHECK(runs.load() == 1);
    CHECK(second_runs.load() == 1);
}

TEST_CASE("a child run inside the join of another group of its worker counts for its own group") {
    // inner's child is stolen and holds on until outer's child has run;
    // outer's child, on top of the deque, is popped by inner's join (J2 for
    // outer), so outer's own wait finds it done.
    pool_type pool(2);
    std::atomic<int> outer_runs{0};
    std::atomic<int> inner_runs{0};
    std::atomic<bool> inner_started{false};
    std::atomic<bool> outer_ran{false};
    std::atomic<bool> outer_ran_in_inner_join{false};
    pool.submit([&] {
        group_type inner(pool);
        group_type outer(pool);
        inner.run([&] {
            inner_started.store(true);
            wait_for(outer_ran);
            inner_runs.fetch_add(1);
        });
        wait_for(inner_started);  // the other worker holds inner's child
        std::atomic<bool> in_inner_join{false};
        outer.run([&] {
            outer_ran_in_inner_join.store(in_inner_join.load());
            outer_runs.fetch_add(1);
            outer_ran.store(true);
        });
        in_inner_join.store(true);
        inner.wait();
        in_inner_join.store(false);
        CHECK(outer_runs.load() == 1);
        outer.wait();
        CHECK(outer_runs.load() == 1);
        // outer's slot is free again.
        outer.run([&outer_runs] { outer_runs.fetch_add(1); });
        outer.wait();
    });
    pool.wait();
    CHECK(outer_ran_in_inner_join.load());
    CHECK(inner_runs.load() == 1);
    CHECK(outer_runs.load() == 2);
}

TEST_CASE("a stolen child's exception is rethrown by the join, once") {
    pool_type pool(2);
    std::atomic<bool> started{false};
    std::atomic<bool> go{false};
    std::atomic<int> caught{0};
    std::atomic<int> runs{0};
    pool.submit([&] {
        group_type group(pool);
        group.run([&] {
            started.store(true);
            wait_for(go);
            runs.fetch_add(1);
            throw std::runtime_error("stolen child");
        });
        group.run([&runs] { runs.fetch_add(1); });  // a node: the slot is taken
        wait_for(started);
        go.store(true);
        try {
            group.wait();
        } catch (const std::runtime_error&) {
            caught.fetch_add(1);
        }
        group.wait();  // nothing left, nothing rethrown again
    });
    pool.wait();
    CHECK(caught.load() == 1);
    CHECK(runs.load() == 2);
}

}  // namespace
