// poolrun's command template: the argument vector given after `--`, in which
// {N} stands for column N (1-based) of the current CSV row, {name} for the
// column whose header is `name`, {row} for the row number, and {{ / }} for
// literal braces. Parsed once (a malformed template is a usage error), names
// bound to columns once the header is read (bind_header), then expanded per
// row into the argv a child is started with. Also shell_quote(), which renders
// an argv element for display only. Construction and bind_header() are not
// thread-safe; after them the template is immutable and expand() is.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace poolrun {

class command_template {
public:
    // Columns beyond this are surely a typo; it also keeps {N} from overflowing.
    static constexpr std::size_t k_max_column = 1'000'000;

    // Throws std::invalid_argument naming the argument and the bad placeholder.
    explicit command_template(const std::vector<std::string>& args) {
        if (args.empty()) throw std::invalid_argument("missing command after --");
        for (std::size_t i = 0; i < args.size(); ++i) m_args.push_back(parse(args[i], i + 1));
    }

    // The highest column any {N} uses; 0 when the template uses none.
    std::size_t columns_needed() const noexcept { return m_columns_needed; }

    // The {name} placeholders not yet bound to a column, in order of use.
    std::vector<std::string> unbound_names() const {
        std::vector<std::string> out;
        for (const auto& arg : m_args) {
            for (const auto& p : arg) {
                if (p.kind == piece_kind::name) out.push_back(p.text);
            }
        }
        return out;
    }

    // Binds every {name} to the first column of `header` holding `name`.
    // Throws std::invalid_argument for a name the header lacks, listing the
    // header's names. Not thread-safe.
    void bind_header(const std::vector<std::string>& header) {
        for (auto& arg : m_args) {
            for (auto& p : arg) {
                if (p.kind != piece_kind::name) continue;
                const auto it = std::find(header.begin(), header.end(), p.text);
                if (it == header.end()) {
                    std::string names;
                    for (const auto& h : header) names += (names.empty() ? "" : ", ") + h;
                    throw std::invalid_argument(
                        "{" + p.text + "} is not a column of the header; its names are: " + names);
                }
                p.kind = piece_kind::column;
                p.column = static_cast<std::size_t>(it - header.begin()) + 1;
                m_columns_needed = std::max(m_columns_needed, p.column);
            }
        }
    }

    // Argument `index` (0-based) when it holds no placeholder, else nothing.
    std::optional<std::string> constant_argument(std::size_t index) const {
        if (index >= m_args.size()) return std::nullopt;
        std::string out;
        for (const auto& p : m_args[index]) {
            if (p.kind != piece_kind::text) return std::nullopt;
            out += p.text;
        }
        return out;
    }

    // Why `fields` cannot fill this template (too few columns, or a NUL byte,
    // which no argv element can hold), or an empty string when it can.
    std::string row_problem(const std::vector<std::string>& fields) const {
        if (fields.size() < m_columns_needed) {
            return "row has " + std::to_string(fields.size()) + " column" +
                   (fields.size() == 1 ? "" : "s") + ", the command uses {" +
                   std::to_string(m_columns_needed) + "}";
        }
        for (const auto& arg : m_args) {
            for (const auto& p : arg) {
                if (p.kind == piece_kind::column &&
                    fields[p.column - 1].find('\0') != std::string::npos) {
                    return "column " + std::to_string(p.column) + " contains a NUL byte";
                }
            }
        }
        return {};
    }

    // The argv for one row. Throws std::out_of_range when row_problem(fields)
    // would have reported too few columns, std::logic_error while a {name}
    // is unbound.
    std::vector<std::string> expand(const std::vector<std::string>& fields,
                                    std::uint64_t row) const {
        std::vector<std::string> argv;
        argv.reserve(m_args.size());
        for (const auto& arg : m_args) {
            std::string out;
            for (const auto& p : arg) {
                switch (p.kind) {
                    case piece_kind::text:
                        out += p.text;
                        break;
                    case piece_kind::column:
                        out += fields.at(p.column - 1);
                        break;
                    case piece_kind::row:
                        out += std::to_string(row);
                        break;
                    case piece_kind::name:
                        throw std::logic_error("{" + p.text + "} used before bind_header()");
                }
            }
            argv.push_back(std::move(out));
        }
        return argv;
    }

private:
    enum class piece_kind { text, column, row, name };
    struct piece {
        piece_kind kind;
        std::string text;        // piece_kind::text, or the header name of piece_kind::name
        std::size_t column = 0;  // piece_kind::column, 1-based
    };

    std::vector<piece> parse(std::string_view arg, std::size_t index) {
        const auto fail = [&](const std::string& what) {
            return std::invalid_argument("command argument " + std::to_string(index) + " '" +
                                         std::string(arg) + "': " + what +
                                         " (use {N} for column N, {name} for a header's column, "
                                         "{row} for the row number, {{ and }} for literal braces)");
        };
        std::vector<piece> pieces;
        std::string text;
        const auto flush_text = [&] {
            if (!text.empty()) pieces.push_back({piece_kind::text, std::exchange(text, {})});
        };
        for (std::size_t i = 0; i < arg.size(); ++i) {
            const char c = arg[i];
            if (c == '}') {
                if (i + 1 >= arg.size() || arg[i + 1] != '}') throw fail("unmatched '}'");
                text.push_back('}');
                ++i;
                continue;
            }
            if (c != '{') {
                text.push_back(c);
                continue;
            }
            if (i + 1 < arg.size() && arg[i + 1] == '{') {
                text.push_back('{');
                ++i;
                continue;
            }
            const std::size_t close = arg.find('}', i + 1);
            if (close == std::string_view::npos) throw fail("unmatched '{'");
            const std::string_view name = arg.substr(i + 1, close - i - 1);
            flush_text();
            if (name == "row") {
                pieces.push_back({piece_kind::row, {}});
            } else if (!name.empty() &&
                       name.find_first_not_of("0123456789") != std::string_view::npos) {
                if (name.find('{') != std::string_view::npos)
                    throw fail("'{' inside a placeholder");
                pieces.push_back({piece_kind::name, std::string(name)});
            } else {
                pieces.push_back({piece_kind::column, {}, parse_column(name, fail)});
                m_columns_needed = std::max(m_columns_needed, pieces.back().column);
            }
            i = close;
        }
        flush_text();
        return pieces;
    }

    template <class Fail>
    static std::size_t parse_column(std::string_view name, const Fail& fail) {
        if (name.empty() || name.find_first_not_of("0123456789") != std::string_view::npos) {
            throw fail("unknown placeholder {" + std::string(name) + "}");
        }
        std::size_t n = 0;
        for (char d : name) {
            n = n * 10 + static_cast<std::size_t>(d - '0');
            if (n > k_max_column) throw fail("column {" + std::string(name) + "} is too large");
        }
        if (n == 0) throw fail("columns are numbered from 1, not {0}");
        return n;
    }

    std::vector<std::vector<piece>> m_args;
    std::size_t m_columns_needed = 0;
};

// `arg` as a POSIX shell would need it written, for display: bare when it is
// made only of safe characters, else in single quotes, or as $'...' with
// escapes when it holds control characters (so a report stays on one line).
inline std::string shell_quote(std::string_view arg) {
    constexpr std::string_view k_safe =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_@%+=:,./-";
    if (!arg.empty() && arg.find_first_not_of(k_safe) == std::string_view::npos) {
        return std::string(arg);
    }
    bool has_control = false;
    for (char c : arg) {
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7f) has_control = true;
    }
    std::string out;
    if (!has_control) {
        out.push_back('\'');
        for (char c : arg) {
            if (c == '\'') {
                out += "'\\''";
            } else {
                out.push_back(c);
            }
        }
        out.push_back('\'');
        return out;
    }
    out += "$'";
    for (char c : arg) {
        const auto u = static_cast<unsigned char>(c);
        switch (c) {
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\'':
                out += "\\'";
                break;
            default:
                if (u < 0x20 || u == 0x7f) {
                    constexpr std::string_view k_hex = "0123456789abcdef";
                    out += "\\x";
                    out.push_back(k_hex[u >> 4]);
                    out.push_back(k_hex[u & 0xf]);
                } else {
                    out.push_back(c);
                }
        }
    }
    out.push_back('\'');
    return out;
}

// The argv joined with spaces, each element shell-quoted: for display only.
// An element longer than `cut` bytes (0: no limit) is shown by its first
// `cut` bytes (not splitting a UTF-8 character), then "...(N bytes)".
inline std::string shell_join(const std::vector<std::string>& argv, std::size_t cut = 0) {
    std::string out;
    for (const auto& a : argv) {
        if (!out.empty()) out.push_back(' ');
        if (cut == 0 || a.size() <= cut) {
            out += shell_quote(a);
            continue;
        }
        std::size_t keep = cut;
        while (keep > 0 && (static_cast<unsigned char>(a[keep]) & 0xC0) == 0x80) --keep;
        out += shell_quote(std::string_view(a).substr(0, keep));
        out += "...(" + std::to_string(a.size()) + " bytes)";
    }
    return out;
}

}  // namespace poolrun
