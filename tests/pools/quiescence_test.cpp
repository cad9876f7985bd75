// work_stealing::quiescence on its own: the count of busy workers that
// work_stealing_pool's wait() reads. The transitions one by one, then a
// stress that races thieves' steals against the victim going idle, with a
// true count of jobs in flight checked after every wait.
#include <doctest/doctest.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <random>
#include <thread>
#include <vector>

#include <pools/detail/completion.hpp>
#include <pools/work_stealing/quiescence.hpp>
#include <queues/chase_lev_deque.hpp>

namespace {

using poolbench::chase_lev_deque;
using poolbench::steal_status;
using poolbench::detail::completion;
using poolbench::work_stealing::busy_state;
using poolbench::work_stealing::quiescence;

TEST_CASE("an outside job keeps the pool pending until its worker goes idle") {
    completion c;
    quiescence q(c);
    busy_state w;
    CHECK(c.idle());
    q.submitted();  // Q1
    CHECK_FALSE(c.idle());
    quiescence::claimed(w, 1);  // Q2: the job's unit becomes the worker's
    CHECK(w.busy);
    CHECK(w.surplus == 0);
    CHECK_FALSE(c.idle());
    q.went_idle(w);  // Q5
    CHECK_FALSE(w.busy);
    CHECK(c.idle());
    q.went_idle(w);  // idle already: nothing
    CHECK(c.idle());
}

TEST_CASE("a batch claimed idle or busy is settled in one step") {
    completion c;
    quiescence q(c);
    busy_state w;
    for (int i = 0; i < 10; ++i) q.submitted();
    quiescence::claimed(w, 4);  // idle: 1 unit its own, 3 surplus
    CHECK(w.surplus == 3);
    quiescence::claimed(w, 6);  // busy: all 6 surplus
    CHECK(w.surplus == 9);
    CHECK_FALSE(c.idle());
    q.went_idle(w);
    CHECK(c.idle());
    CHECK(w.surplus == 0);
}

TEST_CASE("an idle thief counts itself before the steal, a busy one does not") {
    completion c;
    quiescence q(c);
    busy_state victim;
    busy_state thief;
    q.submitted();
    quiescence::claimed(victim, 1);

    const bool announced = q.before_steal(thief);  // Q4
    CHECK(announced);
    q.steal_failed(announced);
    CHECK_FALSE(thief.busy);

    const bool again = q.before_steal(thief);
    quiescence::stole(thief);
    CHECK(again);
    CHECK(thief.busy);
    q.went_idle(victim);  // the victim leaves; the stolen job keeps the count up
    CHECK_FALSE(c.idle());
    CHECK_FALSE(q.before_steal(thief));  // busy: no announcement
    q.went_idle(thief);
    CHECK(c.idle());
}

// The victim pushes a round of jobs into its deque and runs them from the
// bottom while thieves steal from the top, racing for the last job; then it
// goes idle. If a thief's count came after the victim's departure, wait()
// could return while a stolen job still runs: `in_flight` would not be 0.
TEST_CASE("stress: steals race the victim going idle; wait never returns early") {
    constexpr int k_rounds = 20000;
    constexpr int k_thieves = 3;
    completion c;
    quiescence q(c);
    chase_lev_deque<int> deque;
    std::atomic<std::int64_t> in_flight{0};  // jobs pushed and not finished
    std::atomic<int> round_ready{0};         // rounds handed to the victim
    std::atomic<bool> stop{false};
    std::atomic<std::uint64_t> steals{0};

    auto pause = [](unsigned rounds) {  // a few hundred ns that the compiler keeps
        for (unsigned i = 0; i < rounds; ++i) std::atomic_signal_fence(std::memory_order_seq_cst);
    };
    auto run_job = [&] {
        pause(50);
        // release: pairs with the checker's acquire load after wait().
        in_flight.fetch_sub(1, std::memory_order_release);
    };

    std::thread victim([&] {
        busy_state w;
        std::mt19937 rng(7);
        for (int round = 1; round <= k_rounds; ++round) {
            // acquire: pairs with the release store of the round's outside submit.
            while (round_ready.load(std::memory_order_acquire) < round) std::this_thread::yield();
            quiescence::claimed(w, 1);  // claims the outside job of this round
            const int jobs = 1 + static_cast<int>(rng() % 4);
            in_flight.fetch_add(jobs, std::memory_order_relaxed);  // relaxed: before the push
            for (int j = 0; j < jobs; ++j) deque.push(j);
            pause(static_cast<unsigned>(rng() %
                                        2000));  // leave the thieves time to reach the last job
            int item = 0;
            while (deque.try_pop(item)) run_job();
            q.went_idle(w);
        }
    });
    std::vector<std::thread> thieves;
    for (int i = 0; i < k_thieves; ++i) {
        thieves.emplace_back([&] {
            busy_state w;
            while (!stop.load(std::memory_order_relaxed)) {  // relaxed: a stop flag
                if (deque.approx_size() <= 0) continue;
                const bool announced = q.before_steal(w);
                int item = 0;
                if (deque.steal(item) == steal_status::success) {
                    quiescence::stole(w);
                    steals.fetch_add(1, std::memory_order_relaxed);  // relaxed: statistic
                    run_job();
                    q.went_idle(w);
                } else {
                    q.steal_failed(announced);
                }
            }
        });
    }
    int early = 0;
    for (int round = 1; round <= k_rounds; ++round) {
        q.submitted();
        // release: pairs with the victim's acquire load.
        round_ready.store(round, std::memory_order_release);
        // Watch the count the way wait()'s first look does, so that even a
        // zero that lasts a moment is caught (wait() itself re-checks before
        // it sleeps, which can hide one).
        while (!c.idle()) std::this_thread::yield();
        // acquire: pairs with the release decrements of the jobs.
        if (in_flight.load(std::memory_order_acquire) != 0) ++early;
    }
    stop.store(true, std::memory_order_relaxed);  // relaxed: a stop flag
    victim.join();
    for (auto& t : thieves) t.join();
    CHECK(early == 0);
    CHECK(c.idle());
    MESSAGE("steals: " << steals.load());
}

}  // namespace
