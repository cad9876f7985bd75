// poolrun's job log (--joblog): one CSV line per finished row, appended with
// one write() so a line is whole or absent even after a kill -9, and the
// reading of such a log back for --resume. A row is known by its number and
// a hash of its fields (FNV-1a, 64 bits), so a resume against a changed CSV
// is caught rather than skipping the wrong rows. Free functions, thread-safe;
// joblog_index is built by one thread and only read after.
#pragma once

#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "csv.hpp"

namespace poolrun {

inline constexpr std::string_view k_joblog_header = "row,hash,start,seconds,status,attempts\n";

// FNV-1a over each field's length and bytes (the length keeps {"ab"} and
// {"a","b"} apart), as 16 hex digits.
inline std::string fields_hash(const std::vector<std::string>& fields) {
    std::uint64_t h = 0xcbf29ce484222325ULL;
    const auto mix = [&h](unsigned char byte) {
        h ^= byte;
        h *= 0x100000001b3ULL;
    };
    for (const auto& f : fields) {
        std::uint64_t n = f.size();
        for (int i = 0; i < 8; ++i, n >>= 8) mix(static_cast<unsigned char>(n & 0xff));
        for (char c : f) mix(static_cast<unsigned char>(c));
    }
    char out[17];
    std::snprintf(out, sizeof out, "%016llx", static_cast<unsigned long long>(h));
    return out;
}

// The status column. "0" is success and the only one; "1".."255" an exit
// status; "SIGSEGV" and the like a crash; "timeout"; "interrupted" (ended by
// a stop: --resume runs it again); "cannot-run:ENOENT" and the like.
inline std::string joblog_status_exit(int code) {
    return std::to_string(code);
}

inline std::string joblog_status_errno(int err) {
    const char* name = ::strerrorname_np(err);
    return std::string("cannot-run:") + (name != nullptr ? name : std::to_string(err).c_str());
}

// A wall-clock time as 2026-01-31T12:34:56.789Z.
inline std::string utc_timestamp(const timespec& ts) {
    tm parts{};
    ::gmtime_r(&ts.tv_sec, &parts);
    char out[64];
    std::snprintf(out, sizeof out, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", parts.tm_year + 1900,
                  parts.tm_mon + 1, parts.tm_mday, parts.tm_hour, parts.tm_min, parts.tm_sec,
                  ts.tv_nsec / 1'000'000);
    return out;
}

inline std::string joblog_line(std::uint64_t row, const std::string& hash, const timespec& start,
                               double seconds, const std::string& status, std::size_t attempts) {
    char secs[32];
    std::snprintf(secs, sizeof secs, "%.3f", seconds);
    return std::to_string(row) + "," + hash + "," + utc_timestamp(start) + "," + secs + "," +
           status + "," + std::to_string(attempts) + "\n";
}

// What a job log says about the rows it names.
class joblog_index {
public:
    // Ordered: a row logged twice keeps the later one in this order.
    enum class state { absent, interrupted, failed, succeeded };

    // Reads a log written by joblog_line. The header and lines that are not
    // six fields with a numeric row are ignored. Not thread-safe.
    void read(std::streambuf& in) {
        csv_reader reader(in);
        csv_record rec;
        while (reader.next(rec)) {
            if (!rec.error.empty() || rec.fields.size() != 6) continue;
            char* end = nullptr;
            errno = 0;
            const unsigned long long row = std::strtoull(rec.fields[0].c_str(), &end, 10);
            if (rec.fields[0].empty() || *end != '\0' || errno != 0) continue;
            const std::string& status = rec.fields[4];
            const state s = status == "0"             ? state::succeeded
                            : status == "interrupted" ? state::interrupted
                                                      : state::failed;
            entry& e = m_rows[row];
            if (e.hash != rec.fields[1] && !e.hash.empty()) e.conflict = true;
            e.hash = rec.fields[1];
            // The best outcome counts: a success after a failure is a success.
            if (s > e.s) e.s = s;
        }
    }

    // The logged outcome of `row`; sets `mismatch` when the log knows the row
    // with other fields (the CSV changed since). Thread-safe once read.
    state lookup(std::uint64_t row, const std::string& hash, bool& mismatch) const {
        const auto it = m_rows.find(row);
        if (it == m_rows.end()) return state::absent;
        mismatch = it->second.hash != hash || it->second.conflict;
        return it->second.s;
    }

    std::size_t size() const noexcept { return m_rows.size(); }

private:
    struct entry {
        std::string hash;
        state s = state::absent;
        bool conflict = false;  // two lines gave the row different hashes
    };
    std::unordered_map<std::uint64_t, entry> m_rows;
};

// Whether the lines appended to the job log `fd` (opened for reading) from
// byte `from` on log `row`, with `hash`, as succeeded. A row watcher logs a
// success before it reports it to poolrun; one killed in between (a hard
// stop's SIGKILL) left its row logged but unreported, and this finds it.
inline bool joblog_logged_success_since(int fd, off_t from, std::uint64_t row,
                                        const std::string& hash) {
    std::string tail;
    char buf[64 * 1024];
    for (off_t at = from;;) {
        const ssize_t n = ::pread(fd, buf, sizeof buf, at);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        tail.append(buf, static_cast<std::size_t>(n));
        at += n;
    }
    std::stringbuf in(tail);
    joblog_index index;
    index.read(in);
    bool mismatch = false;
    return index.lookup(row, hash, mismatch) == joblog_index::state::succeeded && !mismatch;
}

}  // namespace poolrun
