// The third translation unit of preserving_call_test, built with AVX on
// x86-64 (tests/pools/CMakeLists.txt): its preserving calls go through the
// AVX stub (xsave64 of the x87, SSE and AVX state), and its loops hold
// values in registers the compiler encodes with VEX (busy() comes from the
// unit built without AVX: preserving_call_checks.hpp says why). Called only
// where the CPU has AVX.
#include "preserving_call_checks.hpp"

bool preserving_call_avx_unit(poolbench::detail::preserving_fn busy) {
    bool ok = true;
    for (std::uint64_t seed : {1u, 7u, 12345u}) {
        for (int rounds : {1, 3, 100}) {
            ok = ok &&
                 live_across<true>(seed, rounds, busy) == live_across<false>(seed, rounds, busy);
            ok = ok && x87_live_across<true>(rounds) == x87_live_across<false>(rounds);
        }
    }
    return ok;
}
