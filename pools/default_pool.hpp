// poolbench::default_pool: the pool to use when you have no reason to pick
// another. It names the pool the committed reference sweep shows fastest
// overall: results/latest/REPORT.md, section "Overall winner" (a 2-core
// machine). Re-run scripts/sweep on yours to check.
#pragma once

#include <pools/work_stealing_pool.hpp>

namespace poolbench {

using default_pool = work_stealing_pool;

}  // namespace poolbench
