// poolbench::job: the unit of work every pool runs, a move-only `void()`
// callable with an inline buffer, so submitting a lambda that captures a few
// pointers (up to k_inline_size bytes) never touches the heap. Larger callables
// fall back to one heap allocation. A job is exactly one 64-byte line.
// Not thread-safe: a job is owned by one thread at a time and moved between
// threads through a queue, whose synchronisation orders the hand-off.
#pragma once

#include <cstddef>
#include <functional>
#include <new>
#include <type_traits>
#include <utility>

namespace poolbench {

class job {
public:
    // Bytes of callable kept inline: a lambda capturing seven pointers fits.
    static constexpr std::size_t k_inline_size = 56;

    job() noexcept = default;

    template <class F>
    requires(!std::is_same_v<std::remove_cvref_t<F>, job> &&
             std::is_invocable_r_v<void, std::decay_t<F>&>)
        job(F&& f) {  // NOLINT(google-explicit-constructor): jobs are built from lambdas
        construct(std::forward<F>(f));
    }

    job(job&& other) noexcept {
        if (other.m_ops) {
            other.m_ops->relocate(m_storage, other.m_storage);
            m_ops = std::exchange(other.m_ops, nullptr);
        }
    }

    job& operator=(job&& other) noexcept {
        if (this != &other) {
            reset();
            if (other.m_ops) {
                other.m_ops->relocate(m_storage, other.m_storage);
                m_ops = std::exchange(other.m_ops, nullptr);
            }
        }
        return *this;
    }

    job(const job&) = delete;
    job& operator=(const job&) = delete;

    ~job() { reset(); }

    explicit operator bool() const noexcept { return m_ops != nullptr; }

    // Runs the callable. Precondition: *this holds one. The callable stays
    // (it is destroyed by reset() or the destructor), so a job is run once by
    // the pool and then dropped.
    void operator()() { m_ops->invoke(m_storage); }

    // Runs the callable and destroys it, leaving *this empty, also when the
    // callable throws (the exception then propagates): one indirect call for
    // what operator() and reset() do in two. Precondition: *this holds one.
    void consume() { std::exchange(m_ops, nullptr)->consume(m_storage); }

    // consume() for a job that is never looked at again before it is built
    // afresh over (placement new) or its storage ends: it skips the store
    // that marks *this empty, so *this still claims the callable it
    // destroyed. A sharp tool for one caller, work_stealing's join of a
    // group's slot (work_stealing/join.hpp); scripts/fork-cost: 1 per fork.
    void consume_abandoned() { m_ops->consume(m_storage); }

    void reset() noexcept {
        if (const ops* o = std::exchange(m_ops, nullptr)) {
            if (o->destroy != nullptr) o->destroy(m_storage);
        }
    }

    // Replaces the callable with f, built in place (no intermediate job to
    // relocate). If building f throws, *this is left empty.
    template <class F>
    requires std::is_invocable_r_v < void, std::decay_t<F>
    & > void emplace(F&& f) {
        // A job is moved in by assignment, which drops the old one itself.
        if constexpr (!std::is_same_v<std::remove_cvref_t<F>, job>) reset();
        emplace_empty(std::forward<F>(f));
    }

    // emplace() into a job known to be empty (a fresh one, or one that was
    // consumed or reset): no reset() first. Precondition: !*this.
    template <class F>
    requires std::is_invocable_r_v < void, std::decay_t<F>
    & > void emplace_empty(F&& f) {
        if constexpr (std::is_same_v<std::remove_cvref_t<F>, job>) {
            *this = std::move(f);
        } else {
            construct(std::forward<F>(f));
        }
    }

    // True when a callable of type F is stored without a heap allocation.
    template <class F>
    static constexpr bool fits_inline =
        sizeof(F) <= k_inline_size &&
        alignof(F) <= alignof(std::max_align_t) && std::is_nothrow_move_constructible_v<F>;

private:
    template <class F>
    void construct(F&& f) {
        using fn = std::decay_t<F>;
        if constexpr (fits_inline<fn>) {
            ::new (static_cast<void*>(m_storage)) fn(std::forward<F>(f));
            m_ops = &inline_ops<fn>;
        } else {
            ::new (static_cast<void*>(m_storage)) fn*(new fn(std::forward<F>(f)));
            m_ops = &heap_ops<fn>;
        }
    }

    struct ops {
        void (*invoke)(void* self);
        // Invokes, then destroys, also when the call throws.
        void (*consume)(void* self);
        // Move-constructs into dst from src, then destroys src.
        void (*relocate)(void* dst, void* src) noexcept;
        void (*destroy)(void* self) noexcept;  // null: nothing to destroy
    };

    // Destroys the callable at the end of consume(), however it ends.
    template <class F>
    struct destroy_on_exit {
        F* f;
        ~destroy_on_exit() { f->~F(); }
    };
    template <class F>
    struct delete_on_exit {
        F* f;
        ~delete_on_exit() { delete f; }
    };

    template <class F>
    static constexpr ops inline_ops{
        [](void* self) { std::invoke(*static_cast<F*>(self)); },
        [](void* self) {
            if constexpr (std::is_trivially_destructible_v<F>) {
                std::invoke(*static_cast<F*>(self));
            } else {
                const destroy_on_exit<F> guard{static_cast<F*>(self)};
                std::invoke(*guard.f);
            }
        },
        [](void* dst, void* src) noexcept {
            ::new (dst) F(std::move(*static_cast<F*>(src)));
            static_cast<F*>(src)->~F();
        },
        std::is_trivially_destructible_v<F>
            ? nullptr
            : +[](void* self) noexcept { static_cast<F*>(self)->~F(); },
    };

    template <class F>
    static constexpr ops heap_ops{
        [](void* self) { std::invoke(**static_cast<F**>(self)); },
        [](void* self) {
            const delete_on_exit<F> guard{*static_cast<F**>(self)};
            std::invoke(*guard.f);
        },
        [](void* dst, void* src) noexcept { ::new (dst) F*(*static_cast<F**>(src)); },
        [](void* self) noexcept { delete *static_cast<F**>(self); },
    };

    // Storage first so that 56 bytes of 16-byte-aligned buffer and the ops
    // pointer pack into exactly 64 bytes.
    alignas(std::max_align_t) unsigned char m_storage[k_inline_size];
    const ops* m_ops = nullptr;
};

static_assert(sizeof(job) == 64, "a job is meant to fill exactly one 64-byte line");

}  // namespace poolbench
