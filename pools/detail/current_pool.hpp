// detail::tl_current_pool: which pool's job the calling thread is running.
// A pool's in_worker(), its routing of nested submissions, and its refusal of
// a wait() from inside its own jobs all read it. Per thread; no sharing.
#pragma once

#include <stdexcept>
#include <string>
#include <utility>

namespace poolbench::detail {

// The pool whose job the current thread is running, if any: set by a worker
// for its lifetime and by the sequential pool around an inline job. Used to
// detect wait() from inside a job and to route nested submissions.
inline thread_local const void* tl_current_pool = nullptr;

// Sets tl_current_pool for a scope and restores the previous value (pools can
// nest: a job of pool A may run a job of sequential pool B inline).
class current_pool_scope {
public:
    explicit current_pool_scope(const void* pool) noexcept
        : m_previous(std::exchange(tl_current_pool, pool)) {}
    ~current_pool_scope() { tl_current_pool = m_previous; }
    current_pool_scope(const current_pool_scope&) = delete;
    current_pool_scope& operator=(const current_pool_scope&) = delete;

private:
    const void* m_previous;
};

// wait() (or wait_for(): `call`) from inside a job of the same pool would
// wait for itself.
inline void check_not_in_own_job(const void* pool, const char* pool_name,
                                 const char* call = "wait()") {
    if (tl_current_pool == pool) {
        throw std::logic_error(std::string("poolbench: ") + pool_name + " pool: " + call +
                               " called from inside one of its own jobs would wait for "
                               "itself; use a task_group to join jobs from inside a job");
    }
}

}  // namespace poolbench::detail
