// work_stealing_pool's fork-join (work_stealing/join.hpp, steps J1-J4, and
// the latent forks of work_stealing/latent.hpp, L1-L4) on its own, with
// children that hold on until the test lets them go, so that each case
// takes the path it names: a latent child promoted on request, stolen and
// joined by helping, the slot reused after that, a child run by its worker
// inside the join of another of its groups, a stolen child's exception, an
// only child's exception and a cancelled group's child at the join's fast path, a
// parked worker brought in by a busy one's forks, a group's blocking children
// published to idle workers (also while busy workers hold every CPU), a
// latent stack deep enough to grow, and the
// pool's count of jobs run, a group of many children that fills the
// latent stack past its first array, a group whose children are of several
// kinds (kept closures of two types, nodes, the slot), one cancelled by
// its own child, and a parallel_for piece that splits for an idle worker's
// request. Each child counts its runs; each must run once.
#include <doctest/doctest.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <pools/parallel_for.hpp>
#include <pools/task_group.hpp>
#include <pools/work_stealing_pool.hpp>
#include <pools/worker_index.hpp>

#include "../support/all_running.hpp"
#include "../support/eventually.hpp"

namespace {

using pool_type = poolbench::work_stealing_pool;
using group_type = poolbench::task_group<pool_type>;

void wait_for(const std::atomic<bool>& flag) {
    while (!flag.load()) std::this_thread::yield();
}

// Waits until every worker of the pool has parked (false after 10 s).
bool all_parked(const pool_type& pool) {
    return poolbench::test::eventually(
        [&] { return pool.parked_workers() == pool.worker_count(); });
}

// wait_for() in a job that keeps forking, as fine-grained fork-join does: a
// fork is where its worker promotes its oldest latent fork, on another
// worker's request or on the heartbeat (L2), so that child can be stolen.
// A job that only spun would keep its latent children to itself.
void wait_forking(pool_type& pool, const std::atomic<bool>& flag) {
    while (!flag.load()) {
        group_type scratch(pool);
        scratch.run([] {});
        scratch.wait();
        std::this_thread::yield();
    }
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
        wait_forking(pool, started);  // promoted, then started by the other worker
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
        wait_forking(pool, inner_started);  // the other worker holds inner's child
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
        wait_forking(pool, started);
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

TEST_CASE(
    "a group's only child, called by its own join: its exception comes out as it is, "
    "once; a cancelled group skips it") {
    pool_type pool(1);  // one worker: nothing is stolen, every join takes its fast path
    int caught = 0;
    int runs = 0;
    bool cancelled_ran = false;
    bool cancelled_after = true;
    pool.submit([&] {
        group_type group(pool);
        for (int round = 0; round < 3; ++round) {
            group.run([&runs] {
                ++runs;
                throw std::runtime_error("only child");
            });
            try {
                group.wait();
            } catch (const std::runtime_error& e) {
                if (std::string_view(e.what()) == "only child") ++caught;
            }
            group.wait();                    // nothing left, nothing rethrown again
            group.run([&runs] { ++runs; });  // the slot serves the next round
            group.wait();
        }
        cancelled_after = group.is_cancelled();
        group_type skipped(pool);
        skipped.cancel();
        skipped.run([&cancelled_ran] { cancelled_ran = true; });
        skipped.wait();
    });
    pool.wait();
    CHECK(caught == 3);
    CHECK(runs == 6);
    CHECK_FALSE(cancelled_after);
    CHECK_FALSE(cancelled_ran);
    CHECK(pool.stats().jobs_run == 1 + 6 + 1);  // the job, its six children, the skipped one
}

TEST_CASE("a worker parked before the work came is brought in by the forks") {
    // Both workers park first; the one woken for the job runs fork-join
    // trees whose forks stay latent until one is promoted (on a beat, or on
    // the request the other left before it parked), and the push that
    // promotes it wakes the sleeper (idle protocol step 5). Gives up after
    // 30 s instead of hanging, and then fails.
    pool_type pool(2);
    REQUIRE(all_parked(pool));
    std::atomic<bool> seen[2] = {false, false};
    std::atomic<bool> both{false};
    std::atomic<long> leaves{0};
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    struct tree {
        pool_type& pool;
        std::atomic<bool> (&seen)[2];
        std::atomic<long>& leaves;
        void operator()(int depth) const {
            if (depth == 0) {
                seen[*poolbench::this_worker_index()].store(true);
                leaves.fetch_add(1);
                return;
            }
            group_type group(pool);
            group.run([this, depth] { (*this)(depth - 1); });
            (*this)(depth - 1);
            group.wait();
        }
    };
    long runs = 0;
    pool.submit([&] {
        while (!(seen[0].load() && seen[1].load()) && std::chrono::steady_clock::now() < deadline) {
            tree{pool, seen, leaves}(10);
            ++runs;
        }
        both.store(seen[0].load() && seen[1].load());
    });
    pool.wait();
    CHECK(both.load());
    CHECK(leaves.load() == runs * 1024);
}

// Submits a job that forks k children, each of which waits at `children`
// and then counts its run in `runs`, and joins them.
void submit_arriving_group(pool_type& pool, int k, poolbench::test::all_running& children,
                           std::atomic<int>& runs) {
    pool.submit([&pool, k, &children, &runs] {
        group_type group(pool);
        for (int i = 0; i < k; ++i) {
            group.run([&] {
                children.arrive();
                runs.fetch_add(1);
            });
        }
        group.wait();
    });
}

TEST_CASE("a join publishes its latent forks while workers sleep") {
    // Forked inside a job, each of the group's children waits until all of
    // them run: the join finds workers parked, so it publishes the latent
    // ones (promote_before_join) rather than run them one after another.
    // task_group promises no such concurrency (pools/task_group.hpp); this
    // checks the join's rule for an idle pool, so it starts once every
    // worker has parked: with workers still searching at the join (threads
    // slow to start on a loaded machine) the rule does not apply, and a
    // searcher's request that comes after the join ran its latent child
    // finds that child blocked (4 runs of 100 under load stalled so, after
    // a fixed 5 ms sleep instead of this wait). Gives up after 30 s instead
    // of hanging, and then fails.
    for (int round = 0; round < 4; ++round) {
        CAPTURE(round);
        pool_type pool(4);
        REQUIRE(all_parked(pool));
        constexpr int k_children = 3;
        poolbench::test::all_running children(k_children);
        std::atomic<int> runs{0};
        submit_arriving_group(pool, k_children, children, runs);
        pool.wait();
        CHECK_FALSE(children.gave_up());
        CHECK(runs.load() == k_children);
    }
}

TEST_CASE("a job's first join publishes its latent forks also while busy workers hold every CPU") {
    // In a pool with more workers than CPUs whose other jobs keep as many
    // workers busy as there are CPUs, a sleeper woken would take a CPU from a
    // busy worker, so the join rule publishes only at a job's first join,
    // and then once a beat (work_stealing/latent.hpp); the group's job is
    // such a first join. Each child waits until two of them run: the one
    // its join runs, and one another worker took. (All three, as above,
    // needs a second woken worker, and a wake-up after a push from inside a
    // worker is not promised, idle.hpp step 5: that form stalled in 4 of
    // 150 runs.)
    const std::size_t cpus = poolbench::default_worker_count();
    constexpr int k_children = 3;
    for (int round = 0; round < 4; ++round) {
        CAPTURE(round);
        pool_type pool(cpus + k_children + 1);
        std::atomic<bool> release{false};
        std::atomic<std::size_t> busy{0};
        for (std::size_t i = 0; i < cpus; ++i) {
            pool.submit([&] {
                busy.fetch_add(1);
                wait_for(release);
            });
        }
        while (busy.load() < cpus) std::this_thread::yield();
        poolbench::test::all_running children(2);
        std::atomic<int> runs{0};
        submit_arriving_group(pool, k_children, children, runs);
        while (runs.load() < k_children && !children.gave_up()) std::this_thread::yield();
        release.store(true);
        pool.wait();
        CHECK_FALSE(children.gave_up());
        CHECK(runs.load() == k_children);
    }
}

TEST_CASE("a latent stack deeper than its first array grows, also while forks are promoted") {
    // A spine of nested groups, each forking its children before it
    // recurses: thousands of latent forks at once, the oldest promoted and
    // stolen by the other worker while the spine grows (the stack slides or
    // doubles). With one child a group, each is its group's slot; with
    // three, the later two are kept in their latent cells, which move with
    // the stack and are promoted into nodes.
    pool_type pool(2);
    constexpr int k_depth = 2000;
    for (const int children : {1, 3}) {
        CAPTURE(children);
        std::atomic<int> runs[k_depth] = {};
        struct spine {
            pool_type& pool;
            std::atomic<int> (&runs)[k_depth];
            int children;
            void operator()(int depth) const {
                if (depth == k_depth) return;
                group_type group(pool);
                for (int c = 0; c < children; ++c) {
                    group.run([this, depth] {
                        runs[depth].fetch_add(1);
                        if (depth % 64 == 0) std::this_thread::yield();  // time for a thief
                    });
                }
                (*this)(depth + 1);
                group.wait();
            }
        };
        for (int round = 0; round < 3; ++round) {
            pool.submit([&] { spine{pool, runs, children}(0); });
            pool.wait();
        }
        int wrong = 0;
        for (const auto& r : runs) wrong += r.load() != 3 * children;
        CHECK(wrong == 0);
    }
}

TEST_CASE("children kept in their latent cells rethrow their group's first exception, once") {
    // Groups of ten children, the later nine kept in their cells, some of
    // which throw, at 1 and 2 workers (stolen ones then run as nodes): each
    // wait rethrows an exception of its own group, and only when one of its
    // children threw; every child runs once.
    for (const std::size_t workers : {std::size_t{1}, std::size_t{2}}) {
        CAPTURE(workers);
        pool_type pool(workers);
        constexpr int k_groups = 2000;
        std::atomic<int> runs{0};
        std::atomic<int> wrong{0};
        pool.submit([&] {
            for (int g = 0; g < k_groups; ++g) {
                group_type group(pool);
                const bool throws = g % 3 == 0;
                for (int c = 0; c < 10; ++c) {
                    group.run([&runs, g, c, throws] {
                        runs.fetch_add(1);
                        if (throws && c % 4 == 1) throw g;
                    });
                }
                try {
                    group.wait();
                    if (throws) wrong.fetch_add(1);
                } catch (int from) {
                    if (!throws || from != g) wrong.fetch_add(1);
                }
            }
        });
        pool.wait();
        CHECK(wrong.load() == 0);
        CHECK(runs.load() == 10 * k_groups);
    }
}

TEST_CASE("every child counts once in jobs_run, however it ran, by the time wait() returns") {
    // fib's forks at 2 workers: most children are called in place by their
    // join (counted in the worker's plain count, added to jobs_run after
    // each job), some promoted and popped back or stolen (counted by the
    // pool's run()). pool.wait() returns after every count is in.
    pool_type pool(2);
    struct fib {
        pool_type& pool;
        long operator()(int n) const {
            if (n < 2) return n;
            group_type group(pool);
            long a = 0;
            group.run([this, &a, n] { a = (*this)(n - 1); });
            const long b = (*this)(n - 2);
            group.wait();
            return a + b;
        }
    };
    constexpr int n = 22;
    constexpr std::uint64_t forks = 28'656;  // F(n + 1) - 1
    for (int round = 0; round < 3; ++round) {
        const auto before = pool.stats().jobs_run;
        long result = 0;
        pool.submit([&] { result = fib{pool}(n); });
        pool.wait();
        CHECK(result == 17'711);
        CHECK(pool.stats().jobs_run - before == forks + 1);  // and the root
    }
}

TEST_CASE("a group of many children pushes past every countdown and array size, each once") {
    // One group forking 100,000 children, one in ten of which passes a
    // promotion point (what parallel_for's blocks do: it ticks the
    // heartbeat's countdown without a fork): the latent stack is filled
    // without a test of its own, under the countdown, and grown where the
    // countdown runs out (ws_worker::rearm()); jobs_run counts the forks,
    // not the promotion points.
    constexpr int k_children = 100'000;
    for (const std::size_t workers : {std::size_t{1}, std::size_t{2}}) {
        CAPTURE(workers);
        pool_type pool(workers);
        std::atomic<std::uint64_t> sum{0};
        const auto before = pool.stats().jobs_run;
        pool.submit([&] {
            group_type group(pool);
            for (int i = 0; i < k_children; ++i) {
                group.run([&pool, &sum, i] {
                    if (i % 10 == 0) pool.promotion_point();
                    sum.fetch_add(static_cast<std::uint64_t>(i));
                });
            }
            group.wait();
        });
        pool.wait();
        CHECK(sum.load() == std::uint64_t{k_children} * (k_children - 1) / 2);
        CHECK(pool.stats().jobs_run - before == k_children + 1);  // and the root
    }
}

TEST_CASE("a group's children of several kinds each run once, youngest first at one worker") {
    // A join runs a group's children kept in their cells by their type's
    // own loop (ws_kept::run_own()), which hands back to the join at a
    // child of another type or a node, and runs the slot (the round's first
    // child) after the kept ones. Groups of twelve: kept closures of two
    // types, one of which forks a nested group, and closures too big to
    // keep (nodes), interleaved. At one worker nothing is stolen, so a join
    // runs its children as the serial program's stack would, youngest
    // first; at two, any may be promoted and stolen. Each runs once.
    constexpr int k_groups = 500;
    constexpr int k_children = 12;
    for (const std::size_t workers : {std::size_t{1}, std::size_t{2}}) {
        CAPTURE(workers);
        pool_type pool(workers);
        std::vector<std::atomic<int>> runs(k_groups * k_children);
        std::vector<int> order;  // child indices in the order they ran (one worker)
        std::atomic<int> nested{0};
        pool.submit([&] {
            for (int g = 0; g < k_groups; ++g) {
                group_type group(pool);
                for (int c = 0; c < k_children; ++c) {
                    const int i = g * k_children + c;
                    auto note = [&runs, &order, workers, i] {
                        runs[static_cast<std::size_t>(i)].fetch_add(1);
                        if (workers == 1) order.push_back(i);
                    };
                    if (c % 3 == 0) {
                        group.run(note);
                    } else if (c % 3 == 1) {
                        group.run([&pool, &nested, note] {
                            group_type inner(pool);
                            inner.run([&nested] { nested.fetch_add(1); });
                            inner.run([&nested] { nested.fetch_add(1); });
                            inner.wait();
                            note();
                        });
                    } else {
                        struct big {
                            char pad[64];
                        };
                        group.run([note, pad = big{}] {
                            (void)pad;
                            note();
                        });
                    }
                }
                group.wait();
            }
        });
        pool.wait();
        int wrong = 0;
        for (const auto& r : runs) wrong += r.load() != 1;
        CHECK(wrong == 0);
        CHECK(nested.load() == 2 * k_groups * (k_children / 3));
        if (workers == 1) {
            bool youngest_first = order.size() == runs.size();
            for (std::size_t k = 0; youngest_first && k < order.size(); ++k) {
                const auto g = static_cast<int>(k) / k_children;
                const auto c = static_cast<int>(k) % k_children;
                youngest_first = order[k] == g * k_children + (k_children - 1 - c);
            }
            CHECK(youngest_first);
        }
    }
}

TEST_CASE("a child that cancels its group skips the siblings not yet started") {
    // Ten kept children; the sixth forked cancels the group. At one worker
    // the join runs them youngest first, so the five forked after it ran,
    // and the five forked before it (the slot's among them) skip. At two,
    // a stolen child may run before the cancel: every child runs at most
    // once, and the sixth runs.
    for (const std::size_t workers : {std::size_t{1}, std::size_t{2}}) {
        CAPTURE(workers);
        pool_type pool(workers);
        constexpr int k_groups = 300;
        std::atomic<int> wrong{0};
        pool.submit([&] {
            for (int g = 0; g < k_groups; ++g) {
                group_type group(pool);
                std::array<std::atomic<int>, 10> runs{};
                for (int c = 0; c < 10; ++c) {
                    group.run([&group, &runs, c] {
                        runs[static_cast<std::size_t>(c)].fetch_add(1);
                        if (c == 5) group.cancel();
                    });
                }
                group.wait();
                int ran = 0;
                for (const auto& r : runs) {
                    if (r.load() > 1) wrong.fetch_add(1);
                    ran += r.load();
                }
                if (!group.is_cancelled() || runs[5].load() != 1) wrong.fetch_add(1);
                if (workers == 1 && ran != 5) wrong.fetch_add(1);
            }
        });
        pool.wait();
        CHECK(wrong.load() == 0);
    }
}

TEST_CASE("a loop's piece with no split left splits for a worker that asks") {
    // A job on one worker runs parallel_for over 64 indices. Its piece
    // halves twice (rayon's splitter: `threads` splits, one per halving)
    // and keeps [0, 16) with none left, its forks [16, 64) going to the
    // other worker on request. Each index the job's worker runs takes 5 ms;
    // the other worker's take nothing, so it is idle and asking long before
    // the kept piece ends. A piece splits again only on demand
    // (work_stealing_pool::work_requested()): then the asker takes part of
    // [0, 16), and the job's worker runs fewer than 16 indices. Every index
    // runs once.
    constexpr int k_indices = 64;
    pool_type pool(2);
    std::vector<std::atomic<int>> runs(k_indices);
    std::atomic<int> by_owner{0};
    std::atomic<bool> done{false};
    pool.submit([&] {
        const auto owner = poolbench::this_worker_index();
        poolbench::parallel_for(pool, 0, k_indices, [&](int i) {
            runs[static_cast<std::size_t>(i)].fetch_add(1);
            if (poolbench::this_worker_index() == owner) {
                by_owner.fetch_add(1);
                std::this_thread::sleep_for(std::chrono::milliseconds(5));
            }
        });
        done.store(true);
    });
    pool.wait();
    REQUIRE(done.load());
    for (const auto& r : runs) CHECK(r.load() == 1);
    CHECK(by_owner.load() < k_indices / 4);
}

TEST_CASE("a loop in a one-worker pool's job runs in order, and a throw stops it there") {
    // With one worker nobody can take a fork, so the loop is one chunk
    // (auto_loop::alone()): the indices run on the job's worker in order,
    // and a throw at index 100 leaves every later index unrun and reaches
    // the job. Then an index loop and a chunk loop run to the end.
    pool_type pool(1);
    constexpr int k_indices = 1000;
    std::vector<int> order;
    std::vector<std::pair<int, int>> chunks;
    bool rethrown = false;
    bool same_worker = true;
    pool.submit([&] {
        const auto owner = poolbench::this_worker_index();
        try {
            poolbench::parallel_for(pool, 0, k_indices, [&](int i) {
                if (poolbench::this_worker_index() != owner) same_worker = false;
                order.push_back(i);
                if (i == 100) throw std::runtime_error("index 100");
            });
        } catch (const std::runtime_error&) {
            rethrown = true;
        }
        poolbench::parallel_for(pool, k_indices, 2 * k_indices, [&](int i) { order.push_back(i); });
        poolbench::parallel_for(pool, 0, k_indices,
                                [&](int lo, int hi) { chunks.emplace_back(lo, hi); });
    });
    pool.wait();  // orders the job's writes before the reads below
    CHECK(rethrown);
    CHECK(same_worker);
    REQUIRE(order.size() == 101 + k_indices);
    for (std::size_t k = 0; k < order.size(); ++k) {
        CHECK(order[k] == static_cast<int>(k <= 100 ? k : k - 101 + k_indices));
    }
    REQUIRE(chunks.size() == 1);
    CHECK(chunks[0] == std::pair{0, k_indices});
}

}  // namespace
