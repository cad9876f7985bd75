// The one type list: every pool poolbench compares. A new pool joins the
// conformance suite, every benchmark and make_pool() by being added here.
// The tbb pool is in it when the build links poolbench::tbb (which defines
// POOLBENCH_HAS_TBB), the asio pool when it links poolbench::asio
// (POOLBENCH_HAS_ASIO).
// So all_pools, and what is built over it (any_pool, make_pool), differ
// between translation units built with different sets. One program may mix
// them (a library built without oneTBB linked into a program built with
// it): to keep that within the one-definition rule, those entities live in
// an inline namespace named after the set (POOLBENCH_POOL_SET), so each set's
// are distinct entities with distinct symbols. The pools themselves do not
// depend on the set and stay in poolbench proper.
#pragma once

#include <tuple>

#include <pools/lockfree_pool.hpp>
#include <pools/mutex_pool.hpp>
#include <pools/sequential_pool.hpp>
#include <pools/thread_per_job_pool.hpp>
#include <pools/work_stealing_pool.hpp>
#if defined(POOLBENCH_HAS_TBB)
#include <pools/tbb_pool.hpp>
#endif
#if defined(POOLBENCH_HAS_ASIO)
#include <pools/asio_pool.hpp>
#endif

#if defined(POOLBENCH_HAS_TBB) && defined(POOLBENCH_HAS_ASIO)
#define POOLBENCH_POOL_SET pools_with_tbb_asio
#elif defined(POOLBENCH_HAS_TBB)
#define POOLBENCH_POOL_SET pools_with_tbb
#elif defined(POOLBENCH_HAS_ASIO)
#define POOLBENCH_POOL_SET pools_with_asio
#else
#define POOLBENCH_POOL_SET pools_core
#endif

namespace poolbench {
inline namespace POOLBENCH_POOL_SET {

using all_pools = std::tuple<mutex_pool, lockfree_pool, work_stealing_pool,
#if defined(POOLBENCH_HAS_TBB)
                             tbb_pool,
#endif
#if defined(POOLBENCH_HAS_ASIO)
                             asio_pool,
#endif
                             sequential_pool, thread_per_job_pool>;

}  // namespace POOLBENCH_POOL_SET
}  // namespace poolbench
