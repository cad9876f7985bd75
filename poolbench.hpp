// The whole library in one include: every pool, any_pool / make_pool,
// task_group, submit_for_result and parallel_for, and default_pool.
// (The tbb pool is included when built with poolbench::tbb, the asio pool
// with poolbench::asio.)
#pragma once

#include <poolbench/pools/all_pools.hpp>
#include <poolbench/pools/any_pool.hpp>
#include <poolbench/pools/default_pool.hpp>
#include <poolbench/pools/helpers.hpp>
#include <poolbench/pools/pool.hpp>
#include <poolbench/pools/task_group.hpp>
