// queue_pool<Queue>: the classic worker pool, W workers pulling jobs from one
// shared queue. The `mutex` and `lockfree` pools are this one class over two
// queues (mutex_pool.hpp, lockfree_pool.hpp); only the queue and the way an
// idle worker sleeps differ:
//  - a blocking_queue (mutex_queue) puts idle workers to sleep on its own
//    condition variable, the textbook pattern;
//  - any other queue: an idle worker polls for a while, then parks on an
//    event_count (parking.hpp) with prepare-wait / re-check / commit-wait.
// Workers are numbered 0..W-1 (this_worker_index()) and take pool_options
// (names, start/stop hooks: detail/worker_threads.hpp).
// submit(), wait(), wait_for(), stats(), worker_count() are thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string_view>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include <pools/detail/completion.hpp>
#include <pools/detail/counters.hpp>
#include <pools/detail/current_pool.hpp>
#include <pools/detail/help_until.hpp>
#include <pools/detail/idle_spin.hpp>
#include <pools/detail/run_job.hpp>
#include <pools/detail/worker_count.hpp>
#include <pools/detail/worker_threads.hpp>
#include <pools/job.hpp>
#include <pools/options.hpp>
#include <pools/parking.hpp>
#include <pools/pool.hpp>
#include <queues/queue.hpp>

namespace poolbench {

// Each queue_pool instantiation names itself through this trait.
template <class Queue>
struct queue_pool_traits;

namespace detail {
// Queues with per-thread producer/consumer tokens (moodycamel) get one of each
// per worker.
template <class Q>
concept tokened_queue = requires(Q& q, typename Q::producer_token& p, typename Q::consumer_token& c,
                                 typename Q::value_type& v) {
    { q.try_push(p, std::move(v)) } -> std::same_as<bool>;
    { q.try_pop(c, v) } -> std::same_as<bool>;
};

template <class Q>
struct queue_tokens {
    using producer = void;
    using consumer = void;
};
template <tokened_queue Q>
struct queue_tokens<Q> {
    using producer = typename Q::producer_token;
    using consumer = typename Q::consumer_token;
};
}  // namespace detail

template <concurrent_queue Queue>
class queue_pool {
    static_assert(std::is_same_v<typename Queue::value_type, job>);

public:
    static constexpr std::string_view name = queue_pool_traits<Queue>::name;
    // A blocking queue (mutex) wakes its sleepers inside its own condition
    // variable, which counts nothing: its wake-ups are not kept (not 0).
    static constexpr kept_counters k_kept_counters{.parks = true,
                                                   .wakeups = !blocking_queue<Queue>};

    // default_worker_count() workers.
    queue_pool() : queue_pool(pool_options{}) {}
    explicit queue_pool(std::size_t workers) : queue_pool(pool_options{.workers = workers}) {}
    explicit queue_pool(pool_options options)
        : m_workers(detail::checked_worker_count(options.workers, name.data())),
          m_threads(std::move(options)) {
        m_threads.start(
            m_workers.size(), [this](std::size_t i) { worker_main(m_workers[i]); },
            [this]() noexcept { stop_workers(); });
    }

    queue_pool(const queue_pool&) = delete;
    queue_pool& operator=(const queue_pool&) = delete;

    // Runs every job already submitted, then joins the workers.
    ~queue_pool() {
        m_completion.drain();
        shut_down();
    }

    // Thread-safe, also from inside a job.
    template <class F>
    void submit(F&& f) {
        m_completion.add();
        job j(std::forward<F>(f));
        if constexpr (detail::tokened_queue<Queue>) {
            if (t_producer != nullptr && detail::tl_current_pool == this) {
                m_queue.try_push(*t_producer, std::move(j));
            } else {
                m_queue.try_push(std::move(j));
            }
        } else {
            m_queue.try_push(std::move(j));
        }
        if constexpr (!blocking_queue<Queue>) {
            if (m_parking.notify_one()) {
                // relaxed: a statistic; only taken on the rare wake-up path.
                m_wakeups.fetch_add(1, std::memory_order_relaxed);
            }
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

    // Runs one queued job on the calling worker, if there is one. Only from
    // inside a job of this pool (task_group's help-while-waiting).
    bool try_run_pending() {
        job j;
        if (!pop(j)) return false;
        detail::run_job(j, m_completion, m_workers[detail::tl_worker_index].counters);
        return true;
    }

    bool in_worker() const noexcept { return detail::tl_current_pool == this; }
    std::size_t worker_count() const noexcept { return m_workers.size(); }

    pool_stats stats() const {
        pool_stats s;
        for (const auto& w : m_workers) s += w.counters.snapshot();
        // relaxed: statistic.
        s.wakeups += m_wakeups.load(std::memory_order_relaxed);
        return s;
    }

private:
    struct worker {
        detail::worker_counters counters;  // aligned to its own lines
    };

    bool pop(job& j) {
        if constexpr (detail::tokened_queue<Queue>) {
            return m_queue.try_pop(*t_consumer, j);
        } else {
            return m_queue.try_pop(j);
        }
    }

    // Blocks until a job is there (true) or the pool shuts down (false).
    bool next_job(job& j, worker& self) {
        if (pop(j)) return true;
        if constexpr (blocking_queue<Queue>) {
            detail::worker_counters::bump(self.counters.parks);
            return m_queue.pop_wait(j);
        } else {
            detail::idle_spin spin(m_poll_budget);
            while (spin.keep_polling()) {
                if (pop(j)) return true;
            }
            for (;;) {
                m_parking.prepare_wait();
                if (pop(j)) {
                    m_parking.cancel_wait();
                    return true;
                }
                // acquire: pairs with the release store in shut_down(); the
                // queue is empty for good once it is set (drain ran first).
                if (m_stopping.load(std::memory_order_acquire)) {
                    m_parking.cancel_wait();
                    return false;
                }
                detail::worker_counters::bump(self.counters.parks);
                m_parking.commit_wait();
                if (pop(j)) return true;
            }
        }
    }

    void worker_main(worker& self) {
        detail::current_pool_scope scope(this);
        [[maybe_unused]] auto tokens = make_tokens();
        job j;
        while (next_job(j, self)) detail::run_job(j, m_completion, self.counters);
    }

    // A worker's moodycamel tokens live on its stack; thread_local pointers
    // let submit() and pop() find them. A thread is a worker of one pool only.
    auto make_tokens() {
        if constexpr (detail::tokened_queue<Queue>) {
            struct tokens {
                typename Queue::producer_token producer;
                typename Queue::consumer_token consumer;
                ~tokens() { t_producer = nullptr, t_consumer = nullptr; }
            };
            auto t = std::make_unique<tokens>(m_queue.make_producer_token(),
                                              m_queue.make_consumer_token());
            t_producer = &t->producer;
            t_consumer = &t->consumer;
            return t;
        } else {
            return 0;
        }
    }

    void shut_down() noexcept {
        stop_workers();
        m_threads.join();
    }

    // Tells the workers to leave once the queue is empty.
    void stop_workers() noexcept {
        if constexpr (blocking_queue<Queue>) {
            m_queue.close();
        } else {
            // release: pairs with the acquire load in next_job().
            m_stopping.store(true, std::memory_order_release);
            m_parking.notify_all();
        }
    }

    // The calling worker's tokens; set by worker_main for its life (its
    // index is detail::tl_worker_index, set by detail::worker_threads).
    static inline thread_local typename detail::queue_tokens<Queue>::producer* t_producer = nullptr;
    static inline thread_local typename detail::queue_tokens<Queue>::consumer* t_consumer = nullptr;

    Queue m_queue;
    detail::completion m_completion;
    event_count m_parking;
    alignas(k_cache_line) std::atomic<bool> m_stopping{false};
    std::atomic<std::uint64_t> m_wakeups{0};
    std::vector<worker> m_workers;
    // Short (50 us): pollers of the one shared queue slow down the producer
    // they wait for, so a long budget costs more than the wake-ups it saves.
    const std::chrono::nanoseconds m_poll_budget =
        detail::idle_spin::budget_for(m_workers.size(), std::chrono::microseconds(50));
    detail::worker_threads m_threads;  // last: its workers use everything above
};

}  // namespace poolbench
