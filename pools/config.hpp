// Project-wide constants: cache-line padding and worker-count limits.
// Every contended atomic and every per-worker record is aligned to
// k_cache_line so that two threads never write the same line by accident.
// Constants only; safe to include from anywhere.
#pragma once

#include <cstddef>

#include "../queues/cache_line.hpp"

namespace poolbench {

// 128 rather than 64: on x86 the adjacent-line prefetcher pulls cache lines in
// pairs, so two hot atomics 64 bytes apart still ping-pong between cores.
inline constexpr std::size_t k_cache_line = 128;
static_assert(k_cache_line == k_queue_cache_line, "queues/ and pools/ must pad alike");

// The largest worker count a pool accepts. Far above any machine we target
// (128 hardware threads, sleep workload at 256 workers) and far below the
// point where a typo (workers = -1 as size_t) would try to start 2^64 threads.
inline constexpr std::size_t k_max_workers = 4096;

}  // namespace poolbench
