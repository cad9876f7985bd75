// work_stealing_pool: one Chase-Lev deque per worker (Chase & Lev, SPAA 2005;
// orderings of Le et al., PPoPP 2013; queues/chase_lev_deque.hpp). A job
// submitted from inside a worker goes to the bottom of that worker's deque;
// a job submitted from outside enters through a shared injection queue
// (moodycamel). An idle worker takes a batch from the injection queue, or
// steals from random victims, spins briefly, then parks on an event_count.
// Workers are numbered 0..W-1 (this_worker_index()) and take pool_options
// (names, start/stop hooks: detail/worker_threads.hpp). A fork inside a
// worker stays latent until a heartbeat or another worker's request
// promotes it (work_stealing/latent.hpp).
// submit(), wait(), wait_for(), stats(), worker_count() are thread-safe.
#pragma once

#include <concurrentqueue/concurrentqueue.h>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <optional>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <base/cpu_relax.hpp>
#include <pools/detail/completion.hpp>
#include <pools/detail/counters.hpp>
#include <pools/detail/current_pool.hpp>
#include <pools/detail/group_counter.hpp>
#include <pools/detail/help_until.hpp>
#include <pools/detail/idle_spin.hpp>
#include <pools/detail/producer_tokens.hpp>
#include <pools/detail/run_job.hpp>
#include <pools/detail/worker_count.hpp>
#include <pools/detail/worker_threads.hpp>
#include <pools/job.hpp>
#include <pools/options.hpp>
#include <pools/pool.hpp>
#include <pools/work_stealing/idle.hpp>
#include <pools/work_stealing/quiescence.hpp>
#include <pools/work_stealing/worker.hpp>

namespace poolbench {

// Two protocols keep it correct, each written down with its invariant in
// one file: how idle workers search, sleep and are woken
// (work_stealing/idle.hpp, steps 1-6), and when the pool is done, counted
// by busy workers rather than jobs (work_stealing/quiescence.hpp, Q1-Q5).
// The roles: this file (submit, wait, shutdown), work_stealing/worker.hpp
// (a worker's state), work_stealing/worker_loop.hpp (what a worker does),
// work_stealing/join.hpp (fork-join), work_stealing/latent.hpp (latent
// forks and their promotion, with its own invariant, L1-L4).
class work_stealing_pool {
public:
    static constexpr std::string_view name = "work_stealing";
    static constexpr kept_counters k_kept_counters{.steals = true, .parks = true, .wakeups = true};

    // default_worker_count() workers.
    work_stealing_pool() : work_stealing_pool(pool_options{}) {}
    explicit work_stealing_pool(std::size_t workers)
        : work_stealing_pool(pool_options{.workers = workers}) {}
    explicit work_stealing_pool(pool_options options)
        : m_count(detail::checked_worker_count(options.workers, name.data())),
          m_threads(std::move(options)) {
        m_workers.reserve(m_count);
        for (std::size_t i = 0; i < m_count; ++i) {
            m_workers.push_back(
                std::make_unique<detail::ws_worker>(0x9E3779B97F4A7C15ULL * (i + 1)));
            // A new pool has seen no work yet: its first polls are short.
            m_workers.back()->poll_budget = m_poll_budget / 4;
        }
        m_threads.start(
            m_count, [this](std::size_t i) { worker_main(*m_workers[i]); },
            [this]() noexcept { m_idle.stop(); });  // idle protocol step 6
    }

    work_stealing_pool(const work_stealing_pool&) = delete;
    work_stealing_pool& operator=(const work_stealing_pool&) = delete;

    // Runs every job already submitted, then joins the workers.
    ~work_stealing_pool() {
        m_completion.drain();
        shut_down();
    }

    // Thread-safe, also from inside a job (then the job goes to the calling
    // worker's own deque).
    // Throws std::bad_alloc (and submits nothing) when memory runs out.
    template <class F>
    void submit(F&& f) {
        if (detail::ws_worker* self = current_worker()) {
            // Quiescence step Q3: the busy worker's unit covers the job.
            detail::ws_task* t = self->make_task(std::forward<F>(f));
            try {
                push_local(*self, t);  // throws only when the deque cannot grow
            } catch (...) {
                t->work.reset();
                self->recycle(t);
                throw;
            }
            return;
        }
        job j(std::forward<F>(f));
        moodycamel::ProducerToken& token = m_tokens.get();
        m_quiescence.submitted();
        if (!m_injection.enqueue(token, std::move(j))) {
            m_quiescence.submit_failed();
            throw std::bad_alloc();
        }
        m_idle.after_outside_publish();  // idle protocol step 4
    }

    // Thread-safe; throws std::logic_error from inside one of this pool's jobs.
    void wait() {
        detail::check_not_in_own_job(this, name.data());
        m_completion.wait();
    }

    // wait() for at most `timeout`: false when it ran out first (the jobs
    // keep running; their exceptions stay for a later wait).
    template <class Rep, class Period>
    bool wait_for(const std::chrono::duration<Rep, Period>& timeout) {
        detail::check_not_in_own_job(this, name.data(), "wait_for()");
        return m_completion.wait_until(detail::deadline_after(timeout));
    }

    // Runs one pending job (own deque first, then injection, then a steal) on
    // the calling worker. Only from inside a job of this pool.
    bool try_run_pending() {
        detail::ws_worker* self = current_worker();
        return self != nullptr && help_once(*self);
    }

    // For work that runs long inside a job without forking (parallel_for's
    // blocks): the heartbeat and request check a fork makes, so that the
    // calling worker's latent forks are promoted while it works, not only
    // at its next fork or join (work_stealing/latent.hpp). Any thread; does
    // nothing outside this pool's workers.
    void promotion_point() noexcept {
        if (detail::ws_worker* self = current_worker()) {
            if (tick(*self)) [[unlikely]]
                beat_or_request(*self);
            self->heartbeat.not_a_fork();
        }
    }

    // For work that can split itself (parallel_for's pieces): whether
    // another worker asked the calling worker for work (ws_work_request)
    // and it has no latent fork to promote, so that the request would go
    // unanswered unless the work forks part of itself. The request stays
    // standing: the next fork sees it and promotes that fork at once
    // (work_stealing/latent.hpp). Any thread; false outside this pool's
    // workers.
    bool work_requested() const noexcept {
        const detail::ws_worker* self = current_worker();
        return self != nullptr && self->work_request.asked() && self->latent.empty();
    }

    bool in_worker() const noexcept { return detail::tl_current_pool == this; }
    std::size_t worker_count() const noexcept { return m_count; }

    // How many workers are parked, or about to park (idle protocol step 3):
    // a hint, stale once read, for diagnostics and for tests that need an
    // idle pool before they start.
    std::size_t parked_workers() const noexcept { return m_idle.parked_hint(); }

    pool_stats stats() const {
        pool_stats s;
        for (const auto& w : m_workers) s += w->counters.snapshot();
        s.wakeups += m_idle.wakeups();
        return s;
    }

    // For task_group<work_stealing_pool>: fork-join as rayon's join does it
    // (work_stealing/join.hpp).
    class native_task_group;

private:
    // The most jobs a worker takes from the injection queue at once (it
    // keeps them in its deque, where other workers can steal them).
    static constexpr std::size_t k_injection_batch = detail::ws_worker::k_inbox_size + 1;
    // Search rounds a worker makes before it counts itself as searching, and
    // the most victims one such round tries (a counted search tries all):
    // the quick look stays about a microsecond whatever the worker count.
    static constexpr int k_quick_rounds = 8;
    static constexpr std::size_t k_quick_victims = 4;

    // A task onto the calling worker's own deque (idle protocol step 5).
    [[gnu::always_inline]] void push_local(detail::ws_worker& self, detail::ws_task* t) {
        self.deque.push(t);
        m_idle.after_local_push();
    }

    // One fork (or promotion point) counted down on self's heartbeat:
    // whether beat_or_request() is due, the countdown having run out or
    // another worker having asked (work_stealing/latent.hpp). Inlined: a
    // decrement and a load. Each test is hinted false on its own: behind
    // them a fork's rare path is an inline-assembly call
    // (detail::preserving_call()), which the compiler does not see as cold,
    // and a hint on the two together left fib's fork behind a taken branch
    // (fork_cost fib(30), one worker: 2.62 -> 3.02 ns a task).
    [[gnu::always_inline]] static bool tick(detail::ws_worker& self) noexcept {
        return __builtin_expect(--self.heartbeat.countdown == 0, 0) ||
               __builtin_expect(self.work_request.asked(), 0);
    }

    // Whether a join should publish self's latent forks before it runs one
    // of them itself (promote_before_join()): another worker asked, or the
    // join rule's publish_all_due(). Precondition: more than one worker (a
    // join tests that once, not at every child).
    [[gnu::always_inline]] bool wants_latent(const detail::ws_worker& self) const noexcept {
        return self.work_request.asked() || publish_all_due(self);
    }

    // The join rule (work_stealing/latent.hpp): whether a join should
    // publish every latent fork of self's. Workers sleep, and either one of
    // them would find a CPU free (fewer workers awake than CPUs), or a beat
    // came (or the job started) since a join of self's last published them
    // all: with every CPU busy, a sleeper is worth waking only for children
    // that block, and those are served by the first join of a job, and
    // then once a beat. Reads the sleepers' count, a shared line written
    // only when a worker parks or wakes.
    bool publish_all_due(const detail::ws_worker& self) const noexcept {
        const std::size_t parked = m_idle.parked_hint();
        return parked > m_parked_without_cpu || (parked != 0 && self.heartbeat.join_beat());
    }

    // Null outside this pool's workers. Where the pool is the calling
    // thread's, the worker is never null (worker_main() sets t_worker inside
    // the scope that sets tl_current_pool, and clears it before leaving it),
    // which the compiler is told: a fork then tests the pool once, not the
    // worker too (scripts/fork-cost: 2 instructions per fork).
    [[gnu::always_inline]] detail::ws_worker* current_worker() const noexcept {
        if (detail::tl_current_pool != this) return nullptr;
        detail::ws_worker* const self = t_worker;
        if (self == nullptr) __builtin_unreachable();
        return self;
    }

    // Runs a job the worker holds (it is busy: quiescence step Q3). A
    // fork-join child reports to its group, as its last access to the node
    // and the group (both may be in the forking job's frame); its worker
    // counted it when it forked it (ws_worker::report_forks()). Then the children
    // forked during the job go into the worker's jobs_run, before anything
    // reports the job finished.
    [[gnu::always_inline]] void run(detail::ws_worker& self, detail::ws_task* t) {
        detail::ws_join* const join = t->join;
        const bool in_frame = join != nullptr && t->in_frame();
        if (join == nullptr) {
            detail::run_job_unreported(t->work, m_completion, self.counters);
        } else {
            join->run_child(t->work);  // its exception goes to its group
        }
        if (!in_frame) self.recycle(t);
        if (join != nullptr) join->finished_on(self);
        self.report_forks();
    }

    // Whether any job is visible anywhere: what the idle protocol re-checks
    // before a worker sleeps (steps 1-3). O(workers), off the submit path.
    bool work_visible() const {
        if (m_injection.size_approx() != 0) return true;
        for (const auto& w : m_workers) {
            if (w->deque.approx_size() > 0) return true;
        }
        return false;
    }

    // The worker side, defined in work_stealing/worker_loop.hpp.
    void worker_main(detail::ws_worker& self);
    void beat_or_request(detail::ws_worker& self) noexcept;         // never inlined
    void fork_slow(detail::ws_worker& self, std::uintptr_t entry);  // never inlined
    void fork_room(detail::ws_worker& self);                        // never inlined
    void promote_before_join(detail::ws_worker& self) noexcept;
    bool promote_oldest(detail::ws_worker& self) noexcept;
    bool run_next_for_join(detail::ws_worker& self) noexcept;
    bool help_once(detail::ws_worker& self);
    detail::ws_task* find_work(detail::ws_worker& self, work_stealing::left_behind& left,
                               std::size_t victims = SIZE_MAX);
    detail::ws_task* wrap_claimed(detail::ws_worker& self, job&& first, std::size_t n) noexcept;
    bool run_held(detail::ws_worker& self) noexcept;
    bool fair_turn(detail::ws_worker& self);
    detail::ws_task* quick_look(detail::ws_worker& self, work_stealing::left_behind& left);
    void adapt_poll_budget(detail::ws_worker& self, std::chrono::nanoseconds slept) const;
    detail::ws_task* poll_for_work(detail::ws_worker& self, work_stealing::left_behind& left,
                                   std::chrono::nanoseconds budget);
    std::uint64_t others_search_rounds(const detail::ws_worker& self) const noexcept;
    bool searchers_stalled(const detail::ws_worker& self, std::uint64_t before) const noexcept;
    void leave_shared_cpu(detail::ws_worker& self) noexcept;
    void note_cpu(detail::ws_worker& self) noexcept;

    void shut_down() noexcept {
        m_idle.stop();  // idle protocol step 6
        m_threads.join();
    }

    // The calling thread's worker record and injection token, when it is a
    // worker of this pool (checked through tl_current_pool).
    static inline thread_local detail::ws_worker* t_worker = nullptr;
    static inline thread_local moodycamel::ConsumerToken* t_consumer = nullptr;

    const std::size_t m_count;
    // The full poll budget, 200 us: longer than the gap between jobs that
    // arrive every 20 us, so a steady trickle finds a worker awake (latency
    // p99 on 2 workers: 527 us at 50 us of polling, 17 us at 200 us). Each
    // worker adapts its own between a quarter of this and all of it.
    const std::chrono::nanoseconds m_poll_budget =
        detail::idle_spin::budget_for(m_count, std::chrono::microseconds(200));
    // The poll of the one worker past the half that may search (idle step
    // 1): long enough to bridge the gap between two loops a caller outside
    // the pool runs back to back (a few us), short enough that a pool with a
    // busy submitter beside it loses little of that submitter's core.
    static constexpr std::chrono::nanoseconds k_brief_search{10'000};
    std::vector<std::unique_ptr<detail::ws_worker>> m_workers;
    // Whether the affinity mask (at construction) has a CPU for every worker,
    // so that a worker sharing a CPU with another may find one free.
    const bool m_cpu_per_worker = m_count > 1 && m_count <= detail::affinity_cpu_count();
    // The workers beyond the CPUs (the affinity mask's at construction, as a
    // default pool counts them): while no more than these are parked, the
    // awake ones hold every CPU, and a parked worker woken would take a
    // CPU from one of them (publish_all_due()).
    const std::size_t m_parked_without_cpu = m_count - std::min(m_count, default_worker_count());
    moodycamel::ConcurrentQueue<job> m_injection;
    // Outside submitters' tokens for m_injection; destroyed before it.
    detail::producer_tokens<moodycamel::ProducerToken, moodycamel::ConcurrentQueue<job>> m_tokens{
        m_injection};
    detail::completion m_completion;
    work_stealing::quiescence m_quiescence{m_completion};
    work_stealing::idle m_idle{m_count};
    detail::worker_threads m_threads;  // last: its workers use everything above
};

}  // namespace poolbench

#include <pools/work_stealing/join.hpp>
#include <pools/work_stealing/worker_loop.hpp>

namespace poolbench {
static_assert(pool<work_stealing_pool>);
static_assert(timed_pool<work_stealing_pool>);
static_assert(helping_pool<work_stealing_pool>);
static_assert(promoting_pool<work_stealing_pool>);
}  // namespace poolbench
