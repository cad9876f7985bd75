// The register checks of preserving_call_test, built into each translation
// unit that includes this (with its own compiler flags: preserving_call_avx.cpp
// is built with AVX, so that its calls go through the AVX stub). Each holds
// values live across calls whose callee uses whatever registers it likes,
// and returns what the same loop computes with ordinary calls or none.
// Nothing here instantiates a library template: an inline function built
// with AVX in one unit and without in another is one definition to the
// linker, which may keep the AVX copy for every caller. So the callee that
// uses the library (preserving_call_test.cpp's busy()) is passed in.
#pragma once

#include <cmath>
#include <cstdint>

#include <pools/detail/preserving_call.hpp>

namespace {

// Sixteen integers and eight doubles, each updated around every call, so
// that they live in registers across it where the compiler can keep them
// there; the callee is passed in. WithCalls false is the same without the
// calls, what it must return.
template <bool WithCalls>
[[gnu::noinline]] std::uint64_t live_across(std::uint64_t seed, int rounds,
                                            poolbench::detail::preserving_fn callee) {
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
            poolbench::detail::preserving_call(callee, &scratch);
        }
    }
    const double xs = x0 + x1 + x2 + x3 + x4 + x5 + x6 + x7;
    return a + b + c + d + e + f + g + h + i + j + k + l + m + n + o + q +
           static_cast<std::uint64_t>(std::fmod(xs, 1e9));
}

// Long double arithmetic deep enough to fill most of the x87 stack (GCC
// keeps long doubles there): run on a stack the caller left values on, it
// would overflow it and read NaN.
[[gnu::noinline]] long double x87_busy(long double x) noexcept {
    const long double a = x + 1, b = x * 2, c = x - 3, d = x / 4, e = x + 5, f = x * 6;
    return ((a * b + c * d) * (e * f + a * c)) + ((b * d + e * a) * (f * c + b * e));
}

void x87_callee(void* p) noexcept {
    auto& v = *static_cast<long double*>(p);
    v = x87_busy(v);
}

// Six long doubles updated around every call, which GCC keeps in the x87
// registers across it; the callee's own results are summed too. WithCalls
// false computes the callee's result with an ordinary call.
template <bool WithCalls>
[[gnu::noinline]] long double x87_live_across(int rounds) {
    long double x0 = 0.5L, x1 = 1.25L, x2 = 2.125L, x3 = 3.0625L, x4 = 4.5L, x5 = 5.75L;
    long double callee_sum = 0;
    for (int r = 0; r < rounds; ++r) {
        x0 = x0 * 1.0001L + x1;
        x1 += x2 * 0.5L;
        x2 += x3 * 0.25L;
        x3 += x4 * 0.125L;
        x4 += x5 * 0.0625L;
        x5 += x0 * 1e-9L;
        long double v = static_cast<long double>(r) + 0.5L;
        if constexpr (WithCalls) {
            poolbench::detail::preserving_call(&x87_callee, &v);
        } else {
            v = x87_busy(v);
        }
        callee_sum += v;
    }
    return x0 + x1 + x2 + x3 + x4 + x5 + callee_sum;
}

}  // namespace
