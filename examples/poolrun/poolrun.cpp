// poolrun: runs a command once per row of a CSV file on a poolbench pool, at
// most --workers at a time, substituting {N}/{row} into its arguments. The
// main thread streams the CSV and submits one job per row, never more than
// 2 x workers at once; each job spawns its child and blocks until it ends.
// SIGINT/SIGTERM (self-pipe) stop the reading, end every running child's
// process group and print the summary. Usage: poolrun --help, or README.md.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <semaphore>
#include <stdexcept>
#include <streambuf>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include <poolbench/pools/config.hpp>
#include <poolbench/pools/default_pool.hpp>

#include "command_template.hpp"
#include "csv.hpp"
#include "spawn.hpp"

#ifndef POOLRUN_VERSION
#define POOLRUN_VERSION "unknown"
#endif

namespace poolrun {
namespace {

// ---------------------------------------------------------------------------
// Stop requests. SIGINT, SIGTERM and SIGHUP are blocked in every thread
// (the mask is set before any other thread starts, and threads inherit it)
// and taken by one thread in sigwait(), which records the first and writes
// one byte to a pipe whose read end is never drained: from then on the read
// end stays readable, so every poll() on it (each waiting job, the CSV
// reader) wakes at once and keeps seeing the request. A thread in sigwait()
// takes the signal wherever the others are blocked (a futex, a poll), which a
// handler cannot promise: under ThreadSanitizer, for one, a handler runs only
// when its thread next enters the runtime. Children get an empty mask and
// default dispositions back (spawn.hpp).

std::atomic<int> g_stop_signal{0};  // the first SIGINT/SIGTERM/SIGHUP, 0 if none

bool stop_requested() {
    return g_stop_signal.load() != 0;
}

// Returns the read end of the stop pipe. Call before starting any thread.
int install_stop_handlers() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) {
        throw std::system_error(errno, std::generic_category(), "pipe2");
    }
    // SIGINT is taken even when inherited as ignored (a background job of a
    // script), so that `kill -INT` still stops poolrun cleanly. SIGHUP is left
    // alone when ignored (nohup).
    sigset_t stop_set;
    sigemptyset(&stop_set);
    sigaddset(&stop_set, SIGINT);
    sigaddset(&stop_set, SIGTERM);
    struct sigaction old_hup = {};
    ::sigaction(SIGHUP, nullptr, &old_hup);
    if (old_hup.sa_handler != SIG_IGN) sigaddset(&stop_set, SIGHUP);
    // An ignored signal is discarded before sigwait() could take it.
    for (int sig : {SIGINT, SIGTERM}) ::signal(sig, SIG_DFL);
    if (const int rc = ::pthread_sigmask(SIG_BLOCK, &stop_set, nullptr); rc != 0) {
        throw std::system_error(rc, std::generic_category(), "pthread_sigmask");
    }
    // A closed stdout must not kill poolrun with its children still running;
    // children get SIGPIPE back by default (spawn.hpp). An inherited ignored
    // SIGCHLD would make the kernel reap children before waitpid() sees them.
    ::signal(SIGPIPE, SIG_IGN);
    ::signal(SIGCHLD, SIG_DFL);
    // Lives until the process exits; it only ever waits for a signal.
    std::thread([stop_set, write_fd = fds[1]] {
        for (;;) {
            int sig = 0;
            if (::sigwait(&stop_set, &sig) != 0) continue;
            int none = 0;
            g_stop_signal.compare_exchange_strong(none, sig);
            const char byte = 1;
            [[maybe_unused]] const ssize_t n = ::write(write_fd, &byte, 1);
        }
    }).detach();
    return fds[0];
}

// ---------------------------------------------------------------------------
// Output helpers.

void write_all(int fd, std::string_view s, bool* failed = nullptr) {
    while (!s.empty()) {
        const ssize_t n = ::write(fd, s.data(), s.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            if (failed != nullptr) *failed = true;
            return;
        }
        s.remove_prefix(static_cast<std::size_t>(n));
    }
}

std::string errno_text(int err) {
    return std::generic_category().message(err);
}

std::string signal_name(int sig) {
    static constexpr std::pair<int, std::string_view> k_names[] = {
        {SIGHUP, "SIGHUP"},   {SIGINT, "SIGINT"},   {SIGQUIT, "SIGQUIT"}, {SIGILL, "SIGILL"},
        {SIGTRAP, "SIGTRAP"}, {SIGABRT, "SIGABRT"}, {SIGBUS, "SIGBUS"},   {SIGFPE, "SIGFPE"},
        {SIGKILL, "SIGKILL"}, {SIGUSR1, "SIGUSR1"}, {SIGSEGV, "SIGSEGV"}, {SIGUSR2, "SIGUSR2"},
        {SIGPIPE, "SIGPIPE"}, {SIGALRM, "SIGALRM"}, {SIGTERM, "SIGTERM"}, {SIGXCPU, "SIGXCPU"},
        {SIGXFSZ, "SIGXFSZ"}};
    for (const auto& [number, name] : k_names) {
        if (number == sig) return std::string(name);
    }
    return "signal " + std::to_string(sig);
}

// ---------------------------------------------------------------------------
// Command line.

struct usage_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct options {
    std::size_t workers = 0;
    std::string csv_path;
    bool header = false;
    bool quiet = false;
    std::optional<std::chrono::nanoseconds> timeout;
    std::string timeout_text;  // as given, for reports
    std::size_t retries = 0;
    std::string output_dir;
    std::string failed_out;
    std::vector<std::string> command;
    bool help = false;
    bool version = false;
};

std::size_t default_workers() {
    const std::size_t n = std::thread::hardware_concurrency();
    return std::clamp<std::size_t>(n, 1, poolbench::k_max_workers);
}

std::size_t parse_count(std::string_view option, std::string_view text, std::size_t lo,
                        std::size_t hi) {
    std::size_t n = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (text.empty() || ec == std::errc::invalid_argument || end != text.data() + text.size()) {
        throw usage_error(std::string(option) + " wants a whole number, got '" + std::string(text) +
                          "'");
    }
    if (ec == std::errc::result_out_of_range || n < lo || n > hi) {
        throw usage_error(std::string(option) + " must be between " + std::to_string(lo) + " and " +
                          std::to_string(hi) + ", got " + std::string(text));
    }
    return n;
}

std::chrono::nanoseconds parse_seconds(std::string_view option, std::string_view text) {
    constexpr double k_max_seconds = 1e9;  // ~31 years; keeps the nanosecond count in range
    double s = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), s);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size() || !(s > 0) ||
        s > k_max_seconds) {
        throw usage_error(std::string(option) + " wants a number of seconds above 0, got '" +
                          std::string(text) + "'");
    }
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::duration<double>(s));
}

constexpr std::string_view k_help = R"(Usage: poolrun [OPTIONS] --csv FILE -- COMMAND [ARG...]

Run COMMAND once per row of a CSV file, at most --workers at a time.
In COMMAND and its arguments {N} becomes column N (1-based) of the row, {row}
the row number, and {{ and }} literal braces. The command is executed directly
(PATH lookup as execvp does), never through a shell: a field holding
'; rm -rf ~' reaches the command as one ordinary argument.

Options:
  --csv FILE         the CSV file (RFC 4180) to read, - for stdin (required)
  --header           the first record is a header and is not run; rows are
                     counted from the record after it, so {row} is 1 on the
                     file's second line
  -w, --workers N    run at most N commands at once, 1 to 4096
                     (default: the number of hardware threads)
  --timeout SECONDS  end a command running longer than this (decimals
                     allowed): SIGTERM to its process group, SIGKILL 1 s
                     later; the row is reported failed ("timeout")
  --retries N        run a failed row up to N more times (default 0)
  --output-dir DIR   write each row's stdout and stderr to DIR/<row>.out and
                     DIR/<row>.err (DIR is created if missing); by default
                     commands inherit poolrun's stdout and stderr
  --failed-out FILE  write the rows that failed, or were skipped for too few
                     columns, to FILE as CSV (with the header if --header),
                     ready to be run again with --csv FILE
  -q, --quiet        report only rows that failed or were skipped
  -h, --help         show this help
  --version          show the version

As each row finishes, one line goes to stdout:
  row 7 ok: exit 0, 153 ms: python3 migrator.py C48 T-1007 'Jane Doe'
  row 8 FAILED: exit 1, 98 ms: python3 migrator.py C48 T-1008 Bob
  row 9 SKIPPED: line 10: row has 2 columns, the command uses {4}
and a summary goes to stderr at the end. Rows are numbered in file order,
malformed ones included; empty lines are ignored. Commands get /dev/null as
stdin. A malformed or too short row is reported and skipped; the rest still run.

SIGINT or SIGTERM stops reading, terminates the running commands (SIGTERM to
each process group, SIGKILL 1 s later) and prints the summary.

Exit status: 0 every row succeeded; 1 a row failed or was skipped; 2 bad
usage; 128+N stopped by signal N (130 for SIGINT).

Example:
  poolrun --workers 100 --csv tickets.csv --header -- python3 migrator.py C48 {4} {1}
)";

options parse_options(int argc, char** argv) {
    options opt;
    opt.workers = default_workers();
    bool saw_csv = false;
    bool saw_separator = false;
    for (int i = 1; i < argc; ++i) {
        std::string_view arg = argv[i];
        if (arg == "--") {
            for (++i; i < argc; ++i) opt.command.emplace_back(argv[i]);
            saw_separator = true;
            break;
        }
        std::string_view name = arg;
        std::optional<std::string_view> inline_value;
        if (arg.starts_with("--")) {
            if (const auto eq = arg.find('='); eq != std::string_view::npos) {
                name = arg.substr(0, eq);
                inline_value = arg.substr(eq + 1);
            }
        }
        const auto value = [&]() -> std::string_view {
            if (inline_value) return *inline_value;
            if (i + 1 >= argc) throw usage_error("option " + std::string(name) + " needs a value");
            return argv[++i];
        };
        const auto flag = [&] {
            if (inline_value) throw usage_error("option " + std::string(name) + " takes no value");
        };
        if (name == "-h" || name == "--help") {
            flag();
            opt.help = true;
        } else if (name == "--version") {
            flag();
            opt.version = true;
        } else if (name == "--header") {
            flag();
            opt.header = true;
        } else if (name == "-q" || name == "--quiet") {
            flag();
            opt.quiet = true;
        } else if (name == "-w" || name == "--workers") {
            opt.workers = parse_count("--workers", value(), 1, poolbench::k_max_workers);
        } else if (name == "--csv") {
            opt.csv_path = value();
            saw_csv = true;
            if (opt.csv_path.empty()) throw usage_error("--csv needs a file name or -");
        } else if (name == "--timeout") {
            opt.timeout_text = value();
            opt.timeout = parse_seconds("--timeout", opt.timeout_text);
        } else if (name == "--retries") {
            constexpr std::size_t k_max_retries = 1000;
            opt.retries = parse_count("--retries", value(), 0, k_max_retries);
        } else if (name == "--output-dir") {
            opt.output_dir = value();
            if (opt.output_dir.empty()) throw usage_error("--output-dir needs a directory");
        } else if (name == "--failed-out") {
            opt.failed_out = value();
            if (opt.failed_out.empty()) throw usage_error("--failed-out needs a file name");
        } else if (arg.starts_with("-") && arg != "-") {
            throw usage_error("unknown option '" + std::string(arg) + "' (see poolrun --help)");
        } else {
            throw usage_error("unexpected argument '" + std::string(arg) +
                              "': the command goes after --");
        }
    }
    if (opt.help || opt.version) return opt;
    if (!saw_csv) throw usage_error("missing --csv FILE (use --csv - for stdin)");
    if (!saw_separator || opt.command.empty()) {
        throw usage_error("missing command: put it after --, e.g. -- echo {1}");
    }
    return opt;
}

// ---------------------------------------------------------------------------
// Files opened before any row runs; a problem here is a usage error (exit 2).

// Owns a file descriptor; never closes the standard streams (--csv - is stdin).
class unique_fd {
  public:
    explicit unique_fd(int fd = -1) noexcept : m_fd(fd) {}
    unique_fd(unique_fd&& o) noexcept : m_fd(std::exchange(o.m_fd, -1)) {}
    unique_fd& operator=(unique_fd&& o) noexcept {
        if (this != &o) {
            reset();
            m_fd = std::exchange(o.m_fd, -1);
        }
        return *this;
    }
    ~unique_fd() { reset(); }
    int get() const noexcept { return m_fd; }
    void reset() noexcept {
        if (m_fd > 2) ::close(m_fd);
        m_fd = -1;
    }

  private:
    int m_fd;
};

unique_fd open_csv(const std::string& path) {
    if (path == "-") return unique_fd(STDIN_FILENO);
    unique_fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) {
        throw usage_error("cannot open CSV file '" + path + "': " + errno_text(errno));
    }
    struct stat st = {};
    if (::fstat(fd.get(), &st) == 0 && S_ISDIR(st.st_mode)) {
        throw usage_error("cannot read CSV file '" + path + "': it is a directory");
    }
    return fd;
}

unique_fd open_failed_out(const std::string& path, int csv_fd) {
    struct stat out_st = {};
    struct stat in_st = {};
    if (::stat(path.c_str(), &out_st) == 0 && ::fstat(csv_fd, &in_st) == 0 &&
        out_st.st_dev == in_st.st_dev && out_st.st_ino == in_st.st_ino) {
        throw usage_error("--failed-out '" + path + "' is the CSV being read");
    }
    unique_fd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666));
    if (fd.get() < 0) {
        throw usage_error("cannot write --failed-out file '" + path + "': " + errno_text(errno));
    }
    return fd;
}

void prepare_output_dir(const std::string& dir) {
    if (::mkdir(dir.c_str(), 0777) != 0 && errno != EEXIST) {
        throw usage_error("cannot create --output-dir '" + dir + "': " + errno_text(errno));
    }
    struct stat st = {};
    if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
        throw usage_error("--output-dir '" + dir + "' is not a directory");
    }
    if (::access(dir.c_str(), W_OK | X_OK) != 0) {
        throw usage_error("cannot write into --output-dir '" + dir + "': " + errno_text(errno));
    }
}

// A read-only streambuf over a file descriptor that reports end of input as
// soon as the stop fd becomes readable, so a stop interrupts a blocked read
// of stdin. Not thread-safe.
class fd_streambuf : public std::streambuf {
  public:
    fd_streambuf(int fd, int stop_fd) : m_fd(fd), m_stop_fd(stop_fd) {}

    int read_error() const noexcept { return m_error; }

  protected:
    int_type underflow() override {
        for (;;) {
            pollfd fds[2] = {{m_fd, POLLIN, 0}, {m_stop_fd, POLLIN, 0}};
            if (::poll(fds, 2, -1) < 0) {
                if (errno == EINTR) continue;
                m_error = errno;
                return traits_type::eof();
            }
            if (fds[1].revents != 0) return traits_type::eof();
            const ssize_t n = ::read(m_fd, m_buffer.data(), m_buffer.size());
            if (n < 0) {
                if (errno == EINTR || errno == EAGAIN) continue;
                m_error = errno;
                return traits_type::eof();
            }
            if (n == 0) return traits_type::eof();
            setg(m_buffer.data(), m_buffer.data(), m_buffer.data() + n);
            return traits_type::to_int_type(m_buffer[0]);
        }
    }

  private:
    static constexpr std::size_t k_buffer_size = 64 * 1024;
    int m_fd;
    int m_stop_fd;
    int m_error = 0;
    std::vector<char> m_buffer = std::vector<char>(k_buffer_size);
};

// ---------------------------------------------------------------------------
// The run.

class runner {
  public:
    runner(const options& opt, int csv_fd, int failed_fd, int stop_fd)
        : m_opt(opt),
          m_template(opt.command),
          m_csv_fd(csv_fd),
          m_failed_fd(failed_fd),
          m_stop_fd(stop_fd) {}

    // Runs every row; returns poolrun's exit status. Not thread-safe.
    int run() {
        const auto start = steady::now();
        fd_streambuf input(m_csv_fd, m_stop_fd);
        csv_reader reader(input);
        // At most 2 x workers rows are queued or running; the reader blocks
        // on this before each submission, which bounds memory.
        std::counting_semaphore<> slots(static_cast<std::ptrdiff_t>(2 * m_opt.workers));
        {
            poolbench::default_pool pool(m_opt.workers);
            csv_record rec;
            bool header_pending = m_opt.header;
            std::uint64_t row = 0;
            // A record whose reading a stop cut short is dropped, not run.
            while (reader.next(rec) && !stop_requested()) {
                if (std::exchange(header_pending, false)) {
                    take_header(rec);
                    continue;
                }
                ++row;
                if (!rec.error.empty()) {
                    skip_row(row, rec.line, rec.error, nullptr);
                    continue;
                }
                if (const std::string why = m_template.row_problem(rec.fields); !why.empty()) {
                    skip_row(row, rec.line, why, &rec.fields);
                    continue;
                }
                auto task = std::make_unique<row_task>();
                task->row = row;
                task->argv = m_template.expand(rec.fields, row);
                task->fields = std::move(rec.fields);
                slots.acquire();
                if (stop_requested()) {
                    slots.release();
                    count_not_started();
                    break;
                }
                pool.submit([this, &slots, task = std::move(task)] {
                    run_task(*task);
                    slots.release();
                });
            }
            pool.wait();
        }
        if (input.read_error() != 0) {
            m_input_failed = true;
            write_all(STDERR_FILENO,
                      "poolrun: error reading the CSV: " + errno_text(input.read_error()) + "\n");
        }
        return finish(std::chrono::duration<double>(steady::now() - start).count());
    }

  private:
    struct row_task {
        std::uint64_t row = 0;
        std::vector<std::string> fields;
        std::vector<std::string> argv;
    };

    void take_header(const csv_record& rec) {
        std::lock_guard lock(m_mutex);
        if (!rec.error.empty()) {
            ++m_skipped;
            emit(STDOUT_FILENO,
                 "header SKIPPED: line " + std::to_string(rec.line) + ": " + rec.error + "\n");
        } else if (m_failed_fd >= 0) {
            write_all(m_failed_fd, csv_encode(rec.fields), &m_failed_out_failed);
        }
    }

    void skip_row(std::uint64_t row, std::size_t line, const std::string& why,
                  const std::vector<std::string>* fields) {
        std::lock_guard lock(m_mutex);
        ++m_skipped;
        emit(STDOUT_FILENO, "row " + std::to_string(row) + " SKIPPED: line " +
                                std::to_string(line) + ": " + why + "\n");
        if (fields != nullptr && m_failed_fd >= 0) {
            write_all(m_failed_fd, csv_encode(*fields), &m_failed_out_failed);
        }
    }

    void count_not_started() {
        std::lock_guard lock(m_mutex);
        ++m_not_started;
    }

    // Runs on a pool worker: the row's command, retried while it fails.
    void run_task(const row_task& task) noexcept {
        if (stop_requested()) {
            count_not_started();
            return;
        }
        child_outcome outcome;
        std::size_t attempts = 0;
        std::string internal_error;
        try {
            const child_options child = child_options_for(task.row);
            do {
                ++attempts;
                outcome = run_child(task.argv, child);
            } while (!outcome.succeeded() && outcome.how != child_outcome::kind::interrupted &&
                     attempts <= m_opt.retries && !stop_requested());
        } catch (const std::exception& e) {
            internal_error = e.what();
        }
        try {
            report(task, outcome, attempts, internal_error);
        } catch (const std::exception&) {
            std::lock_guard lock(m_mutex);
            ++m_failed;  // out of memory while formatting: still counted
        }
    }

    child_options child_options_for(std::uint64_t row) const {
        child_options c;
        c.timeout = m_opt.timeout;
        c.stop_fd = m_stop_fd;
        if (!m_opt.output_dir.empty()) {
            const std::string base = m_opt.output_dir + "/" + std::to_string(row);
            c.stdout_path = base + ".out";
            c.stderr_path = base + ".err";
        }
        return c;
    }

    std::string describe(const child_outcome& o) const {
        using kind = child_outcome::kind;
        switch (o.how) {
            case kind::exited:
                return "exit " + std::to_string(o.value);
            case kind::signaled:
                return signal_name(o.value);
            case kind::timed_out:
                return "timeout after " + m_opt.timeout_text + " s";
            case kind::interrupted:
                return "interrupted";
            case kind::spawn_failed:
                return "cannot run: " + errno_text(o.value);
        }
        return "?";
    }

    void report(const row_task& task, const child_outcome& outcome, std::size_t attempts,
                const std::string& internal_error) {
        const bool ok = internal_error.empty() && outcome.succeeded();
        std::string line = "row " + std::to_string(task.row) + (ok ? " ok: " : " FAILED: ");
        line += internal_error.empty() ? describe(outcome) : "internal error: " + internal_error;
        line += ", " + std::to_string(outcome.elapsed.count()) + " ms";
        if (m_opt.retries > 0) {
            line += ", " + std::to_string(attempts) + (attempts == 1 ? " attempt" : " attempts");
        }
        line += ": " + shell_join(task.argv) + "\n";
        const std::string failed_csv = ok || m_failed_fd < 0 ? "" : csv_encode(task.fields);

        std::lock_guard lock(m_mutex);
        ++m_ran;
        ++(ok ? m_succeeded : m_failed);
        if (!ok || !m_opt.quiet) emit(STDOUT_FILENO, line);
        if (!failed_csv.empty()) write_all(m_failed_fd, failed_csv, &m_failed_out_failed);
    }

    // One write per line, under m_mutex, so lines from workers never mix.
    void emit(int fd, const std::string& line) { write_all(fd, line); }

    int finish(double wall_seconds) {
        char wall[32];
        std::snprintf(wall, sizeof wall, "%.3f", wall_seconds);
        std::string summary = "poolrun: ran " + std::to_string(m_ran) + ", succeeded " +
                              std::to_string(m_succeeded) + ", failed " + std::to_string(m_failed) +
                              ", skipped " + std::to_string(m_skipped) + ", wall " + wall + " s\n";
        const int sig = g_stop_signal.load();
        if (sig != 0) {
            summary += "poolrun: stopped by " + signal_name(sig) +
                       ": running commands were terminated, " + std::to_string(m_not_started) +
                       " queued rows were not started and the rest of the CSV was not read\n";
        }
        if (m_failed_out_failed) {
            summary += "poolrun: writing --failed-out '" + m_opt.failed_out + "' failed\n";
        }
        write_all(STDERR_FILENO, summary);
        if (sig != 0) return 128 + sig;
        const bool all_ok =
            m_failed == 0 && m_skipped == 0 && !m_input_failed && !m_failed_out_failed;
        return all_ok ? 0 : 1;
    }

    const options& m_opt;
    const command_template m_template;
    const int m_csv_fd;
    const int m_failed_fd;  // -1 without --failed-out
    const int m_stop_fd;

    std::mutex m_mutex;  // guards the counters below, stdout lines and the failed-out file
    std::uint64_t m_ran = 0;
    std::uint64_t m_succeeded = 0;
    std::uint64_t m_failed = 0;
    std::uint64_t m_skipped = 0;
    std::uint64_t m_not_started = 0;
    bool m_failed_out_failed = false;
    bool m_input_failed = false;
};

int run_main(int argc, char** argv) {
    const options opt = parse_options(argc, argv);
    if (opt.help) {
        write_all(STDOUT_FILENO, k_help);
        return 0;
    }
    if (opt.version) {
        write_all(STDOUT_FILENO, "poolrun (poolbench) " POOLRUN_VERSION "\n");
        return 0;
    }
    // Template errors are usage errors too: check before touching any file.
    try {
        command_template check(opt.command);
    } catch (const std::invalid_argument& e) {
        throw usage_error(e.what());
    }
    const unique_fd csv = open_csv(opt.csv_path);
    unique_fd failed;
    if (!opt.failed_out.empty()) failed = open_failed_out(opt.failed_out, csv.get());
    if (!opt.output_dir.empty()) prepare_output_dir(opt.output_dir);
    const unique_fd stop(install_stop_handlers());
    runner r(opt, csv.get(), failed.get(), stop.get());
    return r.run();
}

}  // namespace
}  // namespace poolrun

int main(int argc, char** argv) {
    try {
        return poolrun::run_main(argc, argv);
    } catch (const poolrun::usage_error& e) {
        std::fprintf(stderr, "poolrun: %s\n", e.what());
        return 2;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "poolrun: %s\n", e.what());
        return 1;
    }
}
