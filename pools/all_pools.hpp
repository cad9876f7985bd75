// The one type list: every pool poolbench compares. A new pool joins the
// conformance suite, every benchmark and make_pool() by being added here.
// The tbb pool is in it when the build links poolbench::tbb (which defines
// POOLBENCH_HAS_TBB), the asio pool when it links poolbench::asio
// (POOLBENCH_HAS_ASIO).
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

namespace poolbench {

using all_pools = std::tuple<mutex_pool, lockfree_pool, work_stealing_pool,
#if defined(POOLBENCH_HAS_TBB)
                             tbb_pool,
#endif
#if defined(POOLBENCH_HAS_ASIO)
                             asio_pool,
#endif
                             sequential_pool, thread_per_job_pool>;

}  // namespace poolbench
