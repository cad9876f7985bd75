// eventually(pred, limit): waits, yielding, until pred() holds or `limit`
// passes (10 s unless given: no correct run comes near it); returns whether
// it held. For tests that wait for a state another thread reaches (a worker
// parked, a count reached) without hanging when it never comes.
#pragma once

#include <chrono>
#include <thread>

namespace poolbench::test {

template <class Pred>
bool eventually(Pred pred, std::chrono::steady_clock::duration limit = std::chrono::seconds(10)) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!pred()) {
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::yield();
    }
    return true;
}

}  // namespace poolbench::test
