// The one interface: the `pool` concept every poolbench pool satisfies, so the
// benchmark harness, the conformance tests and user code are written once and
// work with every pool. Also the statistics record every pool returns.
// Pools that can run a pending job on the calling thread (help-while-waiting)
// also satisfy `helping_pool`; task_group uses that to make fork-join safe.
// Pools whose forks stay hidden until promoted satisfy `promoting_pool`.
#pragma once

#include <chrono>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <pools/job.hpp>

namespace poolbench {

// Counters a pool keeps, summed over its workers. Every pool counts jobs_run
// and exceptions; the others only where kept_counters_of<P> says so (a pool
// that has no notion of a counter, like sequential and steals, leaves it 0,
// and that 0 means "not counted", not "never happened"). Read with stats();
// the figures are a snapshot and may lag jobs that are running right now.
struct pool_stats {
    std::uint64_t jobs_run = 0;       // jobs that finished (normally or by throwing)
    std::uint64_t steals = 0;         // jobs taken from another worker's deque
    std::uint64_t failed_steals = 0;  // steal attempts that found nothing or lost a race
    std::uint64_t parks = 0;          // times a worker went to sleep for lack of work
    std::uint64_t wakeups = 0;        // times a submitter woke a sleeping worker
    std::uint64_t exceptions = 0;     // jobs that threw

    pool_stats& operator+=(const pool_stats& o) noexcept {
        jobs_run += o.jobs_run;
        steals += o.steals;
        failed_steals += o.failed_steals;
        parks += o.parks;
        wakeups += o.wakeups;
        exceptions += o.exceptions;
        return *this;
    }
};

// Which of pool_stats's optional counters a pool keeps. A pool declares
//   static constexpr kept_counters k_kept_counters{.parks = true, ...};
// one that declares nothing keeps none of them.
struct kept_counters {
    bool steals = false;  // steals and failed_steals
    bool parks = false;
    bool wakeups = false;
};

template <class P>
inline constexpr kept_counters kept_counters_of = [] {
    if constexpr (requires { P::k_kept_counters; }) {
        return kept_counters{P::k_kept_counters};
    } else {
        return kept_counters{};
    }
}();

// How a pool runs jobs, for generic code (the benchmark, the tests) that must
// size or skip work by it. A pool declares
//   static constexpr execution_model k_execution_model = ...;
// only when it is not worker_threads.
enum class execution_model {
    worker_threads,       // a fixed set of worker threads takes submitted jobs
    inline_on_submitter,  // every job runs on the thread that submits it (one "worker")
    thread_per_job,       // every job starts an operating-system thread of its own
};

template <class P>
inline constexpr execution_model execution_model_of = [] {
    if constexpr (requires { P::k_execution_model; }) {
        return execution_model{P::k_execution_model};
    } else {
        return execution_model::worker_threads;
    }
}();

// The guarantees every pool P keeps (tests/conformance checks each of them):
//
//  * P p(workers): starts `workers` worker threads. workers == 0 or above
//    k_max_workers throws std::invalid_argument naming the value; never hangs.
//    poolbench's pools also have P p (one worker per CPU the process may run
//    on) and P p(pool_options{...}) (pools/options.hpp); the concept asks
//    for the worker count only.
//  * p.submit(f): f is any void() callable (stored in a poolbench::job, so a
//    small lambda is not heap-allocated). Thread-safe, also from inside a job
//    of the same pool (nested submission). Every submitted job runs exactly
//    once, on some worker (or, for `sequential`, inline).
//  * p.wait(): returns once no job of the pool is pending: every job
//    submitted before the call, every job those jobs submitted, and any job
//    other threads submitted before the pool ran dry, has finished; writes
//    made by those jobs are visible to the caller afterwards. Several threads
//    may wait at once; while others keep submitting, a wait may last as long
//    as they do (it waits for the pool, not for a snapshot of its jobs: a
//    task_group waits for its own children only). A job that throws does not kill its worker or
//    cancel any other job; wait() rethrows the first exception thrown since
//    the previous wait() returned (later ones are only counted in
//    stats().exceptions), and the pool stays usable. Calling wait() from
//    inside one of the pool's own jobs throws std::logic_error instead of
//    deadlocking.
//  * ~P(): runs every job already submitted (and what those submit), then
//    joins the workers; no job is ever dropped. Exceptions not yet collected
//    by a wait() are discarded.
//  * P::name: a stable short name ("mutex", "work_stealing", ...) used in
//    benchmark names, plots and make_pool().
//  * p.worker_count(), p.stats(): thread-safe.
//  * p.in_worker(): whether the calling thread is running one of p's jobs
//    (task_group asks it to choose between helping and sleeping).
template <class P>
concept pool = std::constructible_from<P, std::size_t> && requires(P& p, const P& cp) {
    p.submit([] {});
    p.wait();
    { cp.worker_count() } -> std::same_as<std::size_t>;
    { cp.in_worker() } -> std::same_as<bool>;
    { P::name } -> std::convertible_to<std::string_view>;
    { cp.stats() } -> std::same_as<pool_stats>;
};

// A pool with a timed wait-for-all: p.wait_for(d) is p.wait() that returns
// false when the duration d runs out first (the jobs keep running, their
// exceptions stay for a later wait) and true as wait() returns otherwise.
// Every poolbench pool (and any_pool) is one; it is a concept of its own,
// beside `pool`, so that a pool written elsewhere against `pool` alone
// still satisfies it and still works with task_group and the helpers.
template <class P>
concept timed_pool = pool<P> && requires(P& p) {
    { p.wait_for(std::chrono::milliseconds(1)) } -> std::same_as<bool>;
};

// A pool that can run one of its pending jobs on a thread that is currently
// running one of its jobs. try_run_pending() returns false when it found
// nothing to run; it must only be called from inside a job of the same pool.
template <class P>
concept helping_pool = pool<P> && requires(P& p) {
    { p.try_run_pending() } -> std::same_as<bool>;
};

// A pool whose forks may stay hidden from other workers until the forking
// worker publishes them (work_stealing's latent forks, which it promotes at
// forks and joins). promotion_point() gives it that chance in work that runs
// long without forking; parallel_for calls it between the blocks of a piece.
// work_requested() says whether another worker asked the calling worker for
// work and it has no hidden fork to publish: parallel_for then splits the
// rest of its piece, and the request publishes the first half. Both: any
// thread; a no-op (false) outside the pool's workers.
template <class P>
concept promoting_pool = pool<P> && requires(P& p, const P& cp) {
    { p.promotion_point() }
    noexcept;
    { cp.work_requested() }
    noexcept->std::same_as<bool>;
};

}  // namespace poolbench
