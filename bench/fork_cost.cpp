// fork_cost: what one fork of work_stealing's task_group costs over the call
// it replaces, counted in instructions by callgrind (scripts/fork-cost),
// which is stable where a 2-core VM's clock is not.
//   fork_cost fork N [W]   fib(N) through task_group on a work_stealing_pool
//                          of W workers (default 1), from inside the pool
//   fork_cost serial N     fib(N) by the noinline serial recursion
// Only fork_cost_root() and serial_root() are meant to be counted
// (callgrind --toggle-collect): pool start-up and shutdown are not forks.
// Prints the result, so that both runs can be checked against each other,
// and the best of five runs' wall time per task (libfork's tasks: every
// call of fib, 2 F(N + 1) - 1), a figure for A/B runs on a quiet machine.
#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string_view>
#include <utility>

#include <poolbench.hpp>

namespace {

[[gnu::noinline]] long fib_noinline(int n) {
    if (n < 2) return n;
    auto* self = &fib_noinline;
    asm("" : "+r"(self));  // the compiler may neither inline nor unroll the recursion
    return self(n - 1) + self(n - 2);
}

template <class P>
long fib_fork(P& pool, int n) {
    if (n < 2) return n;
    poolbench::task_group<P> g(pool);
    long a = 0;
    g.run([&] { a = fib_fork(pool, n - 1); });
    const long b = fib_fork(pool, n - 2);
    g.wait();
    return a + b;
}

extern "C" [[gnu::noinline]] long fork_cost_root(poolbench::work_stealing_pool& pool, int n) {
    return fib_fork(pool, n);
}

extern "C" [[gnu::noinline]] long serial_root(int n) {
    return fib_noinline(n);
}

int parse(const char* text, const char* what) {
    int value = 0;
    const std::string_view s(text);
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    if (ec != std::errc() || end != s.data() + s.size() || value < 0) {
        std::fprintf(stderr, "fork_cost: %s must be a non-negative integer, got '%s'\n", what,
                     text);
        std::exit(2);
    }
    return value;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 3 || argc > 4 ||
        (std::string_view(argv[1]) != "fork" && std::string_view(argv[1]) != "serial")) {
        std::fprintf(stderr, "usage: fork_cost fork N [workers] | fork_cost serial N\n");
        return 2;
    }
    const int n = parse(argv[2], "N");
    if (n > 40) {
        std::fprintf(stderr, "fork_cost: N = %d is too big (at most 40)\n", n);
        return 2;
    }
    const bool serial = std::string_view(argv[1]) == "serial";
    const int workers = argc == 4 ? parse(argv[3], "workers") : 1;
    if (workers < 1) {
        std::fprintf(stderr, "fork_cost: workers must be at least 1\n");
        return 2;
    }
    std::optional<poolbench::work_stealing_pool> pool;
    if (!serial) pool.emplace(static_cast<std::size_t>(workers));
    long result = 0;
    double best = 1e300;
    for (int run = 0; run < 5; ++run) {
        const auto start = std::chrono::steady_clock::now();
        if (serial) {
            result = serial_root(n);
        } else {
            pool->submit([&] { result = fork_cost_root(*pool, n); });
            pool->wait();
        }
        best = std::min(
            best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
    long a = 0, b = 1;  // F(n + 1) in b
    for (int i = 0; i < n; ++i) b = std::exchange(a, b) + b;
    std::printf("%ld %.2f ns per task\n", result, best * 1e9 / static_cast<double>(2 * b - 1));
    return 0;
}
