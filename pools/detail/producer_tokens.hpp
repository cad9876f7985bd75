// detail::producer_tokens<Token, Queue>: one producer token per (thread,
// queue), made on a thread's first enqueue to that queue and found again
// through a thread-local cache. An outside thread that submits through a
// moodycamel::ProducerToken enqueues into its own sub-queue directly; without
// one, every enqueue looks its implicit producer up in a hash table keyed by
// thread id (one producer, two bulk consumers, 64-byte jobs, on the 2-core
// VM: about 20 M items/s implicit, about 100 M/s with a token).
//
// Lifetimes. A token must be destroyed before its queue and must not be used
// by two threads at once.
//  - The producer_tokens object owns every token it made (declare it after
//    the queue, so that it is destroyed first). Threads only cache pointers,
//    keyed by the owner's id, which is unique for the life of the process:
//    a thread never matches the id of an owner that is gone, so it never
//    uses a freed token.
//  - A thread that exits gives its tokens back to the owners still alive
//    (the queue then reuses that producer for the next new token), so a
//    long-lived pool fed by many short-lived threads does not grow.
//  - One process-wide mutex guards the set of live owners, each owner's
//    tokens and each thread's list of owners. It is taken on a thread's
//    first enqueue to a queue, at thread exit and when an owner is destroyed;
//    never on the enqueue path itself.
// get(): thread-safe (returns the calling thread's token).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

namespace poolbench::detail {

class token_owner;

// What a thread knows of its tokens. Touched by its own thread only, except
// in the destructor (thread exit), which gives the tokens back.
struct thread_tokens {
    struct entry {
        std::uint64_t owner_id;
        token_owner* owner;
        void* token;
    };
    std::vector<entry> entries;  // guarded by token_registry::mutex for writes
    ~thread_tokens();
};

struct token_registry {
    std::mutex mutex;
    std::unordered_set<std::uint64_t> live;  // ids of owners not yet destroyed
    std::uint64_t next_id = 1;

    // Never destroyed: threads may exit (and give tokens back) after static
    // destructors have started.
    static token_registry& instance() {
        static token_registry* r = new token_registry;
        return *r;
    }
};

class token_owner {
public:
    token_owner(const token_owner&) = delete;
    token_owner& operator=(const token_owner&) = delete;

    // Drops the token made for thread t. Caller holds token_registry::mutex.
    virtual void release(const thread_tokens* t) noexcept = 0;

protected:
    token_owner() = default;
    ~token_owner() = default;
};

// The calling thread's most recently used token: the enqueue path's only
// lookup. Trivially destructible, so reading it costs no TLS guard.
struct hot_token {
    std::uint64_t owner_id = 0;
    void* token = nullptr;
};
inline thread_local hot_token tl_hot_token;
inline thread_local thread_tokens tl_thread_tokens;

inline thread_tokens::~thread_tokens() {
    token_registry& r = token_registry::instance();
    std::lock_guard lock(r.mutex);
    for (const entry& e : entries) {
        if (r.live.count(e.owner_id) != 0) e.owner->release(this);
    }
    entries.clear();
    tl_hot_token = {};
}

template <class Token, class Queue>
class producer_tokens final : token_owner {
public:
    explicit producer_tokens(Queue& queue) : m_queue(queue) {
        token_registry& r = token_registry::instance();
        std::lock_guard lock(r.mutex);
        m_id = r.next_id++;
        r.live.insert(m_id);
    }

    ~producer_tokens() {
        token_registry& r = token_registry::instance();
        std::lock_guard lock(r.mutex);
        r.live.erase(m_id);
        m_tokens.clear();  // threads' entries for m_id are never matched again
    }

    // The calling thread's token for this queue. Throws std::bad_alloc when
    // a first token cannot be made.
    Token& get() {
        const hot_token& hot = tl_hot_token;
        if (hot.owner_id == m_id) return *static_cast<Token*>(hot.token);
        return slow_get();
    }

    // How many threads hold a token of this owner. For tests. Thread-safe.
    std::size_t token_count() const {
        token_registry& r = token_registry::instance();
        std::lock_guard lock(r.mutex);
        return m_tokens.size();
    }

private:
    Token& slow_get() {
        thread_tokens& mine = tl_thread_tokens;
        for (const auto& e : mine.entries) {
            if (e.owner_id == m_id) {
                tl_hot_token = {m_id, e.token};
                return *static_cast<Token*>(e.token);
            }
        }
        token_registry& r = token_registry::instance();
        std::lock_guard lock(r.mutex);
        // Forget owners that are gone, so a thread that feeds many
        // short-lived pools keeps a short list.
        std::erase_if(mine.entries, [&](const auto& e) { return r.live.count(e.owner_id) == 0; });
        auto token = std::make_unique<Token>(m_queue);
        Token* raw = token.get();
        mine.entries.reserve(mine.entries.size() + 1);
        m_tokens.emplace(&mine, std::move(token));
        mine.entries.push_back({m_id, this, raw});
        tl_hot_token = {m_id, raw};
        return *raw;
    }

    void release(const thread_tokens* t) noexcept override { m_tokens.erase(t); }

    Queue& m_queue;
    std::uint64_t m_id = 0;
    std::unordered_map<const thread_tokens*, std::unique_ptr<Token>> m_tokens;  // registry mutex
};

}  // namespace poolbench::detail
