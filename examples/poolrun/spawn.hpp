// poolrun's child processes. run_child() starts one command directly
// (posix_spawnp: PATH lookup like execvp, never a shell) in a process group of
// its own with stdin on /dev/null, and waits for it without spinning: poll()
// on a pidfd (Linux 5.3+), else poll() sleeps of a few ms between waitid()
// checks. A timeout or a readable stop fd ends the whole group: SIGTERM, then
// SIGKILL after a grace period. The caller may hand the child extra
// descriptors (the job log watcher's, in poolrun.cpp). Thread-safe: many
// threads may run children.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <optional>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

extern char** environ;  // NOLINT: POSIX declares it nowhere else portably

namespace poolrun {

using steady = std::chrono::steady_clock;

// How one run of a command ended.
struct child_outcome {
    enum class kind { exited, signaled, timed_out, interrupted, spawn_failed };
    kind how = kind::exited;
    int value = 0;  // exit status, signal number, or the errno of the failed spawn
    std::chrono::milliseconds elapsed{};

    bool succeeded() const noexcept { return how == kind::exited && value == 0; }
};

struct child_options {
    std::string stdout_path;  // empty: inherit poolrun's stdout
    std::string stderr_path;  // empty: inherit poolrun's stderr
    std::optional<std::chrono::nanoseconds> timeout;
    std::chrono::milliseconds kill_grace{1000};  // SIGTERM to SIGKILL
    int stop_fd = -1;               // once readable, the child is ended and reported interrupted
    bool new_process_group = true;  // false: stays in the caller's group
    bool stdin_null = true;         // false: inherits the caller's stdin
    // Descriptors the child gets: {caller's fd, number in the child}. The
    // caller's fds must not be 0..2 nor any target number.
    std::vector<std::pair<int, int>> inherit_fds;
};

namespace detail {

// How long the fallback without a pidfd sleeps between checks of the child.
inline constexpr int k_fallback_poll_ms = 5;

inline void check_posix(int err, const char* what) {
    if (err != 0) throw std::system_error(err, std::generic_category(), what);
}

struct spawn_attributes {
    posix_spawnattr_t attr;
    spawn_attributes() { check_posix(posix_spawnattr_init(&attr), "posix_spawnattr_init"); }
    ~spawn_attributes() { posix_spawnattr_destroy(&attr); }
    spawn_attributes(const spawn_attributes&) = delete;
    spawn_attributes& operator=(const spawn_attributes&) = delete;
};

struct spawn_file_actions {
    posix_spawn_file_actions_t actions;
    spawn_file_actions() {
        check_posix(posix_spawn_file_actions_init(&actions), "posix_spawn_file_actions_init");
    }
    ~spawn_file_actions() { posix_spawn_file_actions_destroy(&actions); }
    spawn_file_actions(const spawn_file_actions&) = delete;
    spawn_file_actions& operator=(const spawn_file_actions&) = delete;
};

// Starts argv as a new process group leader; returns 0 or the spawn's errno.
inline int spawn(const std::vector<std::string>& argv, const child_options& opt, pid_t& pid) {
    spawn_attributes sa;
    // The group lets a timeout or a stop reach everything the command started.
    // The signal mask is cleared and the signals poolrun catches or ignores
    // are reset to their defaults (ignored dispositions survive exec).
    sigset_t empty;
    sigset_t defaults;
    sigemptyset(&empty);
    sigemptyset(&defaults);
    for (int sig : {SIGINT, SIGTERM, SIGPIPE}) sigaddset(&defaults, sig);
    const short group_flag = opt.new_process_group ? POSIX_SPAWN_SETPGROUP : 0;
    check_posix(
        posix_spawnattr_setflags(&sa.attr, static_cast<short>(group_flag | POSIX_SPAWN_SETSIGMASK |
                                                              POSIX_SPAWN_SETSIGDEF)),
        "posix_spawnattr_setflags");
    check_posix(posix_spawnattr_setpgroup(&sa.attr, 0), "posix_spawnattr_setpgroup");
    check_posix(posix_spawnattr_setsigmask(&sa.attr, &empty), "posix_spawnattr_setsigmask");
    check_posix(posix_spawnattr_setsigdefault(&sa.attr, &defaults),
                "posix_spawnattr_setsigdefault");

    spawn_file_actions fa;
    // stdin is /dev/null, as with xargs: with --csv - it is the CSV itself.
    if (opt.stdin_null) {
        check_posix(posix_spawn_file_actions_addopen(&fa.actions, 0, "/dev/null", O_RDONLY, 0),
                    "posix_spawn_file_actions_addopen");
    }
    for (const auto& [from, to] : opt.inherit_fds) {
        check_posix(posix_spawn_file_actions_adddup2(&fa.actions, from, to),
                    "posix_spawn_file_actions_adddup2");
    }
    const int out_flags = O_WRONLY | O_CREAT | O_TRUNC;
    if (!opt.stdout_path.empty()) {
        check_posix(posix_spawn_file_actions_addopen(&fa.actions, 1, opt.stdout_path.c_str(),
                                                     out_flags, 0666),
                    "posix_spawn_file_actions_addopen");
    }
    if (!opt.stderr_path.empty()) {
        check_posix(posix_spawn_file_actions_addopen(&fa.actions, 2, opt.stderr_path.c_str(),
                                                     out_flags, 0666),
                    "posix_spawn_file_actions_addopen");
    }

    std::vector<char*> cargv;
    cargv.reserve(argv.size() + 1);
    for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
    cargv.push_back(nullptr);
    return posix_spawnp(&pid, cargv[0], &fa.actions, &sa.attr, cargv.data(), environ);
}

// A started child and its process group. The destructor kills the group and
// reaps the child if the owner has not, so no exit path leaves one behind.
class child_process {
public:
    enum class wake { exited, deadline, stop };

    explicit child_process(pid_t pid) noexcept : m_pid(pid), m_pidfd(open_pidfd(pid)) {}

    ~child_process() {
        if (!m_reaped) {
            signal_group(SIGKILL);
            reap();
        }
        if (m_pidfd >= 0) ::close(m_pidfd);
    }

    child_process(const child_process&) = delete;
    child_process& operator=(const child_process&) = delete;

    // Blocks until the child has exited (it is left unreaped, so its pid and
    // group id cannot be reused yet), `deadline` has passed, or `stop_fd`
    // (-1: none) is readable.
    wake wait(std::optional<steady::time_point> deadline, int stop_fd) {
        for (;;) {
            if (has_exited()) return wake::exited;
            int timeout_ms = -1;
            if (deadline) {
                const auto left =
                    std::chrono::ceil<std::chrono::milliseconds>(*deadline - steady::now());
                if (left.count() <= 0) return wake::deadline;
                timeout_ms = static_cast<int>(std::min<long long>(left.count(), INT_MAX));
            }
            if (m_pidfd < 0 && (timeout_ms < 0 || timeout_ms > k_fallback_poll_ms)) {
                timeout_ms = k_fallback_poll_ms;
            }
            pollfd fds[2] = {};
            nfds_t count = 0;
            if (m_pidfd >= 0) fds[count++] = {m_pidfd, POLLIN, 0};
            const nfds_t stop_index = count;
            if (stop_fd >= 0) fds[count++] = {stop_fd, POLLIN, 0};
            if (::poll(fds, count, timeout_ms) < 0 && errno != EINTR) {
                throw std::system_error(errno, std::generic_category(), "poll");
            }
            if (stop_fd >= 0 && fds[stop_index].revents != 0) {
                return has_exited() ? wake::exited : wake::stop;
            }
        }
    }

    void signal_group(int sig) noexcept { ::kill(-m_pid, sig); }

    // Waits for the child to be gone and returns its wait status (-1 if the
    // system lost it, which only an ignored SIGCHLD would cause).
    int reap() noexcept {
        int status = 0;
        pid_t r = 0;
        do {
            r = ::waitpid(m_pid, &status, 0);
        } while (r < 0 && errno == EINTR);
        m_reaped = true;
        return r == m_pid ? status : -1;
    }

private:
    static int open_pidfd(pid_t pid) noexcept {
#ifdef SYS_pidfd_open
        return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
#else
        (void)pid;
        return -1;
#endif
    }

    bool has_exited() {
        for (;;) {
            siginfo_t info{};
            if (::waitid(P_PID, static_cast<id_t>(m_pid), &info, WEXITED | WNOHANG | WNOWAIT) ==
                0) {
                return info.si_pid == m_pid;
            }
            if (errno == ECHILD) return true;  // already gone; reap() reports -1
            if (errno != EINTR) throw std::system_error(errno, std::generic_category(), "waitid");
        }
    }

    pid_t m_pid;
    int m_pidfd;  // -1 when pidfds are unavailable
    bool m_reaped = false;
};

}  // namespace detail

// Runs argv to completion under opt. Reports a spawn failure (command not
// found, not executable) as kind::spawn_failed rather than throwing.
// On timeout or stop: SIGTERM to the child's group; once the child has exited
// or kill_grace has passed, SIGKILL to whatever is left of the group.
inline child_outcome run_child(const std::vector<std::string>& argv, const child_options& opt) {
    using kind = child_outcome::kind;
    using wake = detail::child_process::wake;
    const auto start = steady::now();
    const auto elapsed = [&] {
        return std::chrono::duration_cast<std::chrono::milliseconds>(steady::now() - start);
    };
    pid_t pid = 0;
    if (const int err = detail::spawn(argv, opt, pid); err != 0) {
        return {kind::spawn_failed, err, elapsed()};
    }
    detail::child_process child(pid);
    std::optional<steady::time_point> deadline;
    if (opt.timeout) deadline = start + std::chrono::ceil<steady::duration>(*opt.timeout);
    const wake woke = child.wait(deadline, opt.stop_fd);
    if (woke == wake::exited) {
        const int status = child.reap();
        if (status == -1) return {kind::spawn_failed, ECHILD, elapsed()};
        if (WIFSIGNALED(status)) return {kind::signaled, WTERMSIG(status), elapsed()};
        return {kind::exited, WEXITSTATUS(status), elapsed()};
    }
    child.signal_group(SIGTERM);
    child.wait(steady::now() + opt.kill_grace, -1);
    child.signal_group(SIGKILL);
    child.reap();
    return {woke == wake::deadline ? kind::timed_out : kind::interrupted, 0, elapsed()};
}

}  // namespace poolrun
