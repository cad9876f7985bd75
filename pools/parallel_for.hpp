// parallel_for and parallel_for_each: loops over an index range (or random-
// access iterators) written once over the pool concept, so every pool has
// them. With no grain the range chunks itself: rayon's adaptive splitter
// (rayon-core's join, rayon's iter/plumbing) over this library's task_group;
// with a grain, one job per chunk of at most that many indices. The calling
// thread runs chunks itself inside the pool, and outside it when a CPU is
// left beside the workers or the loop is short (auto_loop's
// short_loop_of_parking_workers()); with no grain it first runs the loop's
// start alone for a few microseconds (auto_loop's head start), so that a
// loop shorter than a hand-over to another thread never touches the pool.
// Any thread may call.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <iterator>
#include <limits>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>

#include <base/cache_line.hpp>
#include <base/cpu_relax.hpp>
#include <pools/detail/group_counter.hpp>
#include <pools/detail/group_status.hpp>
#include <pools/detail/worker_count.hpp>
#include <pools/pool.hpp>
#include <pools/task_group.hpp>

namespace poolbench {

namespace detail {

// Indices are handled as offsets from `first` in 64 bits, so that a signed
// range as wide as its type (INT64_MIN..INT64_MAX) never overflows.
using loop_offset = std::uint64_t;

// The index types a loop accepts: any integral type but bool, up to 64 bits.
template <class I>
concept loop_index = std::integral<I> && !std::same_as<std::remove_cv_t<I>, bool> &&
                     sizeof(I) <= sizeof(loop_offset);

// A chunk body takes a half-open chunk (lo, hi); an index body one index.
// A body invocable both ways is called with chunks.
template <class Body, class I>
concept chunk_body = std::invocable<Body&, I, I>;
template <class Body, class I>
concept loop_body = chunk_body<Body, I> || std::invocable<Body&, I>;

// a / b rounded up, b > 0, without overflow for any a.
constexpr loop_offset ceil_div(loop_offset a, loop_offset b) noexcept {
    return a / b + (a % b != 0);
}

// last - first as an unsigned count (first < last), exact for any range.
template <class I>
loop_offset distance(I first, I last) noexcept {
    using U = std::make_unsigned_t<I>;
    return static_cast<U>(static_cast<U>(last) - static_cast<U>(first));
}

// first + k, for k <= distance(first, last): wraps in the unsigned type,
// which converts back to I exactly (C++20: modulo 2^N).
template <class I>
I index_at(I first, loop_offset k) noexcept {
    using U = std::make_unsigned_t<I>;
    return static_cast<I>(static_cast<U>(static_cast<U>(first) + static_cast<U>(k)));
}

// body called on the offsets [lo, hi): as one chunk, or index by index.
template <class I, class Body>
struct offset_chunk {
    Body& body;
    I first;
    void operator()(loop_offset lo, loop_offset hi) const {
        if constexpr (chunk_body<Body, I>) {
            body(index_at(first, lo), index_at(first, hi));
        } else {
            using U = std::make_unsigned_t<I>;
            U u = static_cast<U>(index_at(first, lo));
            for (loop_offset k = lo; k < hi; ++k, ++u) body(static_cast<I>(u));
        }
    }
};

// What every chunk of one loop shares: the chunk function, and a group's
// status (detail::group_status): the first exception, and the stop flag as
// its cancellation, which the first exception sets. Lives in the calling
// frame, on lines of its own (the stop flag is read before every chunk; the
// frame's other lines are written by the forks' counters). run(): any
// thread; rethrow(): the caller, after every chunk has ended, whose joins
// publish the recorded exception to it.
template <class Chunk>
class alignas(k_cache_line) loop_state {
public:
    explicit loop_state(const Chunk& chunk) noexcept : m_chunk(chunk) {}
    loop_state(const loop_state&) = delete;
    loop_state& operator=(const loop_state&) = delete;

    // chunk(lo, hi), unless the loop has stopped; an exception stops it.
    void run(loop_offset lo, loop_offset hi) noexcept {
        if (stopped()) return;
        try {
            m_chunk(lo, hi);
        } catch (...) {
            m_status.record_current();
            m_status.cancel();
        }
    }

    // A hint: a chunk that starts just after the stop is harmless.
    bool stopped() const noexcept { return m_status.is_cancelled(); }

    void rethrow() { m_status.rethrow(); }

private:
    const Chunk& m_chunk;
    group_status m_status;
};

// The CPUs this process may run on (its affinity mask), read once.
inline std::size_t loop_cpus() noexcept {
    static const std::size_t cpus = default_worker_count();
    return cpus;
}

// The calling thread's identity: tells a piece that moved to another thread.
inline const void* this_thread_tag() noexcept {
    static thread_local const char tag = 0;
    return &tag;
}

// The head start: the caller runs the loop alone, in blocks of 1, 4, 16,
// ... indices, until it ends or a quarter of k_head_start has passed; the
// indices then left are split among the threads. A loop shorter than that
// never touches the pool: no job, no wake-up, no shared write. Handing a
// piece to another thread costs about k_head_start (small_for over 1,000
// ints, 0.19 us of work serially, took 4.4 us a call at 2 workers, oneTBB's
// 4.3 us), so a loop that would end within it cannot gain from splitting,
// and one that would not loses at most the time it ran alone, about one
// hand-over: a block that starts before the quarter costs three times the
// blocks before it at most (with indices of even cost), so the caller runs
// alone for k_head_start at most. Growing by 4 reads the clock 6 times in a
// loop of 1,000 (by 2: 10, 25 ns each).
inline constexpr std::chrono::nanoseconds k_head_start{4'000};
// Only in loops of at least this many indices per worker: an index may run
// long (a file to read, a big sub-problem), and a loop of few long indices
// would lose the first index's time, a fraction (workers - 1) / n of the
// loop, which this bound keeps below 1/32.
inline constexpr loop_offset k_head_start_min_per_thread = 32;

// Whether a loop of n indices called here gets the head start: only where a
// fork costs a hand-over, so not in a pool that runs jobs on the submitter
// (there is nothing to hand over), nor inside a pool whose forks stay latent
// until promoted (work_stealing's), whose forks are the same head start made
// at every level (work_stealing/latent.hpp); and only in loops of at least
// k_head_start_min_per_thread indices a worker.
template <pool P>
bool head_start_applies(P& pool, loop_offset n) noexcept {
    if constexpr (execution_model_of<P> == execution_model::inline_on_submitter) {
        return false;
    } else {
        if constexpr (promoting_pool<P>) {
            if (pool.in_worker()) return false;
        }
        return n / k_head_start_min_per_thread >= pool.worker_count();
    }
}

// What a head start did: the offsets [0, done) it ran, in `took` (unset when
// it ran them all or the loop stopped).
struct head_start_result {
    loop_offset done = 0;
    std::chrono::nanoseconds took{};

    // How long `left` more offsets would take one thread at the head
    // start's pace; zero when it ran none.
    std::chrono::nanoseconds pace_for(loop_offset left) const noexcept {
        if (done == 0) return {};
        const double ns = static_cast<double>(took.count()) * static_cast<double>(left) /
                          static_cast<double>(done);
        return std::chrono::nanoseconds(static_cast<std::int64_t>(std::min(ns, 1e18)));
    }
};

// Runs step over [0, k) in the head start's blocks, each starting where
// the last ended, until k == n, stopped() or the time is up; returns k and
// the time it took. step(lo, hi) runs at least [lo, hi) and returns where
// it ended, hi or past it, n at most (a reduce's chunk map runs whole
// leaves: parallel_reduce.hpp); each block asked for is three times what
// ran before it, and one, so the offsets run grow four times a block, and
// the clock is read as often, whoever ran past where it was asked. What
// step() throws propagates.
template <class Step, class Stopped>
head_start_result run_head_start(loop_offset n, Step step, Stopped stopped) {
    const auto start = std::chrono::steady_clock::now();
    loop_offset done = 0;
    for (loop_offset block = 1;;) {  // 1 <= block <= n - done
        done = step(done, done + block);
        if (done == n || stopped()) return {done, {}};  // nothing left to pace
        if (const auto took = std::chrono::steady_clock::now() - start; took >= k_head_start / 4) {
            return {done, took};
        }
        // Three times what ran, and one: 1, 4, 16, ... while steps end where
        // asked; never past the end, never wraps (left >= 1).
        const loop_offset left = n - done;
        block = done <= (left - 1) / 3 ? 3 * done + 1 : left;
    }
}

// How an automatic loop runs, where its caller knows more than the range
// (parallel_reduce, which has run the head start itself).
struct auto_options {
    // How long the loop would take one thread, when the caller measured it
    // (its own head start); zero when unknown.
    std::chrono::nanoseconds rest{};
    // The fewest offsets a split may leave in a piece: more than 1 when the
    // chunk's work comes in units of more (parallel_reduce's leaves).
    loop_offset least = 1;
    // Whether the loop starts with the caller's head start, where it applies
    // (head_start_applies()): not after one the caller ran itself.
    bool head_start = true;
};

// A piece splits on demand (auto_loop::run_blocks()) only where the rest
// would take one thread this long at the pace of its blocks so far: eight
// hand-overs (k_head_start each). Splitting less would leave the asker idle
// for a long rest; splitting more makes pieces worth less than their
// hand-over: small_for over 10^6 ints at 2 workers on 2 CPUs, splitting on
// every request down to single indices, took 45 to 58 jobs a call against
// 13 to 28 without demand splits; from two hand-overs (8 us) it ran 2.1 %
// slower than without them (p = 0.003, 60 rotated rounds), from eight as
// fast (0.999, p = 0.67), and over 10^7 and 10^8 eight kept all the gain.
inline constexpr std::chrono::nanoseconds k_split_on_demand_from = 8 * k_head_start;

// Where a piece's blocks started, in offsets and time, for a pool whose
// pieces split on demand (promoting_pool): whether the rest of the piece,
// at the pace of its blocks so far, is long enough to split
// (k_split_on_demand_from).
struct pace_mark {
    loop_offset from = 0;
    std::chrono::steady_clock::time_point start{};

    // A mark at offset `from`: the clock is read only for pools that split
    // on demand.
    template <class P>
    static pace_mark at(loop_offset from) noexcept {
        if constexpr (promoting_pool<P>) {
            return {from, std::chrono::steady_clock::now()};
        } else {
            return {from, {}};
        }
    }

    // Whether [lo, hi), the rest, would take one thread
    // k_split_on_demand_from or more at the pace of [from, lo); lo > from.
    bool worth_splitting(loop_offset lo, loop_offset hi) const noexcept {
        const auto took = std::chrono::nanoseconds(std::chrono::steady_clock::now() - start);
        const double rest = static_cast<double>(took.count()) * static_cast<double>(hi - lo) /
                            static_cast<double>(lo - from);
        return rest >= static_cast<double>(k_split_on_demand_from.count());
    }
};

// rayon's adaptive splitter: a loop starts with `threads` splits; each split
// halves them; a piece that runs on another thread than the one that forked
// it (it was stolen: some thread was idle) gets `threads` again.
struct splitter {
    std::uint32_t splits;
    bool try_split(bool migrated, std::uint32_t threads) noexcept {
        if (migrated) {
            splits = std::max(threads, splits / 2);
            return true;
        }
        if (splits == 0) return false;
        splits /= 2;
        return true;
    }
};

// The automatic loop: a piece [lo, hi) splits off its upper half while its
// splitter allows (each half a fork, the lower half kept), then runs what it
// kept in blocks, checking the stop flag before each, then joins its forks.
// Inside the pool the forks go through task_group<P> (whose wait pops them
// back or helps); outside it through outside_forks, so the caller runs the
// pieces no worker has started and sleeps only on running ones (unless
// m_caller_runs says no: then it keeps no piece and leaves them all to the
// workers, in a pool with latent forks as one piece: hands_over_whole()).
// Before any of that, the caller's head start (head_start()).
template <pool P, class Chunk>
class auto_loop {
public:
    auto_loop(P& pool, loop_state<Chunk>& state, const auto_options& options = {}) noexcept
        : m_pool(pool),
          m_state(state),
          m_rest(options.rest),
          m_least(std::max<loop_offset>(options.least, 1)),
          m_head_start(options.head_start),
          m_threads(static_cast<std::uint32_t>(std::min<std::size_t>(
              pool.worker_count(), std::numeric_limits<std::uint32_t>::max()))),
          m_caller_runs(pool.worker_count() < loop_cpus()) {}

    // A pool that runs jobs on the submitter gains nothing from forks: one
    // piece, so a throwing chunk stops the loop at once there too. Other
    // pools get the head start first (head_start()), then the rest of the
    // range as pieces.
    void run(loop_offset n) noexcept {
        if constexpr (execution_model_of<P> == execution_model::inline_on_submitter) {
            run_blocks(0, n);
        } else if (alone()) {
            m_state.run(0, n);
        } else {
            const head_start_result started = head_start(n);
            if (started.done < n && !m_state.stopped()) {
                if (started.done != 0) m_rest = started.pace_for(n - started.done);
                m_caller_runs = m_caller_runs || short_loop_of_parking_workers();
                piece(started.done, n, m_threads, this_thread_tag());
            }
        }
    }

    void piece(loop_offset lo, loop_offset hi, std::uint32_t splits, const void* forker) noexcept {
        splitter s{splits};
        if (!divisible(lo, hi) || !s.try_split(forker != this_thread_tag(), m_threads)) {
            run_blocks(lo, hi);
        } else if (m_pool.in_worker()) {
            inside_forks forks(*this);
            split(forks, lo, hi, s);
        } else {
            outside_forks forks(*this);
            if (hands_over_whole()) {
                forks.fork(lo, hi, s.splits);
                forks.join();
            } else {
                split(forks, lo, hi, s, m_caller_runs);
            }
        }
    }

private:
    // Blocks per piece: once a chunk throws, a running piece runs at most
    // one more block.
    static constexpr loop_offset k_blocks_per_piece = 16;

    // A loop whose pieces take each worker less than this, at the head
    // start's pace, ends well within one time slice of the scheduler
    // (Linux's is 0.75 ms times 1 + log2 of the CPUs, up to 3 ms).
    static constexpr std::chrono::nanoseconds k_short_loop{500'000};

    // With no CPU of its own beside the workers, a caller still runs pieces
    // of a short loop (k_short_loop) in a pool that does not count its
    // parked workers: such a pool's idle workers may be asleep when the
    // loop starts and take a piece only once woken, tens of microseconds on
    // a VM, and the caller working meanwhile, and still working at the end,
    // saves that. A loop long enough to be time-sliced would lose more to
    // the extra thread: running pieces in every loop made parallel_for's
    // 7 ms loop at 2 workers on 2 CPUs 22 % slower in lockfree and tbb.
    // work_stealing counts its parked workers and keeps its idle ones
    // polling for a while, so they are awake for the next loop, and a
    // caller beside them only takes a CPU from one (12 to 16 % slower).
    bool short_loop_of_parking_workers() const noexcept {
        if constexpr (requires { m_pool.parked_workers(); }) {
            return false;
        } else {
            return m_rest > std::chrono::nanoseconds::zero() &&
                   m_rest < k_short_loop * static_cast<std::int64_t>(m_threads);
        }
    }

    // Whether the calling thread is the only one that can run any of the
    // loop: the one worker of a pool whose forks stay latent until promoted
    // (work_stealing's), where no other thread can take a fork, and the
    // worker promotes none (work_stealing/latent.hpp). Then the loop is one
    // chunk: no fork, no block, no look at the clock or at a request. A
    // chunk body summing 256 ints in a job of a one-worker pool, 2,000
    // loops under callgrind: 3,284 -> 1,364 instructions a loop (two pieces
    // of 16 blocks each before).
    bool alone() const noexcept {
        if constexpr (promoting_pool<P>) {
            return m_threads == 1 && m_pool.in_worker();
        } else {
            return false;
        }
    }

    // Whether a forker outside the pool that keeps no piece (m_caller_runs
    // unset) hands the whole range over as one piece, rather than split() it
    // into halves and quarters: in a pool whose forks stay latent until
    // promoted (work_stealing's), where the worker that takes the piece
    // splits it at a fork's cost and a thief takes a latent half when it
    // asks, so the pieces follow the workers, not the forker's halving.
    // Timed inside (the reduce over 10^6 at 2 workers on 2 CPUs, 3,000
    // calls, medians): with the forker's three pieces, 24 jobs a call and
    // the two workers' last leaves ending 11.3 us apart; with one, 12 jobs
    // and 3.4 us. pool_bench at 2 workers, 16 alternated rounds of 3
    // repetitions: the reduce 174 -> 164 us a call (p = 0.0004), where
    // native_tbb took 168 us; small_for over 10^6 163 -> 158 us
    // (p < 0.0001).
    bool hands_over_whole() const noexcept {
        if constexpr (promoting_pool<P>) {
            return !m_caller_runs;
        } else {
            return false;
        }
    }

    // The head start (run_head_start()), where it applies (else it ran
    // nothing); done == n when the loop ended or stopped here.
    head_start_result head_start(loop_offset n) noexcept {
        if (!m_head_start || !head_start_applies(m_pool, n)) return {};
        return run_head_start(
            n,
            [this](loop_offset lo, loop_offset hi) {
                m_state.run(lo, hi);
                return hi;
            },
            [this] { return m_state.stopped(); });
    }

    // keep: run the lower piece here; otherwise fork it too (join() runs
    // what the workers leave).
    template <class Forks>
    void split(Forks& forks, loop_offset lo, loop_offset hi, splitter s,
               bool keep = true) noexcept {
        do {
            const loop_offset mid = lo + (hi - lo) / 2;
            forks.fork(mid, hi, s.splits);
            hi = mid;
        } while (divisible(lo, hi) && s.try_split(false, m_threads));
        if (keep) {
            run_blocks(lo, hi);
        } else {
            forks.fork(lo, hi, s.splits);
        }
        forks.join();
    }

    // Whether [lo, hi) is long enough to split: each half m_least or more.
    bool divisible(loop_offset lo, loop_offset hi) const noexcept {
        return (hi - lo) / 2 >= m_least;
    }

    void run_blocks(loop_offset lo, loop_offset hi) noexcept {
        const loop_offset block = ceil_div(hi - lo, k_blocks_per_piece);
        [[maybe_unused]] const pace_mark mark = pace_mark::at<P>(lo);
        while (lo < hi && !m_state.stopped()) {
            const loop_offset end = lo + std::min(block, hi - lo);
            m_state.run(lo, end);
            lo = end;
            if constexpr (promoting_pool<P>) {
                // Demand: another worker asked this one for work and it has
                // no latent fork to give (its splitter ran out of splits
                // before that worker went idle), so the rest splits as a
                // stolen piece does (a forker that is no thread's tag: a
                // full `threads` of splits), and the standing request
                // promotes its first fork, the upper half (oneTBB's
                // auto_partitioner splits on demand so); where the rest is
                // long enough (pace_mark::worth_splitting()). Without it
                // the asker idled until this piece ended, up to an eighth
                // of the loop: at 2 workers on 2 CPUs, timed inside, the
                // last leaves of a reduce over 10^8 ints ended 2.4 ms
                // apart (31 us with this and parallel_reduce.hpp's shorter
                // leaves). Rotated rounds against the loop without it:
                // small_for over 10^7 ints 5.53 -> 5.14 ms a call (p =
                // 0.001, 40 rounds; native_tbb 5.20), the reduce over 10^8
                // (both with the shorter leaves) 39.9 -> 39.0 ms (p = 0.02,
                // 30 rounds; native_tbb 38.5); over 10^6, small_for 0.999
                // and the reduce 0.998 of the time (p = 0.67 and 0.38).
                if (divisible(lo, hi) && m_pool.work_requested() && mark.worth_splitting(lo, hi)) {
                    return piece(lo, hi, m_threads, nullptr);
                }
                // A piece's blocks make no fork, and a pool whose forks stay
                // hidden until promoted (work_stealing's latent forks)
                // promotes at forks: between blocks it gets the same chance,
                // so a worker that asked for work need not wait for this
                // piece's join.
                m_pool.promotion_point();
            }
        }
    }

    // Forks from inside the pool: task_group<P>'s children.
    class inside_forks {
    public:
        explicit inside_forks(auto_loop& loop) noexcept : m_loop(loop), m_group(loop.m_pool) {}
        void fork(loop_offset lo, loop_offset hi, std::uint32_t splits) noexcept {
            try {
                m_group.run([&loop = m_loop, lo, hi, splits, forker = this_thread_tag()] {
                    loop.piece(lo, hi, splits, forker);
                });
            } catch (...) {  // no memory for the fork: run it here
                m_loop.piece(lo, hi, splits, this_thread_tag());
            }
        }
        void join() noexcept {
            try {
                m_group.wait();
            } catch (...) {  // unreachable: pieces catch their own exceptions
            }
        }

    private:
        auto_loop& m_loop;
        task_group<P> m_group;
    };

    // Forks from a thread outside the pool. Protocol (task_group's generic
    // one): each fork is a node {piece, claimed flag, two references} on the
    // forker's list, and a ticket submitted to the pool. Whoever first sets
    // `claimed` (the ticket on a worker, or the forker in join(), newest
    // first) runs the piece and counts it finished in m_count as its last
    // access to the loop; the other side only drops its reference, and the
    // last reference frees the node. So the forker waits only for pieces
    // that are running, never for a worker to wake up.
    // tests/model/test_outside_forks_model.py explores every interleaving
    // of this protocol with group_counter's sleep: each piece runs once,
    // before join() returns; each node is freed once, and not touched
    // after.
    class outside_forks {
    public:
        explicit outside_forks(auto_loop& loop) noexcept : m_loop(loop) {}
        outside_forks(const outside_forks&) = delete;
        outside_forks& operator=(const outside_forks&) = delete;

        void fork(loop_offset lo, loop_offset hi, std::uint32_t splits) noexcept {
            node* n = nullptr;
            try {
                n = new node{lo, hi, splits, m_head};
            } catch (...) {  // no memory for the fork: run it here
                m_loop.piece(lo, hi, splits, this_thread_tag());
                return;
            }
            m_head = n;
            m_count.add();
            try {
                pool().submit([this, n] {
                    if (claim(n)) run_piece(n);
                    release(n);
                });
            } catch (...) {  // no ticket: run it here
                if (claim(n)) run_piece(n);
                release(n);
            }
        }

        // Runs the pieces no worker has started, newest first, then waits for
        // the others: spinning for k_hand_over (or, below, yielding), then
        // asleep. A forker that kept no piece (m_caller_runs unset) leaves
        // them all to the workers, as rayon's outside caller does: taking
        // them back would starve the workers, which then park, and waking a
        // parked worker can take longer than the whole loop. Such a forker
        // does not spin when the head start's pace says the loop still takes
        // each worker twice k_hand_over or more: then the spin could not see
        // it end, and would only hold a CPU that a worker (one sharing the
        // forker's, or one still to be woken) needs: small_for's loop over
        // 10^6 ints at 2 workers, timed inside, had its second worker start 3
        // us sooner (8.4 -> 5.1 us), 163 -> 160 us a call. In a short loop
        // (k_short_loop) it yields the CPU between polls instead, for up to
        // twice the time the loop should take, then sleeps: a yield hands the
        // CPU to a worker that shares it, and the forker sees the last piece
        // end without a futex wake-up, which took it 6 to 8 us (timed
        // inside). Only a pool that counts its parked workers (work_stealing)
        // gets here in a short loop; the others' callers run pieces in one
        // (short_loop_of_parking_workers()). At 2 workers on 2 CPUs, 36
        // alternated repetitions each: reduce over 10^6 ints 184.6 -> 180.4
        // us (p = 0.005), small_for 172.6 -> 169.6 us (p = 0.007).
        void join() noexcept {
            const bool claim_back = m_loop.m_caller_runs;
            for (node* n = std::exchange(m_head, nullptr); n != nullptr;) {
                node* next = n->next;
                if (claim_back && claim(n)) run_piece(n);
                release(n);
                n = next;
            }
            const auto done = [this] { return m_count.done(); };
            const auto rest = m_loop.m_rest;
            const auto threads = m_loop.m_threads;
            if (claim_back || rest < 2 * k_hand_over * threads) {
                spin_until(done);
            } else if (rest < k_short_loop * threads) {
                yield_until(done, 2 * rest / threads);
            }
            m_count.sleep_until_zero();
        }

    private:
        // How long the forker spins for the last pieces before it sleeps:
        // about what a polling worker takes to pick a job up and run a small
        // piece, so a short loop returns without a futex round trip.
        static constexpr std::chrono::nanoseconds k_hand_over{3'000};

        template <class Done>
        static void spin_until(Done done) noexcept {
            const auto deadline = std::chrono::steady_clock::now() + k_hand_over;
            for (;;) {
                for (int i = 0; i < 16; ++i) {
                    if (done()) return;
                    cpu_relax();
                }
                if (std::chrono::steady_clock::now() >= deadline) return;
            }
        }

        // Polls done(), yielding the CPU between polls, until it holds or
        // `limit` has passed. Not detail::poll_until(), which sleeps after 16
        // yields: a timer sleep would return later than the futex wake-up
        // this wait is there to avoid.
        template <class Done>
        static void yield_until(Done done, std::chrono::nanoseconds limit) noexcept {
            const auto deadline = std::chrono::steady_clock::now() + limit;
            while (!done() && std::chrono::steady_clock::now() < deadline) {
                std::this_thread::yield();
            }
        }

        struct node {
            loop_offset lo, hi;
            std::uint32_t splits;
            node* next;  // the forker's list; only the forker reads it
            std::atomic<bool> claimed{false};
            std::atomic<std::uint32_t> refs{2};  // the ticket's and the forker's
        };

        P& pool() noexcept { return m_loop.m_pool; }

        static bool claim(node* n) noexcept {
            // relaxed: the RMW alone decides who runs the piece; the node's
            // contents were published by the pool's submit (or are our own).
            return !n->claimed.exchange(true, std::memory_order_relaxed);
        }

        static void release(node* n) noexcept {
            // acq_rel: release orders our use of the node before the other
            // side's delete; acquire makes the other side's use visible to ours.
            if (n->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) delete n;
        }

        // The piece is the forker's as far as splitting goes (a ticket run
        // by a worker counts as stolen). finish() is the last access to *this.
        void run_piece(node* n) noexcept {
            m_loop.piece(n->lo, n->hi, n->splits, m_forker);
            m_count.finish();
        }

        auto_loop& m_loop;
        const void* const m_forker = this_thread_tag();
        node* m_head = nullptr;
        group_counter m_count;
    };

    P& m_pool;
    loop_state<Chunk>& m_state;
    // How long what was left after the head start would take one thread at
    // its pace; zero when unknown.
    std::chrono::nanoseconds m_rest;
    const loop_offset m_least;      // the fewest offsets a split leaves in a piece
    const bool m_head_start;        // whether run() starts with one, where it applies
    const std::uint32_t m_threads;  // the splits a piece starts with
    // Whether a caller outside the pool keeps a piece and takes back the
    // pieces no worker has started: where a CPU is left beside the workers,
    // or the loop is short and the workers may be asleep
    // (short_loop_of_parking_workers()); otherwise it would take a CPU from
    // a worker, and it only runs the pieces the workers leave.
    bool m_caller_runs;
};

// The automatic loop over the offsets [0, n), n > 0; rethrows the first
// exception a chunk threw once every running chunk has ended.
template <pool P, class Chunk>
void run_auto(P& pool, loop_offset n, const Chunk& chunk, const auto_options& options = {}) {
    loop_state<Chunk> state(chunk);
    auto_loop<P, Chunk>(pool, state, options).run(n);
    state.rethrow();
}

// One task_group child per chunk of at most `grain` offsets of [0, n), n > 0;
// rethrows as run_auto() does. No chunk starts once one has thrown.
template <pool P, class Chunk>
void run_fixed(P& pool, loop_offset n, loop_offset grain, const Chunk& chunk) {
    loop_state<Chunk> state(chunk);
    {
        task_group<P> group(pool);  // declared after state: waited for first
        for (loop_offset lo = 0; lo < n && !state.stopped();) {
            const loop_offset hi = lo + std::min(grain, n - lo);
            group.run([&state, lo, hi] { state.run(lo, hi); });
            lo = hi;
        }
        group.wait();  // the children catch their own exceptions
    }
    state.rethrow();
}

inline void check_grain(std::size_t grain) {
    if (grain == 0) {
        throw std::invalid_argument("poolbench::parallel_for: grain must be at least 1, got 0");
    }
}

}  // namespace detail

// body(i) for every i in [first, last), or body(lo, hi) on chunks that cover
// it (a body invocable with two indices gets chunks), with automatic
// chunking: the calling thread runs the loop's start alone for up to a few
// microseconds (a loop of at least 32 indices a worker, called where a fork
// is a hand-over: from outside the pool, or in a pool without latent
// forks), so a short loop costs about what the serial loop costs; then it
// runs a piece itself (from outside the pool when the pool leaves a CPU
// free, or the loop is short and the workers may be asleep), and a piece is
// halved again only when another thread took the other half (rayon's
// adaptive splitting), so a loop costs a few jobs per worker. first and
// last may be of different integral types (their common type is used); an
// empty or reversed range runs nothing. Once a body throws no new chunk
// starts; the first exception is rethrown after the running chunks end. May
// be called from inside a job of the same pool (the wait helps as
// task_group's does).
template <pool P, detail::loop_index I1, detail::loop_index I2, class Body>
requires detail::loop_body<Body, std::common_type_t<I1, I2>>
void parallel_for(P& pool, I1 first, I2 last, Body body) {
    using I = std::common_type_t<I1, I2>;
    const auto lo = static_cast<I>(first);
    const auto hi = static_cast<I>(last);
    if (!(lo < hi)) return;
    detail::run_auto(pool, detail::distance(lo, hi), detail::offset_chunk<I, Body>{body, lo});
}

// As above, in chunks of at most `grain` indices, one task_group child each
// (so the chunks match a benchmark's fixed grain). grain == 0 is a
// std::invalid_argument.
template <pool P, detail::loop_index I1, detail::loop_index I2, class Body>
requires detail::loop_body<Body, std::common_type_t<I1, I2>>
void parallel_for(P& pool, I1 first, I2 last, Body body, std::size_t grain) {
    detail::check_grain(grain);
    using I = std::common_type_t<I1, I2>;
    const auto lo = static_cast<I>(first);
    const auto hi = static_cast<I>(last);
    if (!(lo < hi)) return;
    detail::run_fixed(pool, detail::distance(lo, hi), static_cast<detail::loop_offset>(grain),
                      detail::offset_chunk<I, Body>{body, lo});
}

// f(*it) for every it in [begin, end) of random-access iterators, chunked
// and stopped early as parallel_for.
template <pool P, std::random_access_iterator It, class F>
requires std::invocable<F&, std::iter_reference_t<It>>
void parallel_for_each(P& pool, It begin, It end, F f) {
    using D = std::iter_difference_t<It>;
    parallel_for(pool, D{0}, end - begin, [&f, &begin](D lo, D hi) {
        for (It it = begin + lo, stop = begin + hi; it != stop; ++it) f(*it);
    });
}

}  // namespace poolbench
