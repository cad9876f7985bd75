// queue_bench: the queues of queues/ measured on their own, beside reference
// rows (tbb::concurrent_queue, and moodycamel::ConcurrentQueue used raw with
// tokens), so that a pool's numbers can be read against its queue's.
//
//   queue_throughput/<queue>/threads:P/items:1000000
//     P producer threads and P consumer threads move 10^6 items in all;
//     counter items_per_s. P = 1, 2, 4, ... up to the hardware threads.
//     chase_lev: one owner thread pushes, P thieves steal.
//   queue_roundtrip/<queue>/trips:100000
//     two threads bounce a token through two queues; counter ns_per_trip.
//
// Threads are started outside the timed loop; every consumer that fails to
// pop spins briefly, then yields, so that on small machines the numbers
// measure the queue rather than the OS scheduler. Each iteration checks its
// item count and checksum and reports an error if they are wrong.
#include <benchmark/benchmark.h>
#include <concurrentqueue/concurrentqueue.h>

#include <queues/chase_lev_deque.hpp>
#include <queues/moodycamel_queue.hpp>
#include <queues/mpmc_ring.hpp>
#include <queues/mutex_queue.hpp>

#if POOLBENCH_HAS_TBB
#include <tbb/concurrent_queue.h>
#endif

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "context.hpp"

namespace {

using item = std::uint64_t;

constexpr item k_items = 1'000'000;
constexpr std::uint64_t k_trips = 100'000;
constexpr std::size_t k_ring_capacity = 1024;

// A round that has not finished after this long lost an item: give up and
// report an error instead of hanging.
constexpr std::chrono::seconds k_round_deadline{30};

// Spins with a CPU pause for a few failures, then yields the CPU.
class backoff {
public:
    void operator()() {
        if (++m_failures <= k_spins) {
#if defined(__x86_64__) || defined(__i386__)
            __builtin_ia32_pause();
#endif
        } else {
            std::this_thread::yield();
        }
    }
    void reset() {
        m_failures = 0;
    }
    // Checking the clock costs more than a pause, so only the yield path asks.
    bool past(std::chrono::steady_clock::time_point deadline) const {
        return m_failures > k_spins && std::chrono::steady_clock::now() > deadline;
    }

private:
    static constexpr int k_spins = 64;
    int m_failures = 0;
};

// A fixed set of threads that each run body(index) once per run_round(), so
// that thread creation stays out of the timed loop. Threads sleep between
// rounds (C++20 atomic wait), leaving the CPU to the timed threads.
class thread_team {
public:
    thread_team(std::size_t size, std::function<void(std::size_t)> body)
        : m_size(static_cast<std::uint32_t>(size)), m_body(std::move(body)) {
        for (std::size_t i = 0; i < size; ++i) {
            m_threads.emplace_back([this, i] { worker(i); });
        }
    }

    thread_team(const thread_team&) = delete;
    thread_team& operator=(const thread_team&) = delete;

    ~thread_team() {
        m_stop.store(true);
        m_round.fetch_add(1);
        m_round.notify_all();
        for (auto& t : m_threads) t.join();
    }

    // Runs body on every thread once and returns when all have finished.
    void run_round() {
        m_finished.store(0);
        m_round.fetch_add(1);
        m_round.notify_all();
        for (std::uint32_t done = m_finished.load(); done != m_size; done = m_finished.load()) {
            m_finished.wait(done);
        }
    }

private:
    void worker(std::size_t index) {
        for (std::uint32_t seen = 0;;) {
            m_round.wait(seen);
            seen = m_round.load();
            if (m_stop.load()) return;
            m_body(index);
            if (m_finished.fetch_add(1) + 1 == m_size) m_finished.notify_one();
        }
    }

    const std::uint32_t m_size;
    const std::function<void(std::size_t)> m_body;
    std::atomic<std::uint32_t> m_round{0};
    std::atomic<std::uint32_t> m_finished{0};
    std::atomic<bool> m_stop{false};
    std::vector<std::thread> m_threads;
};

// --- Rows: one per queue. Each says how to build the queue and gives the
// per-thread handles a producer pushes through and a consumer pops through.

// Handles for any poolbench::concurrent_queue.
template <class Q>
struct concept_handles {
    using queue = Q;
    static constexpr bool k_single_producer = false;
    static constexpr bool k_roundtrip = true;

    class producer {
    public:
        explicit producer(Q& q) : m_queue(q) {}
        bool push(item v) { return m_queue.try_push(std::move(v)); }

    private:
        Q& m_queue;
    };

    class consumer {
    public:
        explicit consumer(Q& q) : m_queue(q) {}
        bool pop(item& v) { return m_queue.try_pop(v); }

    private:
        Q& m_queue;
    };
};

struct mutex_row : concept_handles<poolbench::mutex_queue<item>> {
    static constexpr const char* k_name = "mutex";
    static std::unique_ptr<queue> make() { return std::make_unique<queue>(); }
};

struct mpmc_ring_row : concept_handles<poolbench::mpmc_ring<item>> {
    static constexpr const char* k_name = "mpmc_ring";
    static std::unique_ptr<queue> make() { return std::make_unique<queue>(k_ring_capacity); }
};

// Our adapter through the concept, without tokens, as queue_pool uses it.
struct moodycamel_row : concept_handles<poolbench::moodycamel_queue<item>> {
    static constexpr const char* k_name = "moodycamel";
    static std::unique_ptr<queue> make() { return std::make_unique<queue>(); }
};

// Reference: moodycamel::ConcurrentQueue used raw, each thread with a token.
struct moodycamel_raw_row {
    using queue = moodycamel::ConcurrentQueue<item>;
    static constexpr const char* k_name = "moodycamel_raw";
    static constexpr bool k_single_producer = false;
    static constexpr bool k_roundtrip = true;
    static std::unique_ptr<queue> make() { return std::make_unique<queue>(); }

    class producer {
    public:
        explicit producer(queue& q) : m_queue(q), m_token(q) {}
        bool push(item v) { return m_queue.enqueue(m_token, v); }

    private:
        queue& m_queue;
        moodycamel::ProducerToken m_token;
    };

    class consumer {
    public:
        explicit consumer(queue& q) : m_queue(q), m_token(q) {}
        bool pop(item& v) { return m_queue.try_dequeue(m_token, v); }

    private:
        queue& m_queue;
        moodycamel::ConsumerToken m_token;
    };
};

#if POOLBENCH_HAS_TBB
// Reference: oneTBB's unbounded MPMC queue.
struct tbb_row {
    using queue = tbb::concurrent_queue<item>;
    static constexpr const char* k_name = "tbb_concurrent_queue";
    static constexpr bool k_single_producer = false;
    static constexpr bool k_roundtrip = true;
    static std::unique_ptr<queue> make() { return std::make_unique<queue>(); }

    class producer {
    public:
        explicit producer(queue& q) : m_queue(q) {}
        bool push(item v) {
            m_queue.push(v);
            return true;
        }

    private:
        queue& m_queue;
    };

    class consumer {
    public:
        explicit consumer(queue& q) : m_queue(q) {}
        bool pop(item& v) { return m_queue.try_pop(v); }

    private:
        queue& m_queue;
    };
};
#endif

// The work-stealing deque: its one owner pushes, the consumers steal.
struct chase_lev_row {
    using queue = poolbench::chase_lev_deque<item>;
    static constexpr const char* k_name = "chase_lev";
    static constexpr bool k_single_producer = true;
    static constexpr bool k_roundtrip = false;
    static std::unique_ptr<queue> make() { return std::make_unique<queue>(); }

    class producer {
    public:
        explicit producer(queue& q) : m_queue(q) {}
        bool push(item v) {
            m_queue.push(v);
            return true;
        }

    private:
        queue& m_queue;
    };

    class consumer {
    public:
        explicit consumer(queue& q) : m_queue(q) {}
        bool pop(item& v) { return m_queue.try_steal(v); }

    private:
        queue& m_queue;
    };
};

// One consumer's tally for a round, on its own cache lines.
struct alignas(poolbench::k_cache_line) tally {
    item count = 0;
    item sum = 0;
};

// [first, last) of n items split into `parts` near-equal shares.
item share_begin(item n, std::size_t parts, std::size_t i) {
    return n * i / parts;
}

template <class Row>
void queue_throughput(benchmark::State& state, std::size_t threads) {
    const std::size_t producers = Row::k_single_producer ? 1 : threads;
    const std::size_t consumers = threads;
    auto queue = Row::make();
    std::vector<std::unique_ptr<typename Row::producer>> producer_handles;
    std::vector<std::unique_ptr<typename Row::consumer>> consumer_handles;
    for (std::size_t i = 0; i < producers; ++i) {
        producer_handles.push_back(std::make_unique<typename Row::producer>(*queue));
    }
    for (std::size_t i = 0; i < consumers; ++i) {
        consumer_handles.push_back(std::make_unique<typename Row::consumer>(*queue));
    }
    std::vector<tally> tallies(consumers);
    std::chrono::steady_clock::time_point deadline;

    thread_team team(producers + consumers, [&](std::size_t index) {
        backoff wait;
        if (index < producers) {
            auto& handle = *producer_handles[index];
            const item end = share_begin(k_items, producers, index + 1);
            for (item v = share_begin(k_items, producers, index); v < end; ++v) {
                while (!handle.push(v)) {
                    if (wait.past(deadline)) return;
                    wait();
                }
                wait.reset();
            }
            return;
        }
        const std::size_t c = index - producers;
        auto& handle = *consumer_handles[c];
        const item quota =
            share_begin(k_items, consumers, c + 1) - share_begin(k_items, consumers, c);
        tally t;
        item v = 0;
        while (t.count < quota) {
            if (handle.pop(v)) {
                ++t.count;
                t.sum += v;
                wait.reset();
            } else {
                if (wait.past(deadline)) break;
                wait();
            }
        }
        tallies[c] = t;
    });

    constexpr item k_expected_sum = k_items * (k_items - 1) / 2;
    for (auto _ : state) {
        deadline = std::chrono::steady_clock::now() + k_round_deadline;
        team.run_round();
        item count = 0;
        item sum = 0;
        for (const tally& t : tallies) {
            count += t.count;
            sum += t.sum;
        }
        if (count != k_items || sum != k_expected_sum) {
            state.SkipWithError("items lost, duplicated or corrupted (count or checksum wrong)");
            break;
        }
    }
    state.counters["items_per_s"] =
        benchmark::Counter(static_cast<double>(k_items) * static_cast<double>(state.iterations()),
                           benchmark::Counter::kIsRate);
}

template <class Row>
void queue_roundtrip(benchmark::State& state) {
    constexpr item k_stop = std::numeric_limits<item>::max();
    auto ping = Row::make();
    auto pong = Row::make();
    typename Row::producer to_partner(*ping);
    typename Row::consumer from_partner(*pong);
    typename Row::producer partner_to(*pong);
    typename Row::consumer partner_from(*ping);

    // The partner returns every token plus one, until it receives k_stop.
    std::thread partner([&] {
        backoff wait;
        item v = 0;
        for (;;) {
            if (!partner_from.pop(v)) {
                wait();
                continue;
            }
            wait.reset();
            if (v == k_stop) return;
            while (!partner_to.push(v + 1)) wait();
            wait.reset();
        }
    });

    std::uint64_t wrong = 0;
    bool stuck = false;
    double seconds = 0;
    for (auto _ : state) {
        const auto start = std::chrono::steady_clock::now();
        const auto deadline = start + k_round_deadline;
        backoff wait;
        item v = 0;
        for (item trip = 0; trip < k_trips && !stuck; ++trip) {
            while (!to_partner.push(trip)) wait();
            wait.reset();
            while (!from_partner.pop(v)) {
                if (wait.past(deadline)) {
                    stuck = true;
                    break;
                }
                wait();
            }
            wait.reset();
            wrong += v != trip + 1 ? 1 : 0;
        }
        seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        if (stuck || wrong != 0) {
            state.SkipWithError(stuck ? "a token was lost" : "a token came back changed");
            break;
        }
    }
    backoff wait;
    while (!to_partner.push(k_stop)) wait();
    partner.join();
    const double trips = static_cast<double>(k_trips) * static_cast<double>(state.iterations());
    if (trips > 0) state.counters["ns_per_trip"] = seconds * 1e9 / trips;
}

// 1, 2, 4, ... below the hardware threads, then the hardware threads (those
// of the affinity mask, as pool_bench counts them).
std::vector<std::size_t> thread_counts() {
    const std::size_t hardware = poolbench::bench::hardware_threads();
    std::vector<std::size_t> counts;
    for (std::size_t p = 1; p < hardware; p *= 2) counts.push_back(p);
    counts.push_back(hardware);
    return counts;
}

template <class Row>
void register_queue() {
    const std::string name = Row::k_name;
    for (const std::size_t p : thread_counts()) {
        benchmark::RegisterBenchmark(
            ("queue_throughput/" + name + "/threads:" + std::to_string(p) +
             "/items:" + std::to_string(k_items))
                .c_str(),
            [p](benchmark::State& state) { queue_throughput<Row>(state, p); })
            ->UseRealTime()
            ->Unit(benchmark::kMillisecond);
    }
    if constexpr (Row::k_roundtrip) {
        benchmark::RegisterBenchmark(
            ("queue_roundtrip/" + name + "/trips:" + std::to_string(k_trips)).c_str(),
            [](benchmark::State& state) { queue_roundtrip<Row>(state); })
            ->UseRealTime()
            ->Unit(benchmark::kMillisecond);
    }
}

}  // namespace

int main(int argc, char** argv) {
    const std::string command = poolbench::bench::command_line(argc, argv);
    // pool_bench's minimum time per row (context.hpp).
    if (!poolbench::bench::initialize_benchmark(argc, argv)) return 1;
    poolbench::bench::add_build_and_machine_context(command);
    register_queue<mutex_row>();
    register_queue<mpmc_ring_row>();
    register_queue<moodycamel_row>();
    register_queue<moodycamel_raw_row>();
#if POOLBENCH_HAS_TBB
    register_queue<tbb_row>();
#endif
    register_queue<chase_lev_row>();
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
