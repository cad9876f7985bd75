"""The REPORT.md "Per task" table (scripts/poolplot/report.py) on synthetic
results whose answers are known: ns_per_task at W = 1 and at the hardware
threads, the speedup T1 / T2 of each pool over its own W = 1, and T1 / T_serial
against both serials, each column naming its serial; and the table of
work_stealing's speedups at even CPU speeds from scaling.json.

Run: /usr/bin/python3 -m pytest tests/plot (ctest runs them as plot_unit).
"""

import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
sys.path.insert(0, HERE)

from poolplot import cli  # noqa: E402
from synth import FIVE, rows, write  # noqa: E402


def report(folder):
    rc = cli.main([str(folder), "--no-plots"])
    with open(os.path.join(folder, "REPORT.md"), encoding="utf-8") as f:
        return rc, f.read()


# a ratio cell: the median, then its 95 % interval when the samples spread
CI = r"(?: \[[0-9.]+, [0-9.]+\])?"


def per_task(text):
    assert "## Per task" in text
    return text.split("## Per task")[1].split("\n## ")[0]


def fib_rows():
    """fib at n:30: serial 10 ms, serial_noinline 20 ms, work_stealing 40 ms
    at W = 1 and 25 ms at W = 2, mutex 400 ms at W = 1 only."""
    tasks = 2 * 1346269 - 1
    data = []

    def fib(pool, w, ms):
        return rows(f"fib/{pool}/workers:{w}/n:30", FIVE, time_ns=ms * 1e6,
                    tasks_per_s=tasks / (ms * 1e-3), ns_per_task=ms * 1e6 * w / tasks)
    data += fib("work_stealing", 1, 40) + fib("work_stealing", 2, 25) + fib("mutex", 1, 400)
    data += fib("serial", 1, 10) + fib("serial_noinline", 1, 20)
    return data, tasks


def test_per_task_table_of_fib(tmp_path):
    data, tasks = fib_rows()
    rc, text = report(write(tmp_path, data))
    assert rc == 0
    table = per_task(text)
    assert "`fib`: libfork's benchmark suite" in table
    assert ("| pool | ns/task W=1 | ns/task W=2 | T1 / T2 | T1 / T_serial (`serial`) | "
            "T1 / T_serial (`serial_noinline`) |") in table
    # 40 ms x 1 / tasks = 14.9 ns; 25 ms x 2 / tasks = 18.6 ns
    ws = f"{40e6 / tasks:.3g} ns | {50e6 / tasks:.3g} ns"
    # T1 / T2 = 40 ms / 25 ms; none without a row at W = 2
    assert re.search(rf"^\| work_stealing \| {re.escape(ws)} \| 1\.60x{CI} \| 4\.00x{CI} \| "
                     rf"2\.00x{CI} \|", table, re.M)
    assert re.search(rf"^\| mutex \| [0-9.]+ ns \| – \| – \| 40\.00x{CI} \| 20\.00x{CI} \|",
                     table, re.M)
    # each serial against the other, never against itself
    assert re.search(rf"^\| serial \(baseline\) \| [0-9.]+ ns \| – \| – \| – \| 0\.50x{CI} \|",
                     table, re.M)
    assert re.search(rf"^\| serial_noinline \(baseline\) \| [0-9.]+ ns \| – \| – \| "
                     rf"2\.00x{CI} \| – \|", table, re.M)


def test_uts_trees_are_column_groups_and_absent_workloads_skipped(tmp_path):
    data = []
    for tree, nodes in (("t1", 4130071), ("t3", 4112897)):
        for pool, ms in (("work_stealing", 300), ("serial", 100), ("serial_noinline", 150)):
            data += rows(f"uts/{pool}/workers:1/tree:{tree}", FIVE, time_ns=ms * 1e6,
                         nodes_per_s=nodes / (ms * 1e-3), ns_per_task=ms * 1e6 / nodes)
    rc, text = report(write(tmp_path, data))
    assert rc == 0
    table = per_task(text)
    assert "`uts`: the UTS distribution's published trees" in table
    assert "`fib`" not in table and "`skynet`" not in table
    assert "ns/task W=1 (tree:t1)" in table and "T1 / T_serial (`serial_noinline`) (tree:t3)" in table
    assert "T1 / T2 (tree:t1)" in table
    assert re.search(rf"^\| work_stealing \| [0-9.]+ ns \| – \| – \| 3\.00x{CI} \| 2\.00x{CI} \| "
                     rf"[0-9.]+ ns \| – \| – \| 3\.00x{CI} \| 2\.00x{CI} \|", table, re.M)


def test_no_per_task_section_without_ns_per_task(tmp_path):
    data = rows("empty/work_stealing/workers:1/jobs:1000", FIVE, jobs_per_s=1e6)
    rc, text = report(write(tmp_path, data))
    assert rc == 0
    assert "## Per task" not in text


def with_cpu_speed(folder, samples):
    """run.json beside the results, with `samples` as its "cpu_speed"."""
    with open(os.path.join(folder, "run.json"), "w", encoding="utf-8") as f:
        json.dump({"mode": "quick", "repetitions": 5, "cpu_speed": samples}, f)
    return folder


def test_lopsided_cpus_are_named_in_machine_and_per_task(tmp_path):
    data, _ = fib_rows()
    folder = write(tmp_path, data)
    # Four samples: two even, one 1.25x (CPU 0 slow), one 1.80x (CPU 1 slow).
    with_cpu_speed(folder, [
        {"t_s": 0.0, "ns": {"0": 2.0e6, "1": 2.02e6}},
        {"t_s": 10.0, "ns": {"0": 2.5e6, "1": 2.0e6}},
        {"t_s": 20.0, "ns": {"0": 2.0e6, "1": 3.6e6}},
        {"t_s": 30.0, "ns": {"0": 2.0e6, "1": 2.0e6}},
    ])
    rc, text = report(folder)
    assert rc == 0
    machine = text.split("## Machine")[1].split("\n## ")[0]
    assert re.search(r"\| CPU speeds \| 4 samples through the run .*median 1\.13x, worst 1\.80x "
                     r"\(CPU 1 against CPU 0\); 2 of 4 at 1\.15x or more \|", machine)
    assert "**Warning:** in 2 of 4 samples through the run one CPU took 1.15x" in machine
    assert "In 2 of 4 samples through this run one CPU took 1.15x" in per_task(text)


def test_even_cpus_make_no_warning(tmp_path):
    data, _ = fib_rows()
    folder = with_cpu_speed(write(tmp_path, data), [
        {"t_s": 0.0, "ns": {"0": 2.0e6, "1": 2.1e6}},
        {"t_s": 5.0, "ns": {"0": 2.0e6}},  # one CPU: no spread, skipped
        {"t_s": 9.0, "ns": "garbage"},
    ])
    rc, text = report(folder)
    assert rc == 0
    assert re.search(r"\| CPU speeds \| 1 sample through the run .*0 of 1 at 1\.15x or more \|",
                     text)
    assert "one CPU took" not in text


def with_run_info(folder, **info):
    """run.json beside the results, holding `info`."""
    with open(os.path.join(folder, "run.json"), "w", encoding="utf-8") as f:
        json.dump({"mode": "quick", "repetitions": 5, **info}, f)
    return folder


def test_busy_cpus_before_the_run_warn_and_the_load_average_does_not(tmp_path):
    # The sweep's own reading of the CPUs decides: right after scripts/sweep's
    # build the load average is high with the machine idle.
    data, _ = fib_rows()
    loaded = {"load_avg": [1.57, 1.2, 0.9]}

    def run(name, busy):
        folder = write(tmp_path / name, data, context=loaded)
        rc, text = report(with_run_info(folder, busy_percent_before=busy))
        assert rc == 0
        return text

    text = run("idle", 3)
    assert "| CPUs busy in the second before the run | 3 % |" in text
    assert "other work shared the machine" not in text
    assert "**Warning:** the CPUs were 64 % busy in the second before the run began" in run(
        "busy", 64)
    # No reading (--no-wait, or an older run.json): the load average, as before.
    assert "**Warning:** the load average was 1.57 on" in run("unread", None)


def test_no_samples_reads_unknown(tmp_path):
    data, _ = fib_rows()
    rc, text = report(write(tmp_path, data))
    assert rc == 0
    assert "| CPU speeds | unknown |" in text


def scaling_entry(workload, size_key, size, evens, runs=3, **median):
    """A scaling.json workload (fork_cost scaling's --json) whose rounds read
    `evens` at even speeds; the medians as given, the rest 1 or 2."""
    med = dict({"plain": 1.5, "even": 1.95, "busy": 1.97, "spread": 1.3,
                "busy_over_alone": 1.01}, **median)
    return {"workload": workload, "size_key": size_key, "size": size, "tasks": 1000,
            "workers": 2, "runs_per_time": runs, "cpus": [0, 1], "median": med,
            "rounds": [{"one_s": [1.0, 1.3], "busy_s": [1.0, 1.3], "many_s": 0.6,
                        "plain": 1.5, "even": e, "busy": 1.97, "spread": 1.3,
                        "busy_over_alone": 1.01} for e in evens]}


def with_scaling(folder, entries):
    with open(os.path.join(folder, "scaling.json"), "w", encoding="utf-8") as f:
        json.dump({"rounds": 3, "workloads": entries}, f)
    return folder


def scaling_table(text):
    section = per_task(text)
    assert "### work_stealing at even CPU speeds" in section
    return section.split("### work_stealing at even CPU speeds")[1]


def test_scaling_table_in_per_task_order_with_round_ranges(tmp_path):
    data, _ = fib_rows()
    folder = with_scaling(write(tmp_path, data), [
        scaling_entry("uts", "tree", "t3", [1.9, 1.96, 1.97], runs=1, even=1.96),
        scaling_entry("fib", "n", "30", [1.88, 1.95, 2.01]),
        scaling_entry("integrate", "n", "100", [1.92, 1.93, 1.99], even=1.93),
    ])
    rc, text = report(folder)
    assert rc == 0
    table = scaling_table(text)
    assert "3 rounds per workload" in table
    assert "the best of 3 runs (uts: of 1, whose runs are long)" in table
    assert ("| workload | size | T1 / T2 | at even speeds | at busy speeds | "
            "slowest / fastest CPU | all busy / alone |") in table
    lines = [x for x in table.splitlines() if x.startswith("| ") and "workload" not in x]
    assert [x.split(" | ")[0] for x in lines] == ["| fib", "| uts", "| integrate"]
    assert lines[0] == ("| fib | n:30 | 1.50x [1.50, 1.50] | 1.95x [1.88, 2.01] | "
                        "1.97x [1.97, 1.97] | 1.30x | 1.01x |")
    assert "| uts | tree:t3 | 1.50x [1.50, 1.50] | 1.96x [1.90, 1.97] |" in lines[1]
    # a lopsided run's warning points at the table
    assert "take the CPUs' speeds out" not in per_task(text)


def test_scaling_entries_without_medians_are_left_out(tmp_path, capsys):
    data, _ = fib_rows()
    folder = with_scaling(write(tmp_path, data), [
        scaling_entry("fib", "n", "30", [1.9, 1.95]),
        {"workload": "skynet", "workers": 2, "rounds": [], "median": {"even": "x"}},
    ])
    rc, text = report(folder)
    assert rc == 0
    table = scaling_table(text)
    assert "| fib |" in table and "| skynet |" not in table
    assert "left out" in capsys.readouterr().err


def test_unparseable_scaling_json_is_ignored_with_a_warning(tmp_path, capsys):
    data, _ = fib_rows()
    folder = write(tmp_path, data)
    with open(os.path.join(folder, "scaling.json"), "w", encoding="utf-8") as f:
        f.write("{\"workloads\": [")
    rc, text = report(folder)
    assert rc == 0
    assert "even CPU speeds" not in text
    assert "scaling.json: ignored" in capsys.readouterr().err


def test_no_scaling_json_no_scaling_table(tmp_path):
    data, _ = fib_rows()
    rc, text = report(write(tmp_path, data))
    assert rc == 0
    assert "even CPU speeds" not in text


def test_lopsided_warning_points_at_the_scaling_table(tmp_path):
    data, _ = fib_rows()
    folder = with_cpu_speed(write(tmp_path, data), [
        {"t_s": 0.0, "ns": {"0": 2.0e6, "1": 3.6e6}},
    ])
    with_scaling(folder, [scaling_entry("fib", "n", "30", [1.9, 1.95])])
    rc, text = report(folder)
    assert rc == 0
    assert ("a fast CPU or a slow one (the speedups at even CPU speeds below take the CPUs' "
            "speeds out).") in per_task(text)
