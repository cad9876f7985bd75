// Worker counts: detail::checked_worker_count, the one check of a pool's
// worker count (every pool rejects the same values with the same message),
// and poolbench::default_worker_count(), what a default-constructed pool
// starts: the CPUs the process's affinity mask allows (sched_getaffinity),
// which under taskset, cgroups' cpusets or a container is fewer than the
// machine's hardware threads. Both thread-safe.
#pragma once

#include <sched.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <thread>

#include <pools/config.hpp>

namespace poolbench {

namespace detail {

// Returns workers when it is a count a pool may start; throws otherwise.
inline std::size_t checked_worker_count(std::size_t workers, const char* pool_name) {
    if (workers == 0 || workers > k_max_workers) {
        throw std::invalid_argument(
            std::string("poolbench: ") + pool_name + " pool: worker count must be between 1 and " +
            std::to_string(k_max_workers) + ", got " + std::to_string(workers));
    }
    return workers;
}

// f(mask, size, cpus) on the calling thread's affinity mask (a set of
// `size` bytes with room for `cpus` CPUs), grown until it holds every CPU
// the kernel knows; `otherwise` when the mask cannot be read. f must not
// throw.
template <class T, class F>
T with_affinity_mask(T otherwise, F&& f) noexcept {
    for (int cpus = CPU_SETSIZE; cpus <= (1 << 20); cpus *= 2) {
        cpu_set_t* const set = CPU_ALLOC(cpus);
        if (set == nullptr) return otherwise;
        const std::size_t size = CPU_ALLOC_SIZE(cpus);
        CPU_ZERO_S(size, set);
        if (sched_getaffinity(0, size, set) == 0) {
            T result = f(static_cast<const cpu_set_t*>(set), size, cpus);
            CPU_FREE(set);
            return result;
        }
        const bool bigger = errno == EINVAL;  // the mask is bigger than `cpus`
        CPU_FREE(set);
        if (!bigger) return otherwise;
    }
    return otherwise;
}

// The CPUs in the calling thread's affinity mask, or 0 when it cannot be
// read.
inline std::size_t affinity_cpu_count() noexcept {
    return with_affinity_mask(std::size_t{0}, [](const cpu_set_t* mask, std::size_t size, int) {
        return static_cast<std::size_t>(CPU_COUNT_S(size, mask));
    });
}

}  // namespace detail

// What a default-constructed pool (and global_pool()) starts: the CPUs the
// process may run on, from its affinity mask; where that cannot be read,
// std::thread::hardware_concurrency(); at least 1, at most k_max_workers.
inline std::size_t default_worker_count() noexcept {
    std::size_t n = detail::affinity_cpu_count();
    if (n == 0) n = std::thread::hardware_concurrency();
    return std::clamp<std::size_t>(n, 1, k_max_workers);
}

}  // namespace poolbench
