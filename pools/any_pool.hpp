// any_pool: a pool chosen by name at run time, behind one virtual call per
// operation; make_pool(name, workers) builds one, pool_names() lists the
// names. Pools used through the concept directly pay no virtual call; this is
// for programs that take the pool from a flag or a config file.
// any_pool satisfies the pool concept itself (its static name is "any";
// pool_name() says which pool it holds). Thread-safety: as the held pool's.
// Which pools it knows depends on the build (POOLBENCH_HAS_TBB, _ASIO), so
// it lives in the inline namespace that all_pools.hpp names after that set:
// TUs built with different sets get different any_pools (a mismatch between
// them is a link error, never one TU's registry silently used by another).
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include <pools/all_pools.hpp>
#include <pools/default_pool.hpp>
#include <pools/detail/worker_count.hpp>
#include <pools/job.hpp>
#include <pools/pool.hpp>

namespace poolbench {
inline namespace POOLBENCH_POOL_SET {

class any_pool {
public:
    static constexpr std::string_view name = "any";

    // The default pool with default_worker_count() workers.
    any_pool() : any_pool(default_worker_count()) {}

    // The default pool with `workers` workers.
    explicit any_pool(std::size_t workers) : any_pool(default_pool::name, workers) {}

    // The pool called `pool_name` (one of pool_names()). An unknown name is a
    // std::invalid_argument whose message lists the known ones.
    any_pool(std::string_view pool_name, std::size_t workers)
        : m_impl(make_impl(pool_name, workers)) {}

    any_pool(any_pool&&) noexcept = default;
    any_pool& operator=(any_pool&&) noexcept = default;

    template <class F>
    void submit(F&& f) {
        m_impl->submit(job(std::forward<F>(f)));
    }
    void wait() { m_impl->wait(); }
    // A timeout beyond 200 years (nanoseconds reach 292) waits 200 years.
    template <class Rep, class Period>
    bool wait_for(const std::chrono::duration<Rep, Period>& timeout) {
        constexpr std::chrono::nanoseconds k_longest = std::chrono::hours(24 * 365 * 200);
        const std::chrono::duration<double, std::nano> t = timeout;
        return m_impl->wait_for(t >= k_longest ? k_longest
                                               : std::chrono::ceil<std::chrono::nanoseconds>(t));
    }
    bool try_run_pending() { return m_impl->try_run_pending(); }
    bool in_worker() const { return m_impl->in_worker(); }
    std::size_t worker_count() const { return m_impl->worker_count(); }
    pool_stats stats() const { return m_impl->stats(); }
    std::string_view pool_name() const noexcept { return m_impl->name(); }

    // Every name make_pool() accepts, in the order of all_pools.
    static std::vector<std::string_view> names() {
        return std::apply(
            [](auto*... p) { return std::vector<std::string_view>{pool_name_of(p)...}; },
            null_pointers(static_cast<all_pools*>(nullptr)));
    }

private:
    struct impl {
        virtual ~impl() = default;
        virtual void submit(job&& j) = 0;
        virtual void wait() = 0;
        virtual bool wait_for(std::chrono::nanoseconds timeout) = 0;
        virtual bool try_run_pending() = 0;
        virtual bool in_worker() const = 0;
        virtual std::size_t worker_count() const = 0;
        virtual pool_stats stats() const = 0;
        virtual std::string_view name() const noexcept = 0;
    };

    template <pool P>
    struct model final : impl {
        explicit model(std::size_t workers) : pool(workers) {}
        void submit(job&& j) override { pool.submit(std::move(j)); }
        void wait() override { pool.wait(); }
        bool wait_for(std::chrono::nanoseconds timeout) override { return pool.wait_for(timeout); }
        bool try_run_pending() override {
            if constexpr (helping_pool<P>) {
                return pool.try_run_pending();
            } else {
                return false;
            }
        }
        bool in_worker() const override { return pool.in_worker(); }
        std::size_t worker_count() const override { return pool.worker_count(); }
        pool_stats stats() const override { return pool.stats(); }
        std::string_view name() const noexcept override { return P::name; }
        P pool;
    };

    template <class P>
    static std::string_view pool_name_of(P*) noexcept {
        return P::name;
    }

    template <class... P>
    static std::tuple<P*...> null_pointers(std::tuple<P...>*) noexcept {
        return {};
    }

    static std::unique_ptr<impl> make_impl(std::string_view pool_name, std::size_t workers) {
        std::unique_ptr<impl> result;
        std::apply([&](auto*... p) { (try_make(p, pool_name, workers, result) || ...); },
                   null_pointers(static_cast<all_pools*>(nullptr)));
        if (!result) {
            std::string known;
            for (std::string_view n : names())
                known += (known.empty() ? "" : ", ") + std::string(n);
            throw std::invalid_argument("poolbench: unknown pool '" + std::string(pool_name) +
                                        "'; known pools: " + known);
        }
        return result;
    }

    template <class P>
    static bool try_make(P*, std::string_view pool_name, std::size_t workers,
                         std::unique_ptr<impl>& out) {
        if (P::name != pool_name) return false;
        out = std::make_unique<model<P>>(workers);
        return true;
    }

    std::unique_ptr<impl> m_impl;
};

static_assert(pool<any_pool>);
static_assert(timed_pool<any_pool>);
static_assert(helping_pool<any_pool>);

// The pool called `name` (see pool_names()) with `workers` workers.
// Unknown name or bad worker count: std::invalid_argument naming it.
inline any_pool make_pool(std::string_view name, std::size_t workers) {
    return any_pool(name, workers);
}

// The names make_pool() knows.
inline std::vector<std::string_view> pool_names() {
    return any_pool::names();
}

}  // namespace POOLBENCH_POOL_SET

}  // namespace poolbench
