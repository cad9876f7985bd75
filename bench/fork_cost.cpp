// fork_cost: what one fork of work_stealing's task_group costs over the call
// it replaces, counted in instructions by callgrind (scripts/fork-cost),
// which is stable where a 2-core VM's clock is not.
//   fork_cost fork N [W]   fib(N) through task_group on a work_stealing_pool
//                          of W workers (default 1), from inside the pool
//   fork_cost serial N     fib(N) by the noinline serial recursion
// Only fork_cost_root() and serial_root() are meant to be counted
// (callgrind --toggle-collect): pool start-up and shutdown are not forks.
// Prints the result, so that both runs can be checked against each other.
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <string_view>

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
    long result = 0;
    if (std::string_view(argv[1]) == "serial") {
        result = serial_root(n);
    } else {
        const int workers = argc == 4 ? parse(argv[3], "workers") : 1;
        if (workers < 1) {
            std::fprintf(stderr, "fork_cost: workers must be at least 1\n");
            return 2;
        }
        poolbench::work_stealing_pool pool(static_cast<std::size_t>(workers));
        pool.submit([&] { result = fork_cost_root(pool, n); });
        pool.wait();
    }
    std::printf("%ld\n", result);
    return 0;
}
