// Test names that read like the benchmark's rows: a case run for every pool
// is named "... <lockfree>" (the pool's P::name), not after its C++ type.
#pragma once

#include <doctest/doctest.h>

#include <pools/all_pools.hpp>

TYPE_TO_STRING_AS(poolbench::mutex_pool::name.data(), poolbench::mutex_pool);
TYPE_TO_STRING_AS(poolbench::lockfree_pool::name.data(), poolbench::lockfree_pool);
TYPE_TO_STRING_AS(poolbench::work_stealing_pool::name.data(), poolbench::work_stealing_pool);
TYPE_TO_STRING_AS(poolbench::sequential_pool::name.data(), poolbench::sequential_pool);
TYPE_TO_STRING_AS(poolbench::thread_per_job_pool::name.data(), poolbench::thread_per_job_pool);
#if defined(POOLBENCH_HAS_TBB)
TYPE_TO_STRING_AS(poolbench::tbb_pool::name.data(), poolbench::tbb_pool);
#endif
#if defined(POOLBENCH_HAS_ASIO)
TYPE_TO_STRING_AS(poolbench::asio_pool::name.data(), poolbench::asio_pool);
#endif
