// fib(pool, n) through a task_group, shared by the conformance and stress
// tests: fib(n-1) forked as a job, fib(n-2) computed inline, then joined.
// Call it from inside a job of `pool`.
#pragma once

#include <pools/task_group.hpp>

namespace poolbench::test {

template <class P>
long fib(P& pool, int n) {
    if (n < 2) return n;
    long a = 0;
    task_group<P> group(pool);
    group.run([&pool, &a, n] { a = fib(pool, n - 1); });
    const long b = fib(pool, n - 2);
    group.wait();
    return a + b;
}

}  // namespace poolbench::test
