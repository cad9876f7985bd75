// uts's published trees: the serial walks of T1 and T3 (the UTS
// distribution's sample_trees.sh) give the nodes, depth and leaves it
// publishes, which proves the SHA-1 generator and the child counts are
// UTS's own. T2 (--full rows only) is checked by its benchmark rows. About
// 8.2 M SHA-1 hashes: seconds in a release build, longer under sanitizers.
#include <doctest/doctest.h>

#include <cstdint>

#include "workloads/uts.hpp"

namespace {

using namespace poolbench::bench;

void check_published(const uts_tree& t) {
    const uts_result r = uts_serial(t);
    CHECK(r.nodes == t.published.nodes);
    CHECK(r.depth == t.published.depth);
    CHECK(r.leaves == t.published.leaves);
}

}  // namespace

TEST_SUITE("uts published trees" * doctest::timeout(120)) {
    TEST_CASE("the root is SHA-1 of 16 zero bytes and the seed, big-endian") {
        // SHA-1 of 20 zero bytes (seed 0): 6768033e216468247bd031a0a2d9876d79818f8f.
        const uts_node root = uts_root({.name = "zero", .seed = 0});
        CHECK(root.state[0] == 0x67);
        CHECK(root.state[19] == 0x8f);
        CHECK(root.depth == 0);
        CHECK(uts_uniform(root) == static_cast<double>(0x79818f8fU & 0x7fffffffU) / 2147483648.0);
    }

    TEST_CASE("T1 (-t 1 -a 3 -d 10 -b 4 -r 19): 4,130,071 nodes, depth 10, 3,305,118 leaves") {
        check_published(k_uts_t1);
    }

    TEST_CASE(
        "T3 (-t 0 -b 2000 -q 0.124875 -m 8 -r 42): 4,112,897 nodes, depth 1572, "
        "3,599,034 leaves") {
        check_published(k_uts_t3);
    }
}
