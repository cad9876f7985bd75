// poolbench::default_pool: the pool to use when you have no reason to pick
// another. It names the pool the committed reference sweep shows fastest
// overall; see results/latest/REPORT.md ("Overall winner").
#pragma once

#include "mutex_pool.hpp"

namespace poolbench {

// Provisional until the first reference sweep with every pool is committed.
using default_pool = mutex_pool;

}  // namespace poolbench
