// Helpers built on the pool concept alone, so they work with every pool:
//  - submit_for_result(pool, f): runs f on the pool, returns a std::future
//    carrying f's result or its exception (the results channel of the classic
//    worker-pool pattern);
//  - parallel_for(pool, first, last, body, grain): body(i) for every i in
//    [first, last), in chunks of `grain`, and returns when all have run.
// Both are thread-safe as the pool's submit() is.
#pragma once

#include <algorithm>
#include <concepts>
#include <cstddef>
#include <future>
#include <memory>
#include <stdexcept>
#include <type_traits>
#include <utility>

#include <pools/pool.hpp>
#include <pools/task_group.hpp>

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

// Runs body(i) for i in [first, last) as jobs of at most `grain` indices each,
// and waits for them through a task_group (so it may be called from inside a
// job of a helping pool too). Rethrows the first exception a body threw;
// the other chunks still run. grain == 0 is a std::invalid_argument.
template <pool P, std::integral I, class Body>
requires std::invocable<Body&, I>
void parallel_for(P& pool, I first, I last, Body body, std::size_t grain = 1) {
    if (grain == 0)
        throw std::invalid_argument("poolbench::parallel_for: grain must be at least 1, got 0");
    if (!(first < last)) return;
    task_group<P> group(pool);
    const auto step = static_cast<std::make_unsigned_t<I>>(grain);
    for (I lo = first; lo < last;) {
        const auto remaining = static_cast<std::make_unsigned_t<I>>(last - lo);
        const I hi = static_cast<I>(lo + static_cast<I>(std::min(remaining, step)));
        group.run([&body, lo, hi] {
            for (I i = lo; i < hi; ++i) body(i);
        });
        lo = hi;
    }
    group.wait();
}

}  // namespace poolbench
