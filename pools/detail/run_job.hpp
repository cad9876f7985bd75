// detail::run_job: how every pool runs one job: exceptions are caught and
// recorded (never escape into the worker), the job's captures are destroyed,
// and only then is the job counted as finished, so that a wait() that returns
// sees every side effect, destructors of captures included.
// A pool may report finished jobs in batches (run_job_unreported), as long
// as it reports them before its worker looks for more work elsewhere.
#pragma once

#include <exception>

#include "../job.hpp"
#include "completion.hpp"
#include "counters.hpp"

namespace poolbench::detail {

// Runs j and records its exception, but leaves reporting it finished to the
// caller (c.done(n), possibly for a batch of jobs at once).
inline void run_job_unreported(job& j, completion& c, worker_counters& w) noexcept {
    try {
        j();
    } catch (...) {
        c.record(std::current_exception());
        worker_counters::bump(w.exceptions);
    }
    j.reset();
    worker_counters::bump(w.jobs_run);
}

inline void run_job(job& j, completion& c, worker_counters& w) noexcept {
    run_job_unreported(j, c, w);
    c.done();
}

}  // namespace poolbench::detail
