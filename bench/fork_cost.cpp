// fork_cost: what one fork of work_stealing's task_group costs over the call
// it replaces, counted in instructions by callgrind (scripts/fork-cost),
// which is stable where a 2-core VM's clock is not. It runs the sweep's own
// recursions (bench/workloads/: fib_fork_join, skynet_fork_join; against
// bench/baselines/: fib_serial_noinline, skynet_serial_noinline), in two
// shapes of group: fib's (one child forked, one called, then the join) and
// skynet's (ten children forked, then the join).
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
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string_view>

#include <poolbench.hpp>

#include "baselines/nested.hpp"
#include "baselines/skynet.hpp"
#include "workloads/nested.hpp"
#include "workloads/skynet.hpp"

namespace {

namespace pb = poolbench::bench;

extern "C" [[gnu::noinline]] long fork_cost_root(poolbench::work_stealing_pool& pool, int n) {
    return pb::fib_fork_join(pool, n);
}

extern "C" [[gnu::noinline]] long serial_root(int n) {
    return pb::fib_serial_noinline(n);
}

extern "C" [[gnu::noinline]] std::uint64_t skynet_root(poolbench::work_stealing_pool& pool,
                                                       int depth) {
    return pb::skynet_fork_join(pool, 0, 0, depth);
}

extern "C" [[gnu::noinline]] std::uint64_t skynet_serial_root(int depth) {
    return pb::skynet_serial_noinline(0, 0, depth);
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
    const std::uint64_t tasks = fib ? pb::fib_tasks(n) : pb::skynet_tasks(n);
    std::printf("%llu %.2f ns per task\n", static_cast<unsigned long long>(result),
                best * 1e9 / static_cast<double>(tasks));
    return 0;
}
