// The whole library in one include: every pool, any_pool / make_pool,
// task_group, submit_for_result and parallel_for, and default_pool.
// (The tbb pool is included when built with poolbench::tbb, the asio pool
// with poolbench::asio.)
#pragma once

#include "all_pools.hpp"
#include "any_pool.hpp"
#include "default_pool.hpp"
#include "helpers.hpp"
#include "pool.hpp"
#include "task_group.hpp"
