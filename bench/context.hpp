// What pool_bench and queue_bench write into their JSON context block besides
// Google Benchmark's own (host, CPU count, caches, load, date): the build
// (compiler, flags, build type, git revision, library versions), the exact
// command line, and the machine as Linux describes it (CPU model, threads
// per core, physical cores, NUMA nodes, kernel, hypervisor, frequency
// governor). A fact that cannot be read is "unknown". The load and steal
// time over the run are run-sweep's (run.json), read before and after.
// Take command_line() before benchmark::Initialize (which removes the flags
// it knows), then call add_build_and_machine_context() once.
#pragma once

#include <benchmark/benchmark.h>

#include <sys/utsname.h>

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#if defined(__linux__)
#include <sched.h>
#endif
#if defined(POOLBENCH_HAS_TBB)
#include <oneapi/tbb/version.h>
#endif
#if defined(POOLBENCH_HAS_ASIO)
#include <boost/version.hpp>
#endif

#ifndef POOLBENCH_BUILD_TYPE
#define POOLBENCH_BUILD_TYPE "unknown"
#endif
#ifndef POOLBENCH_GIT_REVISION
#define POOLBENCH_GIT_REVISION "unknown"
#endif
#ifndef POOLBENCH_CXX_FLAGS
#define POOLBENCH_CXX_FLAGS "unknown"
#endif
#ifndef POOLBENCH_BENCHMARK_VERSION
#define POOLBENCH_BENCHMARK_VERSION "unknown"
#endif
#ifndef POOLBENCH_MOODYCAMEL_VERSION
#define POOLBENCH_MOODYCAMEL_VERSION "unknown"
#endif

namespace poolbench::bench {

// The hardware threads this process may run on: the CPUs of its affinity
// mask (a cluster job or a container often gets fewer than the machine has),
// else what the standard library reports.
inline std::size_t hardware_threads() {
#if defined(__linux__)
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0) {
        return static_cast<std::size_t>(CPU_COUNT(&set));
    }
#endif
    return std::max(1u, std::thread::hardware_concurrency());
}

inline std::string compiler_version() {
#if defined(__clang__)
    return __VERSION__;
#elif defined(__GNUC__)
    return "GCC " __VERSION__;
#else
    return "unknown";
#endif
}

namespace machine {

inline std::string first_line(const char* path) {
    std::ifstream in(path);
    std::string line;
    if (!std::getline(in, line) || line.empty()) return "unknown";
    return line;
}

// /proc/cpuinfo: the model name, and the physical cores and threads per core
// counted from the (physical id, core id) pairs.
struct cpu_facts {
    std::string model = "unknown";
    std::string physical_cores = "unknown";
    std::string threads_per_core = "unknown";
    std::string hypervisor = "none seen";
};

inline cpu_facts read_cpuinfo() {
    cpu_facts f;
    std::ifstream in("/proc/cpuinfo");
    if (!in) return cpu_facts{"unknown", "unknown", "unknown", "unknown"};
    std::set<std::pair<std::string, std::string>> cores;
    std::string line, physical = "0";
    int logical = 0;
    auto value = [](const std::string& l) {
        const auto colon = l.find(':');
        if (colon == std::string::npos) return std::string();
        const auto start = l.find_first_not_of(' ', colon + 1);
        return start == std::string::npos ? std::string() : l.substr(start);
    };
    while (std::getline(in, line)) {
        if (line.rfind("model name", 0) == 0 && f.model == "unknown") f.model = value(line);
        if (line.rfind("processor", 0) == 0) ++logical;
        if (line.rfind("physical id", 0) == 0) physical = value(line);
        if (line.rfind("core id", 0) == 0) cores.emplace(physical, value(line));
        if (line.rfind("flags", 0) == 0 && value(line).find(" hypervisor") != std::string::npos) {
            f.hypervisor = "yes (cpuinfo flag)";
        }
    }
    if (!cores.empty() && logical > 0) {
        f.physical_cores = std::to_string(cores.size());
        f.threads_per_core = std::to_string(logical / static_cast<int>(cores.size()));
    }
    const std::string type = first_line("/sys/hypervisor/type");
    if (type != "unknown") f.hypervisor = type;
    return f;
}

inline std::string numa_nodes() {
    const std::string online = first_line("/sys/devices/system/node/online");  // "0" or "0-1"
    if (online == "unknown") return "unknown";
    const auto dash = online.find('-');
    if (dash == std::string::npos) return "1 (node " + online + ")";
    try {
        return std::to_string(std::stoi(online.substr(dash + 1)) -
                              std::stoi(online.substr(0, dash)) + 1) +
               " (nodes " + online + ")";
    } catch (...) {
        return online;
    }
}

inline std::string kernel() {
    utsname u{};
    if (uname(&u) != 0) return "unknown";
    return std::string(u.sysname) + " " + u.release + " " + u.machine;
}

}  // namespace machine

inline std::string command_line(int argc, char** argv) {
    std::ostringstream command;
    for (int i = 0; i < argc; ++i) command << (i ? " " : "") << argv[i];
    return command.str();
}

// The minimum time of a timed row, passed as --benchmark_min_time unless the
// command line sets one (so row names carry no /min_time: suffix): 50 ms, and
// in the quick sweep (POOLBENCH_QUICK=1) 20 ms, whose 800-odd rows would
// otherwise spend most of their time on the minimum alone (Google
// Benchmark's own 0.5 s made queue_bench a tenth of a quick sweep).
inline constexpr double k_min_seconds = 0.05;
inline constexpr double k_min_seconds_quick = 0.02;

// benchmark::Initialize with that minimum time. Returns false when an
// argument is not one Google Benchmark knows (it has said which).
inline bool initialize_benchmark(int argc, char** argv) {
    std::vector<char*> args(argv, argv + argc);
    const char* quick_env = std::getenv("POOLBENCH_QUICK");
    const bool quick = quick_env != nullptr && std::string_view(quick_env) == "1";
    std::string min_time =
        "--benchmark_min_time=" + std::to_string(quick ? k_min_seconds_quick : k_min_seconds);
    if (std::none_of(args.begin(), args.end(), [](const char* a) {
            return std::string_view(a).starts_with("--benchmark_min_time");
        })) {
        args.insert(args.begin() + 1, min_time.data());
    }
    int args_count = static_cast<int>(args.size());
    args.push_back(nullptr);
    benchmark::Initialize(&args_count, args.data());
    return !benchmark::ReportUnrecognizedArguments(args_count, args.data());
}

// The revision built (git's short hash, "-dirty" with changes, or
// "unknown"): defined in the file bench/git_revision.cmake writes at build
// time, which the programs that call add_build_and_machine_context() link.
const char* git_revision() noexcept;

inline void add_build_and_machine_context(const std::string& command_line) {
    benchmark::AddCustomContext("compiler", compiler_version());
    benchmark::AddCustomContext("cxx_flags", POOLBENCH_CXX_FLAGS);
    benchmark::AddCustomContext("build_type", POOLBENCH_BUILD_TYPE);
    benchmark::AddCustomContext("git_revision", git_revision());
    benchmark::AddCustomContext("benchmark_version", POOLBENCH_BENCHMARK_VERSION);
    benchmark::AddCustomContext("moodycamel_version", POOLBENCH_MOODYCAMEL_VERSION);
#if defined(POOLBENCH_HAS_TBB)
    benchmark::AddCustomContext("onetbb_version", TBB_VERSION_STRING);
#else
    benchmark::AddCustomContext("onetbb_version", "not linked");
#endif
#if defined(POOLBENCH_HAS_ASIO)
    benchmark::AddCustomContext("boost_version", BOOST_LIB_VERSION);
#else
    benchmark::AddCustomContext("boost_version", "not linked");
#endif
#if defined(_OPENMP)
    benchmark::AddCustomContext("openmp_version", std::to_string(_OPENMP));
#else
    benchmark::AddCustomContext("openmp_version", "not linked");
#endif
    benchmark::AddCustomContext("command_line", command_line);
    const auto cpu = machine::read_cpuinfo();
    benchmark::AddCustomContext("cpu_model", cpu.model);
    benchmark::AddCustomContext("physical_cores", cpu.physical_cores);
    benchmark::AddCustomContext("threads_per_core", cpu.threads_per_core);
    benchmark::AddCustomContext("hypervisor", cpu.hypervisor);
    benchmark::AddCustomContext("numa_nodes", machine::numa_nodes());
    benchmark::AddCustomContext("kernel", machine::kernel());
    benchmark::AddCustomContext(
        "cpu_governor",
        machine::first_line("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor"));
}

}  // namespace poolbench::bench
