// Helpers built on the pool concept alone, so they work with every pool:
//  - submit_for_result(pool, f): runs f on the pool, returns a std::future
//    carrying f's result or its exception (the results channel of the classic
//    worker-pool pattern);
//  - the loops, parallel_for, parallel_for_each (pools/parallel_for.hpp) and
//    parallel_reduce (pools/parallel_reduce.hpp), included from here.
// Thread-safe as the pool's submit() is.
#pragma once

#include <concepts>
#include <cstddef>
#include <future>
#include <memory>
#include <type_traits>
#include <utility>

#include <pools/parallel_for.hpp>
#include <pools/parallel_reduce.hpp>
#include <pools/pool.hpp>

namespace poolbench {

// The future's value (or exception) is set by the job; the job does not count
// as failed for the pool's wait(): the exception travels through the future.
template <pool P, class F>
requires std::invocable < std::decay_t<F>
& > auto submit_for_result(P& pool, F&& f) -> std::future<std::invoke_result_t<std::decay_t<F>&>> {
    using result = std::invoke_result_t<std::decay_t<F>&>;
    std::promise<result> promise;
    std::future<result> future = promise.get_future();
    pool.submit([promise = std::move(promise), f = std::forward<F>(f)]() mutable {
        try {
            if constexpr (std::is_void_v<result>) {
                f();
                promise.set_value();
            } else {
                promise.set_value(f());
            }
        } catch (...) {
            promise.set_exception(std::current_exception());
        }
    });
    return future;
}

}  // namespace poolbench
