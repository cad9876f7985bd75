// poolbench::job: small callables are stored inline (no heap allocation),
// large ones on the heap; moves transfer ownership; captures are destroyed
// exactly once. Allocations are counted by replacing the global operator new.
#include <doctest/doctest.h>

#include <array>
#include <atomic>
#include <cstdlib>
#include <memory>
#include <new>
#include <pools/job.hpp>
#include <stdexcept>
#include <utility>

namespace {
std::atomic<long> g_allocations{0};
}

void* operator new(std::size_t size) {
    g_allocations.fetch_add(1, std::memory_order_relaxed);
    if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
    throw std::bad_alloc();
}
void operator delete(void* p) noexcept {
    std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
    std::free(p);
}

namespace {

long allocations_during(auto&& f) {
    const long before = g_allocations.load();
    f();
    return g_allocations.load() - before;
}

struct counted {
    static inline int alive = 0;
    counted() { ++alive; }
    counted(const counted&) { ++alive; }
    counted(counted&&) noexcept { ++alive; }
    ~counted() { --alive; }
};

}  // namespace

TEST_CASE("a lambda capturing six pointers is stored without allocating") {
    int a = 0;
    int* p1 = &a;
    int* p2 = &a;
    int* p3 = &a;
    int* p4 = &a;
    int* p5 = &a;
    int* p6 = &a;
    auto f = [p1, p2, p3, p4, p5, p6] { *p1 += 1 + (p2 == p3) + (p4 == p5) + (p6 != nullptr) * 0; };
    static_assert(sizeof(f) == 48);
    static_assert(poolbench::job::fits_inline<decltype(f)>);
    const long n = allocations_during([&] {
        poolbench::job j(f);
        poolbench::job moved(std::move(j));
        poolbench::job assigned;
        assigned = std::move(moved);
        assigned();
    });
    CHECK(n == 0);
    CHECK(a == 3);
}

TEST_CASE("a callable larger than the inline buffer is heap-allocated once") {
    std::array<char, 200> big{};
    big[0] = 7;
    int seen = 0;
    auto f = [big, &seen] { seen = big[0]; };
    static_assert(!poolbench::job::fits_inline<decltype(f)>);
    const long n = allocations_during([&] {
        poolbench::job j(f);
        poolbench::job moved(std::move(j));
        moved();
    });
    CHECK(n == 1);
    CHECK(seen == 7);
}

TEST_CASE("captures are destroyed exactly once, through moves and resets") {
    {
        poolbench::job j([c = counted{}] { (void)c; });
        CHECK(counted::alive == 1);
        poolbench::job k(std::move(j));
        CHECK(counted::alive == 1);
        CHECK(!j);
        CHECK(k);
        k();
        k.reset();
        CHECK(counted::alive == 0);
        CHECK(!k);
    }
    CHECK(counted::alive == 0);
    {
        std::array<char, 100> pad{};
        poolbench::job big([c = counted{}, pad] { (void)c, (void)pad; });
        CHECK(counted::alive == 1);
    }
    CHECK(counted::alive == 0);
}

TEST_CASE("a move-only callable can be a job") {
    auto owned = std::make_unique<int>(41);
    int result = 0;
    poolbench::job j([p = std::move(owned), &result] { result = *p + 1; });
    j();
    CHECK(result == 42);
}

TEST_CASE("emplace builds the callable in place and destroys the previous one") {
    int runs = 0;
    {
        poolbench::job j([c = counted{}, &runs] { (void)c, ++runs; });
        CHECK(counted::alive == 1);
        const long n = allocations_during([&] { j.emplace([&runs] { runs += 10; }); });
        CHECK(n == 0);
        CHECK(counted::alive == 0);  // the replaced callable's captures
        j();
        CHECK(runs == 10);
        j.emplace([c = counted{}, &runs] { (void)c, runs += 100; });
        CHECK(counted::alive == 1);
        j();
        CHECK(runs == 110);
    }
    CHECK(counted::alive == 0);
}

TEST_CASE("emplace of a job moves it; emplace into an empty job works") {
    int runs = 0;
    poolbench::job source([c = counted{}, &runs] { (void)c, ++runs; });
    poolbench::job target;
    CHECK_FALSE(target);
    target.emplace(std::move(source));
    CHECK_FALSE(source);  // NOLINT(bugprone-use-after-move): moved-from is empty by contract
    CHECK(target);
    CHECK(counted::alive == 1);
    target();
    CHECK(runs == 1);
    target.reset();
    CHECK(counted::alive == 0);
}

TEST_CASE("a trivially destructible callable runs and resets like any other") {
    int runs = 0;
    poolbench::job j([&runs] { ++runs; });
    j();
    j.reset();
    CHECK_FALSE(j);
    j.reset();  // twice is fine
    CHECK(runs == 1);
}

TEST_CASE("consume runs the callable once, destroys its captures and leaves the job empty") {
    int runs = 0;
    std::array<char, 100> pad{};
    poolbench::job small([c = counted{}, &runs] { (void)c, ++runs; });
    poolbench::job big([c = counted{}, pad, &runs] { (void)c, (void)pad, runs += 10; });
    poolbench::job plain([&runs] { runs += 100; });
    CHECK(counted::alive == 2);
    small.consume();
    big.consume();
    plain.consume();
    CHECK(runs == 111);
    CHECK(counted::alive == 0);
    CHECK_FALSE(small);
    CHECK_FALSE(big);
    CHECK_FALSE(plain);
}

TEST_CASE("consume destroys the captures when the callable throws, and rethrows") {
    std::array<char, 100> pad{};
    poolbench::job small([c = counted{}] {
        (void)c;
        throw std::runtime_error("small");
    });
    poolbench::job big([c = counted{}, pad] {
        (void)c, (void)pad;
        throw std::runtime_error("big");
    });
    CHECK(counted::alive == 2);
    CHECK_THROWS_WITH_AS(small.consume(), "small", std::runtime_error);
    CHECK(counted::alive == 1);
    CHECK_THROWS_WITH_AS(big.consume(), "big", std::runtime_error);
    CHECK(counted::alive == 0);
    CHECK_FALSE(small);
    CHECK_FALSE(big);
}
