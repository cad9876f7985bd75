// poolrun's CSV reader and writer: a streaming RFC 4180 parser (quoted fields,
// separators and line breaks inside quotes, doubled quotes; LF, CRLF or CR line
// ends; no final newline needed) reading one record at a time from a
// std::streambuf, so memory stays bounded, and the encoder for --failed-out.
// A malformed record comes back with an error and its first line number.
// Not thread-safe: one csv_reader belongs to one thread.
#pragma once

#include <cstddef>
#include <streambuf>
#include <string>
#include <string_view>
#include <vector>

namespace poolrun {

// One record as read. When `error` is not empty the record is malformed and
// `fields` holds only what was read before the problem.
struct csv_record {
    std::vector<std::string> fields;
    std::size_t line = 0;  // 1-based physical line on which the record starts
    std::string error;     // why the record is malformed; empty when it is fine
};

class csv_reader {
  public:
    // A record longer than this is malformed (most likely a stray quote that
    // would otherwise swallow the rest of the file into one field).
    static constexpr std::size_t k_default_max_record_bytes = std::size_t{16} << 20;

    explicit csv_reader(std::streambuf& in,
                        std::size_t max_record_bytes = k_default_max_record_bytes)
        : m_in(in), m_max_record_bytes(max_record_bytes) {}

    // Reads the next record into `rec`; returns false at the end of the input.
    // Empty lines are skipped (a record of one empty field is written `""`).
    bool next(csv_record& rec) {
        rec.fields.clear();
        rec.error.clear();
        for (;;) {
            const int c = m_in.sgetc();
            if (c == k_eof) return false;
            if (c != '\r' && c != '\n') break;
            end_line(m_in.sbumpc());
        }
        rec.line = m_line;
        std::size_t bytes = 0;
        for (;;) {
            std::string field;
            if (m_in.sgetc() == '"') {
                if (!read_quoted(field, bytes, rec)) return true;
            } else if (!read_unquoted(field, bytes, rec)) {
                return true;
            }
            rec.fields.push_back(std::move(field));
            const int c = m_in.sbumpc();
            if (c == ',') {
                if (++bytes > m_max_record_bytes) return fail_and_resync(rec, too_long());
                continue;
            }
            if (c != k_eof) end_line(c);  // the field readers stop only at , CR LF or EOF
            return true;
        }
    }

  private:
    static constexpr int k_eof = std::streambuf::traits_type::eof();

    static bool is_field_end(int c) { return c == ',' || c == '\r' || c == '\n' || c == k_eof; }

    // `c` (CR or LF) has just been consumed: a CRLF pair is one line end.
    void end_line(int c) {
        if (c == '\r' && m_in.sgetc() == '\n') m_in.sbumpc();
        ++m_line;
    }

    std::string too_long() const {
        return "record longer than " + std::to_string(m_max_record_bytes) +
               " bytes (unbalanced quote?)";
    }

    // Records the error and skips to the start of the next physical line.
    bool fail_and_resync(csv_record& rec, std::string error) {
        rec.error = std::move(error);
        for (int c = m_in.sbumpc(); c != k_eof; c = m_in.sbumpc()) {
            if (c == '\r' || c == '\n') {
                end_line(c);
                break;
            }
        }
        return false;
    }

    bool read_unquoted(std::string& field, std::size_t& bytes, csv_record& rec) {
        for (int c = m_in.sgetc(); !is_field_end(c); c = m_in.sgetc()) {
            m_in.sbumpc();
            if (c == '"') {
                return fail_and_resync(
                    rec, "quote inside unquoted field " + std::to_string(rec.fields.size() + 1));
            }
            if (++bytes > m_max_record_bytes) return fail_and_resync(rec, too_long());
            field.push_back(static_cast<char>(c));
        }
        return true;
    }

    bool read_quoted(std::string& field, std::size_t& bytes, csv_record& rec) {
        m_in.sbumpc();  // the opening quote
        for (;;) {
            const int c = m_in.sbumpc();
            if (c == k_eof) {
                rec.error = "unterminated quoted field " + std::to_string(rec.fields.size() + 1);
                return false;
            }
            if (c == '"') {
                if (m_in.sgetc() != '"') break;
                m_in.sbumpc();
            } else if (c == '\n' || (c == '\r' && m_in.sgetc() != '\n')) {
                ++m_line;  // a line end inside the field: kept verbatim, but counted
            }
            if (++bytes > m_max_record_bytes) return fail_and_resync(rec, too_long());
            field.push_back(static_cast<char>(c));
        }
        if (!is_field_end(m_in.sgetc())) {
            return fail_and_resync(rec, "unexpected character after the closing quote of field " +
                                            std::to_string(rec.fields.size() + 1));
        }
        return true;
    }

    std::streambuf& m_in;
    std::size_t m_max_record_bytes;
    std::size_t m_line = 1;  // the physical line the next character is on
};

// Encodes one record as a CSV line ending in "\n", quoting the fields that
// need it, so that csv_reader reads back exactly `fields`.
inline std::string csv_encode(const std::vector<std::string>& fields) {
    std::string out;
    if (fields.size() == 1 && fields.front().empty()) return "\"\"\n";  // not a blank line
    for (std::size_t i = 0; i < fields.size(); ++i) {
        if (i > 0) out.push_back(',');
        const std::string& f = fields[i];
        if (f.find_first_of(",\"\r\n") == std::string::npos) {
            out += f;
            continue;
        }
        out.push_back('"');
        for (char c : f) {
            if (c == '"') out.push_back('"');
            out.push_back(c);
        }
        out.push_back('"');
    }
    out.push_back('\n');
    return out;
}

}  // namespace poolrun
