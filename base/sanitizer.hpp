// The one sanitizer switch: whether this translation unit is built under
// ThreadSanitizer or AddressSanitizer (GCC's __SANITIZE_*__ or Clang's
// __has_feature). Code that must differ under a sanitizer asks here, never
// the compiler's macros directly. Constants only.
#pragma once

#if defined(__SANITIZE_THREAD__)
#define POOLBENCH_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define POOLBENCH_TSAN 1
#endif
#endif

#if defined(__SANITIZE_ADDRESS__)
#define POOLBENCH_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define POOLBENCH_ASAN 1
#endif
#endif

namespace poolbench {

#if defined(POOLBENCH_TSAN)
inline constexpr bool k_thread_sanitizer = true;
#else
inline constexpr bool k_thread_sanitizer = false;
#endif

#if defined(POOLBENCH_ASAN)
inline constexpr bool k_address_sanitizer = true;
#else
inline constexpr bool k_address_sanitizer = false;
#endif

}  // namespace poolbench
