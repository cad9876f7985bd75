// poolbench::this_worker_index(): which worker of its pool the calling thread
// is, as an index in [0, worker_count()), or std::nullopt on a thread that is
// no pool's worker (so per-worker scratch space can be an array indexed by
// it). Set per thread by the pools; reading it takes no lock and writes
// nothing. Each pool's header says how it numbers its threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <utility>

namespace poolbench {

namespace detail {

inline constexpr std::size_t k_not_a_worker = SIZE_MAX;

// The calling thread's worker index, k_not_a_worker on other threads.
inline thread_local std::size_t tl_worker_index = k_not_a_worker;

// Sets tl_worker_index for a scope and restores the previous value.
class worker_index_scope {
public:
    explicit worker_index_scope(std::size_t index) noexcept
        : m_previous(std::exchange(tl_worker_index, index)) {}
    ~worker_index_scope() { tl_worker_index = m_previous; }
    worker_index_scope(const worker_index_scope&) = delete;
    worker_index_scope& operator=(const worker_index_scope&) = delete;

private:
    std::size_t m_previous;
};

}  // namespace detail

// The calling thread's index among its pool's workers, or std::nullopt when
// it is not a pool's worker. Thread-safe (it reads the calling thread's own
// state).
inline std::optional<std::size_t> this_worker_index() noexcept {
    if (detail::tl_worker_index == detail::k_not_a_worker) return std::nullopt;
    return detail::tl_worker_index;
}

}  // namespace poolbench
