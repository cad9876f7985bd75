// detail::ws_latent: a work_stealing worker's latent forks, and when they
// become real, stealable tasks: heartbeat scheduling (Acar, Charguéraud,
// Guatto, Rainey and Sieczkowski, "Heartbeat Scheduling: Provable
// Efficiency for Nested Parallelism", PLDI 2018).
//
// A fork (native_task_group::run inside a worker, work_stealing/join.hpp)
// does not publish its child. The child is latent: a pointer on its
// worker's own stack of latent forks, which no other thread reads, so a
// fork makes no shared write and no fence, and a join whose child is still
// latent pops it and calls it, as the serial program would. Parallelism is
// made by promotion: the worker moves its oldest latent fork onto its deque,
// where a thief can take it. Promoting the oldest publishes the biggest
// piece of work the worker has (the top of its recursion), as a steal from
// the top of an eagerly filled deque would. A worker promotes
//  - at a fork, on the heartbeat: once k_heartbeat has passed since its last
//    beat. The clock is read once every `countdown` forks, an interval that
//    doubles while reads come less than a quarter beat apart and halves
//    while they come more than half a beat apart; a job the worker took
//    from elsewhere (a steal, the injection queue) starts at 1 with a beat
//    due, so its first fork is promoted.
//  - at a fork, on request: another worker that found this one's deque
//    empty asked (ws_work_request), so a searching worker waits one fork
//    for work, not a beat.
//  - at a promotion point, on the heartbeat or on request, as at a fork:
//    work that runs long without forking calls
//    work_stealing_pool::promotion_point() (parallel_for does, between the
//    blocks of a piece), so its worker's latent forks do not stay hidden
//    until the next fork or join.
//  - at a join about to run a latent fork itself, unless that fork is the
//    group's first child (fib's join, where no sibling waits behind it): on
//    request, and, while workers sleep, every latent fork. A child may run long or block,
//    and a blocked child makes no fork that could promote its siblings;
//    with capacity idle, publishing is cheaper than running them in turn.
// Why each: the heartbeat is what brings parked workers in (a promotion is
// a push onto the deque, which wakes a sleeper when nobody searches: idle
// protocol step 5; parked workers ask nobody, though a request a worker left
// before it parked serves once), and what bounds how long parallelism can
// stay hidden while a worker forks; the request is what keeps a searcher's
// wait to one fork rather than a beat; the join rule is for children that
// fork little. On 2 cores the three are not told apart by fib: fork_cost
// fib(30) and fib(22) at 2 workers, seven alternated rounds of heartbeat
// and requests, heartbeat alone, requests alone, all between 2.9 and 4.2 ns
// per task (fib(30)). What each is for shows with many idle workers.
// What latent forks cannot do: a child no worker has taken runs only when
// its group's owner joins it or promotes it, and the owner promotes only at
// a fork or a join. So a job must not block until a child of its own has
// started (pools/pool.hpp says so for task_group): it would wait for work
// that waits for it, unless another worker's request or a beat happened to
// publish it first.
//
// Protocol. The states of a child forked inside a worker:
//   latent --promote--> promoted --steal--> stolen (a thief runs it)
//      |                    |
//      +--------+-----------+
//               |
//        joined: its worker pops it (from the latent stack, or back from the
//        deque) and runs it
// Invariant L: a worker's latent stack holds its youngest forks, oldest at
// the bottom: every fork child in its deque was forked before every latent
// one. Transitions:
//  L1. Fork: the child goes on top of the stack (youngest): L holds.
//  L2. Promote: the bottom (oldest) latent child goes onto the deque, after
//      every child already there, and it is older than every child still
//      latent: L holds.
//  L3. Pop (a join, work_stealing/join.hpp J4): the top child leaves the
//      stack and runs here; removing the youngest keeps L.
//  L4. Steal, pop back from the deque: they remove deque children; L holds.
// What follows for the join: a group's unfinished children are latent on
// its owner's stack, in its owner's deque, or with a thief (the join
// protocol, J1-J4); and once a group has a promoted child, no older fork is
// latent, so a join that pops latent forks never runs one older than its
// own children: the stack it grows is the serial program's.
// A worker's stack is empty whenever it is between jobs: each group's
// children are joined before the job that made the group returns.
// Owner thread only, except ws_work_request::ask().
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>

#include <base/instrument.hpp>
#include <pools/config.hpp>

namespace poolbench::detail {

struct ws_task;

// A worker's stack of latent forks (owner only): [m_bottom, m_top) of one
// array, oldest at m_bottom. Below m_bottom lie nulls: a sentinel at index 0
// and the promoted forks' entries, cleared as they leave. So top() reads a
// null, never a stale fork, when the stack is empty, and a join can ask
// "is my child the youngest latent fork?" with one load. The array grows by
// doubling, or first closes the gap that promotions leave below m_bottom.
class ws_latent {
public:
    ws_latent() : m_base(std::make_unique<ws_task*[]>(k_initial_capacity)) {
        m_base[0] = nullptr;
        m_bottom = m_top = m_base.get() + 1;
        m_end = m_base.get() + k_initial_capacity;
    }
    ws_latent(const ws_latent&) = delete;
    ws_latent& operator=(const ws_latent&) = delete;

    bool empty() const noexcept { return m_top == m_bottom; }
    // The youngest latent fork, or null when there is none.
    ws_task* top() const noexcept { return m_top[-1]; }

    // L1 when there is room: false (nothing pushed) when the array is
    // full; then grow_and_push().
    [[gnu::always_inline]] bool try_push(ws_task* t) noexcept {
        if (m_top == m_end) [[unlikely]]
            return false;
        *m_top++ = t;
        return true;
    }

    // L1 on a full array. Out of line whole (and the join's handler for
    // its failure too: native_task_group::push_grown()), so that a forking
    // function keeps nothing live across a call here and holds no handler
    // of its own; inlined, they cost fib 5 and skynet 5 instructions per
    // fork (scripts/fork-cost). Throws std::bad_alloc when the array
    // cannot grow (nothing pushed).
    [[gnu::noinline]] void grow_and_push(ws_task* t) {
        grow();
        *m_top++ = t;
    }

    // L3: removes top(). Precondition: !empty().
    [[gnu::always_inline]] ws_task* pop() noexcept { return *--m_top; }

    // L2 in two steps, so that a promotion that fails (the deque cannot
    // grow) leaves the fork latent: oldest() to push, then drop_oldest().
    // Precondition (both): !empty().
    ws_task* oldest() const noexcept { return *m_bottom; }
    void drop_oldest() noexcept {
        *m_bottom++ = nullptr;
        if (m_bottom == m_top) m_bottom = m_top = m_base.get() + 1;  // room from the start again
    }

private:
    static constexpr std::size_t k_initial_capacity = 256;

    // Full: slide the latent forks down over the promoted ones' nulls when
    // that frees at least half the array, else double it.
    void grow() {
        const auto size = static_cast<std::size_t>(m_top - m_bottom);
        const auto capacity = static_cast<std::size_t>(m_end - m_base.get());
        ws_task** const start = m_base.get() + 1;
        if (2 * (size + 1) <= capacity) {
            std::copy(m_bottom, m_top, start);  // what is left above is never read
        } else {
            auto bigger = std::make_unique<ws_task*[]>(2 * capacity);
            bigger[0] = nullptr;
            std::copy(m_bottom, m_top, bigger.get() + 1);
            m_base = std::move(bigger);
            m_end = m_base.get() + 2 * capacity;
        }
        m_bottom = m_base.get() + 1;
        m_top = m_bottom + size;
    }

    ws_task** m_top;
    ws_task** m_bottom;
    ws_task** m_end;
    std::unique_ptr<ws_task*[]> m_base;
};

// The heartbeat's clock (owner only): whether k_heartbeat has passed since
// the last beat, read once every `countdown` forks.
class ws_heartbeat {
public:
    // The period. A beat's promotion is a deque push and, unless a thief
    // takes the fork, a pop back with its fence: tens of instructions and
    // one locked one, next to 30 us of a worker's time; and a parked worker
    // is brought in within about a beat of forks appearing (plus its
    // wake-up).
    static constexpr std::chrono::nanoseconds k_heartbeat = std::chrono::microseconds(30);
    // The clock is read every 1 / k_reads_per_beat to 2 / k_reads_per_beat
    // of a beat: a beat comes at most half a beat late, and fine forks
    // (fib's, a few ns apart) read the clock once every thousand or more.
    static constexpr std::int64_t k_reads_per_beat = 4;

    // Forks until the next look at the clock; the fork that brings it to
    // 0 calls due().
    std::uint32_t countdown = 1;

    // At a fork whose countdown ran out: whether a beat is due. Resets
    // `countdown` to the interval, doubled while reads come closer than
    // 1 / k_reads_per_beat of a beat and halved while they come further
    // apart than 2 / k_reads_per_beat.
    bool due() noexcept {
        const auto now = std::chrono::steady_clock::now();
        const auto since_read = now - m_last_read;
        m_last_read = now;
        if (since_read < k_heartbeat / k_reads_per_beat) {
            m_interval = std::min(m_interval * 2, k_max_interval);
        } else if (since_read > 2 * k_heartbeat / k_reads_per_beat) {
            m_interval = std::max<std::uint32_t>(m_interval / 2, 1);
        }
        countdown = m_interval;
        if (now - m_last_beat < k_heartbeat) return false;
        m_last_beat = now;
        return true;
    }

    // A job taken from elsewhere (the injection queue, a steal): its first
    // fork reads the clock and finds a beat due, so that the fork is
    // promoted and a worker asleep since the last job ran out is woken as
    // soon as there is work to take, not a beat later.
    void start_job() noexcept {
        countdown = 1;
        m_last_beat = {};
    }

private:
    static constexpr std::uint32_t k_max_interval = 1u << 16;

    std::uint32_t m_interval = 1;
    std::chrono::steady_clock::time_point m_last_read{};
    std::chrono::steady_clock::time_point m_last_beat{};
};

// Another worker's request that this one promote a latent fork: set by a
// thief that found the deque empty, cleared by the owner when it promotes
// (or finds nothing to promote). On its own cache line: the owner reads it
// at every fork, and only a request moves the line.
class alignas(k_cache_line) ws_work_request {
public:
    // Any thread. Reads first, so that many idle workers asking a busy one
    // move its line once, not once each.
    void ask() noexcept {
        // relaxed (both): the flag carries no data; the promoted fork is
        // published by the deque push (its release store of the bottom).
        if (!m_asked.load(std::memory_order_relaxed)) {
            m_asked.store(true, std::memory_order_relaxed);
            instrument::rmw(instrument::site::work_request, &m_asked);
        }
    }
    // Owner only.
    [[gnu::always_inline]] bool asked() const noexcept {
        // relaxed: a hint; a request seen late only delays a promotion.
        return m_asked.load(std::memory_order_relaxed);
    }
    // Owner only: whether a worker asked, clearing the request.
    bool take() noexcept {
        if (!asked()) return false;
        // relaxed: as asked(); a request that arrives between the owner's
        // load and this store is lost, and its worker asks again on its
        // next look.
        m_asked.store(false, std::memory_order_relaxed);
        instrument::rmw(instrument::site::work_request, &m_asked);
        return true;
    }

private:
    std::atomic<bool> m_asked{false};
};

}  // namespace poolbench::detail
