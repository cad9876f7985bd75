// detail::checked_worker_count: the one check of a pool's worker count, so
// that every pool rejects the same values with the same message.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>

#include <pools/config.hpp>

namespace poolbench::detail {

// Returns workers when it is a count a pool may start; throws otherwise.
inline std::size_t checked_worker_count(std::size_t workers, const char* pool_name) {
    if (workers == 0 || workers > k_max_workers) {
        throw std::invalid_argument(
            std::string("poolbench: ") + pool_name + " pool: worker count must be between 1 and " +
            std::to_string(k_max_workers) + ", got " + std::to_string(workers));
    }
    return workers;
}

}  // namespace poolbench::detail
