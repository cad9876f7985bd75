// fork_cost: what one fork of work_stealing's task_group costs over the call
// it replaces, counted in instructions by callgrind (scripts/fork-cost),
// which is stable where a 2-core VM's clock is not. Two shapes of group:
// fib's (one child forked, one called, then the join) and skynet's (ten
// children forked, then the join).
//   fork_cost fork N [W]         fib(N) through task_group on a
//                                work_stealing_pool of W workers (default 1),
//                                from inside the pool
//   fork_cost serial N           fib(N) by the noinline serial recursion
//   fork_cost skynet D [W]       skynet of depth D (10^D leaves) likewise
//   fork_cost skynet-serial D    skynet of depth D by the noinline recursion
// Only fork_cost_root(), serial_root(), skynet_root() and
// skynet_serial_root() are meant to be counted (callgrind --toggle-collect):
// pool start-up and shutdown are not forks.
// Prints the result, so that both runs can be checked against each other,
// and the best of five runs' wall time per task (libfork's tasks: every
// call of fib, 2 F(N + 1) - 1; every node of skynet), a figure for A/B runs
// on a quiet machine.
#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <cstdint>
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

constexpr std::size_t k_skynet_children = 10;

std::uint64_t pow10(int k) {
    std::uint64_t p = 1;
    while (k-- > 0) p *= 10;
    return p;
}

// bench/workloads/skynet.hpp's recursion: node `base` at `level` has ten
// children, child k with base base + k x 10^(depth - level - 1).
template <class P>
std::uint64_t skynet_fork(P& pool, std::uint64_t base, int level, int depth) {
    if (level == depth) return base;
    const std::uint64_t step = pow10(depth - level - 1);
    std::array<std::uint64_t, k_skynet_children> sums{};
    {
        poolbench::task_group<P> group(pool);
        for (std::size_t k = 0; k < k_skynet_children; ++k) {
            group.run([&pool, slot = &sums[k], b = base + k * step, level, depth] {
                *slot = skynet_fork(pool, b, level + 1, depth);
            });
        }
        group.wait();
    }
    std::uint64_t sum = 0;
    for (const auto s : sums) sum += s;
    return sum;
}

[[gnu::noinline]] std::uint64_t skynet_noinline(std::uint64_t base, int level, int depth) {
    if (level == depth) return base;
    const std::uint64_t step = pow10(depth - level - 1);
    std::array<std::uint64_t, k_skynet_children> sums{};
    auto* self = &skynet_noinline;
    asm("" : "+r"(self));  // as fib_noinline
    for (std::size_t k = 0; k < k_skynet_children; ++k) {
        sums[k] = self(base + k * step, level + 1, depth);
    }
    std::uint64_t sum = 0;
    for (const auto s : sums) sum += s;
    return sum;
}

extern "C" [[gnu::noinline]] std::uint64_t skynet_root(poolbench::work_stealing_pool& pool,
                                                       int depth) {
    return skynet_fork(pool, 0, 0, depth);
}

extern "C" [[gnu::noinline]] std::uint64_t skynet_serial_root(int depth) {
    return skynet_noinline(0, 0, depth);
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
    const std::string_view mode = argc > 1 ? argv[1] : "";
    const bool fib = mode == "fork" || mode == "serial";
    const bool serial = mode == "serial" || mode == "skynet-serial";
    if (argc < 3 || argc > (serial ? 3 : 4) || (!fib && mode != "skynet" && !serial)) {
        std::fprintf(stderr,
                     "usage: fork_cost fork N [workers] | fork_cost serial N\n"
                     "       fork_cost skynet DEPTH [workers] | fork_cost skynet-serial DEPTH\n");
        return 2;
    }
    const int n = parse(argv[2], fib ? "N" : "DEPTH");
    if (n > (fib ? 40 : 8)) {
        std::fprintf(stderr, "fork_cost: %s = %d is too big (at most %d)\n", fib ? "N" : "DEPTH", n,
                     fib ? 40 : 8);
        return 2;
    }
    const int workers = argc == 4 ? parse(argv[3], "workers") : 1;
    if (workers < 1) {
        std::fprintf(stderr, "fork_cost: workers must be at least 1\n");
        return 2;
    }
    std::optional<poolbench::work_stealing_pool> pool;
    if (!serial) pool.emplace(static_cast<std::size_t>(workers));
    const auto once = [&]() -> std::uint64_t {
        if (mode == "serial") return static_cast<std::uint64_t>(serial_root(n));
        if (mode == "skynet-serial") return skynet_serial_root(n);
        std::uint64_t result = 0;
        pool->submit([&] {
            result =
                fib ? static_cast<std::uint64_t>(fork_cost_root(*pool, n)) : skynet_root(*pool, n);
        });
        pool->wait();
        return result;
    };
    std::uint64_t result = 0;
    double best = 1e300;
    for (int run = 0; run < 5; ++run) {
        const auto start = std::chrono::steady_clock::now();
        result = once();
        best = std::min(
            best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
    std::uint64_t tasks = 0;
    if (fib) {
        std::uint64_t a = 0, b = 1;  // F(n + 1) in b
        for (int i = 0; i < n; ++i) b = std::exchange(a, b) + b;
        tasks = 2 * b - 1;
    } else {
        for (int level = 0; level <= n; ++level) tasks += pow10(level);
    }
    std::printf("%llu %.2f ns per task\n", static_cast<unsigned long long>(result),
                best * 1e9 / static_cast<double>(tasks));
    return 0;
}
