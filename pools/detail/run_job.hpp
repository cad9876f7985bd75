// detail::run_job: how every pool runs one job: exceptions are caught and
// recorded (never escape into the worker), the job's captures are destroyed,
// and only then is the job counted as finished, so that a wait() that returns
// sees every side effect, destructors of captures included.
// A pool may count finished jobs its own way (run_job_unreported):
// work_stealing_pool counts busy workers instead of jobs.
#pragma once

#include <exception>

#include <pools/detail/completion.hpp>
#include <pools/detail/counters.hpp>
#include <pools/job.hpp>

namespace poolbench::detail {

// Runs j and records its exception, but leaves counting it finished to the
// caller.
[[gnu::always_inline]] inline void run_job_unreported(job& j, completion& c,
                                                      worker_counters& w) noexcept {
    try {
        j.consume();  // destroys the captures, also when the job throws
    } catch (...) {
        c.record(std::current_exception());
        worker_counters::bump(w.exceptions);
    }
    worker_counters::bump(w.jobs_run);
}

inline void run_job(job& j, completion& c, worker_counters& w) noexcept {
    run_job_unreported(j, c, w);
    c.done();
}

}  // namespace poolbench::detail
