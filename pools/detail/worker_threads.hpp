// detail::worker_threads: the threads of a pool that runs its own workers
// (queue_pool, work_stealing_pool), started and joined the one way:
// each worker is named from pool_options::thread_name, knows its
// this_worker_index(), and runs the pool's loop between the options'
// on_thread_start and on_thread_stop hooks. start() and join() by the pool's
// constructor and destructor only.
#pragma once

#include <pthread.h>

#include <algorithm>
#include <cstddef>
#include <exception>
#include <latch>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <pools/options.hpp>
#include <pools/worker_index.hpp>

namespace poolbench::detail {

class worker_threads {
public:
    // options.workers: the count the pool checked (checked_worker_count).
    explicit worker_threads(pool_options options) noexcept
        : m_options(std::move(options)),
          m_started(static_cast<std::ptrdiff_t>(m_options.workers)) {}
    worker_threads(const worker_threads&) = delete;
    worker_threads& operator=(const worker_threads&) = delete;
    ~worker_threads() { join(); }

    // Starts options.workers workers (n); worker i runs run(i), the pool's
    // loop, which returns once stop() has been called and the pool is
    // drained. When there is an on_thread_start hook, returns once every
    // worker's call returned (m_started: each worker counts it down, the
    // failing one after recording its exception). If a thread cannot be
    // started or a start hook throws, calls stop(), joins the workers
    // started and rethrows.
    template <class Run, class Stop>
    void start(std::size_t n, Run run, Stop stop) {
        m_threads.reserve(n);
        try {
            for (std::size_t i = 0; i < n; ++i) {
                m_threads.emplace_back([this, i, run] { worker_main(i, run); });
            }
        } catch (...) {
            stop();
            join();
            throw;
        }
        if (!m_options.on_thread_start) return;
        m_started.wait();
        if (m_start_failure) {
            stop();
            join();
            std::rethrow_exception(m_start_failure);
        }
    }

    // Joins every worker (after the pool told them to stop). Idempotent.
    void join() noexcept {
        for (auto& t : m_threads) {
            if (t.joinable()) t.join();
        }
    }

private:
    template <class Run>
    void worker_main(std::size_t i, Run& run) {
        name_this_thread(i);
        worker_index_scope index(i);
        if (m_options.on_thread_start) {
            try {
                m_options.on_thread_start(i);
            } catch (...) {
                {
                    std::lock_guard lock(m_mutex);
                    if (!m_start_failure) m_start_failure = std::current_exception();
                }
                m_started.count_down();
                return;  // no loop and no stop hook: this worker never started
            }
        }
        m_started.count_down();
        run(i);
        if (m_options.on_thread_stop) m_options.on_thread_stop(i);  // throws: std::terminate
    }

    // "<name>-<i>", the name cut to fit Linux's 15 characters.
    void name_this_thread(std::size_t i) const noexcept {
        if (m_options.thread_name.empty()) return;
        try {
            constexpr std::size_t k_max_name = 15;
            // Appended rather than "-" + to_string(i): GCC 12 warns
            // (-Wrestrict, a false positive) on that operator+ at -O2.
            std::string suffix(1, '-');
            suffix += std::to_string(i);
            std::string name = m_options.thread_name.substr(
                0, k_max_name > suffix.size() ? k_max_name - suffix.size() : 0);
            name += suffix;
            name.resize(std::min(name.size(), k_max_name));
            pthread_setname_np(pthread_self(), name.c_str());
        } catch (...) {  // std::bad_alloc: the thread keeps its inherited name
        }
    }

    const pool_options m_options;
    std::vector<std::thread> m_threads;
    std::latch m_started;                // counted down by each worker before its loop
    std::mutex m_mutex;                  // guards m_start_failure while workers start
    std::exception_ptr m_start_failure;  // read by start() once m_started is complete
};

}  // namespace poolbench::detail
