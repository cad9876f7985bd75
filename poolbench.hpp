// The whole library in one include: every pool, any_pool / make_pool,
// task_group, submit_for_result, the loops (parallel_for, parallel_for_each,
// parallel_reduce), default_pool and global_pool(), pool_options and
// this_worker_index().
// (The tbb pool is included when built with poolbench::tbb, the asio pool
// with poolbench::asio.)
#pragma once

#include <pools/all_pools.hpp>
#include <pools/any_pool.hpp>
#include <pools/default_pool.hpp>
#include <pools/helpers.hpp>
#include <pools/options.hpp>
#include <pools/parallel_for.hpp>
#include <pools/parallel_reduce.hpp>
#include <pools/pool.hpp>
#include <pools/task_group.hpp>
#include <pools/worker_index.hpp>
