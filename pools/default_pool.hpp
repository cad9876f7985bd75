// poolbench::default_pool: the pool to use when you have no reason to pick
// another. It names the pool the committed reference sweep shows fastest
// overall: results/latest/REPORT.md, section "Overall winner" (a 2-core
// machine). Re-run scripts/sweep on yours to check.
// poolbench::global_pool(): one default_pool per process, made on first use,
// for components that would otherwise each start their own. Thread-safe.
#pragma once

#include <pools/work_stealing_pool.hpp>

namespace poolbench {

using default_pool = work_stealing_pool;

// The process's shared default_pool, with default_worker_count() workers,
// made by the first call (a function-local static: concurrent first calls
// make one pool; every call returns the same one). Its jobs all run before
// the process exits: the static's destructor, at exit (after main returns,
// or std::exit), runs every job already submitted, then joins the workers.
// Static destruction runs in the reverse order of construction, so a static
// object constructed before the first call outlives the pool: one that
// submits from its destructor must call global_pool() in its constructor
// first, which makes the pool outlive it. A submit after the pool's
// destructor began is undefined behaviour (as for any destroyed object); a
// job already running may still submit (the destructor waits for those too).
// std::exit() from inside one of its jobs would make a worker join itself:
// end the process from outside the pool, or with std::quick_exit.
inline default_pool& global_pool() {
    static default_pool pool;
    return pool;
}

}  // namespace poolbench
