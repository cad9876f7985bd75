// detail::preserving_call() and preserving_invoke(): the call a fork's rare
// paths make, which must leave the calling function's registers as they
// were (general and vector ones alike) and let a callable's exception out
// after the call, once. The caller holds many integers and doubles live
// across calls to callees that use every register they like (library
// calls, floating point, a sort); a clobbered register shows as a wrong
// sum; likewise long doubles held in the x87 registers. Built into three
// translation units of the same program (this one, preserving_call_other.cpp
// and preserving_call_avx.cpp, built with AVX where the target is x86-64),
// so that the stubs' one definition per program is checked by the link, and
// the AVX stub is run where the CPU has AVX.
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <numeric>
#include <stdexcept>
#include <string>

#include <pools/detail/preserving_call.hpp>

#include "preserving_call_checks.hpp"

int preserving_call_other_unit(int x);                                 // preserving_call_other.cpp
bool preserving_call_avx_unit(poolbench::detail::preserving_fn busy);  // preserving_call_avx.cpp

namespace {

// Uses as many registers as the compiler will give it.
void busy(void* p) noexcept {
    auto& out = *static_cast<double*>(p);
    std::array<double, 64> v{};
    for (std::size_t i = 0; i < v.size(); ++i) v[i] = std::sin(static_cast<double>(i) * out);
    std::sort(v.begin(), v.end());
    char buf[256];
    std::snprintf(buf, sizeof buf, "%f %f", v.front(), v.back());
    std::string s(buf);
    out = std::accumulate(v.begin(), v.end(), 0.0) + static_cast<double>(s.size());
}

// An exception that counts its live copies (the one thrown, and the one a
// std::exception_ptr holds), so that a test can see none is kept.
struct counted_error {
    static inline int live = 0;
    int value;
    explicit counted_error(int v) : value(v) { ++live; }
    counted_error(const counted_error& o) : value(o.value) { ++live; }
    ~counted_error() { --live; }
};

}  // namespace

TEST_CASE("values live across a preserving call keep their registers") {
    const std::string how = poolbench::detail::k_preserving_call
                                ? "through the assembly stub"
                                : "an ordinary call on this target";
    MESSAGE("preserving_call: " << how);
    for (std::uint64_t seed : {1u, 7u, 12345u}) {
        for (int rounds : {1, 3, 100})
            CHECK(live_across<true>(seed, rounds, &busy) ==
                  live_across<false>(seed, rounds, &busy));
    }
}

TEST_CASE("long doubles held in the x87 registers across a preserving call keep their values") {
    // Also the callee's: it finds the x87 stack empty, as the ABI promises.
    for (int rounds : {1, 3, 100}) {
        const long double with = x87_live_across<true>(rounds);
        const long double without = x87_live_across<false>(rounds);
        CHECK(with == without);
    }
}

TEST_CASE("preserving_invoke passes values in and out, and its exception after the call") {
    int calls = 0;
    const int base = 40;
    poolbench::detail::preserving_invoke([&calls, base] { calls += base + 2; });
    CHECK(calls == 42);
    poolbench::detail::preserving_invoke([&calls]() noexcept { ++calls; });
    CHECK(calls == 43);

    // A move-only capture moved into the call, and a mutable callable.
    auto owned = std::make_unique<int>(7);
    poolbench::detail::preserving_invoke([&calls, p = std::move(owned)]() mutable {
        calls += *p;
        p.reset();
    });
    CHECK(calls == 50);

    CHECK_THROWS_WITH_AS(
        poolbench::detail::preserving_invoke([] { throw std::runtime_error("from the callee"); }),
        "from the callee", std::runtime_error);
    try {
        poolbench::detail::preserving_invoke([] { throw counted_error(5); });
        FAIL("nothing was thrown");
    } catch (const counted_error& e) {
        CHECK(e.value == 5);
    }
    // Rethrown once and let go: the thread keeps no copy of it, and a
    // call that does not throw after one that did throws nothing.
    CHECK(counted_error::live == 0);
    CHECK_NOTHROW(poolbench::detail::preserving_invoke([&calls] { ++calls; }));
    CHECK(calls == 51);
}

TEST_CASE("a second translation unit calls the same stub") {
    CHECK(preserving_call_other_unit(20) == 21);
}

TEST_CASE("the same checks through the AVX stub") {
#if defined(__x86_64__) && defined(__GNUC__)
    if (!__builtin_cpu_supports("avx")) {
        MESSAGE("this CPU has no AVX: the AVX stub is not run");
        return;
    }
#endif
    CHECK(preserving_call_avx_unit(&busy));
}
