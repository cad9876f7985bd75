// detail::help_until: the loop of a thread that must wait for a condition
// inside a pool: it runs other jobs meanwhile, and pauses, then yields, while
// it finds none. Used by fork-join waits.
#pragma once

#include <thread>

#include <base/cpu_relax.hpp>

namespace poolbench::detail {

// Calls try_help() (runs some other job, returns whether it did) until
// done() is true, pausing and then yielding while it finds nothing to do.
template <class Done, class Help>
void help_until(Done&& done, Help&& try_help) {
    int idle_rounds = 0;
    while (!done()) {
        if (try_help()) {
            idle_rounds = 0;
        } else if (++idle_rounds < 64) {
            cpu_relax();
        } else {
            std::this_thread::yield();
        }
    }
}

}  // namespace poolbench::detail
