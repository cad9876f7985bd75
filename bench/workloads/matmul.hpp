// matmul (WORKLOADS.md, field workloads; Cilk's and libfork's recursive
// matrix multiply): C += A x B for N x N int matrices, A = B = all ones, split
// into the eight N/2 products in two phases of four forked products each
// (join between: the second phase adds into the same quarters of C); a block
// of N <= 32 multiplies serially (i-k-j). The matrices are allocated and
// filled before the clock; C is checked (every element == N) and reset to 0
// before each run, outside the clock. Benchmark bodies: the runner thread.
#pragma once

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "workloads/harness.hpp"

namespace poolbench::bench {

inline constexpr std::size_t k_matmul_n = 512;
inline constexpr std::size_t k_matmul_n_full = 2048;
inline constexpr std::size_t k_matmul_leaf = 32;  // blocks of this size or less: serial

// An N x N block of a row-major matrix whose rows are `stride` apart.
struct matrix_block {
    int* data;
    std::size_t stride;
    matrix_block quarter(std::size_t row, std::size_t col, std::size_t half) const {
        return {data + row * half * stride + col * half, stride};
    }
    int& at(std::size_t i, std::size_t j) const { return data[i * stride + j]; }
};

// C += A x B for n x n blocks, i-k-j. Always inlined, so that every pool's
// recursion runs the kernel the serial one does: left to the compiler, it
// was inlined into some and called out of line (about 10 % slower) from
// others, a difference no scheduler made.
[[gnu::always_inline]] inline void matmul_leaf(matrix_block c, matrix_block a, matrix_block b,
                                               std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
        for (std::size_t k = 0; k < n; ++k) {
            const int aik = a.at(i, k);
            int* c_row = &c.at(i, 0);
            const int* b_row = &b.at(k, 0);
            for (std::size_t j = 0; j < n; ++j) c_row[j] += aik * b_row[j];
        }
    }
}

// The eight half-size products of C += A x B, as (C, A, B) quarter indices
// (row, col): phase 0 uses A's first column of quarters, phase 1 its second.
struct matmul_product {
    std::size_t ci, cj, ai, aj, bi, bj;
};
inline constexpr matmul_product k_matmul_products[2][4] = {
    {{0, 0, 0, 0, 0, 0}, {0, 1, 0, 0, 0, 1}, {1, 0, 1, 0, 0, 0}, {1, 1, 1, 0, 0, 1}},
    {{0, 0, 0, 1, 1, 0}, {0, 1, 0, 1, 1, 1}, {1, 0, 1, 1, 1, 0}, {1, 1, 1, 1, 1, 1}},
};

inline void matmul_serial(matrix_block c, matrix_block a, matrix_block b, std::size_t n) {
    if (n <= k_matmul_leaf) return matmul_leaf(c, a, b, n);
    const std::size_t h = n / 2;
    for (const auto& phase : k_matmul_products) {
        for (const auto& p : phase) {
            matmul_serial(c.quarter(p.ci, p.cj, h), a.quarter(p.ai, p.aj, h),
                          b.quarter(p.bi, p.bj, h), h);
        }
    }
}

// Two phases of four forked products, a join after each. Call from inside a
// job of the pool.
template <pool P>
void matmul_fork_join(P& pool, matrix_block c, matrix_block a, matrix_block b, std::size_t n) {
    if (n <= k_matmul_leaf) return matmul_leaf(c, a, b, n);
    const std::size_t h = n / 2;
    for (const auto& phase : k_matmul_products) {
        task_group<P> group(pool);
        for (const auto& p : phase) {
            group.run([&pool, cq = c.quarter(p.ci, p.cj, h), aq = a.quarter(p.ai, p.aj, h),
                       bq = b.quarter(p.bi, p.bj, h),
                       h] { matmul_fork_join(pool, cq, aq, bq, h); });
        }
        group.wait();
    }
}

// Forks of one product of size n (8 per split, none at a leaf).
constexpr std::uint64_t matmul_forks(std::size_t n) {
    return n <= k_matmul_leaf ? 0 : 8 + 8 * matmul_forks(n / 2);
}

// A, B (all ones) and C of one row, made before the clock. n: a power of two.
struct matmul_data {
    std::size_t n;
    std::vector<int> a, b, c;
    explicit matmul_data(std::size_t size)
        : n(size), a(size * size, 1), b(size * size, 1), c(size * size, 0) {}
    matrix_block block(std::vector<int>& m) { return {m.data(), n}; }
    // "" when every element of C equals n, else "wrong result: ...".
    std::string mismatch() const {
        const auto bad =
            std::find_if(c.begin(), c.end(), [this](int v) { return v != static_cast<int>(n); });
        if (bad == c.end()) return {};
        return "wrong result: matmul(" + std::to_string(n) + ") left C[" +
               std::to_string(bad - c.begin()) + "] = " + std::to_string(*bad) + ", expected " +
               std::to_string(n);
    }
    // Before each run: check the last run's C, then reset it.
    void check_and_reset(std::string& wrong, bool& ran) {
        if (ran && wrong.empty()) wrong = mismatch();
        std::fill(c.begin(), c.end(), 0);
        ran = true;
    }
};

template <pool P>
void matmul_once(P& pool, matmul_data& m) {
    pool.submit(
        [&pool, &m] { matmul_fork_join(pool, m.block(m.c), m.block(m.a), m.block(m.b), m.n); });
    pool.wait();
}

inline void report_madds_per_s(benchmark::State& state, std::size_t n, double wall) {
    const auto madds = static_cast<double>(n) * static_cast<double>(n) * static_cast<double>(n);
    state.counters["madds_per_s"] = madds * static_cast<double>(state.iterations()) / wall;
}

template <pool P>
void run_matmul(benchmark::State& state, std::size_t workers, std::size_t n) {
    const std::string what = "matmul(" + std::to_string(n) + ")";
    if (const auto why = fork_join_limit<P>(matmul_forks(n), what); !why.empty()) {
        return skip(state, why);
    }
    matmul_data m(n);
    std::string wrong;  // the first wrong C, if any
    bool ran = false;
    run_prepared_row<P>(
        state, workers, std::nullopt, [&](P&) { m.check_and_reset(wrong, ran); },
        [&](P& pool) { matmul_once(pool, m); },
        [&] {
            if (wrong.empty()) wrong = m.mismatch();
            return wrong;
        },
        [&](double wall) { report_madds_per_s(state, n, wall); });
}

}  // namespace poolbench::bench
