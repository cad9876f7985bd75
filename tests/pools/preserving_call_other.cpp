// The second translation unit of preserving_call_test: its own copy of the
// stubs' definitions (COMDAT), which the link must fold into one.
#include <pools/detail/preserving_call.hpp>

namespace {
void increment(void* p) noexcept {
    ++*static_cast<int*>(p);
}
}  // namespace

int preserving_call_other_unit(int x) {
    poolbench::detail::preserving_call(&increment, &x);
    return x;
}
