// asio_pool: a pool many C++ programs already use. boost::asio::thread_pool
// with `workers` threads; submit() is boost::asio::post, and wait-for-all is
// our own completion count (detail::completion), since asio's own join() and
// wait() end the pool. A nested submit is a post from inside a handler, so it
// enters asio's shared queue like any other. asio cannot run one pending
// handler on a thread that asks for it, so this pool does not help while
// waiting: a task_group wait inside one of its jobs spins while its stolen
// children finish. asio does not number its threads: this pool numbers them
// 0..W-1 in the order they first run one of its jobs (this_worker_index()
// is that number inside a job, and nullopt on an asio thread between jobs).
// submit(), wait(), wait_for(), stats(), worker_count() are thread-safe.
// Needs poolbench::asio (Boost.Asio); defines nothing without POOLBENCH_HAS_ASIO.
#pragma once

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>
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

class asio_pool {
public:
    static constexpr std::string_view name = "asio";

    // default_worker_count() workers.
    asio_pool() : asio_pool(default_worker_count()) {}

    explicit asio_pool(std::size_t workers)
        : m_count(detail::checked_worker_count(workers, name.data())),
          m_counters(m_count),
          m_pool(m_count) {}

    asio_pool(const asio_pool&) = delete;
    asio_pool& operator=(const asio_pool&) = delete;

    // Runs every job already submitted (and what those submit), then joins
    // asio's threads. asio's own destructor would stop() first, which may
    // drop pending handlers; the drain comes before it.
    ~asio_pool() {
        m_completion.drain();
        m_pool.join();
    }

    // Thread-safe, also from inside a job.
    template <class F>
    void submit(F&& f) {
        m_completion.add();
        try {
            boost::asio::post(m_pool, pool_task{this, job(std::forward<F>(f))});
        } catch (...) {
            m_completion.done();  // never queued: it does not count as pending
            throw;
        }
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
    std::size_t worker_count() const noexcept { return m_count; }

    // jobs_run and exceptions; asio keeps nothing like steals, parks or
    // wake-ups that we could read, so those stay 0.
    pool_stats stats() const {
        pool_stats s;
        for (const auto& c : m_counters) s += c.snapshot();
        return s;
    }

private:
    // The handler asio runs: marks the thread as this pool's for the job.
    struct pool_task {
        asio_pool* pool;
        job work;
        void operator()() {
            detail::current_pool_scope scope(pool);
            const std::size_t i = pool->index_of_this_thread();
            detail::worker_index_scope index(i);
            detail::run_job(work, pool->m_completion, pool->m_counters[i]);
        }
    };

    // Each of asio's threads takes an index (and the counter record at it)
    // of its own the first time it runs one of this pool's jobs (single
    // writer, as worker_counters requires). Only this pool's m_count threads
    // ever run its handlers, so there are never more claims than records;
    // the clamp only guards the index. Pools are told apart by a serial
    // number, not their address, which a later pool may reuse.
    std::size_t index_of_this_thread() noexcept {
        thread_local std::uint64_t owner = 0;
        thread_local std::size_t mine = 0;
        if (owner != m_serial) {
            // relaxed: only uniqueness of the index matters, which the RMW gives.
            const auto i = m_next_record.fetch_add(1, std::memory_order_relaxed);
            mine = std::min(i, m_count - 1);
            owner = m_serial;
        }
        return mine;
    }

    static std::uint64_t next_serial() noexcept {
        static std::atomic<std::uint64_t> serial{0};
        // relaxed: only uniqueness matters, which the RMW gives.
        return serial.fetch_add(1, std::memory_order_relaxed) + 1;
    }

    const std::size_t m_count;
    const std::uint64_t m_serial = next_serial();
    std::atomic<std::size_t> m_next_record{0};  // asio's threads, each once
    std::vector<detail::worker_counters> m_counters;
    detail::completion m_completion;
    // Last: its threads start once everything they touch exists, and are
    // joined (in the destructor's body) before any of it is destroyed.
    boost::asio::thread_pool m_pool;
};

static_assert(pool<asio_pool>);
static_assert(timed_pool<asio_pool>);

}  // namespace poolbench
