// Uses an installed poolbench the way a program would: the default pool, a
// result through submit_for_result, a parallel_for over an array, and a
// recursive fork-join through a task group; with the tbb and asio
// components, those pools by name. Exits 0 when every answer is right.
#include <poolbench.hpp>

#include <algorithm>
#include <cstdio>
#include <future>
#include <numeric>
#include <string>
#include <thread>
#include <vector>

namespace {

long fib(poolbench::default_pool& pool, int n) {
    if (n < 2) return n;
    long a = 0;
    poolbench::task_group group(pool);
    group.run([&pool, &a, n] { a = fib(pool, n - 1); });
    const long b = fib(pool, n - 2);
    group.wait();
    return a + b;
}

}  // namespace

int main() {
    const std::size_t workers = std::max(2u, std::thread::hardware_concurrency());
    poolbench::default_pool pool(workers);

    // A result (or an exception) comes back through a future.
    std::future<int> answer = poolbench::submit_for_result(pool, [] { return 6 * 7; });

    // Square a million numbers in chunks of 10,000.
    std::vector<long> values(1'000'000);
    std::iota(values.begin(), values.end(), 0L);
    poolbench::parallel_for(
        pool, std::size_t{0}, values.size(), [&values](std::size_t i) { values[i] *= values[i]; },
        10'000);
    const long sum = std::accumulate(values.begin(), values.end(), 0L);

    // Recursive fork-join: the wait inside a job runs the children itself.
    long fib25 = 0;
    pool.submit([&] { fib25 = fib(pool, 25); });
    pool.wait();

    const bool answer_ok = answer.get() == 42;
    bool ok = answer_ok && sum == 333332833333500000L && fib25 == 75025;

#if defined(POOLBENCH_HAS_TBB)
    // With the tbb component: a oneTBB task arena behind the same interface.
    auto tbb = poolbench::make_pool("tbb", 2);
    std::vector<int> cubes(1000);
    for (int i = 0; i < 1000; ++i) tbb.submit([&cubes, i] { cubes[i] = i * i * i; });
    tbb.wait();
    const bool tbb_ok = std::accumulate(cubes.begin(), cubes.end(), 0L) == 249500250000L;
    std::printf("tbb pool: %s\n", tbb_ok ? "ok" : "WRONG");
    ok = ok && tbb_ok;
#endif

#if defined(POOLBENCH_HAS_ASIO)
    // With the asio component: the same interface over boost::asio::thread_pool,
    // chosen by name at run time.
    auto asio = poolbench::make_pool("asio", 2);
    std::vector<int> squares(1000);
    for (int i = 0; i < 1000; ++i) asio.submit([&squares, i] { squares[i] = i * i; });
    asio.wait();
    const bool asio_ok = std::accumulate(squares.begin(), squares.end(), 0) == 332833500;
    std::printf("asio pool: %s\n", asio_ok ? "ok" : "WRONG");
    ok = ok && asio_ok;
#endif

    std::printf("%s pool, %zu workers: answer %s, sum of squares %s, fib(25) %s\n",
                std::string(poolbench::default_pool::name).c_str(), pool.worker_count(),
                answer_ok ? "ok" : "WRONG", sum == 333332833333500000L ? "ok" : "WRONG",
                fib25 == 75025 ? "ok" : "WRONG");
    return ok ? 0 : 1;
}
