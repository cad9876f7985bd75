// The pools' constants: the worker-count limit, and (from base/) the
// cache-line padding every contended atomic and per-worker record uses.
// Constants only; safe to include from anywhere.
#pragma once

#include <cstddef>

#include <base/cache_line.hpp>

namespace poolbench {

// The largest worker count a pool accepts. Far above any machine we target
// (128 hardware threads, sleep workload at 256 workers) and far below the
// point where a typo (workers = -1 as size_t) would try to start 2^64 threads.
inline constexpr std::size_t k_max_workers = 4096;

}  // namespace poolbench
