// detail::cpu_relax: the pause instruction a spinning thread issues between
// polls, so it yields pipeline resources to a hyper-thread sibling and does
// not flood the memory system.
#pragma once

#include <thread>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace poolbench::detail {

inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
    _mm_pause();
#elif defined(__aarch64__)
    asm volatile("yield" ::: "memory");
#else
    std::this_thread::yield();
#endif
}

}  // namespace poolbench::detail
