"""scripts/compare --ab: two git revisions, built in temporary trees, their
pool_bench run alternately, so that a drift of the machine over the run (its
load, its clock, a noisy neighbour) falls on both revisions alike instead of
on whichever ran second.

Each revision is exported with `git archive` into a temporary tree,
configured with `cmake --preset release` and built for the one target
pool_bench (one build serves both when A and B are the same commit). Then for
each repetition r, the rows matching the filter in a new random order, and for
each row A's pool_bench then B's (B then A on odd rounds), one process per row
and repetition: --benchmark_filter=^<row>$ --benchmark_repetitions=1, with
POOLBENCH_QUICK=1 and POOLBENCH_WORKERS when given. The runs are merged into
two result folders, A/ and B/ (pools.json as pool_bench writes it, each
repetition's row with its repetition_index, and run.json), which the caller
compares.
"""

import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time

from . import load
from .compare import fmt_time

# Characters a POSIX extended regular expression (Google Benchmark's filter)
# treats as special; a row name is matched literally with them escaped.
ERE_SPECIAL = re.compile(r"([.\[\]()*+?{}|^$\\])")
PRESET = "release"
TARGET = "pool_bench"


class AbError(Exception):
    """Ends --ab: status 2 for bad input (a revision, a filter), 1 for a build
    or a benchmark that failed."""

    def __init__(self, msg, status=2):
        super().__init__(msg)
        self.status = status


def ere_escape(text):
    return ERE_SPECIAL.sub(r"\\\1", text)


def git(root, *args):
    return subprocess.run(["git", "-C", root, *args], capture_output=True, text=True)


def repo_root():
    """The git checkout this script is in."""
    here = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
    try:
        r = git(here, "rev-parse", "--show-toplevel")
    except FileNotFoundError:
        raise AbError("--ab needs git (apt-get install git)") from None
    if r.returncode != 0:
        raise AbError(f"--ab needs a git checkout of poolbench; {here} is not in one")
    return r.stdout.strip()


def resolve(root, rev):
    """(full sha, short sha) of a revision, or AbError naming it."""
    if not rev or rev.startswith("-"):
        raise AbError(f"'{rev}' is not a revision")
    r = git(root, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}")
    if r.returncode != 0:
        raise AbError(f"unknown revision '{rev}' (not a commit of {root}; see git log)")
    sha = r.stdout.strip()
    return sha, git(root, "rev-parse", "--short", sha).stdout.strip()


def build(root, sha, short, tmp, say):
    """Exports the revision into tmp and builds pool_bench; its path."""
    tree = os.path.join(tmp, f"tree-{short}")
    os.makedirs(tree)
    log = os.path.join(tmp, f"build-{short}.log")
    say(f"building {short} in {tree} (cmake --preset {PRESET}, target {TARGET})")
    with open(log, "w") as f:
        archive = subprocess.Popen(["git", "-C", root, "archive", "--format=tar", sha],
                                   stdout=subprocess.PIPE, stderr=f)
        untar = subprocess.run(["tar", "-x", "-C", tree], stdin=archive.stdout, stderr=f)
        archive.stdout.close()
        ok = archive.wait() == 0 and untar.returncode == 0
        for cmd in (["cmake", "--preset", PRESET],
                    ["cmake", "--build", os.path.join("build", PRESET), "--target", TARGET]):
            if not ok:
                break
            f.write(f"$ {' '.join(cmd)}\n")
            f.flush()
            ok = subprocess.run(cmd, cwd=tree, stdout=f, stderr=subprocess.STDOUT).returncode == 0
    binary = os.path.join(tree, "build", PRESET, "bench", TARGET)
    if not ok or not os.access(binary, os.X_OK):
        with open(log, errors="replace") as f:
            tail = "".join(f.readlines()[-25:])
        raise AbError(f"the build of {short} failed (last lines of its log):\n{tail}", 1)
    return binary


def bench_env(workers):
    env = dict(os.environ, POOLBENCH_QUICK="1")
    env.pop("POOLBENCH_MEMORY", None)
    if workers:
        env["POOLBENCH_WORKERS"] = workers
    else:
        env.pop("POOLBENCH_WORKERS", None)
    return env


def list_rows(binary, label, flt, env):
    args = [binary, "--benchmark_list_tests=true"] + ([f"--benchmark_filter={flt}"] if flt else [])
    r = subprocess.run(args, env=env, capture_output=True, text=True)
    if r.returncode != 0:
        raise AbError(f"{label}'s pool_bench rejected the options: {r.stderr.strip()}")
    return [line.strip() for line in r.stdout.splitlines() if "/" in line]


def run_row(binary, label, row, path, env):
    """One repetition of one row; its Google Benchmark rows."""
    args = [binary, f"--benchmark_filter=^{ere_escape(row)}$", "--benchmark_repetitions=1",
            f"--benchmark_out={path}", "--benchmark_out_format=json", "--benchmark_color=false"]
    r = subprocess.run(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        raise AbError(f"{label}'s pool_bench failed on {row} (exit status {r.returncode}): "
                      f"{r.stderr.strip()[-2000:]}", 1)
    try:
        data = load.read_json(path, required=True, what="pool_bench wrote no results")
    except load.PlotError as e:
        raise AbError(f"{label}'s pool_bench on {row}: {e.path}: {e.what}", 1) from None
    if not data["benchmarks"]:
        raise AbError(f"{label}'s pool_bench wrote no row for {row}", 1)
    return data


def row_text(row):
    """'38.3 ms' or the row's error, for the progress line."""
    if row.get("error_occurred"):
        return str(row.get("error_message") or "error")
    t, unit = row.get("real_time"), load.TIME_UNITS.get(row.get("time_unit", "ns"))
    return fmt_time(t * unit) if isinstance(t, (int, float)) and unit else "?"


def run_ab(rev_a, rev_b, flt, repetitions, workers, out, prog="compare"):
    """Builds, runs and writes out/A and out/B; returns (folder A, folder B, out)."""
    def say(msg):
        print(f"{prog}: {msg}", file=sys.stderr, flush=True)

    root = repo_root()
    (sha_a, short_a), (sha_b, short_b) = resolve(root, rev_a), resolve(root, rev_b)
    if out is None:
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        out = os.path.join(root, "results", f"ab-{short_a}-{short_b}-{stamp}")
    for side in ("A", "B"):
        if os.path.exists(os.path.join(out, side)):
            raise AbError(f"{os.path.join(out, side)} exists already; give another --out")
    if os.path.exists(out) and not os.path.isdir(out):
        raise AbError(f"--out {out}: not a directory")
    command = " ".join(["scripts/compare", "--ab", rev_a, rev_b]
                       + (["--filter", repr(flt)] if flt else [])
                       + ["--repetitions", str(repetitions)]
                       + (["--workers", workers] if workers else []))
    env = bench_env(workers)
    tmp = tempfile.mkdtemp(prefix="poolbench-ab-")
    try:
        bin_a = build(root, sha_a, short_a, tmp, say)
        rows = list_rows(bin_a, f"A ({short_a})", flt, env)
        if not rows:
            raise AbError(f"the filter '{flt}' matches no row of A's pool_bench (list them: "
                          f"{bin_a} --benchmark_list_tests)")
        if sha_b == sha_a:
            say(f"A and B are the same commit {short_a}: one build serves both")
            bin_b = bin_a
        else:
            bin_b = build(root, sha_b, short_b, tmp, say)
        rows_b = list_rows(bin_b, f"B ({short_b})", flt, env)
        common = [r for r in rows if r in set(rows_b)]
        for label, only in (("A", [r for r in rows if r not in common]),
                            ("B", [r for r in rows_b if r not in set(rows)])):
            if only:
                say(f"warning: {len(only)} row(s) only {label}'s pool_bench has, not run: "
                    + ", ".join(only[:5]) + (" ..." if len(only) > 5 else ""))
        if not common:
            raise AbError(f"no row matching '{flt}' is in both revisions' pool_bench")
        sides = {"A": (bin_a, sha_a, short_a), "B": (bin_b, sha_b, short_b)}
        results = {"A": {}, "B": {}}      # side -> {(row, r): Google Benchmark document}
        total = len(common) * repetitions * 2
        say(f"{len(common)} row(s) x {repetitions} repetitions x 2 revisions = {total} runs, "
            f"A = {rev_a} ({short_a}), B = {rev_b} ({short_b})")
        load_before = [round(x, 2) for x in os.getloadavg()]
        start = time.monotonic()
        done = 0
        shuffle = random.Random()
        index = {row: i for i, row in enumerate(common)}
        for r in range(repetitions):
            order = list(common)
            shuffle.shuffle(order)
            for row in order:
                for side in (("A", "B") if r % 2 == 0 else ("B", "A")):
                    binary = sides[side][0]
                    path = os.path.join(tmp, f"{side}-{r}-{index[row]}.json")
                    data = run_row(binary, side, row, path, env)
                    results[side][(row, r)] = data
                    done += 1
                    secs = int(time.monotonic() - start)
                    say(f"[{done}/{total} {secs // 60:02d}:{secs % 60:02d}] {side} {row}: "
                        f"{row_text(data['benchmarks'][0])}")
        info = {"command_line": command, "mode": "quick", "repetitions": repetitions,
                "workers": workers or "default", "filter": flt or "none",
                "load_before": load_before, "load_after": [round(x, 2) for x in os.getloadavg()],
                "seconds": int(time.monotonic() - start)}
        folders = []
        for side in ("A", "B"):
            binary, sha, short = sides[side]
            folder = os.path.join(out, side)
            write_folder(folder, results[side], common, repetitions, sha, short, side,
                         dict(info, revision=sha))
            folders.append(folder)
        say(f"results in {folders[0]} and {folders[1]}")
        return folders[0], folders[1], out
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def write_folder(folder, results, rows, repetitions, sha, short, side, info):
    """A result folder of one revision: pools.json (the repetitions merged, in row
    order) and run.json."""
    benchmarks, context = [], None
    for row in rows:
        for r in range(repetitions):
            data = results[(row, r)]
            if context is None:
                context = dict(data.get("context") or {})
            for b in data["benchmarks"]:
                benchmarks.append(dict(b, repetitions=repetitions, repetition_index=r))
    # the tree is a git archive, so the build could not name its revision
    if context.get("git_revision") in (None, "", "unknown"):
        context["git_revision"] = short
    context.update(ab_side=side, ab_revision=sha, sweep_mode="quick",
                   sweep_repetitions=str(repetitions))
    os.makedirs(folder)
    with open(os.path.join(folder, "pools.json"), "w", encoding="utf-8") as f:
        json.dump({"context": context, "benchmarks": benchmarks}, f, indent=2)
        f.write("\n")
    with open(os.path.join(folder, "run.json"), "w", encoding="utf-8") as f:
        json.dump(info, f, indent=2)
        f.write("\n")
