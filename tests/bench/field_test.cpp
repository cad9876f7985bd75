// The field workloads (bench/workloads/: skynet, integrate, matmul, mergesort,
// chain, spawn_busy) run once through every pool in all_pools at small sizes,
// each checked against its known answer or the serial run, at 1 and 3
// workers; under the sanitizers too. thread_per_job starts a thread per job,
// so it gets smaller integrate and skips spawn_busy, as pool_bench does.
#include <doctest/doctest.h>

#include <cstddef>
#include <cstdint>
#include <poolbench.hpp>
#include <string_view>
#include <vector>

#include "workloads/integrate.hpp"
#include "workloads/matmul.hpp"
#include "workloads/mergesort.hpp"
#include "workloads/skynet.hpp"
#include "workloads/spawn.hpp"

namespace {

using namespace poolbench::bench;

template <class P>
constexpr bool k_thread_per_job = P::name == std::string_view("thread_per_job");

constexpr std::size_t k_workers[] = {1, 3};

}  // namespace

TEST_SUITE("field workloads" * doctest::timeout(300)) {
    TEST_CASE("the serial versions give the closed forms") {
        CHECK(skynet_tasks(3) == 1'111);
        CHECK(skynet_sum(3) == 499'500);
        const integral want = integrate_serial(100, k_integrate_eps);
        CHECK(integrate_mismatch(100, want, want.calls).empty());
        CHECK(matmul_forks(64) == 8);
        // The shuffle is a permutation, and sorting it gives 0..n-1.
        auto a = mergesort_input(1 << 14);
        std::vector<std::uint64_t> spare(a.size());
        serial_fork fork;
        merge_sort(a.data(), spare.data(), a.size(), false, fork);
        for (std::size_t i = 0; i < a.size(); ++i) REQUIRE(a[i] == i);
    }

    TEST_CASE_TEMPLATE_DEFINE("skynet through the pool sums every leaf", P, skynet) {
        for (const std::size_t workers : k_workers) {
            CAPTURE(workers);
            P pool(workers);
            CHECK(skynet_once(pool, 3) == skynet_sum(3));
        }
    }

    TEST_CASE_TEMPLATE_DEFINE("integrate through the pool makes the serial calls", P, integrate) {
        const std::uint64_t n = k_thread_per_job<P> ? 2 : 100;
        const integral want = integrate_serial(n, k_integrate_eps);
        for (const std::size_t workers : k_workers) {
            CAPTURE(workers);
            P pool(workers);
            const integral got = integrate_once(pool, n, k_integrate_eps);
            CHECK(got.calls == want.calls);
            CHECK(got.area == want.area);  // the same additions in the same tree
            // The closed form within 1e-9 relative: at n = 100, not at 2.
            if (!k_thread_per_job<P>) CHECK(integrate_mismatch(n, got, want.calls).empty());
        }
    }

    TEST_CASE_TEMPLATE_DEFINE("matmul through the pool fills C with N", P, matmul) {
        for (const std::size_t workers : k_workers) {
            CAPTURE(workers);
            P pool(workers);
            matmul_data m(64);
            matmul_once(pool, m);
            CHECK(m.mismatch().empty());
        }
    }

    TEST_CASE_TEMPLATE_DEFINE("mergesort through the pool sorts the shuffle", P, mergesort) {
        for (const std::size_t workers : k_workers) {
            CAPTURE(workers);
            P pool(workers);
            mergesort_data m(std::size_t{1} << 14);
            std::string wrong;
            bool ran = false;
            m.check_and_refill(wrong, ran);
            mergesort_once(pool, m);
            CHECK(m.mismatch().empty());
        }
    }

    TEST_CASE_TEMPLATE_DEFINE("chain through the pool runs every link once", P, chain) {
        for (const std::size_t workers : k_workers) {
            CAPTURE(workers);
            P pool(workers);
            const auto before = pool.stats().jobs_run;
            CHECK(chain_once(pool, 100) == 100);
            CHECK(pool.stats().jobs_run - before == 100);
        }
    }

    TEST_CASE_TEMPLATE_DEFINE("spawn_busy runs every outside job beside the busy ones", P,
                              spawn_busy) {
        if (!spawn_busy_limit<P>().empty()) return;  // sequential, thread_per_job
        for (const std::size_t workers : k_workers) {
            CAPTURE(workers);
            P pool(workers);
            std::uint64_t ran = 0;
            CHECK_NOTHROW(ran = spawn_busy_once(pool, 100));
            CHECK(ran == 100);
        }
    }

    TEST_CASE_TEMPLATE_APPLY(skynet, poolbench::all_pools);
    TEST_CASE_TEMPLATE_APPLY(integrate, poolbench::all_pools);
    TEST_CASE_TEMPLATE_APPLY(matmul, poolbench::all_pools);
    TEST_CASE_TEMPLATE_APPLY(mergesort, poolbench::all_pools);
    TEST_CASE_TEMPLATE_APPLY(chain, poolbench::all_pools);
    TEST_CASE_TEMPLATE_APPLY(spawn_busy, poolbench::all_pools);
}  // TEST_SUITE
