// The research workloads' own answers (bench/workloads/): the serial
// traversals give the figures WORKLOADS.md states (the full uts tree's size
// and depth, the n-queens counts), and every pool in all_pools gives the same
// answers as the serial run, with parameters small enough for the sanitizer
// builds. thread_per_job starts a thread per job, so it gets smaller trees.
#include <doctest/doctest.h>

#include <chrono>
#include <cstdint>
#include <poolbench.hpp>
#include <string_view>
#include <vector>

#include "../support/pool_names.hpp"
#include "workloads/bursty.hpp"
#include "workloads/loops.hpp"
#include "workloads/nqueens.hpp"
#include "workloads/uts.hpp"

namespace {

using namespace poolbench::bench;

template <class P>
constexpr bool k_thread_per_job = P::name == std::string_view("thread_per_job");

constexpr std::size_t k_workers = 3;

}  // namespace

TEST_SUITE("research workloads" * doctest::timeout(300)) {
    TEST_CASE("splitmix is splitmix64's finalizer") {
        // splitmix64 seeded with 0: its first output is the finalizer of the
        // golden-ratio increment.
        CHECK(splitmix(0) == 0xE220A8397B1DCDAFULL);
    }

    TEST_CASE("the serial uts traversal of the default tree: 1,360,161 nodes, depth 774") {
        const uts_tally t = uts_serial(uts_params{});
        CHECK(t.nodes == k_uts_nodes);
        CHECK(t.max_depth == k_uts_depth);
    }

    TEST_CASE("serial n-queens counts the known solutions") {
        const std::uint64_t known[] = {1, 0, 0, 2, 10, 4, 40, 92, 352, 724};
        for (int n = 1; n <= 10; ++n) {
            CAPTURE(n);
            CHECK(nqueens_serial(n).solutions == known[n - 1]);
        }
        CHECK(nqueens_serial(k_nqueens_n).solutions == k_nqueens_12_solutions);
    }

    TEST_CASE_TEMPLATE_DEFINE("uts through the pool visits the serial traversal's tree", P, uts) {
        uts_params p;
        p.b0 = k_thread_per_job<P> ? 20 : 200;
        p.rounds = 10;
        const uts_tally want = uts_serial(p);
        REQUIRE(want.nodes > p.b0);  // the tree goes deeper than the root's children
        for (const std::size_t workers : {std::size_t{1}, k_workers}) {
            CAPTURE(workers);
            P pool(workers);
            const auto before = pool.stats().jobs_run;
            const uts_tally got = uts_once(pool, p);
            CHECK(got.nodes == want.nodes);
            CHECK(got.sum == want.sum);
            CHECK(got.max_depth == want.max_depth);
            CHECK(pool.stats().jobs_run - before == want.nodes);
        }
    }

    TEST_CASE_TEMPLATE_DEFINE("nqueens by fork-join through the pool finds the serial count", P,
                              nqueens) {
        const int n = k_thread_per_job<P> ? 6 : 8;
        const std::uint64_t want = nqueens_serial(n).solutions;
        for (const std::size_t workers : {std::size_t{1}, k_workers}) {
            CAPTURE(workers);
            P pool(workers);
            CHECK(nqueens_once(pool, n) == want);
        }
    }

    TEST_CASE_TEMPLATE_DEFINE("parallel_for through the pool leaves the serial checksum", P,
                              parallel_for) {
        const std::size_t n = k_thread_per_job<P> ? 2'003 : 20'011;
        std::vector<std::uint64_t> serial(n);
        parallel_for_serial(serial);
        const std::uint64_t want = spin_sum(serial);
        P pool(k_workers);
        for (const auto& g : parallel_for_grains(n, k_workers)) {
            if (k_thread_per_job<P> && g.value == 1) continue;  // a thread per element
            CAPTURE(g.label);
            std::vector<std::uint64_t> out(n, 0);
            parallel_for_once(pool, out, g.value);
            CHECK(spin_sum(out) == want);
            CHECK(out == serial);
        }
    }

    TEST_CASE_TEMPLATE_DEFINE("bursty runs every job of every burst once", P, bursty) {
        constexpr std::size_t k_bursts = 6;
        constexpr std::size_t k_burst_jobs = 16;
        P pool(k_workers);
        const auto before = pool.stats().jobs_run;
        const bursty_result r =
            bursty_once(pool, k_bursts, k_burst_jobs, std::chrono::microseconds(300), 50);
        CHECK(r.wrong == 0);
        CHECK(pool.stats().jobs_run - before == k_bursts * k_burst_jobs);
        REQUIRE(r.makespan_ns.size() == k_bursts);
        for (const auto m : r.makespan_ns) CHECK(m >= 0);
        // Six bursts 300 us apart cannot end before the last one is submitted.
        CHECK(r.wall_seconds >= 5 * 300e-6);
    }

    TEST_CASE_TEMPLATE_APPLY(uts, poolbench::all_pools);
    TEST_CASE_TEMPLATE_APPLY(nqueens, poolbench::all_pools);
    TEST_CASE_TEMPLATE_APPLY(parallel_for, poolbench::all_pools);
    TEST_CASE_TEMPLATE_APPLY(bursty, poolbench::all_pools);

}  // TEST_SUITE
