// k_queue_cache_line: the alignment the queues in queues/ give their contended
// atomics (a ring's head and tail, a deque's top and bottom) so that two
// threads never write the same cache line by accident. queues/ may not include
// pools/, so this mirrors pools/config.hpp's k_cache_line instead of using it.
// Constants only; safe to include from anywhere.
#pragma once

#include <cstddef>

namespace poolbench {

// 128 rather than 64: on x86 the adjacent-line prefetcher pulls cache lines in
// pairs, so two hot atomics 64 bytes apart still ping-pong between cores.
inline constexpr std::size_t k_queue_cache_line = 128;

}  // namespace poolbench
