// detail::ws_latent: a work_stealing worker's latent forks, and when they
// become real, stealable tasks: heartbeat scheduling (Acar, Charguéraud,
// Guatto, Rainey and Sieczkowski, "Heartbeat Scheduling: Provable
// Efficiency for Nested Parallelism", PLDI 2018).
//
// A fork (native_task_group::run inside a worker, work_stealing/join.hpp)
// does not publish its child. The child is latent: an entry on its
// worker's own stack of latent forks (its closure in the entry's cell when
// it fits, ws_latent_cell), which no other thread reads, so a fork makes no
// shared write and no fence, and a join whose child is still latent pops
// it and calls it, as the serial program would. Parallelism is
// made by promotion: the worker moves its oldest latent fork onto its deque,
// where a thief can take it. Promoting the oldest publishes the biggest
// piece of work the worker has (the top of its recursion), as a steal from
// the top of an eagerly filled deque would. A worker promotes
//  - at a fork, on the heartbeat: once k_heartbeat has passed since its last
//    beat. The clock is read once every `countdown` forks, an interval
//    aimed, at the pace of the forks before the last read, at just past the
//    next beat (ws_heartbeat::due()); a job the worker took from elsewhere
//    (a steal, the injection queue) starts at 1 with a beat due, so its
//    first fork is promoted.
//  - at a fork, on request: another worker that found this one's deque
//    empty asked (ws_work_request), so a searching worker waits one fork
//    for work, not a beat.
//  - at a promotion point, on the heartbeat or on request, as at a fork:
//    work that runs long without forking calls
//    work_stealing_pool::promotion_point() (parallel_for does, between the
//    blocks of a piece), so its worker's latent forks do not stay hidden
//    until the next fork or join. Where a request finds nothing latent,
//    work that can split itself makes a fork for it:
//    work_stealing_pool::work_requested() tells parallel_for's piece to
//    fork the rest of itself, and the standing request promotes that fork
//    at once (the fork rule above).
//  - at a join about to run a latent fork itself, unless that fork is the
//    group's first child (fib's join, where no sibling waits behind it): on
//    request, looked at before each such child; and every latent fork while
//    workers sleep, if a sleeper would find a CPU free (fewer workers awake
//    than CPUs), else at the first such join of a job and then at most once
//    a beat (join_beat()), looked at once per join, before its children (a
//    worker asks the busy ones before it parks, so a request is what a join
//    sees between two children when one goes idle). A child may
//    run long or block, and a blocked child makes no fork that could
//    promote its siblings; with capacity idle, publishing is cheaper than
//    running them in turn. With every CPU taken (more workers than CPUs) a
//    woken sleeper only takes a CPU from a busy worker, and publishing at
//    every join made skynet at 4 workers on 2 CPUs 3x slower than at 2
//    (1.3 ms a run against 0.44 ms): there, only children that block gain,
//    and the first join of a job (and a beat) serves them.
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
//  L2. Promote: the bottom (oldest) latent child goes onto the deque (a
//      kept one moved into a node first), after every child already there,
//      and it is older than every child still latent: L holds.
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
#include <new>
#include <type_traits>
#include <utility>

#include <base/instrument.hpp>
#include <pools/config.hpp>

namespace poolbench::detail {

class ws_worker;
struct ws_join;
struct ws_task;

// A child kept in its latent cell (ws_latent_cell): what is done with it,
// written once per callable type. run() calls a copy of the closure (and
// lets its exception out: the caller runs it through its group's
// run_child()); promote() builds a node that holds it, for `join`, from
// `self`'s free list (throws std::bad_alloc, nothing changed).
// run_own() pops and runs, in one loop with the child's call inlined, the
// group's children of this type while they lie on top of the stack, and
// says whether that finished the group (ws_kept::run_own()); run_shared()
// is run_own() that stops when another worker asked for work.
struct ws_cell_ops {
    void (*run)(const void* closure);
    ws_task* (*promote)(ws_worker& self, ws_join& join, const void* closure);
    bool (*run_own)(ws_worker& self, ws_join& join);
    bool (*run_shared)(ws_worker& self, ws_join& join);
};

// One entry of a worker's latent stack, a cache line of its own: `entry`
// (ws_latent_entry, work_stealing/worker.hpp) says what it holds: a node's
// address, a group's slot, or a child kept in the cell itself, whose
// closure lies in `closure` and whose `ops` run or promote it. A child
// whose closure fits (k_closure_size, trivially copyable, so that the cell
// moves as bytes when the stack grows and leaves nothing to destroy) is
// kept in its cell: its fork takes no node and its join calls it straight
// from the stack (scripts/fork-cost).
struct alignas(64) ws_latent_cell {
    static constexpr std::size_t k_closure_size = 48;
    std::uintptr_t entry;
    const ws_cell_ops* ops;  // a kept child's; not read for the other entries
    alignas(alignof(std::max_align_t)) std::byte closure[k_closure_size];

    template <class F>
    static constexpr bool keeps =
        sizeof(F) <= k_closure_size && alignof(F) <= alignof(std::max_align_t) &&
        std::is_trivially_copyable_v<F>&& std::is_trivially_copy_constructible_v<F>;
};
static_assert(sizeof(ws_latent_cell) == 64);

// A worker's stack of latent forks (owner only): [m_bottom, m_top) of one
// array of cells, oldest at m_bottom, each cell's entry a ws_latent_entry.
// Below m_bottom lie cells whose entry is k_none: a sentinel at index 0 and
// the promoted forks' cells, cleared as they leave. So top() reads k_none,
// never a stale fork, when the stack is empty, and a join can ask "is my
// child the youngest latent fork?" with one load. The array grows by
// doubling, or first closes the gap that promotions leave below m_bottom.
// A fork pushes without looking at the array's end (push_unchecked(),
// keep_unchecked()): the heartbeat's countdown never lets more forks
// through to that push than there is room for (ws_worker::rearm()), so the
// countdown's test at every fork is the only one (scripts/fork-cost: 2
// instructions per fork).
class ws_latent {
public:
    ws_latent() : m_base(std::make_unique_for_overwrite<ws_latent_cell[]>(k_initial_capacity)) {
        m_base[0].entry = k_none;
        m_bottom = m_top = m_base.get() + 1;
        m_end = m_base.get() + k_initial_capacity;
    }
    ws_latent(const ws_latent&) = delete;
    ws_latent& operator=(const ws_latent&) = delete;

    bool empty() const noexcept { return m_top == m_bottom; }
    // No fork: what top() reads on an empty stack, an entry no fork has
    // (tagged, as a slot's is, but 1 is no slot's address).
    static constexpr std::uintptr_t k_none = 1;

    // The youngest latent fork, or k_none when there is none.
    std::uintptr_t top() const noexcept { return m_top[-1].entry; }
    // Its cell, whose ops are a kept child's when top() says so.
    [[gnu::always_inline]] const ws_latent_cell& top_cell() const noexcept { return m_top[-1]; }
    // How many more forks fit without growing.
    std::size_t room() const noexcept { return static_cast<std::size_t>(m_end - m_top); }

    // L1. Precondition: room() >= 1.
    [[gnu::always_inline]] void push_unchecked(std::uintptr_t t) noexcept { (m_top++)->entry = t; }
    // L1 for a child kept in its cell (ws_latent_cell::keeps<F>), whose
    // entry is t. Precondition: room() >= 1.
    template <class F>
    [[gnu::always_inline]] void keep_unchecked(std::uintptr_t t, const ws_cell_ops& ops,
                                               F&& f) noexcept {
        ws_latent_cell* const c = m_top++;
        c->entry = t;
        c->ops = &ops;
        ::new (static_cast<void*>(c->closure)) std::decay_t<F>(std::forward<F>(f));
    }

    // L1 that grows the array when it is full. Throws std::bad_alloc when it
    // cannot (nothing pushed).
    void push(std::uintptr_t t) {
        if (m_top == m_end) grow(1);
        (m_top++)->entry = t;
    }

    // Grows the array, if it can, until room() >= n; returns room() (less
    // than n when memory ran out).
    std::size_t reserve(std::size_t n) noexcept {
        if (room() < n) {
            try {
                grow(n);
            } catch (const std::bad_alloc&) {  // keep what there is
            }
        }
        return room();
    }

    // L3: removes top() and returns its entry; its cell (popped()) stays as
    // it is until the next push. Precondition: !empty().
    [[gnu::always_inline]] std::uintptr_t pop() noexcept { return (--m_top)->entry; }
    // The cell pop() removed last, until the next push.
    [[gnu::always_inline]] const ws_latent_cell& popped() const noexcept { return *m_top; }

    // L2 in two steps, so that a promotion that fails (the deque cannot
    // grow, or no node can be made) leaves the fork latent: oldest() to
    // push, then drop_oldest(). Precondition (both): !empty().
    const ws_latent_cell& oldest() const noexcept { return *m_bottom; }
    void drop_oldest() noexcept {
        (m_bottom++)->entry = k_none;
        if (m_bottom == m_top) m_bottom = m_top = m_base.get() + 1;  // room from the start again
    }

private:
    static constexpr std::size_t k_initial_capacity = 256;

    // Room for at least n more: slide the latent forks down over the
    // promoted ones' k_none when that leaves the array at most half full,
    // else double it until they fit. The new array is not zeroed: what
    // lies above m_top is never read, so its pages are touched only as the
    // stack reaches them. The cells move as bytes (a kept closure is
    // trivially copyable). Throws std::bad_alloc (nothing changed).
    void grow(std::size_t n) {
        const auto size = static_cast<std::size_t>(m_top - m_bottom);
        const auto need = 1 + size + n;  // the sentinel, the forks, the room
        auto capacity = static_cast<std::size_t>(m_end - m_base.get());
        ws_latent_cell* const start = m_base.get() + 1;
        if (2 * need <= capacity) {
            std::copy(m_bottom, m_top, start);  // what is left above is never read
        } else {
            do {
                capacity *= 2;
            } while (capacity < need);
            auto bigger = std::make_unique_for_overwrite<ws_latent_cell[]>(capacity);
            bigger[0].entry = k_none;
            std::copy(m_bottom, m_top, bigger.get() + 1);
            m_base = std::move(bigger);
            m_end = m_base.get() + capacity;
        }
        m_bottom = m_base.get() + 1;
        m_top = m_bottom + size;
    }

    ws_latent_cell* m_top;
    ws_latent_cell* m_bottom;
    ws_latent_cell* m_end;
    std::unique_ptr<ws_latent_cell[]> m_base;
};

// The heartbeat's clock (owner only): whether k_heartbeat has passed since
// the last beat, read once every `countdown` forks. The countdown also
// counts the worker's forks for its jobs_run (take_forks()), so that a fork
// makes no count of its own.
class ws_heartbeat {
public:
    // The period. A beat's promotion is a deque push and, unless a thief
    // takes the fork, a pop back with its fence: tens of instructions and
    // one locked one, next to 30 us of a worker's time; and a parked worker
    // is brought in within about a beat of forks appearing (plus its
    // wake-up).
    static constexpr std::chrono::nanoseconds k_heartbeat = std::chrono::microseconds(30);
    // Where the clock's next read is aimed (due()): k_past_beat after the
    // next beat is due, so that a read lands after it, not just before
    // (and then again soon); and at least k_least_aim ahead, so that a
    // read just short of a beat does not start a run of reads. So a beat
    // comes at most k_past_beat + k_least_aim late while the forks keep
    // their pace, and the clock is read 1.4 to 1.5 times a beat (fork_cost
    // skynet 7 and fib(32) at 2 workers, counted: with reads a quarter to
    // half a beat apart, 3.4 to 3.8).
    static constexpr std::chrono::nanoseconds k_past_beat = k_heartbeat / 16;
    static constexpr std::chrono::nanoseconds k_least_aim = k_heartbeat / 8;
    // The most an interval grows from one read to the next: a pace taken
    // over a few forks (after start_job(), the first is 1) is a poor guess.
    static constexpr std::uint32_t k_most_growth = 8;

    // The most forks between two reads of the clock (and between two looks
    // at the latent stack's room, ws_worker::rearm()): 2^14 of fib's forks
    // take 20 to 50 us, so the clock is still read about once a beat, and
    // the room a worker's latent array keeps is at most 1 MB (2^14 cells of
    // 64 bytes), of which only the pages the stack reaches are touched.
    static constexpr std::uint32_t k_max_interval = 1u << 14;

    // Forks until the next look at the clock; the fork that brings it to
    // 0 calls due(). Decremented by every fork (and every promotion point,
    // which then calls not_a_fork()); set only by set_countdown(). Never 0
    // between forks.
    std::uint32_t countdown = 1;

    void set_countdown(std::uint32_t n) noexcept {
        m_counted = counted_now();
        countdown = m_set_to = n;
    }
    // Takes back a decrement of the countdown that was no fork.
    void not_a_fork() noexcept { --m_set_to; }
    // A fork that counted itself down and then failed (its latent stack
    // could not grow): its decrement taken back, and a countdown that ran
    // out set to 1, which needs no room (ws_worker::rearm()'s invariant R),
    // so the next fork takes the checked path again.
    void fork_failed() noexcept {
        not_a_fork();
        if (countdown == 0) set_countdown(1);
    }
    // The forks since the last call: the decrements of the countdown, less
    // those taken back (modulo 2^64, so a taken-back decrement counted
    // before its set_countdown() comes out right).
    std::uint64_t take_forks() noexcept {
        set_countdown(countdown);
        return m_counted - std::exchange(m_reported, m_counted);
    }

    // The forks until the next read of the clock, as due() last aimed them.
    std::uint32_t interval() const noexcept { return m_interval; }

    // At a fork whose countdown ran out: whether a beat is due. Aims
    // interval(), which the caller sets the countdown to
    // (ws_worker::rearm()), at k_past_beat after the next beat, at the pace
    // of the forks counted since the last read (a promotion point counts as
    // one, as it does on the countdown). A job taken from elsewhere learns
    // its own pace: its first read sets the interval to 1 (start_job()
    // forgets the last read), and the reads after it grow the interval
    // k_most_growth times a read (1, 8, 64, ...: five reads to 2^14).
    // Keeping the interval a job of other forks had set left a job whose
    // ticks come 10 us apart (parallel_for's blocks) reading the clock
    // once, at its first fork, when the job before forked ns apart.
    bool due() noexcept { return due(std::chrono::steady_clock::now()); }
    // due() at `now` (monotonic across calls).
    bool due(std::chrono::steady_clock::time_point now) noexcept {
        const auto last_read = std::exchange(m_last_read, now);
        const std::uint64_t counted = counted_now();
        const std::uint64_t forks = counted - std::exchange(m_counted_at_read, counted);
        const bool beat = now - m_last_beat >= k_heartbeat;
        if (beat) {
            m_last_beat = now;
            m_join_beat = true;
        }
        const auto aim = k_past_beat + std::max<std::chrono::nanoseconds>(
                                           m_last_beat + k_heartbeat - now, k_least_aim);
        m_interval = paced_interval(forks, now - last_read, aim);
        return beat;
    }

    // The forks that fit in `aim` at the pace of `forks` that took `took`
    // (forks taken as at least 1 and at most k_max_interval): at least 1, at
    // most k_most_growth times `forks` and k_max_interval.
    static std::uint32_t paced_interval(std::uint64_t forks, std::chrono::nanoseconds took,
                                        std::chrono::nanoseconds aim) noexcept {
        // At most k_max_interval: the product below cannot overflow.
        const std::int64_t counted =
            static_cast<std::int64_t>(std::clamp<std::uint64_t>(forks, 1, k_max_interval));
        const std::int64_t most = std::min<std::int64_t>(counted * k_most_growth, k_max_interval);
        const std::int64_t fit = took.count() <= 0 ? most : counted * aim.count() / took.count();
        return static_cast<std::uint32_t>(std::clamp<std::int64_t>(fit, 1, most));
    }

    // For the join rule (work_stealing_pool::publish_all_due(), with every
    // CPU busy): whether a beat came, or a job started (start_job()), since
    // a join last published every latent fork. take_join_beat() clears it.
    [[gnu::always_inline]] bool join_beat() const noexcept { return m_join_beat; }
    void take_join_beat() noexcept { m_join_beat = false; }

    // A job taken from elsewhere (the injection queue, a steal): its first
    // fork reads the clock and finds a beat due, so that the fork is
    // promoted and a worker asleep since the last job ran out is woken as
    // soon as there is work to take, not a beat later; and its first join
    // may publish every latent fork (join_beat()).
    void start_job() noexcept {
        set_countdown(1);
        m_last_read = {};  // the first read's pace: 0 forks a ns, an interval of 1
        m_last_beat = {};
        m_join_beat = true;
    }

private:
    // Every fork counted so far: those before the last set_countdown() and
    // the countdown's decrements since (a decrement taken back after it
    // makes that difference negative, hence the signed step).
    std::uint64_t counted_now() const noexcept {
        return m_counted +
               static_cast<std::uint64_t>(static_cast<std::int32_t>(m_set_to - countdown));
    }

    std::uint32_t m_set_to = 1;           // the countdown's value at its last set_countdown()
    std::uint64_t m_counted = 0;          // forks counted before that, never reset (modulo 2^64)
    std::uint64_t m_reported = 0;         // m_counted at the last take_forks()
    std::uint64_t m_counted_at_read = 0;  // the forks counted at the last read of the clock
    std::uint32_t m_interval = 1;
    bool m_join_beat = false;
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
