// fork_cost: what one fork of work_stealing's task_group costs over the call
// it replaces, counted in instructions by callgrind (scripts/fork-cost),
// which is stable where a 2-core VM's clock is not. It runs the sweep's own
// recursions (bench/workloads/: fib_fork_join, skynet_fork_join; against
// bench/baselines/: fib_serial_noinline, skynet_serial_noinline), in two
// shapes of group: fib's (one child forked, one called, then the join) and
// skynet's (ten children forked, then the join).
//   fork_cost fork N [W]         fib(N) through task_group on a
//                                work_stealing_pool of W workers (default 1),
//                                from inside the pool
//   fork_cost serial N           fib(N) by the noinline serial recursion
//   fork_cost skynet D [W]       skynet of depth D (10^D leaves) likewise
//   fork_cost skynet-serial D    skynet of depth D by the noinline recursion
// Only fork_cost_root(), serial_root(), skynet_root() and
// skynet_serial_root() are meant to be counted (callgrind --toggle-collect):
// pool start-up and shutdown are not forks.
// Prints the result, so that both runs can be checked against each other,
// and the best of five runs' wall time per task (libfork's tasks: every
// call of fib, 2 F(N + 1) - 1; every node of skynet), a figure for A/B runs
// on a quiet machine.
//   fork_cost scaling WHAT [SIZE [ROUNDS]] [--rounds R] [--seconds S]
//                     [--json FILE]
//                                T1 / TW at W = the CPUs of the process's
//                                mask, what it reads on CPUs of one speed,
//                                and against the CPUs as they run when all
//                                work (run_scaling()), for WHAT one of the
//                                sweep's fork-join workloads: fib N,
//                                skynet DEPTH, uts TREE, nqueens N,
//                                integrate N; SIZE by default the quick
//                                sweep's (the Per task table's); 10 rounds
//                                by default, none started after S seconds
//                                (the first always); --json also writes
//                                the rounds and medians to FILE
//                                (run-sweep's scaling.json)
#include <sched.h>

#include <algorithm>
#include <atomic>
#include <barrier>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <poolbench.hpp>

#include "baselines/nested.hpp"
#include "baselines/skynet.hpp"
#include "workloads/integrate.hpp"
#include "workloads/nested.hpp"
#include "workloads/nqueens.hpp"
#include "workloads/skynet.hpp"
#include "workloads/uts.hpp"

namespace {

namespace pb = poolbench::bench;

extern "C" [[gnu::noinline]] long fork_cost_root(poolbench::work_stealing_pool& pool, int n) {
    return pb::fib_fork_join(pool, n);
}

extern "C" [[gnu::noinline]] long serial_root(int n) {
    return pb::fib_serial_noinline(n);
}

extern "C" [[gnu::noinline]] std::uint64_t skynet_root(poolbench::work_stealing_pool& pool,
                                                       int depth) {
    return pb::skynet_fork_join(pool, 0, 0, depth);
}

extern "C" [[gnu::noinline]] std::uint64_t skynet_serial_root(int depth) {
    return pb::skynet_serial_noinline(0, 0, depth);
}

int parse(const char* text, const char* what) {
    int value = 0;
    const std::string_view s(text);
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
    if (ec != std::errc() || end != s.data() + s.size() || value < 0) {
        std::fprintf(stderr, "fork_cost: %s must be a non-negative integer, got '%s'\n", what,
                     text);
        std::exit(2);
    }
    return value;
}

// fib's N (at most 40) or skynet's DEPTH (at most 8), from text; exits 2
// naming the problem when it is no such number.
int parse_size(const char* text, bool fib) {
    const int n = parse(text, fib ? "N" : "DEPTH");
    if (n > (fib ? 40 : 8)) {
        std::fprintf(stderr, "fork_cost: %s = %d is too big (at most %d)\n", fib ? "N" : "DEPTH", n,
                     fib ? 40 : 8);
        std::exit(2);
    }
    return n;
}

// One run of the recursion inside the pool: fib(n), or skynet of depth n.
std::uint64_t run_in(poolbench::work_stealing_pool& pool, bool fib, int n) {
    std::uint64_t result = 0;
    pool.submit([&] {
        result = fib ? static_cast<std::uint64_t>(fork_cost_root(pool, n)) : skynet_root(pool, n);
    });
    pool.wait();
    return result;
}

// What `fork_cost scaling` times: one run inside a pool, which returns
// "" or what was wrong with its result, the tasks a run makes, and what it
// is: the workload's row name, its size's key and its size, as pool_bench
// names the row (fib's n:30).
struct scaled {
    std::function<std::string(poolbench::work_stealing_pool&)> once;
    double tasks = 0;
    std::string workload;
    std::string size_key;
    std::string size;
};

// The best of `runs` runs' wall time in seconds; exits 1 when a run gives a
// wrong result.
double best_time(poolbench::work_stealing_pool& pool, const scaled& work, int runs) {
    double best = 1e300;
    for (int run = 0; run < runs; ++run) {
        const auto start = std::chrono::steady_clock::now();
        const std::string wrong = work.once(pool);
        best = std::min(
            best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
        if (!wrong.empty()) {
            std::fprintf(stderr, "fork_cost: %s\n", wrong.c_str());
            std::exit(1);
        }
    }
    return best;
}

// Each time is the best of k_scaling_runs runs, or of one where a run at one
// worker takes k_long_run or more (a UTS tree takes a few tenths of a
// second, and a round on a machine of many CPUs runs it twice per CPU at
// one worker): the same for every time of a workload, so that the
// speedups compare like with like.
constexpr int k_scaling_runs = 3;
constexpr double k_long_run = 0.1;

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const std::size_t m = v.size() / 2;
    return v.size() % 2 == 1 ? v[m] : (v[m - 1] + v[m]) / 2;
}

// Seconds at one worker on each CPU of `cpus` (a mask of `size` bytes with
// room for `count` CPUs), the best of `runs` runs each: one CPU at a
// time, this thread and the pool pinned there (a new thread takes the mask
// of the thread that starts it), or with `together`, all at once, a thread
// of its own per CPU, started by a barrier, so that every CPU is busy.
// Empty when a thread could not be pinned (then nothing more is timed; one
// CPU at a time, errno says why). A thread that cannot pin still passes the
// barrier, so that the others are not left waiting.
std::vector<double> one_worker_times(const std::vector<int>& cpus, std::size_t size, int count,
                                     const scaled& work, int runs, bool together) {
    std::vector<double> seconds(cpus.size());
    std::atomic<bool> pinned{true};
    const auto time_on = [&](std::size_t i, auto&& ready) {
        if (!poolbench::detail::pin_to_cpu(cpus[i], size, count)) {
            pinned = false;
            ready();
            return;
        }
        poolbench::work_stealing_pool pool(1);
        ready();
        if (pinned) seconds[i] = best_time(pool, work, runs);
    };
    if (!together) {
        for (std::size_t i = 0; i < cpus.size() && pinned; ++i) time_on(i, [] {});
    } else {
        std::barrier start(static_cast<std::ptrdiff_t>(cpus.size()));
        std::vector<std::thread> threads;
        for (std::size_t i = 0; i < cpus.size(); ++i) {
            threads.emplace_back([&, i] { time_on(i, [&] { start.arrive_and_wait(); }); });
        }
        for (auto& t : threads) t.join();
    }
    if (!pinned) return {};
    return seconds;
}

// W CPUs whose one-worker times are t_c could at best share the work in
// 1 / sum(1 / t_c), each at its own pace.
double best_share(const std::vector<double>& one) {
    double rate = 0;  // runs per second, summed over the CPUs
    for (const double t : one) rate += 1 / t;
    return 1 / rate;
}

// One round's times in seconds: one worker on each CPU alone and all at
// once, and W workers; and its readings.
struct scaling_round {
    std::vector<double> one, busy;
    double many = 0;
    double plain = 0, even = 0, busy_even = 0, spread = 0, busy_over = 0;
};

// The median of one reading over the rounds.
double median_of(const std::vector<scaling_round>& rounds, double scaling_round::*field) {
    std::vector<double> v;
    for (const auto& r : rounds) v.push_back(r.*field);
    return median(std::move(v));
}

void write_numbers(std::FILE* f, const std::vector<double>& v) {
    std::fputc('[', f);
    for (std::size_t i = 0; i < v.size(); ++i) std::fprintf(f, "%s%.9g", i ? ", " : "", v[i]);
    std::fputc(']', f);
}

// The rounds and their medians as one JSON object (run-sweep gathers one per
// workload into scaling.json; REPORT.md's Per task section reads it).
// Exits 1 when the file cannot be written.
void write_scaling_json(const char* path, const scaled& work, const std::vector<int>& cpus,
                        int runs, const std::vector<scaling_round>& rounds) {
    std::FILE* f = std::fopen(path, "w");
    if (f == nullptr) {
        std::fprintf(stderr, "fork_cost: scaling: cannot write '%s': %s\n", path,
                     std::strerror(errno));
        std::exit(1);
    }
    const auto med = [&](double scaling_round::*field) { return median_of(rounds, field); };
    std::fprintf(f,
                 "{\"workload\": \"%s\", \"size_key\": \"%s\", \"size\": \"%s\", "
                 "\"tasks\": %.0f, \"workers\": %zu, \"runs_per_time\": %d, \"cpus\": ",
                 work.workload.c_str(), work.size_key.c_str(), work.size.c_str(), work.tasks,
                 cpus.size(), runs);
    write_numbers(f, std::vector<double>(cpus.begin(), cpus.end()));
    std::fprintf(f,
                 ",\n \"median\": {\"plain\": %.4f, \"even\": %.4f, \"busy\": %.4f, "
                 "\"spread\": %.4f, \"busy_over_alone\": %.4f},\n \"rounds\": [",
                 med(&scaling_round::plain), med(&scaling_round::even),
                 med(&scaling_round::busy_even), med(&scaling_round::spread),
                 med(&scaling_round::busy_over));
    for (std::size_t i = 0; i < rounds.size(); ++i) {
        const auto& r = rounds[i];
        std::fprintf(f, "%s\n  {\"one_s\": ", i ? "," : "");
        write_numbers(f, r.one);
        std::fprintf(f, ", \"busy_s\": ");
        write_numbers(f, r.busy);
        std::fprintf(f,
                     ", \"many_s\": %.9g, \"plain\": %.4f, \"even\": %.4f, \"busy\": %.4f, "
                     "\"spread\": %.4f, \"busy_over_alone\": %.4f}",
                     r.many, r.plain, r.even, r.busy_even, r.spread, r.busy_over);
    }
    std::fprintf(f, "\n]}\n");
    if (std::fclose(f) != 0) {
        std::fprintf(stderr, "fork_cost: scaling: cannot write '%s': %s\n", path,
                     std::strerror(errno));
        std::exit(1);
    }
}

// fork_cost scaling: the recursion at one worker and at W workers, W the
// CPUs of the process's affinity mask, measured so that CPUs that run at
// different speeds do not read as the pool's doing. On a VM one vCPU can
// run the same code up to 1.9x slower than the other for seconds to
// minutes (REPORT.md's CPU speed samples), and a plain T1 / TW then says
// which CPU the lone worker had. Each round times the recursion at one
// worker on each CPU in turn, then on all of them at once (one pool per
// CPU, so that each CPU runs while the others do, as in a W-worker run),
// then at W workers (nothing pinned), each the best of k_scaling_runs
// runs (or of one: k_long_run), all within a second or so on 2 CPUs.
// best_share() of the one-worker times over the W-worker time is the
// run's efficiency, and W times it the speedup at even speeds: T1 / TW
// itself where the CPUs run alike, and where they do not, what it would
// read if they did. With the times taken all at once it is the
// speedup at busy speeds: what the pool makes of the CPUs as they run when
// all of them work (a core's hardware threads, or two vCPUs that the host
// runs on one core, slow each other down; T1 / TW counts that against the
// pool, this does not). Prints a line per round, then the medians over the
// rounds; with `json`, writes them there too (write_scaling_json()). With
// `seconds` > 0, starts no round after that many seconds (a round times
// the work twice per CPU at one worker: 38 s for UTS's T3 on 128 CPUs),
// so a sweep's pass stays bounded on a machine of many CPUs. Exits 1 when
// the mask cannot be read or set, or a run gives a wrong result.
int run_scaling(const scaled& work, int rounds, int seconds, const char* json) {
    const double tasks = work.tasks;
    const int status = poolbench::detail::with_affinity_mask(
        -1, [&](const cpu_set_t* mask, std::size_t size, int cpus) {
            std::vector<int> mine;
            for (int cpu = 0; cpu < cpus; ++cpu) {
                if (CPU_ISSET_S(static_cast<std::size_t>(cpu), size, mask)) mine.push_back(cpu);
            }
            const std::size_t w = mine.size();
            const double ws = static_cast<double>(w);
            // One run at one worker, unpinned: the number of runs a time
            // takes (k_long_run), and a warm-up.
            int runs = k_scaling_runs;
            {
                poolbench::work_stealing_pool pool(1);
                if (best_time(pool, work, 1) >= k_long_run) runs = 1;
            }
            std::vector<scaling_round> done;
            const auto start = std::chrono::steady_clock::now();
            const auto out_of_time = [&] {
                return seconds > 0 &&
                       std::chrono::steady_clock::now() - start >= std::chrono::seconds(seconds);
            };
            for (int round = 1; round <= rounds && (round == 1 || !out_of_time()); ++round) {
                scaling_round r;
                r.one = one_worker_times(mine, size, cpus, work, runs, false);
                if (r.one.empty()) {
                    std::perror("fork_cost: scaling: pinning to a CPU");
                    return 1;
                }
                if (sched_setaffinity(0, size, mask) != 0) {
                    std::perror("fork_cost: scaling: restoring the affinity mask");
                    return 1;
                }
                r.busy = one_worker_times(mine, size, cpus, work, runs, true);
                if (r.busy.empty()) {
                    std::fprintf(stderr, "fork_cost: scaling: cannot pin a thread to a CPU\n");
                    return 1;
                }
                poolbench::work_stealing_pool pool(w);
                r.many = best_time(pool, work, runs);
                double mean = 0;
                for (const double t : r.one) mean += t / ws;
                const auto [lo, hi] = std::minmax_element(r.one.begin(), r.one.end());
                r.plain = mean / r.many;
                r.even = ws * best_share(r.one) / r.many;
                r.busy_even = ws * best_share(r.busy) / r.many;
                r.spread = *hi / *lo;
                r.busy_over = best_share(r.busy) / best_share(r.one);
                std::printf(
                    "round %d: 1 worker %.2f to %.2f ns per task over %zu CPUs (slowest / fastest "
                    "%.2fx, all busy %.2fx alone), %zu workers %.2f ns (wall x W / tasks): T1 / "
                    "T%zu %.2fx, at even speeds %.2fx, at busy speeds %.2fx\n",
                    round, *lo * 1e9 / tasks, *hi * 1e9 / tasks, w, r.spread, r.busy_over, w,
                    r.many * ws * 1e9 / tasks, w, r.plain, r.even, r.busy_even);
                std::fflush(stdout);
                done.push_back(std::move(r));
            }
            const auto med = [&](double scaling_round::*field) { return median_of(done, field); };
            std::printf(
                "median of %d rounds: T1 / T%zu %.2fx (T1 the mean of the CPUs' one-worker times), "
                "at even speeds %.2fx, at busy speeds %.2fx, the slowest CPU / fastest %.2fx, all "
                "busy %.2fx alone\n",
                static_cast<int>(done.size()), w, med(&scaling_round::plain),
                med(&scaling_round::even), med(&scaling_round::busy_even),
                med(&scaling_round::spread), med(&scaling_round::busy_over));
            if (json != nullptr) write_scaling_json(json, work, mine, runs, done);
            return 0;
        });
    if (status == -1) {
        std::fprintf(stderr, "fork_cost: scaling: cannot read the affinity mask\n");
        return 1;
    }
    return status;
}

// A size for `fork_cost scaling WHAT SIZE`: a whole number from lo to hi,
// named `what` in the message; exits 2 naming the problem when it is none.
int parse_between(const char* text, const char* what, int lo, int hi) {
    const int n = parse(text, what);
    if (n < lo || n > hi) {
        std::fprintf(stderr, "fork_cost: %s = %d is out of range (%d to %d)\n", what, n, lo, hi);
        std::exit(2);
    }
    return n;
}

// The work `fork_cost scaling WHAT SIZE` times: fib(N), skynet of depth D,
// one of UTS's published trees, nqueens on an N x N board, or integrate
// over [0, N], each checked; without SIZE (null) the quick sweep's size,
// the one the Per task table's rows run. Exits 2 naming the problem when
// SIZE is none of WHAT's.
scaled scaled_work(std::string_view what, const char* size) {
    using pool_t = poolbench::work_stealing_pool;
    if (what == "uts") {
        const std::string_view name = size != nullptr ? size : pb::k_uts_t3.name;
        for (const pb::uts_tree* t :
             {&pb::k_uts_t1, &pb::k_uts_t2, &pb::k_uts_t3, &pb::k_uts_t1l, &pb::k_uts_t3l}) {
            if (t->name != name) continue;
            return {[t](pool_t& pool) { return pb::uts_mismatch(*t, pb::uts_once(pool, *t)); },
                    static_cast<double>(t->published.nodes), "uts", "tree", std::string(name)};
        }
        std::fprintf(stderr, "fork_cost: no UTS tree '%s' (t1, t2, t3, t1l, t3l)\n", size);
        std::exit(2);
    }
    if (what == "nqueens") {
        const int n = size != nullptr ? parse_between(size, "N", 1, 16) : pb::k_nqueens_n;
        const pb::nqueens_count want = pb::nqueens_expected(n);
        return {[n, want](pool_t& pool) {
                    return pb::nqueens_mismatch(n, pb::nqueens_once(pool, n), want.solutions);
                },
                static_cast<double>(want.nodes), "nqueens", "n", std::to_string(n)};
    }
    if (what == "integrate") {
        const auto n = static_cast<std::uint64_t>(
            size != nullptr ? parse_between(size, "N", 1, static_cast<int>(pb::k_integrate_n_full))
                            : static_cast<int>(pb::k_integrate_n));
        const std::uint64_t calls = pb::integrate_expected(n, pb::k_integrate_eps).calls;
        return {[n, calls](pool_t& pool) {
                    return pb::integrate_mismatch(
                        n, pb::integrate_once(pool, n, pb::k_integrate_eps), calls);
                },
                static_cast<double>(calls), "integrate", "n", std::to_string(n)};
    }
    const bool fib = what == "fib";
    const int n =
        size == nullptr ? (fib ? pb::k_fib_n : pb::k_skynet_depth) : parse_size(size, fib);
    const std::uint64_t expected =
        fib ? static_cast<std::uint64_t>(pb::fib_value(n)) : pb::skynet_sum(n);
    return {[fib, n, expected](pool_t& pool) {
                const std::uint64_t got = run_in(pool, fib, n);
                if (got == expected) return std::string();
                return "wrong result " + std::to_string(got) + ", expected " +
                       std::to_string(expected);
            },
            static_cast<double>(fib ? pb::fib_tasks(n) : pb::skynet_tasks(n)),
            fib ? "fib" : "skynet", fib ? "n" : "depth", std::to_string(n)};
}

// `fork_cost scaling WHAT [SIZE [ROUNDS]] [--rounds R] [--seconds S] [--json FILE]`
// (args: what follows "scaling"); exits 2 with the usage or the problem
// on bad input.
int scaling_main(const std::vector<std::string_view>& args) {
    std::vector<const char*> positional;
    const char* json = nullptr;
    const char* rounds_text = nullptr;
    const char* seconds_text = nullptr;
    bool bad = false;
    for (std::size_t i = 0; i < args.size(); ++i) {
        if (args[i] == "--json" || args[i] == "--rounds" || args[i] == "--seconds") {
            if (i + 1 == args.size()) {
                std::fprintf(stderr, "fork_cost: %s needs a value\n", args[i].data());
                return 2;
            }
            const char*& value = args[i] == "--json"     ? json
                                 : args[i] == "--rounds" ? rounds_text
                                                         : seconds_text;
            value = args[++i].data();
        } else if (args[i].starts_with("--")) {
            bad = true;
        } else {
            positional.push_back(args[i].data());
        }
    }
    const std::string_view what = positional.empty() ? "" : positional[0];
    const bool known = what == "fib" || what == "skynet" || what == "uts" || what == "nqueens" ||
                       what == "integrate";
    if (bad || !known || positional.size() > 3 || (positional.size() == 3 && rounds_text)) {
        std::fprintf(stderr,
                     "usage: fork_cost scaling WHAT [SIZE [ROUNDS]] [--rounds R] [--seconds S]\n"
                     "                         [--json FILE]\n"
                     "  WHAT SIZE: fib N | skynet DEPTH | uts TREE (t1, t2, t3, t1l, t3l) |\n"
                     "             nqueens N | integrate N; SIZE by default the quick sweep's\n");
        return 2;
    }
    if (positional.size() == 3) rounds_text = positional[2];
    const int rounds = rounds_text != nullptr ? parse(rounds_text, "rounds") : 10;
    if (rounds < 1) {
        std::fprintf(stderr, "fork_cost: rounds must be at least 1\n");
        return 2;
    }
    const int seconds = seconds_text != nullptr ? parse(seconds_text, "seconds") : 0;
    return run_scaling(scaled_work(what, positional.size() >= 2 ? positional[1] : nullptr), rounds,
                       seconds, json);
}

}  // namespace

int main(int argc, char** argv) {
    const std::string_view mode = argc > 1 ? argv[1] : "";
    if (mode == "scaling")
        return scaling_main(std::vector<std::string_view>(argv + 2, argv + argc));
    const bool fib = mode == "fork" || mode == "serial";
    const bool serial = mode == "serial" || mode == "skynet-serial";
    if (argc < 3 || argc > (serial ? 3 : 4) || (!fib && mode != "skynet" && !serial)) {
        std::fprintf(stderr,
                     "usage: fork_cost fork N [workers] | fork_cost serial N\n"
                     "       fork_cost skynet DEPTH [workers] | fork_cost skynet-serial DEPTH\n");
        return 2;
    }
    const int n = parse_size(argv[2], fib);
    const int workers = argc == 4 ? parse(argv[3], "workers") : 1;
    if (workers < 1) {
        std::fprintf(stderr, "fork_cost: workers must be at least 1\n");
        return 2;
    }
    std::optional<poolbench::work_stealing_pool> pool;
    if (!serial) pool.emplace(static_cast<std::size_t>(workers));
    const auto once = [&]() -> std::uint64_t {
        if (mode == "serial") return static_cast<std::uint64_t>(serial_root(n));
        if (mode == "skynet-serial") return skynet_serial_root(n);
        return run_in(*pool, fib, n);
    };
    std::uint64_t result = 0;
    double best = 1e300;
    for (int run = 0; run < 5; ++run) {
        const auto start = std::chrono::steady_clock::now();
        result = once();
        best = std::min(
            best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
    const std::uint64_t tasks = fib ? pb::fib_tasks(n) : pb::skynet_tasks(n);
    std::printf("%llu %.2f ns per task\n", static_cast<unsigned long long>(result),
                best * 1e9 / static_cast<double>(tasks));
    return 0;
}
