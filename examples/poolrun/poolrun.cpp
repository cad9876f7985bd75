// poolrun: runs a command once per row of a CSV file on a poolbench pool, at
// most --workers at a time, substituting {N}/{name}/{row} into its arguments.
// The main thread streams the CSV and submits one job per row, never more
// than 2 x workers at once; each job spawns its child and blocks until it
// ends. Stops come in two strengths: a soft one (a dead stdout, --halt soon,
// a failing job log) starts no more rows and lets running ones finish; a hard
// one (SIGINT/SIGTERM/SIGHUP, --halt now) also ends every running child's
// process group. Either way the rows not run go to --failed-out and the job
// log says which rows succeeded. Usage: poolrun --help, or README.md.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <climits>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <semaphore>
#include <sstream>
#include <stdexcept>
#include <streambuf>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <unordered_set>
#include <utility>
#include <vector>

#include <pools/config.hpp>
#include <pools/mutex_pool.hpp>

#include "command_template.hpp"
#include "csv.hpp"
#include "joblog.hpp"
#include "spawn.hpp"

#ifndef POOLRUN_VERSION
#define POOLRUN_VERSION "unknown"
#endif

namespace poolrun {
namespace {

// ---------------------------------------------------------------------------
// Stop requests. SIGINT, SIGTERM and SIGHUP are blocked in every thread
// (the mask is set before any other thread starts, and threads inherit it)
// and taken by one thread in sigwait(), which records the first and makes a
// hard stop. A stop writes one byte to a pipe whose read end is never
// drained: from then on the read end stays readable, so every poll() on it
// wakes at once and keeps seeing the request. Two pipes: `any` (readable on
// every stop: the CSV reader and the waits between starts poll it) and
// `hard` (readable only on a hard stop: each waiting child polls it and is
// ended). A thread in sigwait() takes the signal wherever the others are
// blocked (a futex, a poll), which a handler cannot promise: under
// ThreadSanitizer, for one, a handler runs only when its thread next enters
// the runtime. Children get an empty mask and default dispositions back
// (spawn.hpp).

struct stop_pipes {
    int any_read = -1;
    int any_write = -1;
    int hard_read = -1;
    int hard_write = -1;
};

stop_pipes g_stop;                     // set before any thread starts, then read-only
std::atomic<int> g_stop_signal{0};     // the first SIGINT/SIGTERM/SIGHUP, 0 if none
std::atomic<bool> g_stop_any{false};   // a soft or hard stop was requested
std::atomic<bool> g_stop_hard{false};  // a hard stop was requested

bool stop_requested() {
    return g_stop_any.load();
}

// Both flags are set before either pipe is written, so a thread woken by
// the hard pipe already sees stop_requested().
void request_stop(bool hard) {
    const bool first_hard = hard && !g_stop_hard.exchange(true);
    const bool first_any = !g_stop_any.exchange(true);
    const auto poke = [](int fd) {
        const char byte = 1;
        [[maybe_unused]] const ssize_t n = ::write(fd, &byte, 1);
    };
    if (first_hard) poke(g_stop.hard_write);
    if (first_any) poke(g_stop.any_write);
}

// Sleeps until `until`; returns false at once, or as soon as, a stop is
// requested. Thread-safe.
bool sleep_unless_stopped(steady::time_point until) {
    for (;;) {
        if (stop_requested()) return false;
        const auto left = std::chrono::ceil<std::chrono::milliseconds>(until - steady::now());
        if (left.count() <= 0) return true;
        pollfd fd = {g_stop.any_read, POLLIN, 0};
        ::poll(&fd, 1, static_cast<int>(std::min<long long>(left.count(), INT_MAX)));
    }
}

void make_pipe(int& read_end, int& write_end) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) {
        throw std::system_error(errno, std::generic_category(), "pipe2");
    }
    read_end = fds[0];
    write_end = fds[1];
}

// Call before starting any thread.
void install_stop_handlers() {
    make_pipe(g_stop.any_read, g_stop.any_write);
    make_pipe(g_stop.hard_read, g_stop.hard_write);
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
    // A closed stdout must not kill poolrun with its children still running:
    // the failed write() says EPIPE instead, and the run stops (runner).
    // Children get SIGPIPE back by default (spawn.hpp). An inherited ignored
    // SIGCHLD would make the kernel reap children before waitpid() sees them.
    ::signal(SIGPIPE, SIG_IGN);
    ::signal(SIGCHLD, SIG_DFL);
    // Lives until the process exits; it only ever waits for a signal.
    std::thread([stop_set] {
        for (;;) {
            int sig = 0;
            if (::sigwait(&stop_set, &sig) != 0) continue;
            int none = 0;
            g_stop_signal.compare_exchange_strong(none, sig);
            request_stop(true);
        }
    }).detach();
}

// ---------------------------------------------------------------------------
// Output helpers.

// Returns 0, or the errno of the write that failed (and sets *failed).
int write_all(int fd, std::string_view s, bool* failed = nullptr) {
    while (!s.empty()) {
        const ssize_t n = ::write(fd, s.data(), s.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            if (failed != nullptr) *failed = true;
            return errno;
        }
        s.remove_prefix(static_cast<std::size_t>(n));
    }
    return 0;
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

struct halt_rule {
    enum class when { never, soon, now };
    when mode = when::never;
    std::uint64_t failures = 0;  // fail=N
    double percent = 0;          // fail=P%, when above 0
};

struct options {
    std::size_t workers = 0;
    std::string csv_path;
    bool header = false;
    bool quiet = false;
    std::optional<std::chrono::nanoseconds> timeout;
    std::string timeout_text;  // as given, for reports
    std::size_t retries = 0;
    std::chrono::nanoseconds retry_delay{0};
    std::chrono::nanoseconds delay{0};
    std::string output_dir;
    std::string output_name = "{row}";
    std::string failed_out;
    std::string joblog;
    bool resume = false;
    bool resume_failed = false;
    halt_rule halt;
    bool progress = false;
    bool dry_run = false;
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

std::chrono::nanoseconds parse_seconds(std::string_view option, std::string_view text,
                                       bool zero_ok = false) {
    constexpr double k_max_seconds = 1e9;  // ~31 years; keeps the nanosecond count in range
    double s = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), s);
    if (text.empty() || ec != std::errc{} || end != text.data() + text.size() ||
        !(zero_ok ? s >= 0 : s > 0) || s > k_max_seconds) {
        throw usage_error(std::string(option) + " wants a number of seconds " +
                          (zero_ok ? "from 0" : "above 0") + ", got '" + std::string(text) + "'");
    }
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::duration<double>(s));
}

// never | [soon,|now,]fail=N | [soon,|now,]fail=P%
halt_rule parse_halt(std::string_view text) {
    const auto bad = [&] {
        return usage_error(
            "--halt wants never, soon,fail=N, now,fail=N or a percentage "
            "(soon,fail=10%), got '" +
            std::string(text) + "'");
    };
    halt_rule rule;
    if (text == "never") return rule;
    std::string_view rest = text;
    rule.mode = halt_rule::when::soon;
    if (rest.starts_with("soon,")) {
        rest.remove_prefix(5);
    } else if (rest.starts_with("now,")) {
        rule.mode = halt_rule::when::now;
        rest.remove_prefix(4);
    }
    if (!rest.starts_with("fail=")) throw bad();
    rest.remove_prefix(5);
    if (rest.ends_with('%')) {
        rest.remove_suffix(1);
        double p = 0;
        const auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), p);
        if (rest.empty() || ec != std::errc{} || end != rest.data() + rest.size() || !(p > 0) ||
            p > 100) {
            throw bad();
        }
        rule.percent = p;
        return rule;
    }
    std::uint64_t n = 0;
    const auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), n);
    if (rest.empty() || ec != std::errc{} || end != rest.data() + rest.size() || n == 0) {
        throw bad();
    }
    rule.failures = n;
    return rule;
}

constexpr std::string_view k_help = R"(Usage: poolrun [OPTIONS] --csv FILE -- COMMAND [ARG...]

Run COMMAND once per row of a CSV file, at most --workers at a time.
In COMMAND and its arguments {N} becomes column N (1-based) of the row,
{name} the column whose header is `name` (needs --header), {row} the row
number, and {{ and }} literal braces. The command is executed directly (PATH
lookup as execvp does), never through a shell: a field holding '; rm -rf ~'
reaches the command as one ordinary argument.

Input:
  --csv FILE         the CSV file (RFC 4180) to read, - for stdin (required);
                     a leading UTF-8 byte-order mark is ignored
  --header           the first record is a header and is not run; rows are
                     counted from the record after it, so {row} is 1 on the
                     file's second line; {name} picks a column by its header

Running:
  -w, --workers N    run at most N commands at once, 1 to 4096
                     (default: the number of hardware threads)
  --timeout SECONDS  end a command running longer than this (decimals
                     allowed): SIGTERM to its process group, SIGKILL 1 s
                     later; the row is reported failed ("timeout")
  --retries N        run a failed row up to N more times (default 0); a
                     command that cannot be run (not found, not executable,
                     argument list too long) is never retried
  --retry-delay SECS wait this long before the first retry of a row, twice
                     as long before the second, and so on (default 0)
  --delay SECONDS    start commands at least this far apart (default 0)
  --halt RULE        stop on a storm of failures: soon,fail=N (start no more
                     rows once N rows failed; running ones finish),
                     now,fail=N (also terminate the running ones, as
                     --timeout does), fail=P% (P percent of the rows finished
                     so far, judged once 10 have finished); never (default)
  --dry-run          print each row's command, shell-quoted, and run nothing

Results:
  --joblog FILE      append one CSV line per finished row: row, hash of its
                     fields, start (UTC), seconds, status (0 is success; an
                     exit status, a signal name, timeout, interrupted or
                     cannot-run:ERRNO), attempts. Written even if poolrun
                     itself is killed: each command is then watched by a
                     small poolrun process that logs its end
  --resume           with --joblog: skip the rows the log has as finished
                     (succeeded or failed) and run the rest, including rows
                     interrupted by a stop; the CSV must be the one logged
  --resume-failed    as --resume, but run the logged failures again too
  --output-dir DIR   write each row's stdout and stderr to DIR/NAME.out and
                     DIR/NAME.err (DIR is created if missing); by default
                     commands inherit poolrun's stdout and stderr
  --output-name TPL  NAME above, a template like the command's (default
                     {row}; {4} or {ticket} keeps a re-run's files apart);
                     a name with '/' or that is '.' or '..' skips the row,
                     a name already used in this run gets -2, -3, ...
  --failed-out FILE  write, as CSV, every row that did not succeed: failed,
                     skipped, malformed (verbatim) and, after a stop, the
                     rows queued or never read (with the header if --header);
                     ready to be run again with --csv FILE. - is stdout (the
                     per-row report then goes to stderr)
  --progress         draw a status line on stderr (done/total, failed,
                     running, rows per second, ETA) when it is a terminal
  -q, --quiet        report only rows that failed or were skipped
  -h, --help         show this help
  --version          show the version

As each row finishes, one line goes to stdout (fields over 200 bytes are cut
and shown with their length):
  row 7 ok: exit 0, 153 ms: python3 migrator.py C48 T-1007 'Jane Doe'
  row 8 FAILED: exit 1, 98 ms: python3 migrator.py C48 T-1008 Bob
  row 9 SKIPPED: line 10: row has 2 columns, the command uses {4}
and a summary goes to stderr at the end. Rows are numbered in file order,
malformed ones included; empty lines are ignored. Commands get /dev/null as
stdin. A malformed or too short row is reported and skipped; the rest run.

Stops. SIGINT, SIGTERM or SIGHUP stops reading, terminates the running
commands (SIGTERM to each process group, SIGKILL 1 s later) and prints the
summary. A closed or failing stdout (a pipe to `head`, a full disk) starts
no more rows and lets running ones finish.

Exit status: 0 every row succeeded; 1 a row failed or was skipped (or, with
--resume, is logged as failed), --halt stopped the run, or writing stdout,
the job log or --failed-out failed;
2 bad usage (also: a command not found in PATH, an unknown {name}, a CSV
that is not the one the job log was written for); 141 stdout was a closed
pipe; 128+N stopped by signal N (130 for SIGINT).

Example: migrate tickets 100 at a time, resumable, failures kept apart:
  poolrun --workers 100 --csv tickets.csv --header --joblog mig.log \
      --output-dir logs --output-name {ticket} --failed-out left.csv \
      -- python3 migrator.py C48 {ticket} {customer}
and after a stop, the same command with --resume added.
)";

options parse_options(int argc, char** argv) {
    options opt;
    opt.workers = default_workers();
    bool saw_csv = false;
    bool saw_separator = false;
    bool saw_output_name = false;
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
        const auto path = [&](std::string& out, const char* what) {
            out = value();
            if (out.empty()) throw usage_error(std::string(name) + " needs " + what);
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
        } else if (name == "--progress") {
            flag();
            opt.progress = true;
        } else if (name == "--dry-run") {
            flag();
            opt.dry_run = true;
        } else if (name == "--resume") {
            flag();
            opt.resume = true;
        } else if (name == "--resume-failed") {
            flag();
            opt.resume = true;
            opt.resume_failed = true;
        } else if (name == "-w" || name == "--workers") {
            opt.workers = parse_count("--workers", value(), 1, poolbench::k_max_workers);
        } else if (name == "--csv") {
            path(opt.csv_path, "a file name or -");
            saw_csv = true;
        } else if (name == "--timeout") {
            opt.timeout_text = value();
            opt.timeout = parse_seconds("--timeout", opt.timeout_text);
        } else if (name == "--retries") {
            constexpr std::size_t k_max_retries = 1000;
            opt.retries = parse_count("--retries", value(), 0, k_max_retries);
        } else if (name == "--retry-delay") {
            opt.retry_delay = parse_seconds("--retry-delay", value(), true);
        } else if (name == "--delay") {
            opt.delay = parse_seconds("--delay", value(), true);
        } else if (name == "--halt") {
            opt.halt = parse_halt(value());
        } else if (name == "--output-dir") {
            path(opt.output_dir, "a directory");
        } else if (name == "--output-name") {
            path(opt.output_name, "a template");
            saw_output_name = true;
        } else if (name == "--failed-out") {
            path(opt.failed_out, "a file name or -");
        } else if (name == "--joblog") {
            path(opt.joblog, "a file name");
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
    if (saw_output_name && opt.output_dir.empty()) {
        throw usage_error("--output-name needs --output-dir DIR");
    }
    if (opt.resume && opt.joblog.empty()) {
        throw usage_error("--resume and --resume-failed need --joblog FILE");
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

// Whether `path` names the file `b` describes.
bool same_file(const std::string& path, const struct stat& b) {
    struct stat a = {};
    return ::stat(path.c_str(), &a) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

// Whether `path` names the file open as `fd`.
bool same_file(const std::string& path, int fd) {
    struct stat b = {};
    return ::fstat(fd, &b) == 0 && same_file(path, b);
}

// Whether `path` and `other` are one name, or name one existing file.
bool same_file(const std::string& path, const std::string& other) {
    struct stat b = {};
    return path == other || (::stat(other.c_str(), &b) == 0 && same_file(path, b));
}

// Opened (and emptied) only once the job log is locked: a run stopped while
// it waits for the log leaves an earlier --failed-out as it was.
unique_fd open_failed_out(const std::string& path, int csv_fd, int joblog_fd) {
    if (path == "-") return unique_fd(STDOUT_FILENO);
    if (same_file(path, csv_fd)) {
        throw usage_error("--failed-out '" + path + "' is the CSV being read");
    }
    if (joblog_fd >= 0 && same_file(path, joblog_fd)) {
        throw usage_error("--failed-out '" + path + "' is the job log");
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

// The job log, opened for appending and locked (flock, exclusive) for the
// whole run. Every process that writes it holds that lock through the same
// open file: poolrun and the row watchers it starts (run_row_watcher), which
// outlive a killed poolrun. So a second run on the same log, a --resume
// above all, waits until the last watcher of a killed run has logged its row.
// A stop while it waits ends the run before anything ran or was written
// (stopped_waiting): the log is what was done.
struct stopped_waiting {};

unique_fd open_joblog(const std::string& path) {
    // Readable too: attempt() reads back what a killed row watcher logged.
    unique_fd fd(::open(path.c_str(), O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0666));
    if (fd.get() < 0) {
        throw usage_error("cannot write --joblog '" + path + "': " + errno_text(errno));
    }
    // Above the numbers the watchers get it as (3, 4), so the dup2 that hands
    // it over always copies and clears close-on-exec.
    unique_fd high(::fcntl(fd.get(), F_DUPFD_CLOEXEC, 10));
    if (high.get() < 0) throw std::system_error(errno, std::generic_category(), "fcntl");
    if (::flock(high.get(), LOCK_EX | LOCK_NB) != 0) {
        write_all(STDERR_FILENO, "poolrun: waiting for the job log '" + path +
                                     "': another poolrun, or commands of an earlier run that was "
                                     "killed, are still writing it\n");
        // flock() cannot be polled with the stop pipe: try again every 20 ms.
        constexpr auto k_lock_retry = std::chrono::milliseconds(20);
        while (::flock(high.get(), LOCK_EX | LOCK_NB) != 0) {
            if (errno != EWOULDBLOCK && errno != EINTR) {
                throw std::system_error(errno, std::generic_category(), "flock");
            }
            if (!sleep_unless_stopped(steady::now() + k_lock_retry)) throw stopped_waiting{};
        }
    }
    // A log whose disk filled up may end inside a line: that line is ended
    // here, so the first line of this run is not glued to it (and lost).
    struct stat st = {};
    std::string_view start;
    char last = '\n';
    if (::fstat(high.get(), &st) == 0 && st.st_size == 0) {
        start = k_joblog_header;
    } else if (::pread(high.get(), &last, 1, st.st_size - 1) == 1 && last != '\n') {
        start = "\n";
    }
    if (!start.empty()) {
        bool failed = false;
        write_all(high.get(), start, &failed);
        if (failed) throw usage_error("cannot write --joblog '" + path + "': " + errno_text(errno));
    }
    return high;
}

joblog_index read_joblog(const std::string& path) {
    joblog_index index;
    std::filebuf in;
    if (in.open(path, std::ios::in | std::ios::binary) != nullptr) index.read(in);
    return index;
}

// Where execvp would find `name`, or why it would not: an empty string when
// found. Only checks; the spawn decides.
std::string command_problem(const std::string& name) {
    const auto runnable = [](const std::string& p) {
        struct stat st = {};
        return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(p.c_str(), X_OK) == 0;
    };
    if (name.empty()) return "the command is empty";
    if (name.find('/') != std::string::npos) {
        return runnable(name) ? "" : "command '" + name + "' is not an executable file";
    }
    const char* env_path = std::getenv("PATH");
    const std::string search = env_path != nullptr ? env_path : "/bin:/usr/bin";
    std::size_t begin = 0;
    for (;;) {
        const std::size_t end = search.find(':', begin);
        std::string dir = search.substr(begin, end == std::string::npos ? end : end - begin);
        if (dir.empty()) dir = ".";
        if (runnable(dir + "/" + name)) return "";
        if (end == std::string::npos) break;
        begin = end + 1;
    }
    return "command '" + name + "' not found in PATH";
}

// A read-only streambuf over a file descriptor that reports end of input as
// soon as the stop fd becomes readable (stop_fd -1: never), so a stop
// interrupts a blocked read of stdin. A record read when that happened may
// be cut short (cut_by_stop()). Not thread-safe.
class fd_streambuf : public std::streambuf {
public:
    fd_streambuf(int fd, int stop_fd) : m_fd(fd), m_stop_fd(stop_fd) {}

    int read_error() const noexcept { return m_error; }

    // Whether the input was reported ended because of a stop, not its end.
    bool stopped() const noexcept { return m_stopped; }

    // Whether `raw`, the bytes of the record read last, may be cut short by a
    // stop: it was, unless it ends with its line end.
    bool cut_by_stop(std::string_view raw) const noexcept {
        return m_stopped && (raw.empty() || (raw.back() != '\n' && raw.back() != '\r'));
    }

    // Whether a read would return at once: bytes are buffered, or the fd is
    // readable (or at its end) within `timeout_ms`.
    bool ready(int timeout_ms) {
        if (gptr() < egptr()) return true;
        pollfd fd = {m_fd, POLLIN, 0};
        return ::poll(&fd, 1, timeout_ms) > 0;
    }

    // Puts `bytes` back in front of what is left to read, so that they are
    // read again, first.
    void put_back(std::string_view bytes) {
        const std::string_view buffered(gptr(), static_cast<std::size_t>(egptr() - gptr()));
        std::vector<char> buffer(std::max(k_buffer_size, bytes.size() + buffered.size()));
        std::copy(buffered.begin(), buffered.end(),
                  std::copy(bytes.begin(), bytes.end(), buffer.begin()));
        m_buffer = std::move(buffer);
        setg(m_buffer.data(), m_buffer.data(), m_buffer.data() + bytes.size() + buffered.size());
    }

protected:
    int_type underflow() override {
        for (;;) {
            pollfd fds[2] = {{m_fd, POLLIN, 0}, {m_stop_fd, POLLIN, 0}};
            if (::poll(fds, m_stop_fd >= 0 ? 2 : 1, -1) < 0) {
                if (errno == EINTR) continue;
                m_error = errno;
                return traits_type::eof();
            }
            if (m_stop_fd >= 0 && fds[1].revents != 0) {
                m_stopped = true;
                return traits_type::eof();
            }
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
    const int m_fd;
    const int m_stop_fd;
    int m_error = 0;
    bool m_stopped = false;
    std::vector<char> m_buffer = std::vector<char>(k_buffer_size);
};

// ---------------------------------------------------------------------------
// The row watcher. With --joblog each command is started through a copy of
// poolrun (`poolrun --internal-watch-row ...`, run_row_watcher below): it
// starts the command in its own process group, waits for it and, when the
// command exits on its own, appends the row's job-log line itself before it
// tells poolrun what happened (one line on a pipe). So a row whose command
// finished is logged even if poolrun was killed (-9) in the meantime, and a
// resume does not run it again. The watcher ignores SIGINT, SIGTERM and
// SIGPIPE: a stop's SIGTERM to the group ends the command, and the watcher
// still reports truthfully whether the command had finished first. The
// watcher gets the job log as fd 3 and the report pipe as fd 4.

constexpr std::string_view k_watch_flag = "--internal-watch-row";
constexpr int k_watch_log_fd = 3;
constexpr int k_watch_report_fd = 4;

// What a row watcher did with the row's job-log line; it reports the number.
enum class log_state { not_logged = 0, logged = 1, write_failed = 2 };

// argv: poolrun --internal-watch-row ROW HASH ATTEMPTS FINAL -- COMMAND...
// FINAL is 1 when a failure of this attempt ends the row (no retry follows).
int run_row_watcher(int argc, char** argv) {
    if (argc < 8 || std::string_view(argv[6]) != "--") return 127;
    for (int sig : {SIGINT, SIGTERM, SIGPIPE}) ::signal(sig, SIG_IGN);
    for (int fd : {k_watch_log_fd, k_watch_report_fd}) ::fcntl(fd, F_SETFD, FD_CLOEXEC);
    timespec wall{};
    ::clock_gettime(CLOCK_REALTIME, &wall);
    const auto start = steady::now();
    std::vector<std::string> command(argv + 7, argv + argc);
    child_options c;
    c.new_process_group = false;
    c.stdin_null = false;
    pid_t pid = 0;
    int err = 0;
    try {
        err = detail::spawn(command, c, pid);
    } catch (const std::system_error& e) {
        err = e.code().value();
    }
    if (err != 0) {
        write_all(k_watch_report_fd, "E " + std::to_string(err) + "\n");
        return 127;
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            write_all(k_watch_report_fd, "E " + std::to_string(errno) + "\n");
            return 127;
        }
    }
    // Logged here: a success, and a final failure the command brought on
    // itself. SIGTERM and SIGKILL may be poolrun's own (a timeout, a stop),
    // which only poolrun can tell apart: those it logs itself.
    const bool final = std::string_view(argv[5]) == "1";
    const bool exited = WIFEXITED(status);
    const bool crashed =
        WIFSIGNALED(status) && WTERMSIG(status) != SIGTERM && WTERMSIG(status) != SIGKILL;
    auto logged = log_state::not_logged;
    if ((exited && WEXITSTATUS(status) == 0) || (final && (exited || crashed))) {
        const double seconds = std::chrono::duration<double>(steady::now() - start).count();
        const std::string line = joblog_line(
            std::strtoull(argv[2], nullptr, 10), argv[3], wall, seconds,
            exited ? joblog_status_exit(WEXITSTATUS(status)) : signal_name(WTERMSIG(status)),
            std::strtoull(argv[4], nullptr, 10));
        // A failed write may have left part of a line behind.
        logged = write_all(k_watch_log_fd, line) == 0 ? log_state::logged : log_state::write_failed;
    }
    // For the tests only: holds the report back, opening the window in which
    // a hard stop kills this watcher after it logged its row.
    if (const char* hold = std::getenv("POOLRUN_TEST_HOLD_REPORT_MS"); hold != nullptr) {
        ::usleep(static_cast<useconds_t>(std::strtoul(hold, nullptr, 10) * 1000));
    }
    write_all(k_watch_report_fd, "S " + std::to_string(status) + " " +
                                     std::to_string(static_cast<int>(logged)) + "\n");
    return 0;
}

// ---------------------------------------------------------------------------
// The run.

class runner {
public:
    struct files {
        int csv = -1;
        int failed_out = -1;  // -1 without --failed-out
        int joblog = -1;      // -1 without --joblog
        bool csv_is_regular = false;
        std::optional<std::uint64_t> total_rows;  // data rows, when counted
    };

    runner(const options& opt, files f, joblog_index log, std::string self_exe)
        : m_opt(opt),
          m_template(opt.command),
          m_name_template(std::vector<std::string>{opt.output_name}),
          m_files(f),
          m_log(std::move(log)),
          m_self_exe(std::move(self_exe)),
          m_report_fd(opt.failed_out == "-" ? STDERR_FILENO : STDOUT_FILENO) {
        struct stat st = {};
        m_report_is_pipe =
            ::fstat(m_report_fd, &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode));
    }

    // Runs every row; returns poolrun's exit status. Throws usage_error for a
    // problem found before any row runs. Not thread-safe.
    int run() {
        m_start = steady::now();
        // A regular file is read without watching for a stop: its reads do not
        // wait, and the loop below checks for a stop before each row. A pipe
        // or a terminal may wait forever, so a stop ends a read of one.
        fd_streambuf input(m_files.csv, m_files.csv_is_regular ? -1 : g_stop.any_read);
        csv_reader reader(input);
        csv_record rec;
        bool have = reader.next(rec);
        if (m_opt.header) {
            if (input.stopped() && (!have || input.cut_by_stop(rec.raw))) {
                // Stopped before the header came whole: nothing to run or keep.
                {
                    std::lock_guard lock(m_mutex);
                    m_unread_left = true;
                }
                return finish();
            }
            take_header(have ? &rec : nullptr);
            if (have) have = reader.next(rec);
        }
        if (m_opt.progress && ::isatty(STDERR_FILENO) == 1) start_progress();
        std::uint64_t row = 0;
        if (m_opt.dry_run) {
            for (; have && !stop_requested(); have = reader.next(rec)) dry_run_row(++row, rec);
        } else {
            // Up to --workers records are read first, as long as they come
            // without a wait: an input that ends within them (a short file,
            // a short pipe) gets no more workers than it has rows.
            std::vector<csv_record> ahead;
            bool at_end = !have;
            if (have) {
                constexpr int k_read_ahead_wait_ms = 50;
                ahead.push_back(std::move(rec));
                while (ahead.size() < m_opt.workers && input.ready(k_read_ahead_wait_ms)) {
                    if (!reader.next(rec)) {
                        at_end = true;
                        break;
                    }
                    ahead.push_back(std::move(rec));
                }
            }
            std::size_t next_ahead = 0;
            const auto next_record = [&](csv_record& r) {
                if (next_ahead < ahead.size()) {
                    r = std::move(ahead[next_ahead++]);
                    return true;
                }
                return !at_end && reader.next(r);
            };
            // Workers block on their child, so a pool whose idle workers
            // sleep on one condition variable (mutex) serves best: stealing
            // gains nothing here, and thousands of idle workers searching
            // each other's deques made start-up and shutdown quadratic.
            const std::size_t workers =
                at_end ? std::max<std::size_t>(ahead.size(), 1) : m_opt.workers;
            poolbench::mutex_pool pool(workers);
            // At most 2 x workers rows are queued or running; the reader
            // blocks on this before each submission, which bounds memory.
            std::counting_semaphore<> slots(static_cast<std::ptrdiff_t>(2 * workers));
            for (have = next_record(rec); have; have = next_record(rec)) {
                // A record read after (or cut short by) a stop is not run:
                // it goes to --failed-out with the rest of the input.
                if (stop_requested() || report_output_dead()) break;
                auto task = prepare_row(++row, rec);
                if (!task) continue;
                slots.acquire();
                if (stop_requested()) {
                    slots.release();
                    not_started(*task);
                    have = next_record(rec);
                    break;
                }
                pool.submit([this, &slots, task = std::move(task)] {
                    run_task(*task);
                    slots.release();
                });
            }
            if (have || stop_requested()) {
                std::vector<const csv_record*> unread;
                if (have) unread.push_back(&rec);
                for (std::size_t i = next_ahead; i < ahead.size(); ++i) unread.push_back(&ahead[i]);
                keep_unread(unread, row, input, at_end);
            }
            pool.wait();
        }
        stop_progress();
        if (input.read_error() != 0) {
            m_input_failed = true;
            write_all(STDERR_FILENO,
                      "poolrun: error reading the CSV: " + errno_text(input.read_error()) + "\n");
        }
        return finish();
    }

private:
    struct row_task {
        std::uint64_t row = 0;
        std::string hash;
        std::string raw;  // the record as read, for --failed-out
        std::vector<std::string> argv;
        std::string output_name;  // empty without --output-dir
    };

    enum class stop_reason { none, signal, output, halt, joblog, failed_out, log_mismatch };

    // --- Reading ------------------------------------------------------------

    static std::string line_of(const std::string& raw) {
        if (!raw.empty() && (raw.back() == '\n' || raw.back() == '\r')) return raw;
        return raw + "\n";
    }

    void take_header(const csv_record* rec) {
        const auto bind = [&](command_template& t, const std::vector<std::string>& header) {
            try {
                t.bind_header(header);
            } catch (const std::invalid_argument& e) {
                throw usage_error(e.what());
            }
        };
        const bool names =
            !m_template.unbound_names().empty() || !m_name_template.unbound_names().empty();
        if (rec == nullptr || !rec->error.empty()) {
            if (names) {
                throw usage_error(rec == nullptr
                                      ? "the CSV is empty: no header for {" + first_name() + "}"
                                      : "the header (line " + std::to_string(rec->line) +
                                            ") is malformed: " + rec->error);
            }
            if (rec == nullptr) return;
            std::lock_guard lock(m_mutex);
            ++m_skipped;
            emit("header SKIPPED: line " + std::to_string(rec->line) + ": " + rec->error + "\n");
            write_failed(line_of(rec->raw));
            return;
        }
        bind(m_template, rec->fields);
        bind(m_name_template, rec->fields);
        std::lock_guard lock(m_mutex);
        write_failed(line_of(rec->raw));
    }

    std::string first_name() const {
        auto n = m_template.unbound_names();
        if (n.empty()) n = m_name_template.unbound_names();
        return n.empty() ? "" : n.front();
    }

    // The task for one record, or null when it is skipped (reported here).
    std::unique_ptr<row_task> prepare_row(std::uint64_t row, const csv_record& rec) {
        if (!rec.error.empty()) {
            skip_row(row, rec.line, rec.error, rec.raw);
            return nullptr;
        }
        if (std::string why = m_template.row_problem(rec.fields); !why.empty()) {
            skip_row(row, rec.line, why, rec.raw);
            return nullptr;
        }
        auto task = std::make_unique<row_task>();
        task->row = row;
        task->hash = fields_hash(rec.fields);
        task->raw = line_of(rec.raw);
        if (m_opt.resume) {
            bool mismatch = false;
            const auto state = m_log.lookup(row, task->hash, mismatch);
            if (mismatch) {
                std::lock_guard lock(m_mutex);
                set_stop(stop_reason::log_mismatch, false);
                m_mismatch_row = row;
                write_failed(task->raw);
                return nullptr;
            }
            if (state == joblog_index::state::succeeded ||
                (state == joblog_index::state::failed && !m_opt.resume_failed)) {
                std::lock_guard lock(m_mutex);
                if (state == joblog_index::state::failed) {
                    ++m_resumed_failed;
                    write_failed(task->raw);
                } else {
                    ++m_resumed;
                }
                return nullptr;
            }
        }
        if (!m_opt.output_dir.empty()) {
            if (std::string why = output_name_problem(rec.fields, row, task->output_name);
                !why.empty()) {
                skip_row(row, rec.line, why, rec.raw);
                return nullptr;
            }
        }
        task->argv = m_template.expand(rec.fields, row);
        return task;
    }

    // Sets `name` to the row's unique output name, or returns why it has none.
    std::string output_name_problem(const std::vector<std::string>& fields, std::uint64_t row,
                                    std::string& name) {
        if (std::string why = m_name_template.row_problem(fields); !why.empty()) {
            return "--output-name: " + why;
        }
        name = m_name_template.expand(fields, row).front();
        if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos) {
            return "--output-name gives " + shell_quote(name) +
                   ", which cannot be a file name (empty, '.', '..' or holding '/')";
        }
        if (!m_names_used.insert(name).second) {
            for (std::uint64_t n = 2;; ++n) {
                std::string candidate = name + "-" + std::to_string(n);
                if (m_names_used.insert(candidate).second) {
                    name = std::move(candidate);
                    break;
                }
            }
        }
        return {};
    }

    // After a stop: the records read but not run (rows last_row + 1, ...) and
    // the rest of the input go to --failed-out as they were read, less the
    // rows a --resume's job log has as succeeded (a stop before the reader
    // got to them must not hand finished rows back). The rest only when it
    // can be read to its end without waiting (a regular file): reading on a
    // pipe or a terminal might wait forever. The records in hand are put back
    // in front of the rest and read again with it, by a reader of its own.
    void keep_unread(const std::vector<const csv_record*>& read, std::uint64_t last_row,
                     fd_streambuf& input, bool at_end) {
        std::lock_guard lock(m_mutex);
        at_end = at_end && !input.stopped();  // a stop ended the read of a pipe
        if (m_files.failed_out < 0) {
            m_unread_left = !read.empty() || !at_end;
            return;
        }
        std::string in_hand;
        for (const csv_record* r : read) in_hand += r->raw;
        // A record whose read the stop ended (a pipe) is left out: the rest
        // of it was not read.
        if (!read.empty() && input.cut_by_stop(read.back()->raw)) {
            in_hand.resize(in_hand.size() - read.back()->raw.size());
        }
        const bool rest = !at_end && m_files.csv_is_regular;
        std::stringbuf in_hand_only(in_hand, std::ios_base::in);
        if (rest) input.put_back(in_hand);  // a regular file: read with no stop fd
        csv_reader reader(rest ? static_cast<std::streambuf&>(input) : in_hand_only);
        reader.continues_input();
        bool kept = false;
        for (csv_record r; reader.next(r);) {
            if (logged_success(++last_row, r)) {
                ++m_unread_succeeded;
                continue;
            }
            write_failed(line_of(r.raw));
            kept = true;
        }
        if (rest && input.read_error() != 0 && m_failed_out_error == 0) {
            m_failed_out_error = input.read_error();
        }
        m_unread_left = kept || (!at_end && !m_files.csv_is_regular);
        m_unread_kept = m_unread_left && (at_end || m_files.csv_is_regular);
    }

    // Whether --resume's job log has this record, as row `row`, succeeded.
    bool logged_success(std::uint64_t row, const csv_record& r) const {
        if (!m_opt.resume || !r.error.empty()) return false;
        bool mismatch = false;
        return m_log.lookup(row, fields_hash(r.fields), mismatch) ==
                   joblog_index::state::succeeded &&
               !mismatch;
    }

    void dry_run_row(std::uint64_t row, const csv_record& rec) {
        auto task = prepare_row(row, rec);
        if (!task) return;
        std::lock_guard lock(m_mutex);
        ++m_ran;
        emit(shell_join(task->argv) + "\n");
    }

    // --- Running ------------------------------------------------------------

    // Runs on a pool worker: the row's command, retried while it fails.
    void run_task(const row_task& task) noexcept {
        if (stop_requested()) {
            not_started(task);
            return;
        }
        m_running.fetch_add(1);
        timespec wall{};
        ::clock_gettime(CLOCK_REALTIME, &wall);
        child_outcome outcome;
        std::size_t attempts = 0;
        log_state logged = log_state::not_logged;
        std::string internal_error;
        try {
            const child_options child = child_options_for(task);
            for (;;) {
                if (!wait_for_start_turn()) break;
                ++attempts;
                const bool last = attempts > m_opt.retries;
                outcome = attempt(task, child, attempts, last, logged);
                if (outcome.succeeded() || last || !can_succeed_on_retry(outcome) ||
                    outcome.how == child_outcome::kind::interrupted || stop_requested()) {
                    break;
                }
                const auto backoff = m_opt.retry_delay *
                                     (std::uint64_t{1} << std::min<std::size_t>(attempts - 1, 30));
                if (!sleep_unless_stopped(steady::now() + backoff)) break;
            }
        } catch (const std::exception& e) {
            internal_error = e.what();
        }
        m_running.fetch_sub(1);
        try {
            if (attempts == 0 && internal_error.empty()) {
                not_started(task);
            } else {
                report(task, outcome, attempts, logged, wall, internal_error);
            }
        } catch (const std::exception&) {
            std::lock_guard lock(m_mutex);
            ++m_failed;  // out of memory while formatting: still counted
        }
    }

    // Errors no retry can mend: the same argv fails the same way.
    static bool can_succeed_on_retry(const child_outcome& o) {
        if (o.how != child_outcome::kind::spawn_failed) return true;
        switch (o.value) {
            case ENOENT:
            case EACCES:
            case ENOEXEC:
            case E2BIG:
            case ENOTDIR:
            case ELOOP:
            case ENAMETOOLONG:
            case EISDIR:
            case EPERM:
                return false;
            default:
                return true;
        }
    }

    // Waits until --delay allows the next start; false if a stop came first.
    bool wait_for_start_turn() {
        if (m_opt.delay.count() == 0) return !stop_requested();
        steady::time_point turn;
        {
            std::lock_guard lock(m_delay_mutex);
            turn = std::max(steady::now(), m_next_start);
            m_next_start = turn + std::chrono::ceil<steady::duration>(m_opt.delay);
        }
        return sleep_unless_stopped(turn);
    }

    child_options child_options_for(const row_task& task) const {
        child_options c;
        c.timeout = m_opt.timeout;
        c.stop_fd = g_stop.hard_read;
        if (!task.output_name.empty()) {
            const std::string base = m_opt.output_dir + "/" + task.output_name;
            c.stdout_path = base + ".out";
            c.stderr_path = base + ".err";
        }
        return c;
    }

    // One run of the command: directly, or through a row watcher when there
    // is a job log (`logged` then says whether the watcher logged the row).
    child_outcome attempt(const row_task& task, child_options child, std::size_t attempts,
                          bool last, log_state& logged) {
        logged = log_state::not_logged;
        if (m_files.joblog < 0) return run_child(task.argv, child);
        int report_read = -1;
        int report_write = -1;
        make_pipe(report_read, report_write);
        // Above 4, so the dup2 to 4 always copies (see open_joblog).
        const unique_fd reader(::fcntl(report_read, F_DUPFD_CLOEXEC, 10));
        const int high_write = ::fcntl(report_write, F_DUPFD_CLOEXEC, 10);
        ::close(report_read);
        ::close(report_write);
        unique_fd writer(high_write);
        if (reader.get() < 0 || writer.get() < 0) {
            throw std::system_error(errno, std::generic_category(), "fcntl");
        }
        std::vector<std::string> argv = {
            m_self_exe, std::string(k_watch_flag), std::to_string(task.row),
            task.hash,  std::to_string(attempts),  last ? "1" : "0",
            "--"};
        argv.insert(argv.end(), task.argv.begin(), task.argv.end());
        child.inherit_fds = {{m_files.joblog, k_watch_log_fd}, {writer.get(), k_watch_report_fd}};
        struct stat log_before = {};
        const off_t log_start = ::fstat(m_files.joblog, &log_before) == 0 ? log_before.st_size : -1;
        child_outcome outcome = run_child(argv, child);
        writer.reset();
        char buf[64] = {};
        const ssize_t n = ::read(reader.get(), buf, sizeof buf - 1);
        const std::string_view said(buf, n > 0 ? static_cast<std::size_t>(n) : 0);
        int status = 0;
        int flag = 0;
        if (said.starts_with("E ")) {
            return {child_outcome::kind::spawn_failed, std::atoi(buf + 2), outcome.elapsed};
        }
        if (std::sscanf(buf, "S %d %d", &status, &flag) == 2) {
            logged = flag == static_cast<int>(log_state::logged)         ? log_state::logged
                     : flag == static_cast<int>(log_state::write_failed) ? log_state::write_failed
                                                                         : log_state::not_logged;
            if (WIFEXITED(status)) {
                // The command finished on its own, even if a stop or timeout
                // then reached the watcher: that is what happened.
                return {child_outcome::kind::exited, WEXITSTATUS(status), outcome.elapsed};
            }
            if (WIFSIGNALED(status) && outcome.how == child_outcome::kind::exited) {
                return {child_outcome::kind::signaled, WTERMSIG(status), outcome.elapsed};
            }
        } else if (log_start >= 0 &&
                   joblog_logged_success_since(m_files.joblog, log_start, task.row, task.hash)) {
            // The watcher logged a success and was killed (a stop, a timeout)
            // before it could say so: the log is what happened.
            logged = log_state::logged;
            return {child_outcome::kind::exited, 0, outcome.elapsed};
        } else if (outcome.how == child_outcome::kind::exited) {
            return {child_outcome::kind::spawn_failed, EIO, outcome.elapsed};  // watcher failed
        }
        return outcome;  // timed out or interrupted
    }

    // --- Reporting (each under m_mutex) ---------------------------------------

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

    static std::string log_status(const child_outcome& o) {
        using kind = child_outcome::kind;
        switch (o.how) {
            case kind::exited:
                return joblog_status_exit(o.value);
            case kind::signaled:
                return signal_name(o.value);
            case kind::timed_out:
                return "timeout";
            case kind::interrupted:
                return "interrupted";
            case kind::spawn_failed:
                return joblog_status_errno(o.value);
        }
        return "?";
    }

    void report(const row_task& task, const child_outcome& outcome, std::size_t attempts,
                log_state logged, const timespec& wall, const std::string& internal_error) {
        constexpr std::size_t k_report_field_bytes = 200;
        const bool ok = internal_error.empty() && outcome.succeeded();
        std::string line = "row " + std::to_string(task.row) + (ok ? " ok: " : " FAILED: ");
        line += internal_error.empty() ? describe(outcome) : "internal error: " + internal_error;
        line += ", " + std::to_string(outcome.elapsed.count()) + " ms";
        if (m_opt.retries > 0) {
            line += ", " + std::to_string(attempts) + (attempts == 1 ? " attempt" : " attempts");
        }
        line += ": " + shell_join(task.argv, k_report_field_bytes) + "\n";
        std::string log_line;
        if (m_files.joblog >= 0 && logged != log_state::logged) {
            const double seconds = std::chrono::duration<double>(outcome.elapsed).count();
            log_line = joblog_line(task.row, task.hash, wall, seconds,
                                   internal_error.empty() ? log_status(outcome) : "internal-error",
                                   attempts);
        }

        std::lock_guard lock(m_mutex);
        ++m_ran;
        ++(ok ? m_succeeded : m_failed);
        if (!log_line.empty()) {
            // After a failed write the log may end inside a line: this one
            // starts on a line of its own (an empty line is ignored).
            if (logged == log_state::write_failed || m_joblog_error != 0) {
                log_line.insert(0, 1, '\n');
            }
            if (const int err = write_all(m_files.joblog, log_line); err != 0) {
                if (ok) m_unlogged_successes.push_back(task.row);
                if (m_joblog_error == 0) {
                    m_joblog_error = err;
                    set_stop(stop_reason::joblog, false);
                }
            }
        }
        if (!ok || !m_opt.quiet) emit(line);
        if (!ok) write_failed(task.raw);
        if (!ok && outcome.how != child_outcome::kind::interrupted) check_halt();
    }

    void skip_row(std::uint64_t row, std::size_t line, const std::string& why,
                  const std::string& raw) {
        std::lock_guard lock(m_mutex);
        ++m_skipped;
        emit(std::string(m_opt.dry_run ? "# " : "") + "row " + std::to_string(row) +
             " SKIPPED: line " + std::to_string(line) + ": " + why + "\n");
        write_failed(line_of(raw));
    }

    void not_started(const row_task& task) {
        std::lock_guard lock(m_mutex);
        ++m_not_started;
        write_failed(task.raw);
    }

    // Requires m_mutex.
    void check_halt() {
        const halt_rule& h = m_opt.halt;
        if (h.mode == halt_rule::when::never || m_stop != stop_reason::none) return;
        constexpr std::uint64_t k_min_rows_for_percent = 10;
        const std::uint64_t finished = m_succeeded + m_failed;
        const bool halt = h.percent > 0 ? finished >= k_min_rows_for_percent &&
                                              100.0 * static_cast<double>(m_failed) >=
                                                  h.percent * static_cast<double>(finished)
                                        : m_failed >= h.failures;
        if (halt) {
            m_halt_failures = m_failed;
            set_stop(stop_reason::halt, h.mode == halt_rule::when::now);
        }
    }

    // Requires m_mutex. The first reason is the one reported.
    void set_stop(stop_reason why, bool hard) {
        if (m_stop == stop_reason::none) m_stop = why;
        request_stop(hard);
    }

    // A report line on stdout (stderr with --failed-out -). One write per
    // line, under m_mutex, so lines from workers never mix. A failed write
    // stops the run. Requires m_mutex.
    void emit(const std::string& line) {
        if (m_output_error != 0) return;
        if (const int err = write_all(m_report_fd, line); err != 0) output_died(err);
    }

    // Requires m_mutex.
    void output_died(int err) {
        if (m_output_error != 0) return;
        m_output_error = err;
        set_stop(stop_reason::output, false);
    }

    // A pipe whose reader has gone shows POLLERR on its write end: notices a
    // `| head` that has exited even when poolrun has nothing to write.
    bool report_output_dead() {
        if (!m_report_is_pipe) return false;
        pollfd fd = {m_report_fd, 0, 0};
        if (::poll(&fd, 1, 0) == 1 && (fd.revents & POLLERR) != 0) {
            std::lock_guard lock(m_mutex);
            output_died(EPIPE);
            return true;
        }
        return false;
    }

    // Requires m_mutex.
    void write_failed(const std::string& text) {
        if (m_files.failed_out < 0 || m_failed_out_error != 0) return;
        if (const int err = write_all(m_files.failed_out, text); err != 0) {
            m_failed_out_error = err;
            if (m_files.failed_out == STDOUT_FILENO) {
                output_died(err);
            } else {
                set_stop(stop_reason::failed_out, false);
            }
        }
    }

    // --- Progress -------------------------------------------------------------

    void start_progress() {
        m_progress = std::thread([this] {
            std::unique_lock lock(m_mutex);
            while (!m_progress_done) {
                draw_progress();
                m_progress_cv.wait_for(lock, std::chrono::milliseconds(250));
            }
            write_all(STDERR_FILENO, "\r\033[K");
        });
    }

    void stop_progress() {
        if (!m_progress.joinable()) return;
        {
            std::lock_guard lock(m_mutex);
            m_progress_done = true;
        }
        m_progress_cv.notify_one();
        m_progress.join();
    }

    // Requires m_mutex.
    void draw_progress() {
        const double secs = std::chrono::duration<double>(steady::now() - m_start).count();
        const std::uint64_t done =
            m_succeeded + m_failed + m_skipped + m_resumed + m_resumed_failed;
        const double rate = secs > 0 ? static_cast<double>(m_succeeded + m_failed) / secs : 0;
        char text[256];
        int n = 0;
        if (m_files.total_rows) {
            const std::uint64_t total = *m_files.total_rows;
            n = std::snprintf(
                text, sizeof text,
                "\r\033[Kpoolrun: %llu/%llu done, %llu failed, %zu running, %.1f rows/s",
                static_cast<unsigned long long>(done), static_cast<unsigned long long>(total),
                static_cast<unsigned long long>(m_failed + m_skipped), m_running.load(), rate);
            if (rate > 0 && total > done) {
                const auto eta = static_cast<long long>(static_cast<double>(total - done) / rate);
                n += std::snprintf(text + n, sizeof text - static_cast<std::size_t>(n),
                                   ", ETA %lldm%02llds", eta / 60, eta % 60);
            }
        } else {
            n = std::snprintf(text, sizeof text,
                              "\r\033[Kpoolrun: %llu done, %llu failed, %zu running, %.1f rows/s",
                              static_cast<unsigned long long>(done),
                              static_cast<unsigned long long>(m_failed + m_skipped),
                              m_running.load(), rate);
        }
        write_all(STDERR_FILENO, std::string_view(text, static_cast<std::size_t>(std::max(n, 0))));
    }

    // --- The end ----------------------------------------------------------------

    int finish() {
        const double wall = std::chrono::duration<double>(steady::now() - m_start).count();
        std::lock_guard lock(m_mutex);
        const int sig = g_stop_signal.load();
        if (sig != 0) m_stop = stop_reason::signal;
        char wall_text[32];
        std::snprintf(wall_text, sizeof wall_text, "%.3f", wall);
        std::string s = m_opt.dry_run ? "poolrun: dry run: " + std::to_string(m_ran) +
                                            " commands shown, skipped " + std::to_string(m_skipped)
                                      : "poolrun: ran " + std::to_string(m_ran) + ", succeeded " +
                                            std::to_string(m_succeeded) + ", failed " +
                                            std::to_string(m_failed) + ", skipped " +
                                            std::to_string(m_skipped);
        if (m_opt.resume) {
            s += ", already succeeded " + std::to_string(m_resumed) + ", already failed " +
                 std::to_string(m_resumed_failed);
        }
        s += ", wall " + std::string(wall_text) + " s\n";
        std::string why;
        switch (m_stop) {
            case stop_reason::none:
                break;
            case stop_reason::signal:
                why = "stopped by " + signal_name(sig) + ": running commands were terminated";
                break;
            case stop_reason::output:
                why = "stopped: writing the report failed (" + errno_text(m_output_error) +
                      "): running commands were let finish";
                break;
            case stop_reason::halt:
                why =
                    "halted after " + std::to_string(m_halt_failures) + " failed rows (--halt): " +
                    (m_opt.halt.mode == halt_rule::when::now ? "running commands were terminated"
                                                             : "running commands were let finish");
                break;
            case stop_reason::joblog:
                why = "stopped: writing the job log failed (" + errno_text(m_joblog_error) + ")";
                break;
            case stop_reason::failed_out:
                why =
                    "stopped: writing --failed-out failed (" + errno_text(m_failed_out_error) + ")";
                break;
            case stop_reason::log_mismatch:
                why = "stopped: row " + std::to_string(m_mismatch_row) +
                      " of the CSV is not the row the job log has under that number: is this the "
                      "CSV the log was written for?";
                break;
        }
        if (!why.empty()) {
            s += "poolrun: " + why + "; " + std::to_string(m_not_started) +
                 " queued rows were not started";
            if (m_unread_left) {
                s += m_unread_kept ? " and the rest of the CSV was copied to --failed-out unread"
                                   : " and the rest of the CSV was not read";
            }
            if (m_unread_succeeded > 0) {
                s += "; " + std::to_string(m_unread_succeeded) +
                     " unread rows the job log has as succeeded were left out of --failed-out";
            }
            s += "\n";
        }
        if (m_failed_out_error != 0 && m_stop != stop_reason::failed_out) {
            s += "poolrun: writing --failed-out '" + m_opt.failed_out +
                 "' failed: " + errno_text(m_failed_out_error) + "\n";
        }
        if (m_joblog_error != 0 && m_stop != stop_reason::joblog) {
            s += "poolrun: writing the job log failed: " + errno_text(m_joblog_error) + "\n";
        }
        if (!m_unlogged_successes.empty()) {
            s += "poolrun: " + unlogged_text() +
                 " succeeded but could not be logged: a --resume would run them again" +
                 (m_files.failed_out >= 0 ? "; --failed-out holds exactly the rows left\n" : "\n");
        }
        write_all(STDERR_FILENO, s);
        if (sig != 0) return 128 + sig;
        if (m_stop == stop_reason::log_mismatch) return 2;
        if (m_output_error == EPIPE) return 128 + SIGPIPE;
        const bool all_ok = m_failed == 0 && m_skipped == 0 && m_resumed_failed == 0 &&
                            !m_input_failed && m_failed_out_error == 0 && m_joblog_error == 0 &&
                            m_output_error == 0 && m_stop == stop_reason::none;
        return all_ok ? 0 : 1;
    }

    // "rows 7, 9 and 12", at most k_shown of them named. Requires m_mutex.
    std::string unlogged_text() const {
        constexpr std::size_t k_shown = 20;
        std::vector<std::uint64_t> rows = m_unlogged_successes;
        std::sort(rows.begin(), rows.end());
        std::string s = rows.size() == 1 ? "row " : "rows ";
        const std::size_t shown = std::min(rows.size(), k_shown);
        for (std::size_t i = 0; i < shown; ++i) {
            if (i > 0) s += i + 1 == rows.size() ? " and " : ", ";
            s += std::to_string(rows[i]);
        }
        if (rows.size() > shown) s += " and " + std::to_string(rows.size() - shown) + " more";
        return s;
    }

    const options& m_opt;
    command_template m_template;       // bound to the header, then read-only
    command_template m_name_template;  // --output-name; likewise
    const files m_files;
    const joblog_index m_log;
    const std::string m_self_exe;  // this binary, for the row watchers
    const int m_report_fd;
    bool m_report_is_pipe = false;
    steady::time_point m_start;
    std::unordered_set<std::string> m_names_used;  // reader thread only

    std::mutex m_delay_mutex;  // guards m_next_start
    steady::time_point m_next_start;

    std::atomic<std::size_t> m_running{0};  // rows with a command running, for the progress line

    std::mutex m_mutex;  // guards everything below, the report, --failed-out, the job log
    std::uint64_t m_ran = 0;
    std::uint64_t m_succeeded = 0;
    std::uint64_t m_failed = 0;
    std::uint64_t m_skipped = 0;
    std::uint64_t m_resumed = 0;         // skipped by --resume: logged as succeeded
    std::uint64_t m_resumed_failed = 0;  // skipped by --resume: logged as failed
    std::uint64_t m_not_started = 0;
    std::uint64_t m_mismatch_row = 0;
    std::uint64_t m_halt_failures = 0;  // m_failed when --halt fired
    stop_reason m_stop = stop_reason::none;
    bool m_unread_left = false;
    bool m_unread_kept = false;
    std::uint64_t m_unread_succeeded = 0;  // unread, left out: logged as succeeded
    int m_output_error = 0;
    int m_failed_out_error = 0;
    int m_joblog_error = 0;
    std::vector<std::uint64_t> m_unlogged_successes;  // their job-log lines failed
    bool m_input_failed = false;
    bool m_progress_done = false;
    std::condition_variable m_progress_cv;
    std::thread m_progress;
};

// Data rows in the CSV file at `path` (records, less the header), without
// holding them; nothing if it cannot be read.
std::optional<std::uint64_t> count_rows(const std::string& path, bool header) {
    std::filebuf in;
    if (in.open(path, std::ios::in | std::ios::binary) == nullptr) return std::nullopt;
    csv_reader reader(in);
    csv_record rec;
    std::uint64_t n = 0;
    while (reader.next(rec)) ++n;
    return header && n > 0 ? n - 1 : n;
}

int run_main(int argc, char** argv) {
    if (argc >= 2 && std::string_view(argv[1]) == k_watch_flag) return run_row_watcher(argc, argv);
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
    const auto check_template = [&](const std::vector<std::string>& args, const char* what) {
        try {
            const command_template check(args);
            if (!opt.header && !check.unbound_names().empty()) {
                throw usage_error(std::string(what) + "{" + check.unbound_names().front() +
                                  "} names a column by its header, which needs --header (or use "
                                  "{N})");
            }
        } catch (const std::invalid_argument& e) {
            throw usage_error(what + std::string(e.what()));
        }
    };
    check_template(opt.command, "");
    check_template({opt.output_name}, "--output-name: ");
    if (const auto name = command_template(opt.command).constant_argument(0);
        name && !opt.dry_run) {
        if (std::string why = command_problem(*name); !why.empty()) throw usage_error(why);
    }
    runner::files f;
    const unique_fd csv = open_csv(opt.csv_path);
    f.csv = csv.get();
    struct stat st = {};
    f.csv_is_regular = ::fstat(csv.get(), &st) == 0 && S_ISREG(st.st_mode);
    // For the progress line, a regular file is counted first.
    if (f.csv_is_regular && opt.progress) {
        f.total_rows = count_rows(opt.csv_path, opt.header);
    }
    if (!opt.output_dir.empty() && !opt.dry_run) prepare_output_dir(opt.output_dir);
    unique_fd joblog;
    if (!opt.joblog.empty() && same_file(opt.joblog, csv.get())) {
        throw usage_error("--joblog '" + opt.joblog + "' is the CSV being read");
    }
    if (!opt.joblog.empty() && !opt.failed_out.empty() && opt.failed_out != "-") {
        // Before the log is created or locked; open_failed_out() checks again
        // (a link to a log that does not exist yet).
        if (same_file(opt.failed_out, opt.joblog)) {
            throw usage_error("--failed-out '" + opt.failed_out + "' is the job log");
        }
    }
    // From here on a stop is a clean one: the wait for the job log polls it.
    install_stop_handlers();
    if (!opt.joblog.empty() && !opt.dry_run) {
        try {
            joblog = open_joblog(opt.joblog);
        } catch (const stopped_waiting&) {
            const int sig = g_stop_signal.load();
            write_all(STDERR_FILENO,
                      "poolrun: stopped by " + signal_name(sig) +
                          " while waiting for the job log, before any row ran; " +
                          (opt.failed_out.empty()
                               ? std::string()
                               : "--failed-out '" + opt.failed_out + "' was left as it was; ") +
                          "the job log '" + opt.joblog +
                          "' has what was done (finish with --resume)\n");
            return 128 + sig;
        }
    }
    f.joblog = joblog.get();
    unique_fd failed;
    if (!opt.failed_out.empty()) failed = open_failed_out(opt.failed_out, csv.get(), joblog.get());
    f.failed_out = failed.get();
    joblog_index log;
    if (opt.resume) log = read_joblog(opt.joblog);
    std::string self_exe;
    if (!opt.joblog.empty()) {
        char buf[PATH_MAX + 1] = {};
        const ssize_t n = ::readlink("/proc/self/exe", buf, PATH_MAX);
        if (n <= 0)
            throw std::system_error(errno, std::generic_category(), "readlink /proc/self/exe");
        self_exe.assign(buf, static_cast<std::size_t>(n));
    }
    runner r(opt, f, std::move(log), std::move(self_exe));
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
