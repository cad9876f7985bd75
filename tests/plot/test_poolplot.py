"""Unit tests of scripts/poolplot on synthetic results whose answers are known.

Run: /usr/bin/python3 -m pytest tests/plot (ctest runs them as plot_unit).
"""

import os
import re
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
sys.path.insert(0, HERE)

from poolplot import cli, stats  # noqa: E402
from poolplot.figures import POOL_STYLES, split_outliers, styles_for  # noqa: E402
from poolplot.names import BASELINES, error_kind, parse_name  # noqa: E402
from synth import FIVE, rows, write  # noqa: E402


def report(folder, *extra):
    """Runs the command line on folder (REPORT.md only unless extra says otherwise)."""
    rc = cli.main([str(folder), "--no-plots", *extra])
    with open(os.path.join(folder, "REPORT.md"), encoding="utf-8") as f:
        return rc, f.read()


def fastest_cell(text, workload):
    m = re.search(rf"^\| {workload} \| ([^|]*) \|", text, re.M)
    assert m, f"no fastest row for {workload}"
    return m.group(1).strip()


# ---------------------------------------------------------------- names

def test_names_follow_the_grammar():
    assert parse_name("empty/mutex/workers:2/jobs:1000/iterations:300/real_time") == (
        "empty", "mutex", {"workers": 2, "jobs": 1000})
    assert parse_name("parallel_for/tbb/workers:4/n:1000000/grain:n_8w/repeats:5/real_time_median") == (
        "parallel_for", "tbb", {"workers": 4, "n": 1000000, "grain": "n_8w"})
    assert parse_name("reference/latency_futex/real_time") == ("reference", "latency_futex", {})
    assert parse_name("real_time") == (None, None, {})
    assert set(BASELINES) == {"serial", "serial_noinline", "native_tbb", "openmp", "go", "rayon",
                              "pthreadpool", "thread_pool"}


def test_error_kinds():
    assert error_kind("unsupported: no task group") == "unsupported"
    assert error_kind("wrong result: checksum of out differs") == "wrong result"
    assert error_kind("timed out") == "failed"


# ---------------------------------------------------------------- statistics

def test_median_ci_is_deterministic_and_holds_the_median():
    a = stats.median_ci([10.0, 11.0, 12.0, 13.0, 30.0])
    b = stats.median_ci([10.0, 11.0, 12.0, 13.0, 30.0])
    assert a == b
    assert a.median == 12.0 and a.lo <= 12.0 <= a.hi and a.n == 5
    assert stats.median_ci([7.0]) == stats.Stat(7.0, 7.0, 7.0, 1)
    assert stats.median_ci([]) is None


def test_three_repetitions_can_never_be_significant():
    assert stats.smallest_p(3) == pytest.approx(0.1)
    assert stats.smallest_p(5) < stats.ALPHA
    rk = stats.rank({"a": [10, 11, 12], "b": [1, 2, 3]}, higher=True)
    assert rk.verdict == "tie" and rk.p == pytest.approx(0.1)


def test_rank_clear_winner_tie_and_too_few():
    win = stats.rank({"a": [100 * f for f in FIVE], "b": [50 * f for f in FIVE]}, higher=True)
    assert (win.verdict, win.best, win.tied) == ("win", "a", ["a"])
    assert win.p == pytest.approx(2 / 252)
    tie = stats.rank({"a": [10, 12, 11, 13, 9], "b": [11, 10, 12, 9, 12.5], "c": [1, 1, 1, 1, 1]},
                     higher=True)
    assert tie.verdict == "tie" and set(tie.tied) == {"a", "b"}
    few = stats.rank({"a": [10, 11], "b": [1, 2]}, higher=True)
    assert few.verdict == "n<3" and few.p is None
    lower = stats.rank({"a": [5 * f for f in FIVE], "b": [1 * f for f in FIVE]}, higher=False)
    assert lower.best == "b" and lower.verdict == "win"


def test_values_below_the_floor_tie():
    rk = stats.rank({"a": [0.01 * f for f in FIVE], "b": [0.05 * f for f in FIVE]}, higher=False,
                    floor=0.1)
    assert rk.verdict == "tie" and rk.p == 1.0 and set(rk.tied) == {"a", "b"}
    rk = stats.rank({"a": [0.01 * f for f in FIVE], "b": [5.0 * f for f in FIVE]}, higher=False,
                    floor=0.1)
    assert rk.verdict == "win" and rk.best == "a"


def test_ratio_ci_of_a_speedup():
    st = stats.ratio_ci([100.0] * 5, [50.0 * f for f in FIVE])
    assert st.median == pytest.approx(2.0)
    assert st.lo <= 2.0 <= st.hi


# ---------------------------------------------------------------- report

def pools(workers=(1, 2), reps=FIVE, fast=100.0, slow=50.0, extra=()):
    """empty: work_stealing at `fast`, mutex at `slow` jobs/s (x 1e6), both at every W."""
    out = []
    for w in workers:
        out += rows(f"empty/work_stealing/workers:{w}/jobs:1000", reps, time_ns=1e9 / fast,
                    jobs_per_s=fast * 1e6, steals_per_job=0.1)
        out += rows(f"empty/mutex/workers:{w}/jobs:1000", reps, time_ns=1e9 / slow,
                    jobs_per_s=slow * 1e6)
    return out + list(extra)


def test_clear_winner(tmp_path):
    rc, text = report(write(tmp_path, pools()))
    assert rc == 0
    assert fastest_cell(text, "empty") == "**work_stealing**"
    assert "Overall winner: **work_stealing**" in text
    assert "1 of 1 workloads have a significant ranking; 0 were ties" in text


def test_tie_names_the_tied_pools(tmp_path):
    rc, text = report(write(tmp_path, pools(fast=100.0, slow=99.5)))
    assert rc == 0
    cell = fastest_cell(text, "empty")
    assert cell.startswith("tie (p = ") and "work_stealing" in cell and "mutex" in cell
    assert "No overall winner" in text and "1 was a tie" in text


def test_fewer_than_three_repetitions_render_without_a_test(tmp_path):
    rc, text = report(write(tmp_path, pools(reps=[0.99, 1.01])))
    assert rc == 0
    assert fastest_cell(text, "empty").startswith("n < 3: no test")
    assert "n < 3: no test at" in text


def test_missing_row_is_a_dash_and_not_ranked(tmp_path):
    data = [r for r in pools() if not r["name"].startswith("empty/work_stealing/workers:2/")]
    rc, text = report(write(tmp_path, data))
    assert rc == 0
    assert re.search(r"^\| work_stealing \| [^|]+ \| – \|$", text, re.M)
    assert fastest_cell(text, "empty") == "**mutex** (the only pool with a figure)"


def test_absent_counter_is_na_never_zero(tmp_path):
    rc, text = report(write(tmp_path, pools()))
    table = text.split("All counters at workers:2")[1]
    assert re.search(r"^\| mutex \| 50M jobs/s \| n/a \|$", table, re.M)


def test_baselines_are_tabled_but_never_win(tmp_path):
    base = []
    for w in (1, 2):
        base += rows(f"empty/native_tbb/workers:{w}/jobs:1000", FIVE, time_ns=1e9 / 500,
                     jobs_per_s=500e6)
    base += rows("empty/serial/workers:1/jobs:1000", FIVE, time_ns=1e9 / 1000, jobs_per_s=1000e6)
    rc, text = report(write(tmp_path, pools(extra=base)))
    assert rc == 0
    assert fastest_cell(text, "empty") == "**work_stealing**"
    assert "Overall winner: **work_stealing**" in text
    assert re.search(r"^\| native_tbb \(baseline\) \| ", text, re.M)
    assert re.search(r"^\| serial \(baseline\) \| 1G jobs/s", text, re.M)
    # speedup and overhead divide by serial: T_serial / T = 100 / 1000 at W = 2
    assert "speedup over `serial`" in text
    assert re.search(r"^\| work_stealing \| 100M jobs/s \| 100M jobs/s \| – \| 0\.10x", text, re.M)
    overhead = text.split("## Work overhead")[1].split("\n## ")[0]
    assert re.search(r"^\| work_stealing \| 10\.00x", overhead, re.M)
    assert re.search(r"^\| mutex \| 20\.00x", overhead, re.M)


def test_aggregate_rows_are_not_repetitions(tmp_path):
    data = []
    for w in (1, 2):
        data += rows(f"empty/work_stealing/workers:{w}/jobs:1000", FIVE, jobs_per_s=1e8, aggregates=True)
        data += rows(f"empty/mutex/workers:{w}/jobs:1000", FIVE, jobs_per_s=5e7, aggregates=True)
    rc, text = report(write(tmp_path, data))
    assert fastest_cell(text, "empty") == "**work_stealing**"
    assert "1e+15" not in text and "1000T" not in text


def test_memory_and_latency_floor(tmp_path):
    data = pools()
    for w in (1, 2):
        for pool, p99 in (("work_stealing", 30.0), ("mutex", 60.0)):
            data += rows(f"latency/{pool}/workers:{w}", FIVE, p50_us=5.0, p99_us=p99, p999_us=3 * p99)
    data += rows("reference/latency_futex", FIVE, p50_us=2.0, p99_us=9.0, p999_us=20.0)
    folder = write(tmp_path, data)
    mem = []
    for pool, own in (("work_stealing", 12.0), ("mutex", 40.0)):
        mem += rows(f"tree/{pool}/workers:2/depth:20", [1.0], pool_peak_mb=own,
                    process_peak_mb=100.0 + own, empty_pool_peak_mb=100.0)
    mem += rows("tree/tbb/workers:2/depth:20", [1.0], error="unsupported: not measured")
    write(folder, mem, name="memory.json")
    rc, text = report(folder)
    assert rc == 0
    assert "## Peak memory" in text
    assert re.search(r"^\| mutex \| 40 MB \| 140 MB \| 100 MB \|$", text, re.M)
    assert re.search(r"^\| tbb \| unsupported \|", text, re.M)
    assert re.search(r"^\| \*bare thread \(futex\)\* \| 9 us \[[^]]+\] \| 9 us \[[^]]+\] \|$", text, re.M)
    assert fastest_cell(text, "latency") == "**work_stealing**"


def test_oversubscription_table_and_plot(tmp_path):
    folder = write(tmp_path, pools())
    over = []
    for w, cpu in ((1, 100.0), (2, 40.0), (4, 44.0), (64, 60.0)):
        over += rows(f"empty/work_stealing/workers:{w}/jobs:1000", FIVE, jobs_per_s=5e7,
                     cpu_ns_per_job=cpu, parks_per_job=1e-4, wakeups_per_job=2e-4)
    over += rows("empty/lockfree/workers:64/jobs:1000", FIVE, error="timed out")
    write(folder, over, name="oversub.json")
    rc = cli.main([str(folder)])
    with open(os.path.join(folder, "REPORT.md"), encoding="utf-8") as f:
        text = f.read()
    assert rc == 0
    assert "## Oversubscription" in text and "`oversub.json`" in text
    # W = 1, 2, 4 and 64 are columns; the spread is the worst W >= 2 over W = 2: 60 / 40
    assert re.search(r"^\| work_stealing \| CPU ns/job \| 100 ns \| 40 ns \| 44 ns \| 60 ns \| 1\.50x \|$",
                     text, re.M)
    assert re.search(r"^\| lockfree \| jobs/s \| – \| – \| – \| failed \| – \|$", text, re.M)
    assert os.path.exists(os.path.join(folder, "oversub.png"))


# ---------------------------------------------------------------- bad input

def test_truncated_json_names_the_file_and_line(tmp_path, capsys):
    (tmp_path / "pools.json").write_text('{"context": {},\n "benchmarks": [ {"name": "empty/mu')
    assert cli.main([str(tmp_path), "--no-plots"]) == 2
    err = capsys.readouterr().err
    assert f"plot: error: {tmp_path / 'pools.json'}: unparseable JSON at line 2" in err


def test_corrupt_memory_json_is_bad_input(tmp_path, capsys):
    folder = write(tmp_path, pools())
    (tmp_path / "memory.json").write_text("{not json")
    assert cli.main([str(folder), "--no-plots"]) == 2
    assert "memory.json: unparseable JSON at line 1" in capsys.readouterr().err


def test_no_usable_rows_is_exit_2_naming_the_file(tmp_path, capsys):
    write(tmp_path, [{"name": "empty/mutex/workers:1/real_time", "run_type": "iteration"}])
    assert cli.main([str(tmp_path), "--no-plots"]) == 2
    err = capsys.readouterr().err
    assert f"{tmp_path / 'pools.json'}: no usable rows" in err
    assert not (tmp_path / "REPORT.md").exists()


# ---------------------------------------------------------------- figures

def test_styles_fixed_per_pool_and_for_baselines():
    a = styles_for({"work_stealing", "tbb", "zz_new"}, POOL_STYLES)
    b = styles_for({"work_stealing", "mutex", "aa_new", "zz_new", "asio", "serial"}, POOL_STYLES)
    assert a["work_stealing"] == b["work_stealing"] == POOL_STYLES["work_stealing"]
    assert len(set(b.values())) == len(b)
    assert all(p in POOL_STYLES for p in ("asio",) + BASELINES)


def test_a_far_series_gets_its_own_panel():
    assert split_outliers({"a": 1.1, "b": 1.2, "c": 1.3, "tpj": 13.0, "tbb": 9.5}) == {"tpj", "tbb"}
    assert split_outliers({"a": 1.1, "b": 1.2, "c": 1.5}) == set()
    assert split_outliers({"a": 1.0, "b": 10.0}) == set()   # two pools: no "rest" to protect


def test_every_plot_of_the_new_workloads_is_drawn(tmp_path):
    data = pools()
    data += rows("parallel_for/serial/workers:1/n:1000000", FIVE, time_ns=8e6, elements_per_s=1.25e8)
    for w in (1, 2, 4):
        for g in (1, 64, "n_8w"):
            t = 8e6 / min(w, 2) * (3.0 if g == 1 else 1.1)
            data += rows(f"parallel_for/work_stealing/workers:{w}/n:1000000/grain:{g}", FIVE,
                         time_ns=t, elements_per_s=1e15 / t)
        for pool in ("work_stealing", "thread_per_job"):
            big = 12.0 if pool == "thread_per_job" else 1.1
            data += rows(f"bursty/{pool}/workers:{w}/bursts:250", FIVE, makespan_over_ideal_p50=big,
                         makespan_over_ideal_p99=2 * big, overhead_cpu_pct=3.0)
    rc = cli.main([str(write(tmp_path, data))])
    assert rc == 0
    for png in ("empty", "empty_speedup", "parallel_for", "parallel_for_speedup", "bursty", "overview"):
        assert (tmp_path / f"{png}.png").stat().st_size > 1000, png
    text = (tmp_path / "REPORT.md").read_text()
    assert "`parallel_for` (n:1000000, grain:1), `elements_per_s`, speedup over `serial`" in text


def test_three_repetitions_say_why_they_tie(tmp_path):
    rc, text = report(write(tmp_path, pools(reps=[0.99, 1.0, 1.01])))
    assert rc == 0
    assert fastest_cell(text, "empty").endswith("(n = 3 cannot reach p < 0.05)")
    assert "the smallest p the test can give is 0.1" in text
