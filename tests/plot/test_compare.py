"""Unit tests of scripts/compare (poolplot.compare, compare_cli, ab) on synthetic
result folders whose answers are known.

Run: /usr/bin/python3 -m pytest tests/plot (ctest runs them as plot_unit).
"""

import json
import os
import re
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
sys.path.insert(0, HERE)

from poolplot import compare_cli, load  # noqa: E402
from poolplot.ab import ere_escape  # noqa: E402
from poolplot.compare import Comparison, fmt_time  # noqa: E402
from synth import FIVE, rows, write  # noqa: E402

ROWS = ("empty/mutex/workers:1/jobs:1000", "empty/work_stealing/workers:1/jobs:1000",
        "tree/work_stealing/workers:2/depth:20")


def folder(path, times=None, reps=FIVE, extra=(), drop=(), context=None, run=None, unit=None):
    """A result folder with ROWS (each 1 ms unless times says otherwise) and
    `extra` rows; `unit` rewrites every row's time_unit ('ms': the same times)."""
    bench = []
    for name in [r for r in ROWS if r not in drop] + list(extra):
        bench += rows(name, reps, time_ns=(times or {}).get(name, 1e6), jobs_per_s=1e6)
    if unit == "ms":
        for b in bench:
            b["real_time"] /= 1e3
            b["time_unit"] = "ms"
    write(str(path), bench, context=context)
    if run is not None:
        with open(os.path.join(str(path), "run.json"), "w", encoding="utf-8") as f:
            json.dump(run, f)
    return str(path)


def run_compare(capsys, *argv):
    rc = compare_cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return rc, out, err


def table_row(text, name):
    """The cells of a row of the printed table."""
    m = re.search(rf"^\| {re.escape(name)} +\|(.*)\|$", text, re.M)
    assert m, f"no table row {name}"
    return [c.strip() for c in m.group(1).split("|")]


# ---------------------------------------------------------------- the table

def test_identical_folders_show_no_change(tmp_path, capsys):
    a = folder(tmp_path / "a")
    rc, out, err = run_compare(capsys, a, a)
    assert rc == 0
    for name in ROWS:
        base, new, change, interval, p, n = table_row(out, name)
        assert base == new == "1 ms" and change == "~" and p == "1" and n == "5/5"
    assert "warning" not in err
    assert "3 rows compared: 0 slower, 0 faster, 3 ~" in err


def test_a_twofold_slowdown_is_plus_100_percent_and_significant(tmp_path, capsys):
    a = folder(tmp_path / "a")
    b = folder(tmp_path / "b", times={ROWS[1]: 2e6})
    rc, out, _ = run_compare(capsys, a, b)
    assert rc == 0
    base, new, change, interval, p, n = table_row(out, ROWS[1])
    assert (base, new, change) == ("1 ms", "2 ms", "+100.0 %")
    # 5 against 5 with no overlap: the exact two-sided p is 2 / C(10, 5)
    assert float(p) == pytest.approx(2 / 252, rel=0.01) and float(p) < 0.05
    lo, hi = (float(x) for x in re.findall(r"[-+][\d.]+", interval))
    assert 90 < lo <= 100 <= hi < 110
    assert table_row(out, ROWS[0])[2] == "~"
    # the geometric mean of work_stealing over its two rows: sqrt(2)
    assert re.search(r"\| pools\.json \| work_stealing +\| +2 \| +\+41\.4 % \| +1 \| +0 \|", out)


def test_a_twofold_speedup_is_minus_50_percent(tmp_path):
    a = folder(tmp_path / "a")
    b = folder(tmp_path / "b", times={ROWS[2]: 0.5e6})
    cmp = Comparison(load.Run(a, "a"), load.Run(b, "b"))
    change = next(c for c in cmp.changes if c.name == ROWS[2])
    assert change.ratio.median == pytest.approx(0.5) and change.significant
    assert change.ratio.lo <= 0.5 <= change.ratio.hi < 0.55


def test_a_row_in_one_folder_only_is_listed_apart(tmp_path, capsys):
    a = folder(tmp_path / "a", drop=(ROWS[0],))
    b = folder(tmp_path / "b", extra=("fib/mutex/workers:1/n:30",))
    rc, out, err = run_compare(capsys, a, b)
    assert rc == 0
    only = out[out.index("## Only in new"):]
    assert ROWS[0] in only and "fib/mutex/workers:1/n:30" in only
    assert not re.search(rf"^\| {re.escape(ROWS[0])} +\| +1 ms", out, re.M)
    assert "2 only in new" in err


def test_rows_with_fewer_than_3_repetitions_are_not_compared(tmp_path, capsys):
    a = folder(tmp_path / "a")
    b = folder(tmp_path / "b")
    write(b, sum((rows(name, reps, jobs_per_s=1e6)
                  for name, reps in zip(ROWS, ([1.0, 1.0], FIVE, FIVE))), []))
    rc, out, _ = run_compare(capsys, a, b)
    assert rc == 0
    not_compared = out[out.index("## Not compared"):]
    assert ROWS[0] in not_compared and "n = 5/2" in not_compared
    assert table_row(out, ROWS[1])[2] == "~"


def test_no_row_with_3_repetitions_is_an_error(tmp_path, capsys):
    a = folder(tmp_path / "a", reps=[1.0, 1.01])
    rc, out, err = run_compare(capsys, a, a)
    assert rc == 2 and out == ""
    assert "compare: error: no row has 3 repetitions in both folders (the most is 2)" in err


def test_a_row_in_different_units_is_an_error(tmp_path, capsys):
    a = folder(tmp_path / "a")
    b = folder(tmp_path / "b", unit="ms")
    rc, _, err = run_compare(capsys, a, b)
    assert rc == 2
    assert re.search(r"compare: error: empty/mutex/workers:1/jobs:1000 \(and 2 more row\(s\)\) is "
                     r"timed in us in .* and in ms in ", err)


@pytest.mark.parametrize("what", ["missing", "file", "empty folder", "no usable rows"])
def test_a_path_that_is_not_a_result_folder_is_an_error(tmp_path, capsys, what):
    a = folder(tmp_path / "a")
    bad = tmp_path / "bad"
    if what == "file":
        bad.write_text("not a folder\n")
    elif what == "empty folder":
        bad.mkdir()
    elif what == "no usable rows":
        write(str(bad), [{"name": "empty/mutex/workers:1/real_time", "run_type": "iteration"}])
    rc, out, err = run_compare(capsys, a, bad)
    assert rc == 2 and out == ""
    expected = {"missing": "no such result folder", "file": "not a directory",
                "empty folder": "pools.json: missing", "no usable rows": "no usable rows"}[what]
    assert err.startswith(f"compare: error: {bad}") and expected in err
    assert "Traceback" not in err


def test_different_machines_compare_with_a_warning(tmp_path, capsys):
    a = folder(tmp_path / "a", run={"mode": "quick", "repetitions": 5, "workers": "default",
                                    "filter": "none"})
    b = folder(tmp_path / "b", context={"host_name": "server", "num_cpus": 64,
                                        "git_revision": "def5678"},
               run={"mode": "quick", "repetitions": 10, "workers": "default", "filter": "none"})
    rc, out, err = run_compare(capsys, a, b)
    assert rc == 0
    assert ("compare: warning: the folders differ in machine (host_name 'synth' / 'server'; "
            "num_cpus '2' / '64')") in err
    assert "differ in sweep options (repetitions '5' / '10')" in err
    assert "differ in build" not in err          # a git revision is expected to differ
    assert re.search(r"\| git revision +\| abc1234 +\| def5678 +\|", out)
    assert "**Warning:** the folders differ in machine" in out


def test_out_writes_the_table_and_the_plot(tmp_path, capsys):
    a = folder(tmp_path / "a")
    b = folder(tmp_path / "b", times={ROWS[1]: 2e6})
    out_dir = tmp_path / "out"
    rc, out, err = run_compare(capsys, a, b, "--out", out_dir)
    assert rc == 0
    assert (out_dir / "COMPARE.md").read_text(encoding="utf-8") == out
    with open(out_dir / "compare.png", "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"


def test_oversub_rows_are_a_section_of_their_own(tmp_path, capsys):
    a = folder(tmp_path / "a")
    b = folder(tmp_path / "b")
    for d, t in ((a, 1e6), (b, 3e6)):
        write(d, rows(ROWS[1], FIVE, time_ns=t, jobs_per_s=1e6), name="oversub.json")
    rc, out, _ = run_compare(capsys, a, b)
    assert rc == 0
    oversub = out[out.index("## oversub.json"):out.index("## Geometric")]
    assert "+200.0 %" in oversub
    assert table_row(out, ROWS[1])[2] == "~"     # the pools.json row, printed first


# ---------------------------------------------------------------- usage and helpers

def test_usage_errors_exit_2(capsys):
    for argv in (["only-one"], ["a", "b", "--filter", "x"], ["a", "b", "--repetitions", "9"],
                 ["--ab", "HEAD"],
                 ["--ab", "HEAD", "HEAD", "--repetitions", "2"],
                 ["--ab", "HEAD", "HEAD", "--workers", "1,x"]):
        with pytest.raises(SystemExit) as e:
            compare_cli.main(argv)
        assert e.value.code == 2
    capsys.readouterr()


def test_an_unknown_revision_exits_2_before_building(tmp_path, capsys):
    if not os.path.isdir(os.path.join(ROOT, ".git")):
        pytest.skip("not a git checkout")
    rc, _, err = run_compare(capsys, "--ab", "no-such-revision-x", "HEAD", "--out", tmp_path)
    assert rc == 2
    assert "compare: error: unknown revision 'no-such-revision-x'" in err
    assert "building" not in err


def test_row_names_are_matched_literally():
    assert ere_escape("empty/mutex/workers:1/jobs:1000/real_time") == \
        "empty/mutex/workers:1/jobs:1000/real_time"
    assert ere_escape("a/min_time:0.5/x(1)") == r"a/min_time:0\.5/x\(1\)"


def test_times_are_printed_in_the_unit_that_fits():
    assert [fmt_time(t) for t in (999.4, 1e3, 2.5e6, 1.25e9)] == \
        ["999 ns", "1 us", "2.5 ms", "1.25 s"]


def test_rows_timed_by_their_own_clock_stay_out_of_the_geometric_means(tmp_path, capsys):
    idle = "idle/work_stealing/workers:1"
    a = folder(tmp_path / "a", extra=(idle,))
    b = folder(tmp_path / "b", extra=(idle,), times={idle: 2e6})
    rc, out, _ = run_compare(capsys, a, b)
    assert rc == 0
    assert table_row(out, idle)[2] == "+100.0 %"
    assert "The time of the idle rows is set by the workload" in out
    assert re.search(r"\| pools\.json \| work_stealing +\| +2 \| +\+0\.0 % \| +0 \| +0 \|", out)


def test_three_against_three_says_no_change_can_show(tmp_path, capsys):
    a = folder(tmp_path / "a", reps=[0.99, 1.0, 1.01])
    b = folder(tmp_path / "b", reps=[0.99, 1.0, 1.01], times={ROWS[0]: 2e6})
    rc, out, _ = run_compare(capsys, a, b)
    assert rc == 0
    assert table_row(out, ROWS[0])[2] == "~"     # 2x, but p = 0.1 at best
    assert ("For every row, too few repetitions for any change to show: with 3 against 3 the "
            "smallest possible p is 0.1") in out
