// thread_per_job_pool: the naive design a worker pool exists to avoid. Every
// job gets a thread of its own, started for it and ended after it; at most
// `max_threads` (the constructor argument) run at once, and jobs beyond that
// wait in a list until a running thread ends and starts the next one.
// It cannot run other jobs while one of its jobs waits: a task_group wait
// inside its jobs runs the group's unstarted children itself and then waits
// for the started ones (task_group.hpp). Its threads are numbered in
// [0, max_threads): a thread takes a free number when it starts and gives it
// back when it ends (this_worker_index(), unique among the threads running
// at once); a job run on the submitter because the system refused a thread
// sees the submitter's index. submit(), wait(), wait_for(), stats(),
// worker_count() are thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <list>
#include <mutex>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include <pools/detail/completion.hpp>
#include <pools/detail/counters.hpp>
#include <pools/detail/current_pool.hpp>
#include <pools/detail/help_until.hpp>
#include <pools/detail/run_job.hpp>
#include <pools/detail/worker_count.hpp>
#include <pools/job.hpp>
#include <pools/pool.hpp>
#include <pools/worker_index.hpp>

namespace poolbench {

class thread_per_job_pool {
public:
    static constexpr std::string_view name = "thread_per_job";
    static constexpr execution_model k_execution_model = execution_model::thread_per_job;

    // default_worker_count() threads at most.
    thread_per_job_pool() : thread_per_job_pool(default_worker_count()) {}

    explicit thread_per_job_pool(std::size_t max_threads)
        : m_cap(detail::checked_worker_count(max_threads, name.data())) {
        m_free_indices.reserve(m_cap);
        for (std::size_t i = m_cap; i > 0; --i) m_free_indices.push_back(i - 1);
    }

    thread_per_job_pool(const thread_per_job_pool&) = delete;
    thread_per_job_pool& operator=(const thread_per_job_pool&) = delete;

    // Runs every job already submitted, then joins every thread.
    ~thread_per_job_pool() {
        m_completion.drain();
        std::list<slot> threads;
        {
            std::lock_guard lock(m_mutex);
            threads.swap(m_threads);
        }
        for (auto& s : threads) s.thread.join();
    }

    // Thread-safe, also from inside a job. Starts a thread unless
    // max_threads are running; then the job waits for the next free one.
    template <class F>
    void submit(F&& f) {
        job j(std::forward<F>(f));
        m_completion.add();
        {
            std::lock_guard lock(m_mutex);
            reap_locked();
            if (m_running >= m_cap) {
                m_waiting.push_back(std::move(j));
                return;
            }
            ++m_running;
            const std::size_t index = m_free_indices.back();  // m_running <= m_cap
            m_free_indices.pop_back();
            if (try_start_locked(j, index)) return;
            m_free_indices.push_back(index);
            --m_running;
            if (m_running > 0) {  // a running thread will start it later
                m_waiting.push_back(std::move(j));
                return;
            }
        }
        // The system refuses threads and none is running: run it here, late
        // but not lost.
        detail::worker_counters counters;
        {
            detail::current_pool_scope scope(this);
            detail::run_job(j, m_completion, counters);
        }
        std::lock_guard lock(m_mutex);
        m_reaped += counters.snapshot();
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

    bool in_worker() const noexcept { return detail::tl_current_pool == this; }
    std::size_t worker_count() const noexcept { return m_cap; }

    pool_stats stats() const {
        std::lock_guard lock(m_mutex);
        pool_stats s = m_reaped;
        for (const auto& t : m_threads) s += t.counters.snapshot();
        return s;
    }

private:
    struct slot {
        std::thread thread;
        job first_job;  // handed to the thread; written before it starts
        detail::worker_counters counters;
        std::size_t index = 0;  // this_worker_index(); written before the thread starts
        bool finished = false;  // guarded by m_mutex
    };

    // Starts a thread numbered `index` for j; false (j untouched) if the
    // system refuses a new thread. Caller holds m_mutex.
    bool try_start_locked(job& j, std::size_t index) {
        slot& s = m_threads.emplace_back();
        s.index = index;
        s.first_job = std::move(j);  // kept here, so a failed start loses nothing
        try {
            s.thread = std::thread([this, &s] { thread_main(s); });
            return true;
        } catch (const std::system_error&) {
            j = std::move(s.first_job);
            m_threads.pop_back();
            return false;
        }
    }

    void thread_main(slot& self) {
        detail::current_pool_scope scope(this);
        detail::worker_index_scope index(self.index);
        job j = std::move(self.first_job);
        for (;;) {
            detail::run_job(j, m_completion, self.counters);
            std::lock_guard lock(m_mutex);
            if (m_waiting.empty()) {
                --m_running;
                m_free_indices.push_back(self.index);
                self.finished = true;
                return;
            }
            job next = std::move(m_waiting.front());
            m_waiting.pop_front();
            // The new thread takes this one's number: this one runs no more jobs.
            if (try_start_locked(next, self.index)) {
                self.finished = true;
                return;
            }
            // No new thread to be had: this one runs the job (late, not lost).
            j = std::move(next);
        }
    }

    // Joins the threads that have ended. Caller holds m_mutex.
    void reap_locked() {
        for (auto it = m_threads.begin(); it != m_threads.end();) {
            if (!it->finished) {
                ++it;
                continue;
            }
            it->thread.join();
            m_reaped += it->counters.snapshot();
            it = m_threads.erase(it);
        }
    }

    const std::size_t m_cap;
    detail::completion m_completion;
    mutable std::mutex m_mutex;
    std::list<slot> m_threads;                // guarded by m_mutex
    std::deque<job> m_waiting;                // guarded by m_mutex
    std::size_t m_running = 0;                // guarded by m_mutex
    std::vector<std::size_t> m_free_indices;  // guarded by m_mutex; m_cap - m_running of them
    pool_stats m_reaped;                      // guarded by m_mutex
};

static_assert(pool<thread_per_job_pool>);
static_assert(timed_pool<thread_per_job_pool>);

}  // namespace poolbench
