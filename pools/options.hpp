// poolbench::pool_options: what the pools that run their own threads
// (mutex, lockfree, work_stealing) take besides a worker count: a thread name
// and hooks that run on each worker before its first job and after its last.
// A plain struct: build it with designated initializers, e.g.
//   poolbench::mutex_pool p(poolbench::pool_options{.workers = 4, .thread_name = "db"});
#pragma once

#include <cstddef>
#include <functional>
#include <string>

#include <pools/detail/worker_count.hpp>

namespace poolbench {

struct pool_options {
    // How many workers; the default is default_worker_count() (the CPUs of
    // the process's affinity mask). 0 or above k_max_workers: the pool's
    // constructor throws std::invalid_argument.
    std::size_t workers = default_worker_count();

    // Worker i is named "<thread_name>-<i>" (pthread_setname_np: what top -H,
    // ps -L and gdb show). Linux allows 15 characters, so thread_name is cut
    // short to leave the "-<i>" whole: "db" gives "db-0", "db-1", ...;
    // "a_very_long_name" gives "a_very_long_n-0" and "a_very_long_-10".
    // Empty: the threads keep the name they inherit.
    std::string thread_name{};

    // Called as on_thread_start(i) on worker i, before it runs its first job,
    // with this_worker_index() == i. The constructor returns once every
    // worker's call has returned. If one throws, the constructor stops the
    // pool (calling on_thread_stop on the workers whose start hook
    // returned), joins its threads and rethrows the first such exception.
    std::function<void(std::size_t)> on_thread_start{};

    // Called as on_thread_stop(i) on worker i after its last job, while the
    // pool's destructor joins the workers. Must not throw: like a function a
    // std::thread runs, an exception leaving it calls std::terminate.
    std::function<void(std::size_t)> on_thread_stop{};
};

}  // namespace poolbench
