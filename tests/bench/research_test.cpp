// The research workloads' own answers (bench/workloads/): the serial
// traversals give the figures WORKLOADS.md states (the n-queens counts; the
// published uts trees are uts_trees_test's), and every pool in all_pools gives
// the same answers as the serial run, with parameters small enough for the
// sanitizer builds. thread_per_job starts a thread per job, so it gets
// smaller trees.
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

    TEST_CASE("serial n-queens counts the known solutions") {
        const std::uint64_t known[] = {1, 0, 0, 2, 10, 4, 40, 92, 352, 724};
        for (int n = 1; n <= 10; ++n) {
            CAPTURE(n);
            CHECK(nqueens_serial(n).solutions == known[n - 1]);
        }
        CHECK(nqueens_serial(k_nqueens_n).solutions == k_nqueens_12_solutions);
    }

    TEST_CASE_TEMPLATE_DEFINE("uts by fork-join through the pool walks the serial tree", P, uts) {
        // Small trees of both kinds: geometric (T1's shape cut to 5 levels:
        // about 1,400 nodes; 3 levels for thread_per_job) and binomial (m = 8
        // with q = 0.1, 0.8 children a node, under a root of 200 children:
        // about 1,000 nodes; 20 children for thread_per_job).
        const uts_tree geometric{.name = "small_geometric",
                                 .type = uts_type::geometric,
                                 .shape = uts_shape::fixed,
                                 .gen_mx = k_thread_per_job<P> ? 3u : 5u,
                                 .b0 = 4,
                                 .seed = 19};
        const uts_tree binomial{.name = "small_binomial",
                                .type = uts_type::binomial,
                                .b0 = k_thread_per_job<P> ? 20.0 : 200.0,
                                .q = 0.1,
                                .m = 8,
                                .seed = 42};
        for (const uts_tree* t : {&geometric, &binomial}) {
            CAPTURE(t->name);
            const uts_result want = uts_serial(*t);
            REQUIRE(want.depth > 1);  // the tree goes deeper than the root's children
            for (const std::size_t workers : {std::size_t{1}, k_workers}) {
                CAPTURE(workers);
                P pool(workers);
                const uts_result got = uts_once(pool, *t);
                CHECK(got.nodes == want.nodes);
                CHECK(got.depth == want.depth);
                CHECK(got.leaves == want.leaves);
            }
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
        for (const auto& g : parallel_for_grains(n, k_workers, false)) {
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
