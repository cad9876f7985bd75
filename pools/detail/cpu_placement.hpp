// detail::current_cpu(), detail::pin_to_cpu() and detail::move_to_free_cpu():
// where the calling thread runs, its mask set to one CPU (which migrates it
// there before the call returns), and a move of it to a CPU of its affinity
// mask that no sibling uses, for a pool whose worker found itself sharing a
// CPU (work_stealing_pool::leave_shared_cpu()). The move sets the thread's
// mask to that one CPU, which migrates it before the call returns, then
// restores the mask it had: the scheduler stays free to move it later, and a
// mask the user set (an on_thread_start hook that pins) is kept, and leaves no
// other CPU to move to. Linux (sched_getcpu, sched_setaffinity), as
// worker_count.hpp. All thread-safe; best effort: what cannot be read or set
// leaves the thread where it is.
#pragma once

#include <sched.h>

#include <cerrno>
#include <cstddef>

#include <pools/detail/worker_count.hpp>

namespace poolbench::detail {

// The CPU the calling thread runs on now, or -1 where that cannot be told.
inline int current_cpu() noexcept {
    return sched_getcpu();
}

// Sets the calling thread's affinity mask to the one CPU `cpu`, in a set of
// `cpus` CPUs and `size` bytes (as with_affinity_mask() passes them).
// Returns whether it could; when not, errno says why (ENOMEM: no memory for
// the set).
inline bool pin_to_cpu(int cpu, std::size_t size, int cpus) noexcept {
    cpu_set_t* const one = CPU_ALLOC(cpus);
    if (one == nullptr) return false;
    CPU_ZERO_S(size, one);
    CPU_SET_S(static_cast<std::size_t>(cpu), size, one);
    const bool pinned = sched_setaffinity(0, size, one) == 0;
    const int error = errno;
    CPU_FREE(one);
    errno = error;
    return pinned;
}

// Moves the calling thread, which runs on CPU `here`, to the first CPU after
// `here` (round the mask) in its affinity mask for which taken(cpu) is
// false. Returns that CPU, or -1 when it did not move (no such CPU, or the
// mask could not be read or set). taken must not throw.
template <class Taken>
int move_to_free_cpu(int here, Taken&& taken) noexcept {
    return with_affinity_mask(-1, [&](const cpu_set_t* mask, std::size_t size, int cpus) {
        for (int k = 1; k < cpus; ++k) {
            const int cpu = (here + k) % cpus;
            if (!CPU_ISSET_S(static_cast<std::size_t>(cpu), size, mask) || taken(cpu)) continue;
            if (!pin_to_cpu(cpu, size, cpus)) return -1;
            sched_setaffinity(0, size, mask);
            return cpu;
        }
        return -1;
    });
}

}  // namespace poolbench::detail
