"""Two result folders compared row by row, as Go's benchstat compares two runs.

The figure of every row is its time, the Google Benchmark real_time per
iteration, whatever the workload's own figure is (jobs/s, wall / ideal, ...):
lower is better, so a + change is a slowdown and a - change a speed-up.

- change: median(new) / median(base) - 1 over the repetitions (run_type
  "iteration" rows); its 95 % interval is the percentile bootstrap of that
  ratio of medians (stats.ratio_ci: scipy.stats.bootstrap, each folder's
  repetitions resampled independently, fixed seed);
- p: two-sided Mann-Whitney U test of the two folders' repetitions
  (stats.mann_whitney_p: scipy.stats.mannwhitneyu); with p >= 0.05 the table
  shows `~` in place of the change;
- per pool, the geometric mean (scipy.stats.gmean) of new / base over its
  compared rows, but for the workloads timed by their own clock (FIXED_TIME);
- a row is compared when both folders have it with at least stats.MIN_TEST_N
  (3) timed repetitions; the others are listed apart, with the reason.
"""

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats as sps

from . import stats
from .names import REFERENCE, sort_key
from .series import TIME
from .views import pool_order, workload_order

# The files compared, in table order: pools.json and queues.json are one
# Run.series (queue rows are the queue_* workloads), oversub.json is Run.oversub.
SECTIONS = ("pools.json", "queues.json", "oversub.json")
# What must match for the changes to be the code's alone; a difference is a
# warning that names it. The git revision is expected to differ: shown only.
MACHINE_KEYS = ("host_name", "num_cpus", "cpu_model")
BUILD_KEYS = ("build_type", "compiler", "cxx_flags", "library_build_type", "benchmark_version",
              "onetbb_version", "boost_version", "moodycamel_version", "openmp_version")
SWEEP_KEYS = ("mode", "repetitions", "workers", "filter")   # run.json, written by run-sweep
NONE = "(none)"
# Workloads whose time is set by their own clock, not by the pool: an idle
# window, submits on a fixed schedule, bursts at fixed times. Their rows are
# tabled, but a change in their time says nothing of the pool, so they stay
# out of the geometric means; their figures (idle CPU, latency, makespan) are
# compared by overlaying the folders: scripts/plot BASE NEW --out DIR.
FIXED_TIME = {"idle": "an idle window", "latency": "submits on a fixed schedule",
              "bursty": "bursts at fixed times"}


def method_text(a, b):
    """How the table is computed, with the folders' labels a and b."""
    return (
        "Each row's figure is its time: real_time per iteration, the median over the "
        "repetitions (run_type \"iteration\" rows). Lower is better: a + change is a slowdown, "
        f"a - change a speed-up. change = median({b}) / median({a}) - 1; its 95 % interval is "
        "a percentile bootstrap of that ratio of medians (scipy.stats.bootstrap, each folder "
        f"resampled independently, {stats.N_RESAMPLES} resamples, fixed seed). p: two-sided "
        "Mann-Whitney U test of the two folders' repetitions (scipy.stats.mannwhitneyu); `~`: "
        f"p >= 0.05, no significant change. n: repetitions {a}/{b}; a row needs "
        f"{stats.MIN_TEST_N} in each.")


class CompareError(Exception):
    """Input that cannot be compared; ends the run with exit status 2."""


@dataclass
class Change:
    """One row in both folders, compared."""
    section: str
    name: str
    workload: str
    group: str          # the pool (or queue), or "reference"
    base_times: list    # ns, one per repetition
    new_times: list
    ratio: stats.Stat   # median(new) / median(base), with its 95 % interval
    p: float

    @property
    def significant(self):
        return self.p < stats.ALPHA

    @property
    def smallest_p(self):
        """The smallest two-sided p the exact test can give with these sample sizes,
        2 / C(n1 + n2, n1): with 3 against 3 it is 0.1, so nothing can be significant."""
        n1, n2 = len(self.base_times), len(self.new_times)
        return 2.0 / math.comb(n1 + n2, n1)

    @property
    def can_show(self):
        return self.smallest_p < stats.ALPHA

    @property
    def base_median(self):
        return float(np.median(self.base_times))

    @property
    def new_median(self):
        return float(np.median(self.new_times))


@dataclass
class Skipped:
    """A row in both folders that could not be compared, and why."""
    section: str
    name: str
    why: str


@dataclass
class Geomean:
    section: str
    group: str          # a pool, "reference", or "all"
    ratio: float        # geometric mean of new / base
    rows: int
    slower: int         # rows significantly slower
    faster: int


def row_name(s):
    """The row's name as ROW_NAMES.md writes it, Google Benchmark's own parts dropped."""
    parts = [s.workload] + ([s.pool] if s.pool else [])
    parts += [k if v is True else f"{k}:{v}" for k, v in s.params.items()]
    return "/".join(parts)


def row_order(s):
    return (workload_order(s.workload), pool_order(s.pool),
            [(k, sort_key(v)) for k, v in s.params.items()])


def sections(run):
    """{section: {series key: Series}} of one Run."""
    out = {name: {} for name in SECTIONS}
    for key, s in run.series.items():
        out["queues.json" if s.workload.startswith("queue_") else "pools.json"][key] = s
    out["oversub.json"].update(run.oversub)
    return out


def describe_errors(s):
    """'unsupported: why' for a row whose repetitions all failed, else 'no time'."""
    return s.errors[0] if s.errors else "no time"


def context_values(run, keys, source):
    d = run.run_info if source == "run.json" else run.context
    return {k: (str(d[k]) if k in d and d[k] not in (None, "") else NONE) for k in keys}


def differences(base, new, keys, source="context"):
    """[(key, base value, new value)] of the keys whose values differ."""
    a, b = context_values(base, keys, source), context_values(new, keys, source)
    return [(k, a[k], b[k]) for k in keys if a[k] != b[k]]


class Comparison:
    """base and new (load.Run) compared row by row; labels name them in tables."""

    def __init__(self, base, new, labels=("base", "new")):
        self.base, self.new, self.labels = base, new, labels
        self.changes, self.skipped = [], []
        self.only = ([], [])            # [(section, name)] only in base, only in new
        self.unsupported_in_both = 0
        self.warnings = []
        for kind, keys, source, consequence in (
                ("machine", MACHINE_KEYS, "context", "the changes mix the machines with the code"),
                ("build", BUILD_KEYS, "context", "the changes mix the builds with the code"),
                ("sweep options", SWEEP_KEYS, "run.json", "the rows may not be measured alike")):
            diff = differences(base, new, keys, source)
            if diff:
                what = "; ".join(f"{k} {a!r} / {b!r}" for k, a, b in diff)
                self.warnings.append(f"the folders differ in {kind} ({what}): {consequence}")
        self._compare()

    def _compare(self):
        a_sections, b_sections = sections(self.base), sections(self.new)
        units = []
        ns_seen = []
        for section in SECTIONS:
            a, b = a_sections[section], b_sections[section]
            for key in sorted(a.keys() | b.keys(), key=lambda k: row_order((a.get(k) or b.get(k)))):
                sa, sb = a.get(key), b.get(key)
                name = row_name(sa or sb)
                if sb is None:
                    self.only[0].append((section, name))
                    continue
                if sa is None:
                    self.only[1].append((section, name))
                    continue
                ta, tb = sa.values.get(TIME) or [], sb.values.get(TIME) or []
                if not ta or not tb:
                    if not ta and not tb and sa.error_kind() == sb.error_kind() == "unsupported":
                        self.unsupported_in_both += 1
                        continue
                    why = "; ".join(f"no time in {label} ({describe_errors(s)})"
                                    for label, s, t in zip(self.labels, (sa, sb), (ta, tb))
                                    if not t)
                    self.skipped.append(Skipped(section, name, why))
                    continue
                if sa.time_units != sb.time_units:
                    units.append((name, sa.time_units, sb.time_units))
                    continue
                ns_seen.append(min(len(ta), len(tb)))
                if len(ta) < stats.MIN_TEST_N or len(tb) < stats.MIN_TEST_N:
                    self.skipped.append(Skipped(
                        section, name, f"n = {len(ta)}/{len(tb)}: fewer than {stats.MIN_TEST_N} "
                                       "repetitions, no test"))
                    continue
                group = REFERENCE if sa.workload == REFERENCE else sa.pool
                self.changes.append(Change(section, name, sa.workload, group, ta, tb,
                                           stats.ratio_ci(tb, ta), stats.mann_whitney_p(ta, tb)))
        if units:
            name, ua, ub = units[0]
            more = f" (and {len(units) - 1} more row(s))" if len(units) > 1 else ""
            raise CompareError(
                f"{name}{more} is timed in {'/'.join(sorted(ua))} in {self.base.folder} and in "
                f"{'/'.join(sorted(ub))} in {self.new.folder}: the row changed between the "
                "folders, so its times are not the same measure")
        if not self.changes:
            if ns_seen:
                raise CompareError(
                    f"no row has {stats.MIN_TEST_N} repetitions in both folders (the most is "
                    f"{max(ns_seen)}): a Mann-Whitney test needs {stats.MIN_TEST_N} a side; "
                    f"run the sweeps with --repetitions {stats.MIN_TEST_N} or more")
            if self.skipped or self.unsupported_in_both:
                raise CompareError("no row has a time in both folders (every common row failed "
                                   "or is unsupported)")
            raise CompareError(f"the folders {self.base.folder} and {self.new.folder} have no "
                               "row in common")

    def geomeans(self):
        """[Geomean] per section and pool, and 'all' per section."""
        out = []
        for section in SECTIONS:
            rows = [c for c in self.changes
                    if c.section == section and c.workload not in FIXED_TIME]
            groups = sorted({c.group for c in rows},
                            key=lambda g: (g == REFERENCE, pool_order(g)))
            for group in groups + (["all"] if len(groups) > 1 else []):
                sel = [c for c in rows if group in ("all", c.group)]
                ratio = float(sps.gmean([c.ratio.median for c in sel]))
                out.append(Geomean(section, group, ratio, len(sel),
                                   sum(c.significant and c.ratio.median > 1 for c in sel),
                                   sum(c.significant and c.ratio.median < 1 for c in sel)))
        return out


# ---------------------------------------------------------------- text

def fmt_time(ns):
    """A time in ns as '12.3 ms' (three significant digits, the unit that fits)."""
    for scale, unit in ((1e9, "s"), (1e6, "ms"), (1e3, "us"), (1.0, "ns")):
        if ns >= scale * 0.9995 or unit == "ns":
            return f"{ns / scale:.3g} {unit}"
    return f"{ns:.3g} ns"


def fmt_change(ratio):
    return f"{(ratio - 1) * 100:+.1f} %"


def fmt_interval(st):
    return f"[{(st.lo - 1) * 100:+.1f}, {(st.hi - 1) * 100:+.1f}] %"


def fmt_p(p):
    return f"{p:.2g}" if p >= 0.001 else "< 0.001"


def table(header, rows, right=()):
    """A Markdown table with its columns padded, so that it reads in a terminal too."""
    cells = [[str(c).replace("|", "\\|") for c in r] for r in [header] + rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]

    def line(r):
        return "| " + " | ".join(c.rjust(w) if i in right else c.ljust(w)
                                 for i, (c, w) in enumerate(zip(r, widths))) + " |"
    rule = "|" + "|".join(("-" * (w + 1) + ":") if i in right else "-" * (w + 2)
                          for i, w in enumerate(widths)) + "|"
    return "\n".join([line(cells[0]), rule] + [line(r) for r in cells[1:]])


def run_text(run):
    """'vm, 2 CPUs, AMD EPYC' for a folder's context."""
    c = run.context
    parts = [str(c.get("host_name") or "?")]
    if c.get("num_cpus"):
        parts.append(f"{c['num_cpus']} CPUs")
    if c.get("cpu_model"):
        parts.append(str(c["cpu_model"]))
    return ", ".join(parts)


def sweep_text(run):
    info = run.run_info
    if not info:
        return NONE
    return (f"{info.get('mode', '?')}, {info.get('repetitions', '?')} repetitions, "
            f"workers {info.get('workers', '?')}, filter {info.get('filter', '?')}")


def markdown(cmp):
    """The comparison as Markdown (COMPARE.md, and what the command prints)."""
    a, b = cmp.labels
    out = [f"# Comparison: {a} -> {b}", ""]
    out.append(table(["", a, b], [
        ["folder", cmp.base.folder, cmp.new.folder],
        ["git revision", cmp.base.context.get("git_revision", NONE),
         cmp.new.context.get("git_revision", NONE)],
        ["machine", run_text(cmp.base), run_text(cmp.new)],
        ["sweep", sweep_text(cmp.base), sweep_text(cmp.new)],
    ]))
    out.append("")
    for w in cmp.warnings:
        out += [f"**Warning:** {w}.", ""]
    out += [method_text(a, b), ""]
    blind = [c for c in cmp.changes if not c.can_show]
    if blind:
        n = min(blind, key=lambda c: len(c.base_times) + len(c.new_times))
        rows = "every row" if len(blind) == len(cmp.changes) else f"{len(blind)} rows"
        out += [f"For {rows}, too few repetitions for any change to show: with "
                f"{len(n.base_times)} against {len(n.new_times)} the smallest possible p is "
                f"{n.smallest_p:.2g}. Run more repetitions (4 against 4 can reach "
                f"{2 / math.comb(8, 4):.2g}, 5 against 5 {2 / math.comb(10, 5):.2g}).", ""]
    right = {1, 2, 3, 4, 5, 6}
    for section in SECTIONS:
        rows = [c for c in cmp.changes if c.section == section]
        if not rows:
            continue
        out += [f"## {section}", ""]
        for workload in sorted({c.workload for c in rows}, key=workload_order):
            sel = [c for c in rows if c.workload == workload]
            out += [f"### {workload}", ""]
            if workload in FIXED_TIME:
                out += [f"The time of the {workload} rows is set by the workload "
                        f"({FIXED_TIME[workload]}), not by the pool: they are left out of the "
                        "geometric means. Compare their figure by overlaying the folders: "
                        "scripts/plot BASE NEW --out DIR.", ""]
            out.append(table(["row", a, b, "change", "95 % interval", "p", "n"], [
                [c.name, fmt_time(c.base_median), fmt_time(c.new_median),
                 fmt_change(c.ratio.median) if c.significant else "~", fmt_interval(c.ratio),
                 fmt_p(c.p), f"{len(c.base_times)}/{len(c.new_times)}"] for c in sel], right))
            out.append("")
    geomeans = cmp.geomeans()
    if geomeans:
        out += ["## Geometric means", "",
                f"Per pool (per queue in queues.json; the reference rows together), the geometric "
                f"mean of median({b}) / median({a}) over its compared rows, as a change in "
                f"time (the rows of {', '.join(FIXED_TIME)} left out); slower and faster count "
                "its rows with p < 0.05.", ""]
        out.append(table(["file", "pool", "rows", "change", "slower", "faster"], [
            [g.section, g.group, g.rows, fmt_change(g.ratio), g.slower, g.faster]
            for g in geomeans], {2, 3, 4, 5}))
        out.append("")
    if cmp.skipped or cmp.unsupported_in_both:
        out += ["## Not compared", ""]
        if cmp.skipped:
            out.append(table(["file", "row", "why"],
                             [[s.section, s.name, s.why] for s in cmp.skipped]))
            out.append("")
        if cmp.unsupported_in_both:
            out += [f"{cmp.unsupported_in_both} row(s) are unsupported in both folders "
                    "(by design; not listed).", ""]
    for label, only in zip(cmp.labels, cmp.only):
        if only:
            out += [f"## Only in {label} ({len(only)} row{'s' if len(only) != 1 else ''})", ""]
            out.append(table(["file", "row"], [[sec, name] for sec, name in only]))
            out.append("")
    return "\n".join(out)


def summary(cmp):
    """One line: how many rows, how many changed each way."""
    slower = sum(c.significant and c.ratio.median > 1 for c in cmp.changes)
    faster = sum(c.significant and c.ratio.median < 1 for c in cmp.changes)
    n = len(cmp.changes)
    parts = [f"{n} row{'s' if n != 1 else ''} compared: {slower} slower, {faster} faster, "
             f"{n - slower - faster} ~"]
    if cmp.skipped:
        parts.append(f"{len(cmp.skipped)} not compared")
    for label, only in zip(cmp.labels, cmp.only):
        if only:
            parts.append(f"{len(only)} only in {label}")
    return "; ".join(parts)

