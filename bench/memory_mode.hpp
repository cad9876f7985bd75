// POOLBENCH_MEMORY=1: the peak resident memory of tree and fib per pool, each
// figure from fresh child processes of this program (--memory-child).
#pragma once

#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <barrier>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "baselines/nested.hpp"
#include "options.hpp"
#include "registry.hpp"

namespace poolbench::bench {

// ---------------------------------------------------------------------------
// Memory (POOLBENCH_MEMORY=1): the peak resident memory of `tree` and `fib`
// per pool, each figure from a fresh process, so that no earlier row, no
// allocator cache and no other pool's threads are in it. A row, named like
// the timed row it measures, starts this program twice as a child
// (--memory-child): once to run the workload once and once to construct the
// same pool, run one empty job and stop; each child prints its peak
// (getrusage maxrss, KiB). The pool's own peak is the difference.

// Runs one child and returns its peak in KiB, or why it failed.
struct child_peak {
    long kib = 0;
    std::string error;
};

child_peak run_memory_child(const std::vector<std::string>& args) {
    int out[2];
    if (pipe2(out, O_CLOEXEC) != 0) return {0, std::string("pipe: ") + std::strerror(errno)};
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
    std::vector<std::string> argv_strings{"/proc/self/exe", "--memory-child"};
    argv_strings.insert(argv_strings.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : argv_strings) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_t pid = 0;
    const int spawn_error = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    close(out[1]);
    if (spawn_error != 0) {
        close(out[0]);
        return {0, std::string("cannot start a child: ") + std::strerror(spawn_error)};
    }
    std::string text;
    char buffer[256];
    for (ssize_t got; (got = read(out[0], buffer, sizeof buffer)) != 0;) {
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) break;
        text.append(buffer, static_cast<std::size_t>(got));
    }
    close(out[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        return {0, "the child exited with status " + std::to_string(status) + ": " + text};
    }
    long kib = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), kib);
    if (error != std::errc{} || kib <= 0) return {0, "the child printed '" + text + "'"};
    return {kib, {}};
}

template <pool P>
void run_memory(benchmark::State& state, std::string_view workload, std::size_t workers, int size) {
    const std::string w = std::to_string(workers);
    child_peak full, empty;
    for (auto _ : state) {
        full = run_memory_child(
            {std::string(workload), std::string(P::name), w, std::to_string(size)});
        empty = run_memory_child({"empty", std::string(P::name), w, "0"});
    }
    if (!full.error.empty()) return skip(state, "wrong result: " + full.error);
    if (!empty.error.empty()) return skip(state, "wrong result: " + empty.error);
    state.counters["process_peak_mb"] = static_cast<double>(full.kib) / 1024.0;
    state.counters["empty_pool_peak_mb"] = static_cast<double>(empty.kib) / 1024.0;
    state.counters["pool_peak_mb"] = static_cast<double>(full.kib - empty.kib) / 1024.0;
}

inline void register_memory(const sweep& s) {
    for_each_pool([&]<class P>(std::type_identity<P>) {
        for (const auto w : workers_for<P>(s.workers)) {
            add_once(row<P>("tree", w) + "/depth:" + std::to_string(k_tree_depth),
                     [w](benchmark::State& st) {
                         if (const auto why = depth_limit<P>(k_tree_depth); !why.empty()) {
                             return skip(st, why);
                         }
                         run_memory<P>(st, "tree", w, k_tree_depth);
                     });
            add_once(row<P>("fib", w) + "/n:" + std::to_string(k_fib_n), [w](benchmark::State& st) {
                if (const auto why = fib_limit<P>(k_fib_n); !why.empty()) {
                    return skip(st, why);
                }
                run_memory<P>(st, "fib", w, k_fib_n);
            });
        }
    });
}

// The child: runs `workload` ("tree", "fib" or "empty") once on a fresh pool
// `pool_name` with `workers` workers and prints its peak resident set (KiB).
inline int memory_child(int argc, char** argv) {
    if (argc != 6) {
        std::fprintf(stderr,
                     "pool_bench: usage: --memory-child tree|fib|empty POOL WORKERS SIZE\n");
        return 2;
    }
    const std::string_view workload = argv[2], pool_name = argv[3];
    const auto workers = parse_count(argv[4]);
    const auto size = parse_count(argv[5]);
    if (!workers || (!size && workload != "empty") ||
        (workload != "tree" && workload != "fib" && workload != "empty")) {
        std::fprintf(stderr, "pool_bench: --memory-child: bad arguments\n");
        return 2;
    }
    bool found = false;
    try {
        for_each_pool([&]<class P>(std::type_identity<P>) {
            if (P::name != pool_name) return;
            found = true;
            P pool(*workers);
            if (workload == "tree") {
                pool.submit(tree_job<P>{&pool, static_cast<int>(*size)});
            } else if (workload == "fib") {
                const int n = static_cast<int>(*size);
                pool.submit([&pool, n] {
                    if (fib_fork_join(pool, n) != fib_value(n)) std::abort();
                });
            } else {
                pool.submit(empty_job{});
            }
            pool.wait();
        });
    } catch (const std::exception& e) {
        std::fprintf(stderr, "pool_bench: --memory-child: %s\n", e.what());
        return 1;
    }
    if (!found) {
        std::fprintf(stderr, "pool_bench: --memory-child: no pool named '%s'\n", argv[3]);
        return 2;
    }
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    std::printf("%ld\n", usage.ru_maxrss);
    return 0;
}

}  // namespace poolbench::bench
