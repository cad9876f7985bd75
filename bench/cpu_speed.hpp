// pool_bench --cpu-speed: how fast each CPU of the process's affinity mask
// runs a fixed piece of serial code now, the calling thread pinned to each
// in turn. On a VM one vCPU may run at a fraction of the others' speed for
// seconds to minutes (a 2-vCPU VM here: one at 55 to 60 %, with no steal
// time in /proc/stat), and then every speedup T1 / TW of that spell reads
// the machine, not the pool: two workers on CPUs whose times per unit of
// work are f and s (f < s) do T1 / T2 = 1 + f / s when one worker ran on the
// fast CPU, 1 + s / f on the slow one. scripts/run-sweep samples it before
// the first round and after each unit of each round (run.json), and
// REPORT.md's Machine table shows the spread.
// The work is skynet's serial_noinline recursion (one call per node, the
// T_serial of REPORT.md's Per task table), which a CPU shared with another
// thread's code runs slower (calls, stores, branches), where a dependent
// chain of multiplies like the spin kernel's does not: with one vCPU at
// half speed for skynet, both ran the spin kernel alike.
// Prints one line per CPU, `cpu <index> <ns>`: the median over k_runs of the
// CPU time (thread CPU time, as calibrate_spin()) of one skynet of depth
// k_depth. Exits 0, or 1 naming what failed (the mask could not be read or
// set; the thread's own mask is restored either way).
#pragma once

#include <sched.h>

#include <cstdint>
#include <cstdio>

#include <pools/detail/cpu_placement.hpp>

#include "baselines/skynet.hpp"
#include "measure.hpp"

namespace poolbench::bench {

inline int run_cpu_speed() {
    constexpr int k_runs = 5;
    constexpr int k_depth = 6;  // 1.1 million calls: about 2 ms
    const int status =
        detail::with_affinity_mask(-1, [&](const cpu_set_t* mask, std::size_t size, int cpus) {
            int result = 0;
            for (int cpu = 0; cpu < cpus && result == 0; ++cpu) {
                if (!CPU_ISSET_S(static_cast<std::size_t>(cpu), size, mask)) continue;
                if (!detail::pin_to_cpu(cpu, size, cpus)) {
                    std::perror("pool_bench: --cpu-speed: pinning to a CPU");
                    result = 1;
                    break;
                }
                std::uint64_t sink = 0;
                const double ns = median_ns_per_call(
                    [&](std::size_t) { sink += skynet_serial_noinline(0, 0, k_depth); }, 1, k_runs);
                benchmark::DoNotOptimize(sink);
                std::printf("cpu %d %.0f\n", cpu, ns);
            }
            if (sched_setaffinity(0, size, mask) != 0) {
                std::perror("pool_bench: --cpu-speed: restoring the affinity mask");
                result = 1;
            }
            return result;
        });
    if (status == -1) {
        std::fprintf(stderr, "pool_bench: --cpu-speed: cannot read the affinity mask\n");
        return 1;
    }
    if (status != 0) return status;
    return std::fflush(stdout) == 0 ? 0 : 1;
}

}  // namespace poolbench::bench
