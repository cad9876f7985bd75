// detail::ws_worker: one work_stealing_pool worker's own state: its Chase-Lev
// deque of tasks, its free list of task nodes, its statistics and its random
// victim sequence. Aligned to its own cache lines: the deque's indices are
// read by thieves, everything else is touched by the owner only.
// Owner thread only, except deque.steal() and counters.snapshot().
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>

#include <base/instrument.hpp>
#include <pools/config.hpp>
#include <pools/detail/counters.hpp>
#include <pools/detail/group_status.hpp>
#include <pools/job.hpp>
#include <pools/work_stealing/latent.hpp>
#include <pools/work_stealing/quiescence.hpp>
#include <queues/chase_lev_deque.hpp>

namespace poolbench::detail {

class ws_worker;

// The join record of one fork-join group of work_stealing_pool (its
// native_task_group, which lives in the forking job's stack frame); the
// join protocol (J1-J4) is stated in work_stealing/join.hpp. The owner
// counts the children it has forked and not seen finish with a plain
// integer; only a child that another worker stole reports with an atomic
// increment, its last access to the group. So a fork that nobody steals
// costs no read-modify-write at all. The group's status (its first
// exception, whether it was cancelled) is here too, so that whichever
// worker runs a child reaches it through the child's node: children are
// the user's callables as they are, with no handler of their own.
// pending, restart(): the owner's thread only. finished_on(), run_child():
// the worker that runs the child. all_done(): the owner.
struct ws_join {
    explicit ws_join(ws_worker* owner_worker) noexcept : owner(owner_worker) {}

    // A child of this group has finished (its captures destroyed) on w:
    // J2 when w is the owner, J3 when it is a thief.
    void finished_on(const ws_worker& w) noexcept {
        if (&w == owner) {
            --pending;
        } else {
            // release: pairs with the acquire load in all_done(): the child's
            // writes, and its last use of the group, happen before the
            // owner sees it finished.
            finished_elsewhere.fetch_add(1, std::memory_order_release);
            instrument::rmw(instrument::site::join, &finished_elsewhere);
        }
    }

    // Runs a child's job, on whichever worker: skips its body when the
    // group was cancelled (only its captures are destroyed), and records
    // its exception (before the finished_on() that follows, which
    // publishes it to the owner).
    [[gnu::always_inline]] void run_child(job& work) noexcept {
        // consume() destroys the captures, also when the child throws.
        if (!status.run_child([&work] { work.consume(); })) work.reset();
    }

    // Whether every child forked since the last restart() has finished.
    bool all_done() const noexcept {
        // acquire: pairs with the release increment in finished_on().
        return finished_elsewhere.load(std::memory_order_acquire) == pending;
    }

    // J4's end, once all_done(): no child of this round is left to touch
    // the record, so its counts start again from zero.
    void restart() noexcept {
        pending = 0;
        // relaxed: all_done()'s acquire load read the last increment, so
        // this store comes after every one of them; a thief of a later
        // child is ordered after it by the push that publishes that child
        // (the release in publish_bottom(), paired with the acquire load of
        // the bottom in steal()).
        finished_elsewhere.store(0, std::memory_order_relaxed);
    }

    ws_worker* const owner;  // the group's owner; null for a group made outside the pool
    // Forked since the last restart() and not run by the owner: the ones
    // still queued or running, and those stolen ones that have finished.
    std::uint64_t pending = 0;
    std::atomic<std::uint64_t> finished_elsewhere{0};
    group_status status;
};

// A job in a worker's deque, or a latent fork on its latent stack. Nodes are recycled through the
// free list of whichever worker ran them, so a steady state allocates nothing; a fork-join group's
// slot, where its first child of a round lives, is in the group itself (in_frame) and is never
// recycled.
struct ws_task {
    ws_task() noexcept = default;
    // A group's slot (in_frame), built in the group by each round's first
    // fork.
    template <class F>
    ws_task(F&& f, ws_join* group) : work(std::forward<F>(f)), join(group), in_frame(true) {}

    job work;
    ws_task* next_free;  // only ever read on the free list, which sets it
    // The group of a fork-join child, whose parent job stays pending until
    // the child has finished, so the pool's pending count does not track it.
    // Null for a job submitted to the pool.
    ws_join* join = nullptr;
    bool in_frame = false;
};

class alignas(k_cache_line) ws_worker {
public:
    explicit ws_worker(std::uint64_t seed) noexcept : m_random(seed | 1) {}

    ws_worker(const ws_worker&) = delete;
    ws_worker& operator=(const ws_worker&) = delete;

    ~ws_worker() {
        ws_task* t = nullptr;
        while (deque.try_pop(t)) delete t;
        while (m_free != nullptr) delete std::exchange(m_free, m_free->next_free);
    }

    // A node holding f (a callable or a job), from the free list when it has
    // one. Owner only. Throws what building the job throws (nothing is
    // leaked).
    template <class F>
    ws_task* make_task(F&& f, ws_join* join = nullptr) {
        ws_task* t = m_free;
        if (t != nullptr) {
            m_free = t->next_free;
            --m_free_count;
        } else {
            t = new ws_task;
        }
        try {
            t->work.emplace_empty(std::forward<F>(f));  // recycled nodes hold no job
        } catch (...) {
            recycle(t);
            throw;
        }
        t->join = join;
        return t;
    }

    // Returns a node whose job is empty (consumed, reset or moved from:
    // make_task() builds the next one in it without a reset). Owner only;
    // the node may have been made by another worker.
    void recycle(ws_task* t) noexcept {
        if (m_free_count >= k_max_free) {
            delete t;
            return;
        }
        t->next_free = m_free;
        m_free = t;
        ++m_free_count;
    }

    // A victim index in [0, n), from a xorshift64 sequence. Owner only.
    std::size_t random_index(std::size_t n) noexcept {
        m_random ^= m_random << 13;
        m_random ^= m_random >> 7;
        m_random ^= m_random << 17;
        return static_cast<std::size_t>(m_random % n);
    }

    // Jobs taken from the injection queue beyond the first, on their way to
    // the deque (kept here so a search builds no 4 KB array on the stack),
    // and one more slot for the first. Empty between takes, except when
    // memory ran out while wrapping them: then [held_begin, held_end) are
    // claimed jobs the worker runs from here before it looks elsewhere.
    static constexpr std::size_t k_inbox_size = 63;
    std::array<job, k_inbox_size + 1> inbox;
    std::size_t held_begin = 0;
    std::size_t held_end = 0;
    bool holds_jobs() const noexcept { return held_begin != held_end; }

    chase_lev_deque<ws_task*> deque;
    ws_latent latent;
    ws_heartbeat heartbeat;
    // Fork-join children this worker ran since it last added them to
    // counters.jobs_run (owner only). A plain count, on the latent stack's
    // line: a join that calls its child in place adds one with a single
    // instruction, where the relaxed atomic counter takes a load and a
    // store (scripts/fork-cost: 2 per fork). report_children_run() after
    // every job, so stats() lags by at most the job running now.
    std::uint64_t children_run = 0;
    void report_children_run() noexcept {
        if (children_run != 0) {
            worker_counters::bump(counters.jobs_run, children_run);
            children_run = 0;
        }
    }
    ws_work_request work_request;
    worker_counters counters;
    work_stealing::busy_state quiescence;    // owner only (work_stealing/quiescence.hpp)
    std::chrono::nanoseconds poll_budget{};  // this worker's next idle poll (owner only)
    // Turns of the worker loop since its last fair turn (owner only;
    // work_stealing_pool::k_fair_interval).
    std::uint32_t fair_turns = 0;

private:
    // Enough nodes to absorb a burst without returning them to the heap, few
    // enough that an idle worker holds at most ~1 MB.
    static constexpr std::size_t k_max_free = 8192;

    ws_task* m_free = nullptr;
    std::size_t m_free_count = 0;
    std::uint64_t m_random;
};

}  // namespace poolbench::detail
