// poolrun's CSV reader and writer: a streaming RFC 4180 parser (quoted fields,
// separators and line breaks inside quotes, doubled quotes; LF, CRLF or CR line
// ends; no final newline needed; a leading UTF-8 byte-order mark is dropped)
// reading one record at a time from a std::streambuf, so memory stays
// bounded, and the encoder for --failed-out. Each record also comes back as
// the bytes it was read from, so a malformed one can be passed on verbatim;
// it comes back with an error and its first line number.
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
    std::string raw;       // the bytes the record was read from, its line end included
};

class csv_reader {
public:
    // A record longer than this is malformed (most likely a stray quote that
    // would otherwise swallow the rest of the file into one field).
    static constexpr std::size_t k_default_max_record_bytes = std::size_t{16} << 20;

    explicit csv_reader(std::streambuf& in,
                        std::size_t max_record_bytes = k_default_max_record_bytes)
        : m_in(in), m_max_record_bytes(max_record_bytes) {}

    // The input is the rest of one already partly read: a leading EF BB BF is
    // data there, not a byte-order mark.
    void continues_input() noexcept { m_first = false; }

    // Reads the next record into `rec`; returns false at the end of the input.
    // Empty lines are skipped (a record of one empty field is written `""`).
    bool next(csv_record& rec) {
        rec.fields.clear();
        rec.error.clear();
        rec.raw.clear();
        m_raw = nullptr;
        std::string field = m_first ? take_byte_order_mark() : std::string();
        m_first = false;
        for (;;) {
            const int c = m_in.sgetc();
            if (c == k_eof && field.empty()) return false;
            if ((c != '\r' && c != '\n') || !field.empty()) break;
            end_line(bump());
        }
        rec.line = m_line;
        rec.raw = field;
        m_raw = &rec.raw;
        std::size_t bytes = field.size();
        for (;; field.clear()) {
            if (field.empty() && m_in.sgetc() == '"') {
                if (!read_quoted(field, bytes, rec)) return true;
            } else if (!read_unquoted(field, bytes, rec)) {
                return true;
            }
            rec.fields.push_back(std::move(field));
            const int c = bump();
            if (c == ',') {
                if (++bytes > m_max_record_bytes) {
                    fail_and_resync(rec, too_long());
                    return true;  // a malformed record, not the end of the input
                }
                continue;
            }
            if (c != k_eof) end_line(c);  // the field readers stop only at , CR LF or EOF
            return true;
        }
    }

private:
    static constexpr int k_eof = std::streambuf::traits_type::eof();

    // Consumes the next character, copying it into the record's raw bytes.
    int bump() {
        const int c = m_in.sbumpc();
        if (c != k_eof && m_raw != nullptr) m_raw->push_back(static_cast<char>(c));
        return c;
    }

    // At the start of the input: drops a UTF-8 byte-order mark (EF BB BF).
    // Returns the bytes taken when they turn out not to be one: they begin
    // the first field.
    std::string take_byte_order_mark() {
        static constexpr unsigned char k_bom[] = {0xEF, 0xBB, 0xBF};
        std::string taken;
        for (const unsigned char b : k_bom) {
            if (m_in.sgetc() != b) return taken;
            taken.push_back(static_cast<char>(m_in.sbumpc()));
        }
        return {};
    }

    static bool is_field_end(int c) { return c == ',' || c == '\r' || c == '\n' || c == k_eof; }

    // `c` (CR or LF) has just been consumed: a CRLF pair is one line end.
    void end_line(int c) {
        if (c == '\r' && m_in.sgetc() == '\n') bump();
        ++m_line;
    }

    std::string too_long() const {
        return "record longer than " + std::to_string(m_max_record_bytes) +
               " bytes (unbalanced quote?)";
    }

    // Records the error and skips to the start of the next physical line.
    bool fail_and_resync(csv_record& rec, std::string error) {
        rec.error = std::move(error);
        for (int c = bump(); c != k_eof; c = bump()) {
            if (c == '\r' || c == '\n') {
                end_line(c);
                break;
            }
        }
        return false;
    }

    bool read_unquoted(std::string& field, std::size_t& bytes, csv_record& rec) {
        for (int c = m_in.sgetc(); !is_field_end(c); c = m_in.sgetc()) {
            bump();
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
        bump();  // the opening quote
        for (;;) {
            const int c = bump();
            if (c == k_eof) {
                rec.error = "unterminated quoted field " + std::to_string(rec.fields.size() + 1);
                return false;
            }
            if (c == '"') {
                if (m_in.sgetc() != '"') break;
                bump();
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
    std::size_t m_line = 1;        // the physical line the next character is on
    bool m_first = true;           // nothing read yet: a byte-order mark may come
    std::string* m_raw = nullptr;  // where bump() copies to: the current record's raw
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
