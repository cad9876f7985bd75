// Unit tests of poolrun's pure parts: the streaming RFC 4180 reader and its
// encoder (csv.hpp), the command template with its display quoting
// (command_template.hpp), and the reading of a job log (joblog.hpp). Child
// processes are tested end to end by test_poolrun.sh. Single-threaded.
#include <doctest/doctest.h>
#include <stdlib.h>
#include <unistd.h>

#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "command_template.hpp"
#include "csv.hpp"
#include "joblog.hpp"

using poolrun::command_template;
using poolrun::csv_encode;
using poolrun::csv_reader;
using poolrun::csv_record;
using strings = std::vector<std::string>;

namespace {

std::vector<csv_record> read_all(const std::string& text, std::size_t max_bytes = 1 << 20) {
    std::istringstream in(text);
    csv_reader reader(*in.rdbuf(), max_bytes);
    std::vector<csv_record> out;
    csv_record rec;
    while (reader.next(rec)) out.push_back(rec);
    return out;
}

}  // namespace

TEST_CASE("csv: plain records with LF, CRLF and a missing final newline") {
    for (const std::string text : {"a,b,c\n1,2,3\n", "a,b,c\r\n1,2,3\r\n", "a,b,c\n1,2,3"}) {
        const auto recs = read_all(text);
        REQUIRE(recs.size() == 2);
        CHECK(recs[0].fields == strings{"a", "b", "c"});
        CHECK(recs[1].fields == strings{"1", "2", "3"});
        CHECK(recs[0].line == 1);
        CHECK(recs[1].line == 2);
        CHECK(recs[1].error.empty());
    }
}

TEST_CASE("csv: empty fields and empty lines") {
    const auto recs = read_all("a,,\n\n\r\n,b\n\"\"\n");
    REQUIRE(recs.size() == 3);
    CHECK(recs[0].fields == strings{"a", "", ""});
    CHECK(recs[1].fields == strings{"", "b"});
    CHECK(recs[1].line == 4);
    CHECK(recs[2].fields == strings{""});
}

TEST_CASE("csv: quoted fields with commas, newlines and doubled quotes") {
    const auto recs =
        read_all("\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",\"cr\r\nlf\"\nnext,row\n");
    REQUIRE(recs.size() == 2);
    CHECK(recs[0].fields == strings{"a,b", "say \"hi\"", "two\nlines", "cr\r\nlf"});
    CHECK(recs[1].fields == strings{"next", "row"});
    CHECK(recs[1].line == 4);  // the record before it spans lines 1-3
}

TEST_CASE("csv: spaces are kept and an empty quoted field is empty") {
    const auto recs = read_all(" a ,\"\", b \n");
    REQUIRE(recs.size() == 1);
    CHECK(recs[0].error.empty());
    CHECK(recs[0].fields == strings{" a ", "", " b "});
}

TEST_CASE("csv: a quote inside an unquoted field is an error for that line only") {
    const auto recs = read_all("ok,1\nbad\"x,2\nok,3\n");
    REQUIRE(recs.size() == 3);
    CHECK(recs[1].line == 2);
    CHECK(recs[1].error.find("quote inside unquoted field 1") != std::string::npos);
    CHECK(recs[2].error.empty());
    CHECK(recs[2].fields == strings{"ok", "3"});
    CHECK(recs[2].line == 3);
}

TEST_CASE("csv: text after a closing quote is an error") {
    const auto recs = read_all("a,\"b\"c,d\ne,f\n");
    REQUIRE(recs.size() == 2);
    CHECK(recs[0].error.find("after the closing quote of field 2") != std::string::npos);
    CHECK(recs[1].fields == strings{"e", "f"});
    CHECK(recs[1].line == 2);
}

TEST_CASE("csv: an unterminated quoted field at EOF names the line it starts on") {
    const auto recs = read_all("a,b\nc,\"open\nmore\nstill open");
    REQUIRE(recs.size() == 2);
    CHECK(recs[0].error.empty());
    CHECK(recs[1].line == 2);
    CHECK(recs[1].error.find("unterminated quoted field 2") != std::string::npos);
}

TEST_CASE("csv: an overlong record is an error and reading resumes") {
    const auto recs = read_all("short\n" + std::string(100, 'x') + "\nafter\n", 50);
    REQUIRE(recs.size() == 3);
    CHECK(recs[1].error.find("longer than 50 bytes") != std::string::npos);
    CHECK(recs[2].fields == strings{"after"});
    CHECK(recs[2].line == 3);
}

TEST_CASE("csv: encode quotes what needs it and reads back the same fields") {
    CHECK(csv_encode({"a", "b c", ""}) == "a,b c,\n");
    CHECK(csv_encode({"x,y", "say \"hi\"", "l1\nl2"}) == "\"x,y\",\"say \"\"hi\"\"\",\"l1\nl2\"\n");
    CHECK(csv_encode({""}) == "\"\"\n");
    const std::vector<strings> rows = {
        {"plain", "with,comma", "q\"uote"}, {""}, {"cr\r\nlf", "", "; rm -rf ~"}};
    std::string text;
    for (const auto& r : rows) text += csv_encode(r);
    const auto recs = read_all(text);
    REQUIRE(recs.size() == rows.size());
    for (std::size_t i = 0; i < rows.size(); ++i) CHECK(recs[i].fields == rows[i]);
}

TEST_CASE("template: {N} and {row} are substituted, anywhere in any argument") {
    const command_template t({"prog{1}", "--id={row}", "{2}-{1}", "plain"});
    CHECK(t.columns_needed() == 2);
    CHECK(t.expand({"A", "B", "C"}, 7) == strings{"progA", "--id=7", "B-A", "plain"});
}

TEST_CASE("template: {{ and }} are literal braces") {
    const command_template t({"{{print $1}}", "{{{1}}}", "}}{{"});
    CHECK(t.columns_needed() == 1);
    CHECK(t.expand({"v"}, 1) == strings{"{print $1}", "{v}", "}{"});
}

TEST_CASE("template: fields are never re-parsed") {
    const command_template t({"echo", "{1}"});
    CHECK(t.expand({"{2} $(touch x) ; rm"}, 1) == strings{"echo", "{2} $(touch x) ; rm"});
}

TEST_CASE("template: malformed placeholders are rejected with the argument named") {
    const auto error_of = [](const strings& args) -> std::string {
        try {
            command_template t(args);
        } catch (const std::invalid_argument& e) {
            return e.what();
        }
        return "";
    };
    CHECK(error_of({"echo", "{"}).find("argument 2 '{': unmatched '{'") != std::string::npos);
    CHECK(error_of({"a}"}).find("unmatched '}'") != std::string::npos);
    CHECK(error_of({"{0}"}).find("numbered from 1") != std::string::npos);
    CHECK(error_of({"{a{b}"}).find("'{' inside a placeholder") != std::string::npos);
    CHECK(error_of({"{}"}).find("unknown placeholder {}") != std::string::npos);
    CHECK(error_of({"{99999999999999999999}"}).find("too large") != std::string::npos);
    CHECK(error_of({}).find("missing command") != std::string::npos);
}

TEST_CASE("template: {name} binds to the header's column, and an unknown name lists them") {
    command_template t({"mig", "{ticket}", "{2}", "{row}", "{a b}"});
    CHECK(t.unbound_names() == strings{"ticket", "a b"});
    CHECK_THROWS_AS(t.expand({"x", "y", "z"}, 1), std::logic_error);
    t.bind_header({"id", "a b", "ticket", "ticket"});
    CHECK(t.unbound_names().empty());
    CHECK(t.columns_needed() == 3);
    CHECK(t.expand({"1", "2", "T-9"}, 4) == strings{"mig", "T-9", "2", "4", "2"});
    command_template u({"{nope}"});
    try {
        u.bind_header({"id", "name"});
        FAIL("no error");
    } catch (const std::invalid_argument& e) {
        CHECK(std::string(e.what()) ==
              "{nope} is not a column of the header; its names are: id, name");
    }
    CHECK(command_template({"x{1}"}).constant_argument(0) == std::nullopt);
    CHECK(command_template({"prog", "{1}"}).constant_argument(0) == "prog");
}

TEST_CASE("csv: a UTF-8 byte-order mark is dropped; a lookalike is kept") {
    const auto recs = read_all("\xEF\xBB\xBFid,name\n1,a\n");
    REQUIRE(recs.size() == 2);
    CHECK(recs[0].fields == strings{"id", "name"});
    CHECK(recs[0].raw == "id,name\n");
    const auto other = read_all("\xEF\xBBx,y\n");
    REQUIRE(other.size() == 1);
    CHECK(other[0].fields == strings{"\xEF\xBBx", "y"});
    CHECK(read_all("\xEF\xBB\xBF").empty());
}

TEST_CASE("csv: each record's raw bytes are what was read, malformed ones too") {
    const auto recs = read_all("a,\"b\nc\"\r\nbad\"x,1\nlast");
    REQUIRE(recs.size() == 3);
    CHECK(recs[0].raw == "a,\"b\nc\"\r\n");
    CHECK(recs[1].raw == "bad\"x,1\n");
    CHECK(!recs[1].error.empty());
    CHECK(recs[2].raw == "last");
}

TEST_CASE("csv: a record too long at a comma is malformed, and reading goes on") {
    const auto recs = read_all(std::string(60, 'x') + ",y\nnext\n", 60);
    REQUIRE(recs.size() == 2);
    CHECK(!recs[0].error.empty());
    CHECK(recs[1].fields == strings{"next"});
}

TEST_CASE("shell_join: a long field is cut, with its length, never inside a UTF-8 character") {
    CHECK(poolrun::shell_join({"echo", std::string(300, 'a')}, 10) ==
          "echo aaaaaaaaaa...(300 bytes)");
    CHECK(poolrun::shell_join({"\xC3\xA9\xC3\xA9\xC3\xA9"}, 3) == "'\xC3\xA9'...(6 bytes)");
    CHECK(poolrun::shell_join({"short"}, 10) == "short");
}

TEST_CASE("template: a row with too few columns is reported, not expanded") {
    const command_template t({"echo", "{3}"});
    CHECK(t.row_problem({"a", "b", "c"}).empty());
    CHECK(t.row_problem({"a", "b"}) == "row has 2 columns, the command uses {3}");
    CHECK(t.row_problem({"a"}) == "row has 1 column, the command uses {3}");
    CHECK_THROWS_AS(t.expand({"a"}, 1), std::out_of_range);
    CHECK(t.row_problem({"a", "b", std::string("n\0ul", 4)}) == "column 3 contains a NUL byte");
    CHECK(t.row_problem({"a", std::string("n\0ul", 4), "c"}).empty());  // column 2 is unused
}

TEST_CASE("shell_quote: safe words bare, others single-quoted or $'...'") {
    using poolrun::shell_quote;
    CHECK(shell_quote("abc-1.2/x=y") == "abc-1.2/x=y");
    CHECK(shell_quote("") == "''");
    CHECK(shell_quote("a b") == "'a b'");
    CHECK(shell_quote("; rm -rf ~") == "'; rm -rf ~'");
    CHECK(shell_quote("it's") == "'it'\\''s'");
    CHECK(shell_quote("l1\nl2\t'\x01") == "$'l1\\nl2\\t\\'\\x01'");
    CHECK(poolrun::shell_join({"echo", "a b", "c"}) == "echo 'a b' c");
}

TEST_CASE("joblog: the best outcome of a row counts; a changed hash is a mismatch") {
    std::stringbuf in(std::string(poolrun::k_joblog_header) +
                      "1,aa,t,0.1,interrupted,1\n"
                      "1,aa,t,0.1,0,1\n"
                      "2,bb,t,0.1,3,1\n"
                      "3,cc,t,0.1,0,1\n"
                      "3,dd,t,0.1,0,1\n"
                      "4,ee,2026-11-30T05:22:3");  // a line the disk cut
    poolrun::joblog_index index;
    index.read(in);
    using state = poolrun::joblog_index::state;
    bool mismatch = false;
    CHECK(index.lookup(1, "aa", mismatch) == state::succeeded);
    CHECK_FALSE(mismatch);
    CHECK(index.lookup(2, "bb", mismatch) == state::failed);
    CHECK(index.lookup(2, "xx", mismatch) == state::failed);
    CHECK(mismatch);
    mismatch = false;
    index.lookup(3, "dd", mismatch);
    CHECK(mismatch);  // two hashes for one row
    CHECK(index.lookup(4, "ee", mismatch) == state::absent);
}

TEST_CASE("joblog: a success logged after an offset is found, one before it is not") {
    char path[] = "/tmp/poolrun-joblog-XXXXXX";
    const int fd = ::mkstemp(path);
    REQUIRE(fd >= 0);
    const std::string before = std::string(poolrun::k_joblog_header) + "7,aa,t,0.1,0,1\n";
    const std::string after = "8,bb,t,0.1,0,1\n9,cc,t,0.1,1,1\n";
    REQUIRE(::write(fd, before.data(), before.size()) == static_cast<ssize_t>(before.size()));
    REQUIRE(::write(fd, after.data(), after.size()) == static_cast<ssize_t>(after.size()));
    const auto from = static_cast<off_t>(before.size());
    CHECK(poolrun::joblog_logged_success_since(fd, from, 8, "bb"));
    CHECK_FALSE(poolrun::joblog_logged_success_since(fd, from, 7, "aa"));  // before the offset
    CHECK(poolrun::joblog_logged_success_since(fd, 0, 7, "aa"));
    CHECK_FALSE(poolrun::joblog_logged_success_since(fd, from, 8, "xx"));  // another row's fields
    CHECK_FALSE(poolrun::joblog_logged_success_since(fd, from, 9, "cc"));  // a failure
    CHECK_FALSE(poolrun::joblog_logged_success_since(fd, from + 1000, 8, "bb"));  // past the end
    ::close(fd);
    ::unlink(path);
}
