// detail::run_job: how every pool runs one job: exceptions are caught and
// recorded (never escape into the worker), the job's captures are destroyed,
// and only then is the job counted as finished, so that a wait() that returns
// sees every side effect, destructors of captures included.
#pragma once

#include <exception>

#include "../job.hpp"
#include "completion.hpp"
#include "counters.hpp"

namespace poolbench::detail {

inline void run_job(job& j, completion& c, worker_counters& w) noexcept {
    try {
        j();
    } catch (...) {
        c.record(std::current_exception());
        worker_counters::bump(w.exceptions);
    }
    j.reset();
    worker_counters::bump(w.jobs_run);
    c.done();
}

}  // namespace poolbench::detail
