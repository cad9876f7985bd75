// The one type list: every pool poolbench compares. A new pool joins the
// conformance suite, every benchmark and make_pool() by being added here.
// (The tbb pool is present when the build links poolbench::tbb, which defines
// POOLBENCH_HAS_TBB.)
#pragma once

#include <tuple>

#include "lockfree_pool.hpp"
#include "mutex_pool.hpp"
#include "sequential_pool.hpp"

namespace poolbench {

using all_pools = std::tuple<mutex_pool, lockfree_pool, sequential_pool>;

}  // namespace poolbench
