// pool_bench: the canonical and research workloads of WORKLOADS.md,
// registered for every pool in poolbench::all_pools by one fold over the
// tuple and beside them for the baselines (serial, native_tbb, openmp) where
// they apply, plus the reference rows the plots draw their ideals from. Rows
// are named workload/pool/workers:W/<size> (Google Benchmark appends
// /real_time, and /iterations:1 to the rows that run once). Single-threaded
// driver: Google Benchmark runs one row at a time.
//
// Environment, read once at startup (scripts/run-sweep sets them):
//   POOLBENCH_QUICK=1          a shorter sweep: only the default N and tree
//                              depth 20, idle 0.25 s instead of 1 s, latency
//                              0.2 s instead of 0.5 s, parallel_for over 10^6
//                              elements, thread_per_job capped at 10^4 jobs,
//                              default workers 1, the hardware threads and
//                              twice them. Unset or 0: the full sweep of
//                              WORKLOADS.md.
//   POOLBENCH_WORKERS=1,2,4    the worker counts of every workload except
//                              sleep, which is the I/O-bound case and keeps
//                              its own list 8, 16, ..., 256 and 100 (the
//                              classic "100 at a time" batch job).
//                              Default (full): 1, 2, 4, ... up to the
//                              hardware threads, the hardware thread count
//                              itself when it is not a power of two, and
//                              twice it.
//   POOLBENCH_MEMORY=1         instead of the timed rows, the peak memory of
//                              tree (depth 20) and fib (30) per pool and
//                              worker count, each from fresh processes (see
//                              "Memory" below); scripts/run-sweep writes
//                              them to memory.json.
// Timed rows last at least 50 ms, quick 20 ms (--benchmark_min_time, unless
// given), after one untimed warm-up run; idle and latency rows are one run
// each.
// A value that is not one of these (a zero, a non-number, a duplicate worker
// count) exits with status 2, naming it, before running anything. Example:
//   POOLBENCH_QUICK=1 POOLBENCH_WORKERS=1,2,16 pool_bench
//       --benchmark_repetitions=3 --benchmark_out=pools.json
//       --benchmark_out_format=json
// `pool_bench --checksums` (or --checksums=serial) runs the serial version of
// every workload once at the small sizes of bench/external/README.md and
// prints one `workload value` line each (checksums.hpp), then exits 0.
// `pool_bench --cpu-speed` prints, for each CPU the process may run on, the
// time of a fixed piece of serial code (skynet's noinline recursion) pinned
// there, `cpu <index> <ns>` (cpu_speed.hpp): whether the CPUs ran at one
// speed.

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "checksums.hpp"
#include "context.hpp"
#include "cpu_speed.hpp"
#include "memory_mode.hpp"
#include "options.hpp"
#include "workload_table.hpp"

namespace {

using namespace poolbench::bench;

void add_context(const sweep& s) {
    benchmark::AddCustomContext("hardware_threads", std::to_string(hardware_threads()));
    benchmark::AddCustomContext("poolbench_quick", s.quick ? "1" : "0");
    std::string workers;
    for (const auto w : s.workers) {
        if (!workers.empty()) workers.push_back(',');
        workers.append(std::to_string(w));
    }
    benchmark::AddCustomContext("poolbench_workers", workers);
    benchmark::AddCustomContext("poolbench_workers_source",
                                s.workers_chosen ? "chosen" : "default");
    const auto& t = spin_timings();
    benchmark::AddCustomContext("t1_cpu_job_ns", std::to_string(t.cpu_job_ns));
    benchmark::AddCustomContext("t1_skewed_short_job_ns", std::to_string(t.short_job_ns));
    benchmark::AddCustomContext("t1_skewed_long_job_ns", std::to_string(t.long_job_ns));
}

}  // namespace

int main(int argc, char** argv) {
    if (argc > 1 && std::string_view(argv[1]) == "--memory-child") return memory_child(argc, argv);
    if (argc == 2 && (std::string_view(argv[1]) == "--checksums" ||
                      std::string_view(argv[1]) == "--checksums=serial")) {
        return run_checksums();
    }
    if (argc == 2 && std::string_view(argv[1]) == "--cpu-speed") return run_cpu_speed();
    const std::string command = command_line(argc, argv);
    if (!initialize_benchmark(argc, argv)) return 1;
    const auto s = sweep_from_environment();
    if (!s) return 2;
    const char* memory = std::getenv("POOLBENCH_MEMORY");
    const bool memory_mode = memory && std::string_view(memory) == "1";
    if (memory && *memory && !memory_mode && std::string_view(memory) != "0") {
        std::fprintf(stderr, "pool_bench: POOLBENCH_MEMORY must be 0 or 1, got '%s'\n", memory);
        return 2;
    }
    if (!memory_mode) calibrate_spin();
    add_build_and_machine_context(command);
    add_context(*s);
    if (memory_mode) {
        register_memory(*s);
    } else {
        register_all(*s);
    }
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
