// detail::store_load_fence: the seq_cst fence of the Dekker-style protocols
// (event_count, the work-stealing search), which only order a thread's own
// earlier store before its later load (StoreLoad); no data is published
// through them.
// ThreadSanitizer does not model std::atomic_thread_fence (g++ warns with
// -Wtsan). Under TSan the fence is a seq_cst read-modify-write of a
// thread-local atomic instead: on x86 the same locked instruction, a full
// barrier for the hardware, and no happens-before edge between threads that
// could hide a real race from TSan.
#pragma once

#include <atomic>

#include <base/sanitizer.hpp>

namespace poolbench::detail {

inline void store_load_fence() noexcept {
#if defined(POOLBENCH_TSAN)
    thread_local std::atomic<int> barrier{0};
    barrier.fetch_add(0);
#else
    std::atomic_thread_fence(std::memory_order_seq_cst);
#endif
}

}  // namespace poolbench::detail
