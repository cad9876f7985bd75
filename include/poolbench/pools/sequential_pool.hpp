// sequential_pool: runs each job inline, on the submitting thread, inside
// submit(). No worker threads: what the pool interface itself costs with no
// parallelism at all (speedups are taken over the `serial` baseline, the same
// work with no pool). Nested submissions run inline too (depth-first), so
// recursive workloads recurse on the caller's stack.
// Thread-safe: several threads may submit at once; each runs its own jobs.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string_view>
#include <utility>
#include <vector>

#include <poolbench/pools/detail/completion.hpp>
#include <poolbench/pools/detail/counters.hpp>
#include <poolbench/pools/detail/current_pool.hpp>
#include <poolbench/pools/detail/run_job.hpp>
#include <poolbench/pools/detail/worker_count.hpp>
#include <poolbench/pools/job.hpp>
#include <poolbench/pools/pool.hpp>

namespace poolbench {

class sequential_pool {
public:
    static constexpr std::string_view name = "sequential";
    static constexpr execution_model k_execution_model = execution_model::inline_on_submitter;

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
        detail::run_job(j, m_completion, counters());
    }

    void wait() {
        detail::check_not_in_own_job(this, name.data());
        m_completion.wait();
    }

    // Nothing is ever pending: every job ran inside its submit().
    bool try_run_pending() noexcept { return false; }
    bool in_worker() const noexcept { return detail::tl_current_pool == this; }
    std::size_t worker_count() const noexcept { return 1; }

    pool_stats stats() const {
        std::lock_guard lock(m_counters_mutex);
        pool_stats s;
        for (const auto& c : m_counters) s += c->snapshot();
        return s;
    }

private:
    // Each submitting thread counts into its own record (single writer, as
    // worker_counters requires), created on its first submit to this pool.
    // Pools are told apart by a serial number, not their address, which a
    // later pool may reuse.
    detail::worker_counters& counters() {
        thread_local std::uint64_t owner = 0;
        thread_local detail::worker_counters* mine = nullptr;
        if (owner != m_serial) {
            std::lock_guard lock(m_counters_mutex);
            m_counters.push_back(std::make_unique<detail::worker_counters>());
            mine = m_counters.back().get();
            owner = m_serial;
        }
        return *mine;
    }

    static std::uint64_t next_serial() noexcept {
        static std::atomic<std::uint64_t> serial{0};
        // relaxed: only uniqueness matters, which the RMW gives.
        return serial.fetch_add(1, std::memory_order_relaxed) + 1;
    }

    const std::uint64_t m_serial = next_serial();
    detail::completion m_completion;
    mutable std::mutex m_counters_mutex;
    std::vector<std::unique_ptr<detail::worker_counters>> m_counters;
};

static_assert(pool<sequential_pool>);
static_assert(helping_pool<sequential_pool>);

}  // namespace poolbench
