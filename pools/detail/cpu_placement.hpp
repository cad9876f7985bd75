// detail::current_cpu() and detail::move_to_free_cpu(): where the calling
// thread runs, and a move of it to a CPU of its affinity mask that no
// sibling uses, for a pool whose worker found itself sharing a CPU
// (work_stealing_pool::leave_shared_cpu()). The move sets the thread's mask
// to that one CPU, which migrates it before the call returns, then restores
// the mask it had: the scheduler stays free to move it later, and a mask
// the user set (an on_thread_start hook that pins) is kept, and leaves no
// other CPU to move to. Linux only (sched_getcpu, sched_setaffinity); no-ops
// elsewhere. Both thread-safe; best effort: what cannot be read or set
// leaves the thread where it is.
#pragma once

#include <sched.h>

#include <cerrno>
#include <cstddef>

namespace poolbench::detail {

// The CPU the calling thread runs on now, or -1 where that cannot be told.
inline int current_cpu() noexcept {
#ifdef __linux__
    return sched_getcpu();
#else
    return -1;
#endif
}

// Moves the calling thread, which runs on CPU `here`, to the first CPU after
// `here` (round the mask) in its affinity mask for which taken(cpu) is
// false. Returns that CPU, or -1 when it did not move (no such CPU, or the
// mask could not be read or set).
template <class Taken>
int move_to_free_cpu(int here, Taken&& taken) noexcept {
#ifdef __linux__
    for (int cpus = CPU_SETSIZE; cpus <= (1 << 20); cpus *= 2) {
        cpu_set_t* const mask = CPU_ALLOC(cpus);
        cpu_set_t* const one = CPU_ALLOC(cpus);
        int moved_to = -1;
        bool too_small = false;  // the kernel's mask is bigger than `cpus`: try again
        if (mask != nullptr && one != nullptr) {
            const std::size_t size = CPU_ALLOC_SIZE(cpus);
            CPU_ZERO_S(size, mask);
            if (sched_getaffinity(0, size, mask) == 0) {
                for (int k = 1; k < cpus && moved_to < 0; ++k) {
                    const int cpu = (here + k) % cpus;
                    if (!CPU_ISSET_S(static_cast<std::size_t>(cpu), size, mask) || taken(cpu)) {
                        continue;
                    }
                    CPU_ZERO_S(size, one);
                    CPU_SET_S(static_cast<std::size_t>(cpu), size, one);
                    if (sched_setaffinity(0, size, one) == 0) {
                        sched_setaffinity(0, size, mask);
                        moved_to = cpu;
                    }
                    break;
                }
            } else {
                too_small = errno == EINVAL;
            }
        }
        if (mask != nullptr) CPU_FREE(mask);
        if (one != nullptr) CPU_FREE(one);
        if (!too_small) return moved_to;
    }
#else
    (void)here;
    (void)taken;
#endif
    return -1;
}

}  // namespace poolbench::detail
