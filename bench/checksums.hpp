// pool_bench --checksums: the serial version of every workload, run once at
// the small sizes of bench/external/README.md ("--checksums"), one line
// `workload value` each, so that an outside program (go_bench, rayon_bench)
// can be checked against the same work. One table of {name, function}
// entries; a workload adds its line there. main() calls run_checksums()
// before Google Benchmark starts; single-threaded.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "baselines/nested.hpp"
#include "baselines/skynet.hpp"
#include "baselines/spawn.hpp"
#include "workloads/integrate.hpp"
#include "workloads/library.hpp"
#include "workloads/matmul.hpp"
#include "workloads/mergesort.hpp"
#include "workloads/nqueens.hpp"
#include "workloads/spin.hpp"
#include "workloads/submit.hpp"
#include "workloads/uts.hpp"

namespace poolbench::bench {

// ---------------------------------------------------------------------------
// The lines, each the serial work at the table's size (wrapping 64-bit sums)

inline std::string checksum_empty() {
    std::uint64_t ran = 0;
    for (std::size_t i = 0; i < 1'000; ++i) {
        empty_job{}();
        ++ran;
    }
    return std::to_string(ran);
}

// The sum of out[i] = spin(i, rounds(i)) for i < n.
template <class Rounds>
std::string spin_sum_line(std::size_t n, Rounds rounds) {
    std::uint64_t sum = 0;
    for (std::size_t i = 0; i < n; ++i) sum += spin(i, rounds(i));
    return std::to_string(sum);
}

inline std::string checksum_cpu() {
    return spin_sum_line(1'000, [](std::size_t) { return std::uint32_t{1'000}; });
}

inline std::string checksum_skewed() {
    return spin_sum_line(1'000, [](std::size_t i) { return job_rounds(i, 200, true); });
}

inline std::string checksum_tree() {
    return std::to_string(tree_serial(opaque(10)));
}

// P = 2 producers of N / 2 jobs each, one after the other.
inline std::string checksum_producers() {
    std::uint64_t ran = 0;
    for (std::size_t producer = 0; producer < 2; ++producer) {
        for (std::size_t i = 0; i < 1'000 / 2; ++i) {
            empty_job{}();
            ++ran;
        }
    }
    return std::to_string(ran);
}

inline std::string checksum_parallel_for() {
    return spin_sum_line(10'000, [](std::size_t) { return std::uint32_t{10}; });
}

inline std::string checksum_fib() {
    return std::to_string(fib_serial(opaque(20)));
}

inline std::string checksum_uts() {
    const uts_result r = uts_serial(k_uts_checksum_tree);
    return std::to_string(r.nodes) + "/" + std::to_string(r.depth) + "/" + std::to_string(r.leaves);
}

inline std::string checksum_nqueens() {
    return std::to_string(nqueens_serial(opaque(8)).solutions);
}

inline std::string checksum_skynet() {
    return std::to_string(skynet_serial(0, 0, opaque(4)));
}

inline std::string checksum_integrate() {
    const integral r = integrate_serial(static_cast<std::uint64_t>(opaque(100)), k_integrate_eps);
    char area[32];
    std::snprintf(area, sizeof area, "%.17g", r.area);
    return std::to_string(r.calls) + "/" + area;
}

inline std::string checksum_matmul() {
    matmul_data m(static_cast<std::size_t>(opaque(64)));
    matmul_serial(m.block(m.c), m.block(m.a), m.block(m.b), m.n);
    std::uint64_t sum = 0;
    for (const int v : m.c) sum += static_cast<std::uint64_t>(v);
    return std::to_string(sum);
}

// The sum over i of a[i] x (i + 1) after sorting (wrapping).
inline std::string checksum_mergesort() {
    std::vector<std::uint64_t> a = mergesort_input(static_cast<std::size_t>(opaque(1 << 14)));
    std::vector<std::uint64_t> spare(a.size());
    serial_fork fork;
    merge_sort(a.data(), spare.data(), a.size(), false, fork);
    std::uint64_t sum = 0;
    for (std::size_t i = 0; i < a.size(); ++i) sum += a[i] * (i + 1);
    return std::to_string(sum);
}

inline std::string checksum_chain() {
    return std::to_string(chain_baseline_once<serial_baseline>(1, 1'000, nullptr));
}

// The outside jobs run; serially, N calls of the counting body.
inline std::string checksum_spawn_busy() {
    std::uint64_t ran = 0;
    for (std::size_t i = 0; i < static_cast<std::size_t>(opaque(1'000)); ++i) {
        empty_job{}();
        ++ran;
    }
    return std::to_string(ran);
}

// small_for: the sum of out[i] as signed 64-bit; reduce: the sum itself.
inline std::string checksum_small_for() {
    const auto in = library_input(static_cast<std::size_t>(opaque(1'000)));
    std::vector<std::int32_t> out(in.size());
    small_for_serial(in, out);
    std::int64_t sum = 0;
    for (const auto v : out) sum += v;
    return std::to_string(sum);
}

inline std::string checksum_reduce() {
    return std::to_string(reduce_serial(library_input(static_cast<std::size_t>(opaque(1'000)))));
}

// ---------------------------------------------------------------------------
// The table, in the order of bench/external/README.md's "--checksums" table

struct checksum_line {
    std::string_view name;
    std::string (*value)();
};

inline const std::vector<checksum_line>& checksum_lines() {
    static const std::vector<checksum_line> lines = {
        {"empty", checksum_empty},
        {"cpu", checksum_cpu},
        {"skewed", checksum_skewed},
        {"tree", checksum_tree},
        {"producers", checksum_producers},
        {"parallel_for", checksum_parallel_for},
        {"fib", checksum_fib},
        {"skynet", checksum_skynet},
        {"uts", checksum_uts},
        {"nqueens", checksum_nqueens},
        {"integrate", checksum_integrate},
        {"matmul", checksum_matmul},
        {"mergesort", checksum_mergesort},
        {"chain", checksum_chain},
        {"spawn_busy", checksum_spawn_busy},
        {"small_for", checksum_small_for},
        {"reduce", checksum_reduce},
    };
    return lines;
}

// Prints every line to stdout; returns main()'s exit status.
inline int run_checksums() {
    for (const auto& line : checksum_lines()) {
        const std::string value = line.value();
        std::printf("%.*s %s\n", static_cast<int>(line.name.size()), line.name.data(),
                    value.c_str());
    }
    return std::fflush(stdout) == 0 ? 0 : 1;
}

}  // namespace poolbench::bench
