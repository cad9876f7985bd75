// poolbench::default_pool: the pool to use when you have no reason to pick
// another. It names the pool the committed reference sweep shows fastest
// overall: results/latest/REPORT.md, "Overall winner" (work_stealing: first
// on 5 of 9 workloads and within 1% of the first on 2 more, on a 2-core
// machine; geometric mean of relative scores 0.80 against 0.44 for tbb).
// Re-run scripts/sweep on your machine to check.
#pragma once

#include "work_stealing_pool.hpp"

namespace poolbench {

using default_pool = work_stealing_pool;

}  // namespace poolbench
