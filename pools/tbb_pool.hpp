// tbb_pool: the industrial reference. A tbb::task_arena limited to the worker
// count; every job runs through one tbb::task_group inside it (submissions
// from outside are enqueued into the arena with task_group::defer, nested
// ones spawned with task_group::run), and wait() is the task group's own
// wait. Jobs are wrapped so an exception never reaches oneTBB (which would
// cancel the whole group): it is recorded and rethrown by wait().
// submit(), wait(), stats(), worker_count() are thread-safe. Needs
// poolbench::tbb (oneTBB); defines nothing without POOLBENCH_HAS_TBB.
#pragma once

#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/task_arena.h>
#include <oneapi/tbb/task_group.h>

#include <algorithm>
#include <cstddef>
#include <memory>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <pools/detail/completion.hpp>
#include <pools/detail/counters.hpp>
#include <pools/detail/current_pool.hpp>
#include <pools/detail/run_job.hpp>
#include <pools/detail/worker_count.hpp>
#include <pools/job.hpp>
#include <pools/pool.hpp>

namespace poolbench {

class tbb_pool {
public:
    static constexpr std::string_view name = "tbb";

    // oneTBB starts hardware_concurrency - 1 workers by default; the
    // global_control lets the arena really have `workers` threads, also when
    // that oversubscribes the machine (the sleep workload). No thread slot is
    // reserved for outside threads: outside threads only enqueue and wait.
    explicit tbb_pool(std::size_t workers)
        : m_count(detail::checked_worker_count(workers, name.data())),
          m_parallelism(tbb::global_control::max_allowed_parallelism, m_count + 1),
          m_arena(static_cast<int>(m_count), 0),
          m_counters(m_count + 1) {
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

    bool in_worker() const noexcept { return detail::tl_current_pool == this; }
    std::size_t worker_count() const noexcept { return m_count; }

    pool_stats stats() const {
        pool_stats s;
        for (const auto& c : m_counters) s += c.snapshot();
        return s;
    }

    // For task_group<tbb_pool>: oneTBB's own task_group, whose wait from
    // inside a worker runs other tasks (help-while-waiting).
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
            in_pool<std::decay_t<F>> task{&m_pool, std::forward<F>(f)};
            if (m_pool.in_worker()) {
                m_group.run(std::move(task));
            } else {
                m_pool.m_arena.enqueue(m_group.defer(std::move(task)));
            }
        }
        void wait() { m_group.wait(); }

    private:
        template <class F>
        struct in_pool {
            tbb_pool* pool;
            mutable F f;
            void operator()() const {
                detail::current_pool_scope scope(pool);
                f();
            }
        };

        tbb_pool& m_pool;
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
            detail::run_job(work, pool->m_completion, pool->counters_of_this_thread());
        }
    };

    // One record per arena slot: a slot is held by one thread at a time, and
    // oneTBB's slot hand-over orders one holder's writes before the next's.
    detail::worker_counters& counters_of_this_thread() {
        const int slot = tbb::this_task_arena::current_thread_index();
        const auto i = static_cast<std::size_t>(std::clamp(slot, 0, static_cast<int>(m_count)));
        return m_counters[i];
    }

    const std::size_t m_count;
    tbb::global_control m_parallelism;
    tbb::task_arena m_arena;
    tbb::task_group m_group;
    detail::completion m_completion;
    std::vector<detail::worker_counters> m_counters;
};

static_assert(pool<tbb_pool>);

}  // namespace poolbench
