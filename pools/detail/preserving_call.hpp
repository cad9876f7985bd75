// detail::preserving_call(fn, arg): calls fn(arg) so that the calling
// function keeps every register it holds a value in, as if no call were
// made; detail::preserving_invoke(f) calls any callable that way. A
// fork's rare paths (the heartbeat's beat, a worker's request, a latent
// stack that must grow, a group made outside the pool:
// work_stealing/join.hpp) go through it.
//
// Why: an ordinary call anywhere in a loop of forks, even one that never
// runs, makes the compiler keep the loop's values in callee-saved registers,
// and a function that uses those must save them in its prologue before
// anything else, its base-case test included. So a recursive function that
// forks (skynet's node, nqueens') paid the full prologue and epilogue at
// every leaf, which returns at once. With no call in the loop but this one,
// which clobbers nothing, GCC keeps the loop's values in caller-saved
// registers and shrink-wraps the prologue past the leaf's test: skynet's
// leaf is `mov; cmp; je; ret` (scripts/fork-cost: 81.9 -> 63.2
// instructions a node; fork_cost skynet 6 at one worker 5.04 -> 3.59 ns a
// task, minima of 21 alternated processes).
//
// How (x86-64 with GCC or Clang): the call site moves the stack pointer
// past the red zone, saves the two registers it loads (rdi, rax), and calls
// a stub that saves every other caller-saved general register and the
// vector state the calling code may use, so that the callee may use any of
// it: without AVX, the sixteen SSE registers and MXCSR, or with fxsave64
// the whole x87 and SSE state when the x87 stack holds values (the caller
// keeps a long double there; fxam tells); with AVX (the translation unit
// built with it) the full vector state with xsave64 (x87, SSE, AVX, and
// AVX-512's when built with it). The stub took 84 ns a call with fxsave64
// and fxrstor64 every time, 16 ns with the SSE registers moved by hand (a
// 2-vCPU AMD EPYC VM), and at two workers a fork's countdown runs out
// through it about once a heartbeat (30 us) per worker. The flags are
// clobbered, as every asm statement on x86 may, and so are the x87 status
// word's condition codes (fxam writes them; no compiler keeps a comparison
// there across a statement). The stub is defined once per program (a COMDAT
// section, one per vector-state variant), with no unwind information: fn
// must not throw (it is noexcept; preserving_invoke() below catches inside
// the call and rethrows after it). Elsewhere preserving_call is an
// ordinary call, with the same meaning.
#pragma once

#include <exception>
#include <type_traits>
#include <utility>

namespace poolbench::detail {

using preserving_fn = void (*)(void*) noexcept;

#if defined(__x86_64__) && defined(__GNUC__) && defined(__ELF__) && \
    !defined(POOLBENCH_PLAIN_RARE_CALLS)

inline constexpr bool k_preserving_call = true;

// The stubs: rax = fn, rdi = its argument (both saved by the call site).
// rbp keeps the entry stack pointer; the save area is 64-byte aligned below.
// The standard-format xsave area for x87, SSE, AVX and AVX-512 ends at byte
// 2688; 3072 bytes hold it. edx:eax is the xsave mask (components 0-2, or
// 0-2 and 5-7 with AVX-512).
// clang-format off
#define POOLBENCH_PRESERVING_STUB(name, save, restore)                  \
    ".pushsection .text." name ",\"axG\",@progbits," name ",comdat\n" \
    ".weak " name "\n"                                                  \
    ".hidden " name "\n"                                                \
    ".type " name ", @function\n"                                       \
    name ":\n"                                                          \
    "  push %rbp\n"                                                     \
    "  mov %rsp, %rbp\n"                                                \
    "  push %rcx\n"                                                     \
    "  push %rdx\n"                                                     \
    "  push %rsi\n"                                                     \
    "  push %r8\n"                                                      \
    "  push %r9\n"                                                      \
    "  push %r10\n"                                                     \
    "  push %r11\n"                                                     \
    "  push %rbx\n"                                                     \
    "  mov %rax, %rbx\n"                                                \
    "  and $-64, %rsp\n"                                                \
    "  sub $3072, %rsp\n"                                               \
    save                                                                \
    "  call *%rbx\n"                                                    \
    restore                                                             \
    "  lea -64(%rbp), %rsp\n"                                           \
    "  pop %rbx\n"                                                      \
    "  pop %r11\n"                                                      \
    "  pop %r10\n"                                                      \
    "  pop %r9\n"                                                       \
    "  pop %r8\n"                                                       \
    "  pop %rsi\n"                                                      \
    "  pop %rdx\n"                                                      \
    "  pop %rcx\n"                                                      \
    "  pop %rbp\n"                                                      \
    "  ret\n"                                                           \
    ".size " name ", .-" name "\n"                                      \
    ".popsection\n"

// The xsave mask goes in edx:eax, which the stub has saved (rdx) or the
// call site has (rax; fn is in rbx by then); the area's header must be
// zero where xsave does not write it (xrstor checks), so it is cleared.
// Then emms, for the reason the SSE stub's full save gives (below).
#define POOLBENCH_XSAVE(mask)     \
    "  xor %eax, %eax\n"          \
    "  mov %rax, 512(%rsp)\n"     \
    "  mov %rax, 520(%rsp)\n"     \
    "  mov %rax, 528(%rsp)\n"     \
    "  mov %rax, 536(%rsp)\n"     \
    "  mov %rax, 544(%rsp)\n"     \
    "  mov %rax, 552(%rsp)\n"     \
    "  mov %rax, 560(%rsp)\n"     \
    "  mov %rax, 568(%rsp)\n"     \
    "  mov $" mask ", %eax\n"     \
    "  xor %edx, %edx\n"          \
    "  xsave64 (%rsp)\n"          \
    "  emms\n"
#define POOLBENCH_XRSTOR(mask)    \
    "  mov $" mask ", %eax\n"     \
    "  xor %edx, %edx\n"          \
    "  xrstor64 (%rsp)\n"
// Without AVX: when fxam finds st(0) empty (C3 C2 C0 = 1 0 1), the x87
// stack holds nothing (its values lie from st(0) up), so the SSE registers
// and MXCSR are all the state a caller can hold; they are moved by hand
// and a word at 3068 says so. Otherwise fxsave64 saves everything, and
// emms marks the x87 registers empty, so that the callee finds the x87
// stack as the ABI promises it (empty), and fxrstor64 puts the caller's
// values back.
#define POOLBENCH_SSE_SAVE                  \
    "  fxam\n"                              \
    "  fnstsw %ax\n"                        \
    "  and $0x4500, %ax\n"                  \
    "  cmp $0x4100, %ax\n"                  \
    "  jne 1f\n"                            \
    "  movaps %xmm0, 0(%rsp)\n"             \
    "  movaps %xmm1, 16(%rsp)\n"            \
    "  movaps %xmm2, 32(%rsp)\n"            \
    "  movaps %xmm3, 48(%rsp)\n"            \
    "  movaps %xmm4, 64(%rsp)\n"            \
    "  movaps %xmm5, 80(%rsp)\n"            \
    "  movaps %xmm6, 96(%rsp)\n"            \
    "  movaps %xmm7, 112(%rsp)\n"           \
    "  movaps %xmm8, 128(%rsp)\n"           \
    "  movaps %xmm9, 144(%rsp)\n"           \
    "  movaps %xmm10, 160(%rsp)\n"          \
    "  movaps %xmm11, 176(%rsp)\n"          \
    "  movaps %xmm12, 192(%rsp)\n"          \
    "  movaps %xmm13, 208(%rsp)\n"          \
    "  movaps %xmm14, 224(%rsp)\n"          \
    "  movaps %xmm15, 240(%rsp)\n"          \
    "  stmxcsr 256(%rsp)\n"                 \
    "  movl $0, 3068(%rsp)\n"               \
    "  jmp 2f\n"                            \
    "1:\n"                                  \
    "  fxsave64 (%rsp)\n"                   \
    "  emms\n"                              \
    "  movl $1, 3068(%rsp)\n"               \
    "2:\n"
#define POOLBENCH_SSE_RESTORE               \
    "  cmpl $0, 3068(%rsp)\n"               \
    "  jne 3f\n"                            \
    "  movaps 0(%rsp), %xmm0\n"             \
    "  movaps 16(%rsp), %xmm1\n"            \
    "  movaps 32(%rsp), %xmm2\n"            \
    "  movaps 48(%rsp), %xmm3\n"            \
    "  movaps 64(%rsp), %xmm4\n"            \
    "  movaps 80(%rsp), %xmm5\n"            \
    "  movaps 96(%rsp), %xmm6\n"            \
    "  movaps 112(%rsp), %xmm7\n"           \
    "  movaps 128(%rsp), %xmm8\n"           \
    "  movaps 144(%rsp), %xmm9\n"           \
    "  movaps 160(%rsp), %xmm10\n"          \
    "  movaps 176(%rsp), %xmm11\n"          \
    "  movaps 192(%rsp), %xmm12\n"          \
    "  movaps 208(%rsp), %xmm13\n"          \
    "  movaps 224(%rsp), %xmm14\n"          \
    "  movaps 240(%rsp), %xmm15\n"          \
    "  ldmxcsr 256(%rsp)\n"                 \
    "  jmp 4f\n"                            \
    "3:\n"                                  \
    "  fxrstor64 (%rsp)\n"                  \
    "4:\n"
// clang-format on

asm(POOLBENCH_PRESERVING_STUB("poolbench_preserving_stub_sse", POOLBENCH_SSE_SAVE,
                              POOLBENCH_SSE_RESTORE));
asm(POOLBENCH_PRESERVING_STUB("poolbench_preserving_stub_avx", POOLBENCH_XSAVE("0x7"),
                              POOLBENCH_XRSTOR("0x7")));
asm(POOLBENCH_PRESERVING_STUB("poolbench_preserving_stub_avx512", POOLBENCH_XSAVE("0xe7"),
                              POOLBENCH_XRSTOR("0xe7")));

#if defined(__AVX512F__)
#define POOLBENCH_PRESERVING_STUB_NAME "poolbench_preserving_stub_avx512"
#elif defined(__AVX__)
#define POOLBENCH_PRESERVING_STUB_NAME "poolbench_preserving_stub_avx"
#else
#define POOLBENCH_PRESERVING_STUB_NAME "poolbench_preserving_stub_sse"
#endif

[[gnu::always_inline]] inline void preserving_call(preserving_fn fn, void* arg) noexcept {
    // The call site: below the red zone, rdi and rax saved, the operands
    // moved through the stack (whatever registers they came in, none is
    // overwritten before it is read), then the stub.
    asm volatile(
        "lea -128(%%rsp), %%rsp\n\t"
        "push %%rdi\n\t"
        "push %%rax\n\t"
        "push %0\n\t"
        "push %1\n\t"
        "pop %%rdi\n\t"
        "pop %%rax\n\t"
        "call " POOLBENCH_PRESERVING_STUB_NAME
        "\n\t"
        "pop %%rax\n\t"
        "pop %%rdi\n\t"
        "lea 128(%%rsp), %%rsp"
        :
        : "r"(fn), "r"(arg)
        : "memory");
}

#else

inline constexpr bool k_preserving_call = false;

[[gnu::always_inline]] inline void preserving_call(preserving_fn fn, void* arg) noexcept {
    fn(arg);
}

#endif

// preserving_invoke(f): f() through preserving_call(), for any callable,
// which may throw: the stub has no unwind information, so the exception is
// caught inside the call, kept (one per thread), and rethrown right after
// it by a cold function. f is moved into the record the call passes, so a
// lambda that captures by value lets no local's address escape; a callable
// that is noexcept leaves no test behind the call.
namespace preserving {

inline thread_local std::exception_ptr t_error;

[[noreturn, gnu::noinline, gnu::cold]] inline void rethrow() {
    std::rethrow_exception(std::exchange(t_error, nullptr));
}

template <class F>
struct record {
    F f;
    bool failed;

    static void call(void* p) noexcept {
        auto& r = *static_cast<record*>(p);
        if constexpr (std::is_nothrow_invocable_v<F&>) {
            r.f();
        } else {
            try {
                r.f();
            } catch (...) {
                t_error = std::current_exception();
                r.failed = true;
            }
        }
    }
};

}  // namespace preserving

template <class F>
[[gnu::always_inline]] inline void preserving_invoke(F f) {
    preserving::record<F> r{std::move(f), false};
    preserving_call(&preserving::record<F>::call, &r);
    if constexpr (!std::is_nothrow_invocable_v<F&>) {
        if (r.failed) [[unlikely]]
            preserving::rethrow();
    }
}

}  // namespace poolbench::detail
