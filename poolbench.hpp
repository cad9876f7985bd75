// The whole library in one include: every pool, any_pool / make_pool,
// task_group, submit_for_result and parallel_for, and default_pool.
// (The tbb pool is included when built with poolbench::tbb, the asio pool
// with poolbench::asio.)
#pragma once

#include <pools/all_pools.hpp>
#include <pools/any_pool.hpp>
#include <pools/default_pool.hpp>
#include <pools/helpers.hpp>
#include <pools/pool.hpp>
#include <pools/task_group.hpp>
