// detail::preserving_call() and preserving_invoke(): the call a fork's rare
// paths make, which must leave the calling function's registers as they
// were (general and vector ones alike) and let a callable's exception out
// after the call, once. The caller holds many integers and doubles live
// across calls to callees that use every register they like (library
// calls, floating point, a sort); a clobbered register shows as a wrong
// sum. Built into two translation units of the same program (this one and
// preserving_call_other.cpp), so that the stub's one definition per program
// is checked by the link.
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <numeric>
#include <stdexcept>
#include <string>

#include <pools/detail/preserving_call.hpp>

int preserving_call_other_unit(int x);  // preserving_call_other.cpp

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

// Sixteen integers and eight doubles, each updated around every call, so
// that they live in registers across it where the compiler can keep them
// there; WithCalls false is the same without the calls, what it must
// return.
template <bool WithCalls>
[[gnu::noinline]] std::uint64_t live_across(std::uint64_t seed, int rounds) {
    std::uint64_t a = seed, b = seed * 3, c = seed * 5, d = seed * 7, e = seed * 11, f = seed * 13,
                  g = seed * 17, h = seed * 19, i = seed * 23, j = seed * 29, k = seed * 31,
                  l = seed * 37, m = seed * 41, n = seed * 43, o = seed * 47, q = seed * 53;
    double x0 = 0.5, x1 = 1.5, x2 = 2.5, x3 = 3.5, x4 = 4.5, x5 = 5.5, x6 = 6.5, x7 = 7.5;
    for (int r = 0; r < rounds; ++r) {
        a += b ^ static_cast<std::uint64_t>(r);
        b += c;
        c += d;
        d += e;
        e += f;
        f += g;
        g += h;
        h += i;
        i += j;
        j += k;
        k += l;
        l += m;
        m += n;
        n += o;
        o += q;
        q += a;
        x0 = x0 * 1.0001 + x1;
        x1 += x2 * 0.5;
        x2 += x3 * 0.25;
        x3 += x4 * 0.125;
        x4 += x5 * 0.0625;
        x5 += x6 * 0.03125;
        x6 += x7 * 0.015625;
        x7 += x0 * 1e-9;
        if constexpr (WithCalls) {
            double scratch = static_cast<double>(r) + 0.25;
            poolbench::detail::preserving_call(&busy, &scratch);
        }
    }
    const double xs = x0 + x1 + x2 + x3 + x4 + x5 + x6 + x7;
    return a + b + c + d + e + f + g + h + i + j + k + l + m + n + o + q +
           static_cast<std::uint64_t>(std::fmod(xs, 1e9));
}

}  // namespace

TEST_CASE("values live across a preserving call keep their registers") {
    const std::string how = poolbench::detail::k_preserving_call
                                ? "through the assembly stub"
                                : "an ordinary call on this target";
    MESSAGE("preserving_call: " << how);
    for (std::uint64_t seed : {1u, 7u, 12345u}) {
        for (int rounds : {1, 3, 100})
            CHECK(live_across<true>(seed, rounds) == live_across<false>(seed, rounds));
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
