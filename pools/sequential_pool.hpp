// sequential_pool: runs each job inline, on the submitting thread, inside
// submit(). No worker threads: what the pool interface itself costs with no
// parallelism at all (speedups are taken over the `serial` baseline, the same
// work with no pool). Nested submissions run inline too (depth-first), so
// recursive workloads recurse on the caller's stack.
// It has no workers: this_worker_index() inside its jobs is what it is on
// the submitting thread (nullopt on a thread that is no pool's worker).
// Thread-safe: several threads may submit at once; each runs its own jobs.
#pragma once

#include <chrono>
#include <cstddef>
#include <string_view>
#include <utility>

#include <pools/detail/completion.hpp>
#include <pools/detail/counters.hpp>
#include <pools/detail/current_pool.hpp>
#include <pools/detail/help_until.hpp>
#include <pools/detail/per_thread.hpp>
#include <pools/detail/run_job.hpp>
#include <pools/detail/worker_count.hpp>
#include <pools/job.hpp>
#include <pools/pool.hpp>

namespace poolbench {

class sequential_pool {
public:
    static constexpr std::string_view name = "sequential";
    static constexpr execution_model k_execution_model = execution_model::inline_on_submitter;

    sequential_pool() = default;

    // The count is checked like every pool's, but no thread is started:
    // worker_count() is 1, the calling thread.
    explicit sequential_pool(std::size_t workers) {
        detail::checked_worker_count(workers, name.data());
    }

    sequential_pool(const sequential_pool&) = delete;
    sequential_pool& operator=(const sequential_pool&) = delete;

    template <class F>
    void submit(F&& f) {
        job j(std::forward<F>(f));
        m_completion.add();
        detail::current_pool_scope scope(this);
        detail::run_job(j, m_completion, m_counters.local());
    }

    void wait() {
        detail::check_not_in_own_job(this, name.data());
        m_completion.wait();
    }

    // wait() for at most `timeout`: false when it ran out first, which only
    // happens while other threads are inside submit().
    template <class Rep, class Period>
    bool wait_for(const std::chrono::duration<Rep, Period>& timeout) {
        detail::check_not_in_own_job(this, name.data(), "wait_for()");
        return m_completion.wait_until(detail::deadline_after(timeout));
    }

    // Nothing is ever pending: every job ran inside its submit().
    bool try_run_pending() noexcept { return false; }
    bool in_worker() const noexcept { return detail::tl_current_pool == this; }
    std::size_t worker_count() const noexcept { return 1; }

    pool_stats stats() const {
        pool_stats s;
        m_counters.for_each([&s](const detail::worker_counters& c) { s += c.snapshot(); });
        return s;
    }

private:
    detail::completion m_completion;
    // Each submitting thread counts into its own record (single writer, as
    // worker_counters requires).
    detail::per_thread<detail::worker_counters> m_counters;
};

static_assert(pool<sequential_pool>);
static_assert(timed_pool<sequential_pool>);
static_assert(helping_pool<sequential_pool>);

}  // namespace poolbench
