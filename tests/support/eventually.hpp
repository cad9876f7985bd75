// eventually(pred): waits, yielding, until pred() holds or 10 s pass (no
// correct run comes near that); returns whether it held. For tests that
// wait for a state another thread reaches (a worker parked, a count
// reached) without hanging when it never comes.
#pragma once

#include <chrono>
#include <thread>

namespace poolbench::test {

template <class Pred>
bool eventually(Pred pred) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!pred()) {
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::yield();
    }
    return true;
}

}  // namespace poolbench::test
