// tbb_pool: the industrial reference. A tbb::task_arena limited to the worker
// count; every job runs through one tbb::task_group inside it (submissions
// from outside are enqueued into the arena with task_group::defer, nested
// ones spawned with task_group::run), and wait() is the task group's own
// wait. Jobs are wrapped so an exception never reaches oneTBB (which would
// cancel the whole group): it is recorded and rethrown by wait().
// this_worker_index() inside a job is the thread's slot in the arena
// (tbb::this_task_arena::current_thread_index(), in [0, W)).
// The pool leaves oneTBB's process-wide limits alone unless W workers need
// more than oneTBB allows by default (see the constructor).
// submit(), wait(), wait_for(), stats(), worker_count() are thread-safe.
// Needs poolbench::tbb (oneTBB); defines nothing without POOLBENCH_HAS_TBB.
#pragma once

#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/task_arena.h>
#include <oneapi/tbb/task_group.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <pools/detail/completion.hpp>
#include <pools/detail/counters.hpp>
#include <pools/detail/current_pool.hpp>
#include <pools/detail/group_counter.hpp>
#include <pools/detail/help_until.hpp>
#include <pools/detail/run_job.hpp>
#include <pools/detail/worker_count.hpp>
#include <pools/job.hpp>
#include <pools/pool.hpp>
#include <pools/worker_index.hpp>

namespace poolbench {

class tbb_pool {
public:
    static constexpr std::string_view name = "tbb";

    // default_worker_count() workers.
    tbb_pool() : tbb_pool(default_worker_count()) {}

    // An arena of `workers` slots, none reserved for outside threads
    // (outside threads only enqueue and wait). oneTBB's arena gets its
    // threads from one process-wide set of at most max_allowed_parallelism
    // - 1 workers (by default the CPUs of the affinity mask - 1), and a
    // tbb::global_control is the only way oneTBB gives to raise that: so
    // when `workers` needs more than the limit in force, the pool holds a
    // global_control of workers + 1 for its lifetime, which raises the
    // limit for the whole process (other arenas may then get more threads
    // too). It never lowers it: oneTBB takes the smallest value of all
    // live global_controls, so a pool that fits leaves the limit alone, and
    // a program's own lower global_control still wins (the pool then runs
    // on fewer threads).
    explicit tbb_pool(std::size_t workers)
        : m_count(detail::checked_worker_count(workers, name.data())),
          m_arena(static_cast<int>(m_count), 0),
          m_counters(m_count) {
        using control = tbb::global_control;
        if (m_count + 1 > control::active_value(control::max_allowed_parallelism)) {
            m_parallelism.emplace(control::max_allowed_parallelism, m_count + 1);
        }
        m_arena.initialize();
    }

    tbb_pool(const tbb_pool&) = delete;
    tbb_pool& operator=(const tbb_pool&) = delete;

    // Runs every job already submitted, then releases the arena. noexcept
    // although tbb::task_group's destructor is not: it throws only when left
    // with tasks unwaited, and this waits for all of them first.
    ~tbb_pool() noexcept {
        m_completion.drain();
        m_group.wait();
    }

    // Thread-safe, also from inside a job.
    template <class F>
    void submit(F&& f) {
        m_completion.add();
        pool_task task{this, job(std::forward<F>(f))};
        if (in_worker()) {
            m_group.run(std::move(task));
        } else {
            m_arena.enqueue(m_group.defer(std::move(task)));
        }
    }

    // Thread-safe; throws std::logic_error from inside one of this pool's jobs.
    void wait() {
        detail::check_not_in_own_job(this, name.data());
        m_group.wait();
        m_completion.wait();
    }

    // wait() for at most `timeout` (on the pool's count of pending jobs):
    // false when it ran out first; the jobs keep running and their
    // exceptions stay for a later wait.
    template <class Rep, class Period>
    bool wait_for(const std::chrono::duration<Rep, Period>& timeout) {
        detail::check_not_in_own_job(this, name.data(), "wait_for()");
        return m_completion.wait_until(detail::deadline_after(timeout));
    }

    bool in_worker() const noexcept { return detail::tl_current_pool == this; }
    std::size_t worker_count() const noexcept { return m_count; }

    pool_stats stats() const {
        pool_stats s;
        for (const auto& c : m_counters) s += c.snapshot();
        return s;
    }

    // For task_group<tbb_pool>: oneTBB's own task_group, whose wait from
    // inside a worker runs other tasks (help-while-waiting). oneTBB has no
    // timed wait, so the group also counts its unfinished children
    // (m_unfinished, two atomic read-modify-writes per child) for
    // wait_until(), which polls that count, helping with nothing (oneTBB has
    // no call that runs one pending task): inside a job, a child still in
    // this thread's own queue waits there until another thread steals it.
    class native_task_group {
    public:
        explicit native_task_group(tbb_pool& pool) : m_pool(pool) {}
        native_task_group(const native_task_group&) = delete;
        native_task_group& operator=(const native_task_group&) = delete;
        ~native_task_group() noexcept { m_group.wait(); }
        template <class F>
        void run(F&& f) {
            // The task runs marked as this pool's, so that what it forks in
            // turn is spawned locally rather than enqueued from outside.
            in_pool<std::decay_t<F>> task{&m_pool, &m_unfinished, std::forward<F>(f)};
            m_unfinished.add();
            if (m_pool.in_worker()) {
                m_group.run(std::move(task));
            } else {
                m_pool.m_arena.enqueue(m_group.defer(std::move(task)));
            }
        }
        void wait() { m_group.wait(); }
        bool wait_until(std::chrono::steady_clock::time_point deadline) {
            if (!detail::poll_until([this] { return m_unfinished.done(); }, deadline)) return false;
            m_group.wait();  // oneTBB's own bookkeeping of the finished children
            return true;
        }

    private:
        template <class F>
        struct in_pool {
            tbb_pool* pool;
            detail::group_counter* unfinished;
            mutable F f;
            void operator()() const {
                detail::current_pool_scope scope(pool);
                detail::worker_index_scope index(pool->this_thread_slot());
                f();
                unfinished->finish();  // the group's m_group.wait() outlasts this
            }
        };

        tbb_pool& m_pool;
        detail::group_counter m_unfinished;
        tbb::task_group m_group;
    };

private:
    // oneTBB calls its functors through a const reference; the job is
    // mutable so that it can be run (once) from there.
    struct pool_task {
        tbb_pool* pool;
        mutable job work;
        void operator()() const {
            detail::current_pool_scope scope(pool);
            const std::size_t slot = pool->this_thread_slot();
            detail::worker_index_scope index(slot);
            detail::run_job(work, pool->m_completion, pool->m_counters[slot]);
        }
    };

    // The calling thread's slot in the arena, in [0, W): only arena threads
    // run this pool's tasks, and the arena has W slots. One counter record
    // per slot: a slot is held by one thread at a time, and oneTBB's slot
    // hand-over orders one holder's writes before the next's.
    std::size_t this_thread_slot() const noexcept {
        const int slot = tbb::this_task_arena::current_thread_index();
        return static_cast<std::size_t>(std::clamp(slot, 0, static_cast<int>(m_count) - 1));
    }

    const std::size_t m_count;
    std::optional<tbb::global_control> m_parallelism;  // only to raise the limit
    tbb::task_arena m_arena;
    tbb::task_group m_group;
    detail::completion m_completion;
    std::vector<detail::worker_counters> m_counters;
};

static_assert(pool<tbb_pool>);
static_assert(timed_pool<tbb_pool>);

}  // namespace poolbench
