// detail::per_thread<T>: one T per thread that uses the owning object, each
// on cache lines of its own, found through a thread-local cache: the same
// thread on the same object as last time takes no lock and writes nothing
// shared. Objects are told apart by a serial number, not their address, which
// a later object may reuse. A thread that alternates between two objects
// finds its record again (a search under the lock) instead of adding one per
// switch, so the records stay one per thread. A thread id that an exited
// thread leaves behind may be reused by a new thread, which then takes over
// the old record: still one writer at a time.
// local(): any thread, its own record. for_each(f): any thread, f(record)
// for every record under the lock; what f reads of T needs ordering of its
// own (atomics, or the owner's wait()).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include <pools/config.hpp>

namespace poolbench::detail {

template <class T>
class per_thread {
public:
    per_thread() = default;
    per_thread(const per_thread&) = delete;
    per_thread& operator=(const per_thread&) = delete;

    T& local() {
        thread_local std::uint64_t owner = 0;
        thread_local T* mine = nullptr;
        if (owner != m_serial) [[unlikely]] {
            mine = &find_or_add();
            owner = m_serial;
        }
        return *mine;
    }

    template <class F>
    void for_each(F&& f) {
        std::lock_guard lock(m_mutex);
        for (auto& r : m_records) f(r->value);
    }

    template <class F>
    void for_each(F&& f) const {
        std::lock_guard lock(m_mutex);
        for (const auto& r : m_records) f(static_cast<const T&>(r->value));
    }

private:
    struct alignas(k_cache_line) record {
        explicit record(std::thread::id t) : thread(t) {}
        const std::thread::id thread;
        T value{};
    };

    T& find_or_add() {
        const std::thread::id me = std::this_thread::get_id();
        std::lock_guard lock(m_mutex);
        for (auto& r : m_records) {
            if (r->thread == me) return r->value;
        }
        m_records.push_back(std::make_unique<record>(me));
        return m_records.back()->value;
    }

    static std::uint64_t next_serial() noexcept {
        static std::atomic<std::uint64_t> serial{0};
        // relaxed: only uniqueness matters, which the RMW gives.
        return serial.fetch_add(1, std::memory_order_relaxed) + 1;
    }

    const std::uint64_t m_serial = next_serial();
    mutable std::mutex m_mutex;
    std::vector<std::unique_ptr<record>> m_records;
};

}  // namespace poolbench::detail
