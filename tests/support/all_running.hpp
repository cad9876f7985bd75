// all_running: n jobs that must all run at once (each waits for the others),
// shared by the conformance suite and work_stealing's join tests. Each job
// calls arrive(): it counts itself in, then waits until all n have, or
// until the deadline (30 s after construction) passes, which it records
// instead of hanging, for the test to check with gave_up().
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <thread>

namespace poolbench::test {

class all_running {
public:
    explicit all_running(std::size_t n) : m_n(n) {}

    void arrive() noexcept {
        m_running.fetch_add(1);
        while (m_running.load() < m_n) {
            if (std::chrono::steady_clock::now() > m_deadline) {
                m_gave_up.store(true);
                return;
            }
            std::this_thread::yield();
        }
    }

    bool gave_up() const noexcept { return m_gave_up.load(); }

private:
    const std::size_t m_n;
    const std::chrono::steady_clock::time_point m_deadline =
        std::chrono::steady_clock::now() + std::chrono::seconds(30);
    std::atomic<std::size_t> m_running{0};
    std::atomic<bool> m_gave_up{false};
};

}  // namespace poolbench::test
