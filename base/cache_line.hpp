// k_cache_line: the alignment of every contended atomic and every per-worker
// record, in queues and pools alike, so that two threads never write the
// same cache line by accident. Constants only.
#pragma once

#include <cstddef>

namespace poolbench {

// 128 rather than 64: on x86 the adjacent-line prefetcher pulls cache lines in
// pairs, so two hot atomics 64 bytes apart still ping-pong between cores.
inline constexpr std::size_t k_cache_line = 128;

}  // namespace poolbench
