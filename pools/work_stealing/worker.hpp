// detail::ws_worker: one work_stealing_pool worker's own state: its Chase-Lev
// deque of tasks, its free list of task nodes, its statistics and its random
// victim sequence. Aligned to its own cache lines: the deque's indices are
// read by thieves, everything else is touched by the owner only.
// Owner thread only, except deque.steal() and counters.snapshot().
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <type_traits>
#include <utility>

#include <base/instrument.hpp>
#include <pools/config.hpp>
#include <pools/detail/counters.hpp>
#include <pools/detail/cpu_placement.hpp>
#include <pools/detail/group_counter.hpp>
#include <pools/detail/group_status.hpp>
#include <pools/job.hpp>
#include <pools/work_stealing/latent.hpp>
#include <pools/work_stealing/quiescence.hpp>
#include <queues/chase_lev_deque.hpp>

namespace poolbench::detail {

class ws_worker;
struct ws_join;

// A job in a worker's deque, or a latent fork on its latent stack. Nodes
// are recycled through the free list of whichever worker ran them, so a
// steady state allocates nothing. A fork-join group's slot, where its first
// child of a round lives, is a ws_task too, the first member of the group's
// join record (ws_join::slot), so its address is the record's: a fork
// builds only its job, and its `join` is written when it leaves the latent
// stack to run anywhere but in its own join (ws_latent_entry::take()).
struct ws_task {
    ws_task() noexcept : join(nullptr) {}
    // A group's slot, built by each round's first fork: `join` unset.
    template <class F>
    ws_task(std::in_place_t, F&& f) : work(std::forward<F>(f)) {}

    // Whether this is a group's slot (never recycled), not a node.
    // Precondition: join is set.
    bool in_frame() const noexcept { return static_cast<const void*>(join) == this; }

    job work;
    ws_task* next_free;  // only ever read on the free list, which sets it
    // The group of a fork-join child, whose parent job stays pending until
    // the child has finished, so the pool's pending count does not track it.
    // Null for a job submitted to the pool.
    ws_join* join;
};

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
// The thieves' count, finished_elsewhere, is set up only when a child of
// the round is first promoted (published()), which a fork that stays
// latent never is: a group costs its fork its owner, its pending count
// and its status.
// A group made outside the pool uses the slot's storage for the count of
// the jobs it submitted instead (outside).
// pending, restart(), published(): the owner's thread only. finished_on(),
// run_child(): the worker that runs the child. all_done(): the owner.
struct ws_join {
    explicit ws_join(ws_worker* owner_worker) noexcept : owner(owner_worker) {
        if (owner == nullptr) ::new (static_cast<void*>(&outside)) group_counter;
    }
    ws_join(const ws_join&) = delete;
    ws_join& operator=(const ws_join&) = delete;
    // The slot is never destroyed: once its child has run its job is empty
    // (consumed, or reset when the fork failed), so there is nothing to
    // destroy, and the next round builds it afresh over the old one.
    ~ws_join() {}

    // A child of this group goes onto its owner's deque (L2, latent.hpp),
    // where another worker may take it. The first in a round starts the
    // thieves' count, before the push that publishes the child.
    void published() noexcept {
        if ((pending & k_published) == 0) {
            // relaxed: no thief of this round can hold a child yet (this is
            // its first); thieves of later children are ordered after this
            // store by the push that publishes them (the release in
            // publish_bottom(), paired with the acquire load of the bottom in
            // steal()); and the previous round's last increment was read by
            // all_done()'s acquire load before restart(), so this store
            // comes after it.
            elsewhere().store(0, std::memory_order_relaxed);
            pending |= k_published;
        }
    }

    // A child of this group has finished (its captures destroyed) on w:
    // J2 when w is the owner, J3 when it is a thief.
    void finished_on(const ws_worker& w) noexcept {
        if (&w == owner) {
            --pending;
        } else {
            // release: pairs with the acquire load in all_done(): the child's
            // writes, and its last use of the group, happen before the
            // owner sees it finished.
            elsewhere().fetch_add(1, std::memory_order_release);
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

    // run_child() for a child kept in the latent cell c, popped just now
    // (the cell is not read after the child starts: ws_kept::run()).
    [[gnu::always_inline]] void run_kept(const ws_latent_cell& c) noexcept {
        status.run_child([&c] { c.ops->run(c.closure); });
    }

    // Whether every child forked since the last restart() has finished.
    bool all_done() noexcept {
        if ((pending & k_published) == 0) return pending == 0;
        // acquire: pairs with the release increment in finished_on().
        return elsewhere().load(std::memory_order_acquire) == (pending & ~k_published);
    }

    // J4's end, once all_done(): no child of this round is left to touch
    // the record, so its counts start again from zero (the thieves' at the
    // round's first promotion).
    void restart() noexcept { pending = 0; }

    // First, so that the slot's address is the record's.
    union {
        ws_task slot;  // inside a worker: the round's first child (J1)
        // Outside: the count of children submitted (trivially destructible).
        group_counter outside;
    };
    ws_worker* const owner;  // the group's owner; null for a group made outside the pool
    // Forked since the last restart() and not run by the owner: the ones
    // still queued or running, and those stolen ones that have finished;
    // plus k_published once a child of the round was promoted. Below 2^63,
    // so positive as a signed number once a child is forked (the test of
    // native_task_group::run()). For a group made outside the pool, minus
    // the children submitted (below zero as a signed number).
    std::uint64_t pending = 0;
    group_status status;

    static constexpr std::uint64_t k_published = std::uint64_t{1} << 62;

    // Stolen children of the round that have finished: live only while
    // pending holds k_published (set up by published()). Only through
    // elsewhere().
    alignas(std::atomic_ref<std::uint64_t>::required_alignment) std::uint64_t finished_elsewhere;
    std::atomic_ref<std::uint64_t> elsewhere() noexcept {
        return std::atomic_ref<std::uint64_t>(finished_elsewhere);
    }
};
static_assert(std::is_trivially_destructible_v<group_counter>);
// The slot and its record share an address (ws_latent_entry).
static_assert(std::is_standard_layout_v<ws_join>);

// An entry of a worker's latent stack (ws_latent): a node's address; a
// group's slot's (its join record's) + 1, for a slot whose `join` is not
// written yet; or a group's record's + 2, for a child kept in the entry's
// own cell (ws_latent_cell). The stack's "no fork" (ws_latent::k_none, what
// top() reads on an empty stack) is tagged as a slot's is, but no slot's,
// so a join that looks for its own children compares its two tags and
// tests one bit to leave both aside.
struct ws_latent_entry {
    static bool tagged(std::uintptr_t e) noexcept { return (e & 1) != 0; }
    static bool kept(std::uintptr_t e) noexcept { return (e & 2) != 0; }
    static std::uintptr_t node(ws_task* t) noexcept { return reinterpret_cast<std::uintptr_t>(t); }
    // + 1, not | 1 (the same on an aligned address): an addition folds
    // into the address's lea, where the compiler keeps an `or` of its own
    // (scripts/fork-cost: 3 instructions per fork).
    static std::uintptr_t slot(ws_join& j) noexcept {
        static_assert(alignof(ws_join) >= 4);
        return reinterpret_cast<std::uintptr_t>(&j) + 1;
    }
    static std::uintptr_t kept(ws_join& j) noexcept {
        return reinterpret_cast<std::uintptr_t>(&j) + 2;
    }
    // The group of a kept child's entry.
    static ws_join& kept_join(std::uintptr_t e) noexcept {
        return *reinterpret_cast<ws_join*>(e - 2);
    }
    // The fork a node's or a slot's entry holds, ready to run anywhere (a
    // slot's join written). Precondition: !kept(e).
    static ws_task* take(std::uintptr_t e) noexcept {
        if (tagged(e)) {
            ws_join* const j = reinterpret_cast<ws_join*>(e - 1);
            j->slot.join = j;
            return &j->slot;
        }
        return reinterpret_cast<ws_task*>(e);
    }
};

// Where a worker was last seen running: its CPU (-1: unknown) when it
// started, woke from a sleep or took a job from elsewhere (a steal, the
// injection queue). Written by the owner, only when the CPU changed; read by
// other workers when they wake from a sleep
// (work_stealing_pool::leave_shared_cpu()). On its own cache line, which
// only a migration writes. A hint: it may be stale.
class alignas(k_cache_line) ws_cpu_hint {
public:
    // Owner only: records the CPU the owner runs on now; returns it.
    int note() noexcept {
        const int now = current_cpu();
        // relaxed (both, and in set() and get()): a hint with no partner;
        // nothing is published through it.
        if (m_cpu.load(std::memory_order_relaxed) != now)
            m_cpu.store(now, std::memory_order_relaxed);
        return now;
    }
    // Owner only.
    void set(int cpu) noexcept {
        // relaxed: a hint, as in note().
        m_cpu.store(cpu, std::memory_order_relaxed);
    }
    // Any thread.
    int get() const noexcept {
        // relaxed: a hint, as in note().
        return m_cpu.load(std::memory_order_relaxed);
    }

private:
    std::atomic<int> m_cpu{-1};
};

// How many rounds of its search a worker has made while counted as
// searching (idle protocol step 1): written by the owner once a round,
// read by a worker whose brief search ends, to tell a searcher that polls
// from one whose CPU another thread holds
// (work_stealing_pool::searchers_stalled()). On its own cache line, which
// only a searching worker writes.
class alignas(k_cache_line) ws_search_rounds {
public:
    // Owner only, once a round of its search.
    void add() noexcept {
        // relaxed (both): a count with no partner; nothing is published
        // through it, and a late read only delays a decision by a round.
        m_rounds.store(m_rounds.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    }
    // Any thread.
    std::uint64_t get() const noexcept {
        // relaxed: as in add().
        return m_rounds.load(std::memory_order_relaxed);
    }

private:
    std::atomic<std::uint64_t> m_rounds{0};
};

// How often a worker's loop takes a fair turn (work_stealing_pool::
// fair_turn(): waiting outside jobs, else its own oldest job, ahead of its
// deque's newest). Every k_longest turns while the turns are short, as
// tokio's and Go's schedulers look at their global queues every 61 ticks.
// Counted in turns alone, a fair turn came once every 61 jobs however long
// they ran: behind jobs of 10 us that resubmit themselves (spawn_busy's
// background), outside jobs got 64 places every 610 us, 11 us per outside
// submit at one worker against the mutex pool's 0.2 us. So the interval is
// paced by the clock too: when the turns since the last read took longer
// than k_period, it shrinks to the turns that fit in k_period (at least 1);
// when they took less than half of it, it doubles, back up to k_longest.
// Why k_period = 30 us: an outside job then waits behind a worker's own work
// about as long as one of its latent forks waits to become stealable
// (ws_heartbeat::k_heartbeat). The clock is read at a fair turn, and at the
// longest interval only at every k_reads_at_longest-th one, so that fine
// jobs pay one read (about 30 ns here) per 122 turns (reading it at every
// fair turn read chain at 2 workers 8.5 % slower than at every fourth; at
// every second, 2 % slower than with no clock). A worker that goes idle, or
// whose fair turn finds nothing to run, starts again at k_longest with no
// time to compare against. Owner only.
class ws_fair_pace {
public:
    static constexpr std::uint32_t k_longest = 61;  // a prime: out of step with periodic work
    static constexpr std::chrono::nanoseconds k_period = std::chrono::microseconds(30);
    static constexpr std::uint32_t k_reads_at_longest = 2;

    // At the top of the loop: whether this turn is a fair one.
    bool turn() noexcept {
        if (++m_turns < m_interval) return false;
        m_counted += m_turns;
        m_turns = 0;
        return true;
    }

    // At a fair turn: whether to read the clock for pace(): with no time
    // to compare against, below k_longest, and at k_longest every
    // k_reads_at_longest-th fair turn.
    bool wants_clock() noexcept {
        return !timed() || m_interval < k_longest || ++m_unread >= k_reads_at_longest;
    }

    // At a fair turn that read the clock: `now`.
    void pace(std::chrono::steady_clock::time_point now) noexcept {
        m_unread = 0;
        if (!timed()) {
            // The first read since restart(): the next fair turn reads too,
            // so that turns too long for k_longest show one interval later.
            m_unread = k_reads_at_longest - 1;
        } else {
            const auto took = now - m_last;
            if (took > k_period) {
                // The turns that fit in k_period, at the pace of those counted.
                const std::int64_t fit = static_cast<std::int64_t>(m_counted) * k_period.count() /
                                         std::max<std::int64_t>(1, took.count());
                m_interval =
                    static_cast<std::uint32_t>(std::clamp<std::int64_t>(fit, 1, k_longest));
            } else if (m_interval < k_longest && 2 * took < k_period) {
                m_interval = std::min(k_longest, 2 * m_interval);
            }
        }
        m_last = now;
        m_counted = 0;
    }

    // Nothing to be fair to (idle, or a fair turn that found no job).
    void restart() noexcept {
        m_interval = k_longest;
        m_counted = 0;
        m_unread = 0;
        m_last = {};
    }

    std::uint32_t interval() const noexcept { return m_interval; }

private:
    // Whether the clock was read since restart().
    bool timed() const noexcept { return m_last != std::chrono::steady_clock::time_point{}; }

    std::uint32_t m_interval = k_longest;
    std::uint32_t m_turns = 0;    // turns since the last fair one
    std::uint32_t m_counted = 0;  // turns between the last clock read and the last fair turn
    std::uint32_t m_unread = 0;   // fair turns at k_longest since the last read
    std::chrono::steady_clock::time_point m_last{};  // the last read; none after restart()
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
    // Adds the fork-join children this worker forked since the last call to
    // counters.jobs_run. They are counted by the worker that forked them, by
    // its heartbeat's countdown (ws_heartbeat::take_forks()), which every
    // fork decrements anyway, rather than by whichever worker runs them:
    // every child runs exactly once, and before the job that forked it
    // returns (its group is joined first), so by the time that job is
    // reported finished the count is the children run; and a fork costs no
    // count of its own (scripts/fork-cost: 1 instruction per fork). After
    // every job, so stats() lags by at most the job running now.
    void report_forks() noexcept {
        if (const std::uint64_t forks = heartbeat.take_forks(); forks != 0) {
            worker_counters::bump(counters.jobs_run, forks);
        }
    }
    // Sets the heartbeat's countdown to `want` forks (>= 1), or fewer when
    // the latent stack has no room for them and cannot grow. Invariant R:
    // latent.room() >= heartbeat.countdown - 1, so that every fork until
    // the one that brings the countdown to 0 finds room without a test of
    // its own (ws_latent::push_unchecked()); that one pushes through the
    // checked push (work_stealing_pool::fork_slow()), then rearms. R holds
    // through a fork (both go down by one), a pop or a promotion (room
    // grows), a promotion point (the countdown goes down) and start_job()
    // (a countdown of 1 needs no room).
    void rearm(std::uint32_t want) noexcept {
        const std::size_t room = latent.reserve(want - 1);
        heartbeat.set_countdown(static_cast<std::uint32_t>(std::min<std::size_t>(want, room + 1)));
    }
    ws_work_request work_request;
    ws_cpu_hint cpu;
    ws_search_rounds search_rounds;
    worker_counters counters;
    work_stealing::busy_state quiescence;    // owner only (work_stealing/quiescence.hpp)
    std::chrono::nanoseconds poll_budget{};  // this worker's next idle poll (owner only)
    ws_fair_pace fair;                       // when the loop takes a fair turn (owner only)

private:
    // Enough nodes to absorb a burst without returning them to the heap, few
    // enough that an idle worker holds at most ~1 MB.
    static constexpr std::size_t k_max_free = 8192;

    ws_task* m_free = nullptr;
    std::size_t m_free_count = 0;
    std::uint64_t m_random;
};

// The ops of a child of type F kept in its latent cell (ws_cell_ops).
template <class F>
struct ws_kept {
    // A copy runs, not the cell: once the cell is popped, the child's own
    // forks reuse it.
    static void run(const void* closure) {
        F f = *std::launder(static_cast<const F*>(closure));
        f();
    }
    static ws_task* promote(ws_worker& self, ws_join& join, const void* closure) {
        return self.make_task(*std::launder(static_cast<const F*>(closure)), &join);
    }
    // J4's fast path for a group's children of type F (join.hpp,
    // pop_own_latent()): J2 for each while the top of the latent stack is
    // one (and, when Shared, no worker asked), then for the group's slot
    // when it is on top (the round's first child, forked before the kept
    // ones); true when that finished the group. Precondition: the top is
    // one. Each child's call is inlined in the loop, where run() costs a
    // child an indirect call through its cell's ops and its return, and
    // the slot is run here rather than after a return to the join's own
    // loop (fork_cost skynet 6, 21 alternated rounds: 5.50 -> 4.99 ns per
    // task at one worker, 3.63 -> 3.27 at two; scripts/fork-cost: 89.1 ->
    // 86.2 instructions per node).
    template <bool Shared>
    static bool run_own(ws_worker& self, ws_join& join) noexcept {
        ws_latent& latent = self.latent;
        const std::uintptr_t own = ws_latent_entry::kept(join);
        do {
            latent.pop();
            F f = *std::launder(reinterpret_cast<const F*>(latent.popped().closure));
            join.status.run_child(f);
            if (--join.pending == 0) return true;
        } while (latent.top() == own && latent.top_cell().ops == &ops &&
                 !(Shared && self.work_request.asked()));
        if (latent.top() != ws_latent_entry::slot(join)) return false;
        latent.pop();
        join.run_child(join.slot.work);
        return --join.pending == 0;
    }
    static constexpr ws_cell_ops ops{&run, &promote, &run_own<false>, &run_own<true>};
};

}  // namespace poolbench::detail
