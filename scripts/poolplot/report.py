"""REPORT.md: the machine, the ranking per workload with its test, the overall
winner over the significant rankings, scaling and work overhead against
`serial`, peak memory, oversubscription, one section per workload, errors,
queues."""

import math
import os
import statistics

from . import stats
from .fmt import (NA, facet_text, fmt_ci, fmt_p, fmt_ratio, fmt_rel, fmt_val, md_escape)
from .load import TIME
from .names import BASELINES, SERIAL, SERIAL_NOINLINE, error_kind, is_baseline, sort_key, to_num
from .views import (FLOOR_REFERENCE, IDEAL_TEXT, SCORE_FLOOR, pool_order, time_ratio,
                    workload_order)

MEMORY_COUNTERS = ("pool_peak_mb", "process_peak_mb", "empty_pool_peak_mb")
# The oversubscription table's figures, each with its name in the table.
OVERSUB_COUNTERS = (("jobs_per_s", "jobs/s"), ("cpu_ns_per_job", "CPU ns/job"),
                    ("parks_per_job", "parks/job"), ("wakeups_per_job", "wake-ups/job"))

# The "Per task" table: the fork-join workloads whose rows carry ns_per_task,
# each with the published suite that measures it the same way.
PER_TASK = (
    ("fib", "libfork's benchmark suite reports fib as ns per task = wall x W / tasks, "
            "tasks = 2 F(n+1) - 1, as here."),
    ("skynet", "the skynet benchmark's 10-ary tree of tasks, reported as libfork's suite "
               "reports it: ns per task = wall x W / tasks."),
    ("uts", "the UTS distribution's published trees T1, T2, T3 (nodes, depth and leaves "
            "checked), reported as libfork's suite reports them: ns per node = wall x W / nodes."),
    ("nqueens", "libfork's benchmark suite reports nqueens as ns per task = wall x W / tasks, "
                "a task per valid placement, as here."),
    ("integrate", "libfork's benchmark suite and the runtime-benchmarks collection's adaptive "
                  "integration, reported as ns per call = wall x W / calls."),
)

# A sample of run.json's "cpu_speed" whose slowest CPU took this many times
# the fastest's time for the same serial code is lopsided: in such a spell a
# speedup reads the machine as much as the pool (Machine, Per task).
LOPSIDED = 1.15

# A run whose CPUs were busier than this share of their time in the second
# before it began (run.json's "busy_percent_before", scripts/run-sweep) shared
# the machine with other work; run-sweep waits for the same bound.
BUSY_PERCENT = 20


def scaling_runs_text(scaling):
    """How many runs each time of scaling.json's workloads is the best of
    ("runs_per_time"): "3 runs", or "3 runs (uts: of 1, ...)" where they differ."""
    by = {}
    for x in scaling:
        n = x.get("runs_per_time")
        by.setdefault(n if isinstance(n, int) and n > 0 else None, []).append(x["workload"])
    if None in by:
        return "a few runs"
    common = max(by, key=lambda n: len(by[n]))
    others = [f"{', '.join(by[n])}: of {n}" for n in sorted(by) if n != common]
    return (f"{common} run{'s' if common != 1 else ''}"
            + (f" ({'; '.join(others)}, whose runs are long)" if others else ""))


def cpu_speed_spread(info):
    """From run.json's "cpu_speed" samples ({"t_s", "ns": {cpu: ns}}, two CPUs
    or more): (samples, median ratio, worst ratio, slow CPU, fast CPU,
    lopsided samples), each ratio the slowest CPU's time over the fastest's;
    None without such samples."""
    ratios = []
    for sample in info.get("cpu_speed") or []:
        ns = sample.get("ns") if isinstance(sample, dict) else None
        if not isinstance(ns, dict):
            continue
        times = [(t, cpu) for cpu, t in ns.items() if isinstance(t, (int, float)) and t > 0]
        if len(times) < 2:
            continue
        (fast_t, fast), (slow_t, slow) = min(times), max(times)
        ratios.append((slow_t / fast_t, slow, fast))
    if not ratios:
        return None
    worst = max(ratios)
    return (len(ratios), statistics.median([q for q, _, _ in ratios]), worst[0], worst[1], worst[2],
            sum(1 for q, _, _ in ratios if q >= LOPSIDED))


def run_summary(run):
    """[(workload, view, scores, ranking)] at each workload's representative point."""
    rows = []
    for w in run.workloads():
        v = run.view(w)
        rows.append((w, v, v.scores(), v.ranking()))
    return rows


def overall(rows):
    """Geometric mean of relative scores over the workloads whose ranking is a
    significant win, pools only: [(pool, score, workloads)] best first."""
    per_pool = {}
    for w, v, sc, rk in rows:
        if rk.verdict != "win":
            continue
        for pool, res in sc.items():
            if res[0] == "ok" and not is_baseline(pool):
                per_pool.setdefault(pool, []).append(max(res[2], 1e-3))
    result = []
    for pool, rels in per_pool.items():
        g = math.exp(sum(math.log(r) for r in rels) / len(rels))
        result.append((pool, g, len(rels)))
    result.sort(key=lambda t: (-t[1], -t[2], t[0]))
    return result


def verdict_text(rk):
    if rk.verdict == "win":
        return "win"
    if rk.verdict == "tie":
        return f"tie p={fmt_p(rk.p)}"
    if rk.verdict == "n<3":
        return "n < 3"
    return ""


def overview_tables(runs):
    """Per run: (run, workloads, pools, cells [(text, value, tied)], columns)."""
    tables = []
    for r in runs:
        rows = run_summary(r)
        if not rows:
            continue
        pools = sorted({p for _, v, _, _ in rows for p in v.pools}, key=pool_order)
        workloads = [w for w, _, _, _ in rows]
        cells, kept = [], []
        for pool in pools:
            row = []
            for w, v, sc, rk in rows:
                res = sc.get(pool)
                tie = rk.verdict == "tie" and pool in rk.tied
                if res and res[0] == "ok" and not math.isnan(res[2]):
                    row.append((fmt_rel(res[2]), res[2], tie))
                elif res and res[0] in ("unsupported", "failed", "wrong result"):
                    row.append((NA, None, False))
                else:
                    row.append(("–", None, False))
            if is_baseline(pool) and all(c[1] is None for c in row):
                continue   # serial exists at W = 1 only: no cell at any column's W
            cells.append(row)
            kept.append(pool)
        pools = kept
        columns = {w: {"x": v.rep_x, "verdict": verdict_text(rk), "n": v.reps()}
                   for w, v, _, rk in rows}
        tables.append((r, workloads, pools, cells, columns))
    return tables


class Report:
    def __init__(self, runs, plotter_written, plot_failures, out):
        self.runs = runs
        self.written = list(plotter_written)
        self.failures = plot_failures
        self.lines = []
        self.out = out

    def where(self, run):
        """The run's folder relative to the report, so a committed report names no local paths
        (and stays right when the folder is renamed, as scripts/sweep does)."""
        rel = os.path.relpath(os.path.abspath(run.folder), os.path.abspath(self.out))
        return "this folder" if rel == "." else f"`{rel}`"

    def add(self, *lines):
        self.lines.extend(lines)

    def h(self, level, text):
        multi = len(self.runs) > 1
        self.add("", "#" * (level + (1 if multi else 0)) + " " + text, "")

    def link(self, name):
        return f"[{name}]({name})" if name in self.written else None

    def build(self):
        add = self.add
        add("# poolbench report", "")
        if len(self.runs) == 1:
            r = self.runs[0]
            files = ["`pools.json`"] + (["`queues.json`"] if r.has_queues else []) + (
                ["`memory.json`"] if r.has_memory else []) + (
                ["`oversub.json`"] if r.has_oversub else [])
            add(f"Data: {', '.join(files[:-1]) + ' and ' + files[-1] if len(files) > 1 else files[0]} "
                f"in {self.where(r)}.")
        else:
            add("Result folders overlaid (one section each below; in the PNGs colour = pool and "
                "line style = folder):", "")
            for r in self.runs:
                add(f"- `{r.label}`: {self.where(r)}")
        add("")
        if "overview.png" in self.written:
            add("![overview: each pool relative to the best pool per workload](overview.png)", "")
        pngs = [self.link(n) for n in self.written if n != "overview.png"]
        if pngs:
            add("Plots: " + " · ".join(pngs), "")
        add("How to read it: every figure is the median over repetitions (Google Benchmark's "
            "iteration rows) with its 95 % confidence interval in brackets, from a percentile "
            f"bootstrap ({stats.N_RESAMPLES} resamples, fixed seed); the plots draw the interval as "
            "the error bar. A pool is named fastest only when a two-sided Mann-Whitney U test of "
            f"its repetitions against the runner-up's gives p < {stats.ALPHA}; otherwise the "
            "ranking is a tie and names the pools not told apart from the best, and with fewer "
            f"than {stats.MIN_TEST_N} repetitions there is no test (n < 3). Baselines "
            f"({', '.join(f'`{b}`' for b in BASELINES)}) are drawn dashed and tabled but never win. "
            "The representative worker count of a workload is the largest one measured that is <= "
            "the machine's hardware threads (for `sleep`: 128 workers, or the largest measured). "
            "Ideals are those of WORKLOADS.md; n/a = the row is unsupported or failed, or does "
            "not keep that counter; – = not measured.")
        for r in self.runs:
            self.run_section(r)
        if self.failures:
            add("", "## Plots that could not be drawn", "")
            for name, why in self.failures:
                add(f"- {name}: {md_escape(why)}")
        return "\n".join(self.lines).rstrip() + "\n"

    # ---------------------------------------------------------------- machine

    def machine(self, r):
        c = r.context
        caches = []
        for cache in c.get("caches") or []:
            if isinstance(cache, dict):
                size = cache.get("size", 0)
                size_t = f"{size // 1024} KiB" if isinstance(size, int) and size < 1 << 20 else (
                    f"{size / (1 << 20):.3g} MiB" if isinstance(size, (int, float)) else str(size))
                caches.append(f"L{cache.get('level', '?')} {cache.get('type', '')} {size_t}"
                              f" (shared by {cache.get('num_sharing', '?')})")
        info = r.run_info

        def load(v):
            return ", ".join(f"{x:.2f}" if isinstance(x, (int, float)) else str(x)
                             for x in v or []) or None

        steal = info.get("steal_percent")
        # The sweep's own reading of the CPUs just before it measured
        # (run.json); None when it took none (--no-wait, older runs).
        busy = info.get("busy_percent_before")
        if not isinstance(busy, (int, float)) or isinstance(busy, bool):
            busy = None
        spread = cpu_speed_spread(info)
        speed = None
        if spread:
            n, med, worst, slow, fast, lopsided = spread
            speed = (f"{n} sample{'s' if n != 1 else ''} through the run (`pool_bench "
                     "--cpu-speed`: skynet's serial code pinned to each CPU), the slowest "
                     f"CPU's time over the fastest's: median "
                     f"{med:.2f}x, worst {worst:.2f}x (CPU {slow} against CPU {fast}); "
                     f"{lopsided} of {n} at {LOPSIDED:.2f}x or more")
        gb = " ".join(str(x) for x in (c.get("benchmark_version"),
                                       f"({c.get('library_build_type')} build)"
                                       if c.get("library_build_type") else None) if x) or None
        rows = [
            ("host", c.get("host_name")), ("date", c.get("date")),
            ("CPU model", c.get("cpu_model")),
            ("CPUs (logical)", c.get("num_cpus")), ("hardware threads", c.get("hardware_threads")),
            ("physical cores", c.get("physical_cores")), ("threads per core", c.get("threads_per_core")),
            ("NUMA nodes", c.get("numa_nodes")),
            ("MHz per CPU", c.get("mhz_per_cpu")), ("CPU frequency scaling", c.get("cpu_scaling_enabled")),
            ("frequency governor", c.get("cpu_governor")),
            ("caches", "; ".join(caches) if caches else None),
            ("kernel", c.get("kernel")), ("hypervisor", c.get("hypervisor")),
            ("steal time during the run", f"{steal:.2f} % of all CPU time"
             if isinstance(steal, (int, float)) else None),
            ("CPU speeds", speed),
            ("load average (1, 5, 15 min)", load(c.get("load_avg"))),
            ("CPUs busy in the second before the run", f"{busy:g} %" if busy is not None else None),
            ("load before / after the run", " / ".join(x for x in (load(info.get("load_before")),
                                                                   load(info.get("load_after"))) if x) or None),
            ("compiler", c.get("compiler")), ("flags", c.get("cxx_flags")),
            ("build type", c.get("build_type")),
            ("Google Benchmark", gb),
            ("oneTBB", c.get("onetbb_version")), ("moodycamel", c.get("moodycamel_version")),
            ("Boost", c.get("boost_version")),
            ("git revision", c.get("git_revision")), ("executable", c.get("executable")),
            ("command line", info.get("command_line") or c.get("command_line")),
            ("sweep", ", ".join(f"{k} {info[k]}" for k in ("mode", "repetitions", "workers", "filter")
                                if k in info) or None),
        ]
        self.add("| | |", "|---|---|")
        for k, v in rows:
            if k == "Boost" and v in (None, ""):
                continue
            self.add(f"| {k} | {md_escape(v) if v not in (None, '') else 'unknown'} |")
        warnings = []
        cores = r.hw if r.hw_known else None
        la = c.get("load_avg") or []
        if busy is not None:
            # The load average then still holds scripts/sweep's own build.
            if busy > BUSY_PERCENT:
                warnings.append(f"the CPUs were {busy:g} % busy in the second before the run "
                                f"began (more than {BUSY_PERCENT} %): other work shared the machine")
        elif cores and la and isinstance(la[0], (int, float)) and la[0] / cores > 0.2:
            warnings.append(f"the load average was {la[0]:.2f} on {cores} hardware threads when the "
                            "run began (more than 0.2 per thread): other work shared the machine")
        if str(c.get("library_build_type", "")).lower() == "debug":
            warnings.append("the Google Benchmark library is a debug build (Debian's package is); "
                            "its per-iteration overhead is small against these rows' milliseconds, "
                            "but say so when citing")
        if str(c.get("poolbench_quick", "")) == "1" or info.get("mode") == "quick":
            warnings.append("quick: one size per workload, the field's first (WORKLOADS.md) "
                            "but for integrate (n = 100; the field's n = 10,000 makes 3.5e8 "
                            "calls) and mergesort (2^20 elements; the field's 2^22 took every "
                            "row 0.4 s a run), idle and latency 0.1 s (instead of 1 s and "
                            "0.5 s), bursty 100 bursts, workers 1, the hardware threads and "
                            "twice them, rows timed for 20 ms, thread_per_job capped at 5,000 "
                            "jobs (1,000 forks in a fork-join), the queued fork-joins and go's "
                            "goroutines at 5e5 tasks a run (WORKLOADS.md's full sweep: --full)")
        if spread and spread[5]:
            n, _, worst, slow, fast, lopsided = spread
            warnings.append(
                f"in {lopsided} of {n} samples through the run one CPU took {LOPSIDED:.2f}x or more "
                f"the time of another for the same serial code (worst {worst:.2f}x, CPU {slow} "
                f"against CPU {fast}; on a VM, a vCPU whose host core is shared runs slower, which "
                "steal time need not show): a speedup measured in such a spell reads the machine as "
                "much as the pool. Two workers on CPUs whose times per unit of work are f < s "
                "make T1 / T2 = 1 + f / s when the lone worker ran on the fast CPU, 1 + s / f "
                "on the slow one")
        if isinstance(steal, (int, float)) and steal > 1.0:
            warnings.append(f"the hypervisor stole {steal:.1f} % of the CPU time during the run")
        for w in warnings:
            self.add("", f"**Warning:** {w}.")
        ops = r.reference("atomic_rmw", "ops_per_s")
        refs = [f"one uncontended atomic RMW: {fmt_val(ops, 'ops_per_s')}" if ops
                else "no `reference/atomic_rmw` row, so the jobs/s ideal is not drawn"]
        for s in sorted((s for s in r.series.values() if s.workload == "reference"
                         and s.pool == "spin_job" and s.stat("ns_per_job")),
                        key=lambda s: sort_key(s.params.get("rounds"))):
            refs.append(f"spin job with {s.param_text()}: {fmt_val(s.stat('ns_per_job').median, 'ns_per_job')}")
        for w in (100, 128):
            floor = r.reference("sleep_threads", "wall_over_ideal", workers=w)
            if floor is not None:
                refs.append(f"{w} bare threads taking `sleep`'s jobs, no pool: "
                            f"{fmt_val(floor, 'wall_over_ideal')} the ideal")
        fut = r.reference_series("latency_futex", "p99_us")
        if fut is not None:
            refs.append("a bare thread woken through a futex (the floor of `latency`): p50 "
                        + ", p99 ".join(self.cell(fut, c) for c in ("p50_us", "p99_us"))
                        + ", p99.9 " + self.cell(fut, "p999_us"))
        self.add("", "Reference rows: " + "; ".join(refs) + ".")

    # ---------------------------------------------------------------- summary

    def run_section(self, r):
        add = self.add
        if len(self.runs) > 1:
            add("", f"## {r.label}", "", f"Folder: {self.where(r)}")
        self.h(2, "Machine")
        self.machine(r)
        rows = run_summary(r)
        self.h(2, "Fastest pool per workload")
        hw = (str(r.hw) if r.hw_known else
              f"unknown in the JSON context, assuming {r.hw} like the machine that plotted it")
        add(f"At the representative worker count (hardware threads: {hw}), largest job "
            "count, largest producer count. Median [95 % CI]; p = two-sided Mann-Whitney U, "
            "best vs runner-up; baselines are not ranked.", "")
        add("| workload | fastest | median [95 % CI] | at | runner-up | p |", "|---|---|---|---|---|---|")
        for w, v, sc, rk in rows:
            if not rk.order:
                add(f"| {w} | n/a (no pool produced a figure) | | {v.where()} | | |")
                continue
            best, st = rk.order[0]
            second = ""
            if len(rk.order) > 1:
                q = rk.order[1][0]
                rel = sc[q][2] if sc.get(q, ("",))[0] == "ok" else None
                second = f"{q} ({fmt_rel(rel)}x of best)" if rel is not None else q
            if rk.verdict == "win":
                first = f"**{best}**"
            elif rk.verdict == "alone":
                first = f"**{best}** (the only pool with a figure)"
            elif rk.verdict == "tie":
                first = f"tie (p = {fmt_p(rk.p)}): {', '.join(rk.tied)}" + (
                    f" (n = {st.n} cannot reach p < {stats.ALPHA})" if rk.too_few_to_win else "")
            else:
                first = f"n < 3: no test (best median: {best})"
            add(f"| {w} | {first} | {fmt_ci(st, v.counter)} | {v.where()} | {second} | {fmt_p(rk.p)} |")
        self.overall_section(r, rows)
        self.scaling_section(r)
        self.overhead_section(r)
        self.per_task_section(r)
        self.memory_section(r)
        self.oversub_section(r)
        for w, v, _, _ in rows:
            self.workload_section(r, w, v)
        self.errors_section(r)
        if r.has_queues:
            self.queue_section(r)

    def overall_section(self, r, rows):
        add = self.add
        ranking = overall(rows)
        self.h(2, "Overall winner")
        verdicts = [rk.verdict for _, _, _, rk in rows if rk.order]
        wins, ties, untested = (verdicts.count("win"), verdicts.count("tie"), verdicts.count("n<3"))
        alone = verdicts.count("alone")
        counted = (f"{wins} of {len(verdicts)} workloads have a significant ranking; "
                   f"{ties} {'were ties' if ties != 1 else 'was a tie'} (p >= {stats.ALPHA})"
                   + (f", {untested} had fewer than {stats.MIN_TEST_N} repetitions (no test)"
                      if untested else "")
                   + (f", {alone} had a single pool" if alone else "") + ".")
        reps = sorted({n for _, v, _, _ in rows for n in v.reps()})
        if reps and reps[-1] >= 1 and stats.smallest_p(reps[-1]) >= stats.ALPHA:
            counted += (f" With {reps[-1]} repetitions per row the smallest p the test can give is "
                        f"{stats.smallest_p(reps[-1]):.2g}, so no ranking can be significant: run at "
                        "least 4 repetitions (5 or more to be useful).")
        if ranking:
            win = ranking[0]
            add(f"Overall winner: **{win[0]}** (geometric mean of relative scores {win[1]:.2f} "
                f"over {win[2]} workload{'s' if win[2] != 1 else ''} with a significant ranking). "
                + counted, "")
            add("How it is computed: for each workload whose ranking is significant, at the "
                "representative worker count, each pool's median figure is divided by the best "
                "pool's (value / best when higher is better, best / value when lower is better; "
                f"idle CPU below {SCORE_FLOOR['idle_cpu_pct']} % counts as "
                f"{SCORE_FLOOR['idle_cpu_pct']} %), so the best pool scores 1.0. A pool's overall "
                "score is the geometric mean of its scores over those workloads (ties, "
                "unsupported, failed or unmeasured workloads are left out, so compare the workload "
                "counts too). Baselines are not scored.", "")
            add("| pool | geometric mean | workloads |", "|---|---|---|")
            for pool, g, k in ranking:
                add(f"| {pool} | {g:.3f} | {k} of {wins} |")
        elif verdicts:
            add("No overall winner: no workload's ranking is significant. " + counted)
        else:
            add("No pool produced a figure for any workload.")

    # ---------------------------------------------------------------- scaling

    @staticmethod
    def report_facets(v):
        return v.facets if v.workload == "parallel_for" else [v.main_facet]

    def scaling_section(self, r):
        """Per workload and pool: the rate at W = 1, at the hardware threads and at
        twice that, and the speedups T_serial / T there."""
        views = [r.view(w) for w in r.workloads() if r.view(w).scales()]
        if not views:
            return
        hw = r.hw
        self.h(2, "Scaling")
        self.add(f"The rate at W = 1, at W = {hw} (the hardware threads) and at W = {2 * hw} "
                 "(twice that), and the speedup = T_serial / T: the `serial` row's median time "
                 "over the row's, with its 95 % bootstrap interval (a workload without a `serial` "
                 "row divides each pool's own time at W = 1 instead, and says so). Linear scaling "
                 f"is a speedup of {hw} at W = {hw}. At each workload's largest job count and "
                 "producer count; – = not measured at that W.")
        for v in views:
            for facet in self.report_facets(v):
                base = v.speedup_base(facet)
                caption = ", ".join(t for t in (
                    f"{v.size_key}:{v.main_size}" if v.size_key else "", facet_text(facet)) if t)
                plot = self.link(f"{v.workload}_speedup.png")
                over = "over `serial`" if base == "serial" else "over each pool's own W = 1 (no `serial` row)"
                self.add("", f"`{v.workload}`" + (f" ({caption})" if caption else "")
                         + f", `{v.rate}`, speedup {over}" + (f", plot: {plot}" if plot else "") + ":", "")
                self.add(f"| pool | W=1 | W={hw} | W={2 * hw} | speedup at {hw} | speedup at {2 * hw} |",
                         "|---|---|---|---|---|---|")
                for pool in v.pools:
                    ups = {p[0]: stats.Stat(p[1], p[2], p[3], 0) for p in v.speedups(pool, facet)}
                    if not ups and pool != SERIAL:
                        continue
                    if pool == SERIAL and base != "serial":
                        continue
                    pts = {p[0]: p[1] for p in v.points(pool, facet, v.main_size, v.rate)}
                    cells = [fmt_val(pts[x], v.rate) if x in pts else "–" for x in (1, hw, 2 * hw)]
                    cells += [fmt_ratio(ups.get(x)) for x in (hw, 2 * hw)]
                    name = f"{pool} (baseline)" if is_baseline(pool) else pool
                    self.add(f"| {name} | " + " | ".join(cells) + " |")

    def overhead_section(self, r):
        cols = []
        for w in r.workloads():
            v = r.view(w)
            for facet in self.report_facets(v):
                if any(v.overhead(p, facet) for p in v.pools):
                    cols.append((v, facet))
        if not cols:
            return
        self.h(2, "Work overhead")
        self.add("T1 / T_serial: a pool's median time at W = 1 over the `serial` row's (the same "
                 "work with no pool), with its 95 % bootstrap interval; 1.00x = no overhead. At "
                 "each workload's largest size; – = no row at W = 1.", "")
        heads = [f"{v.workload}" + (f" ({facet_text(f)})" if f else "") for v, f in cols]
        self.add("| pool | " + " | ".join(heads) + " |", "|---" * (len(cols) + 1) + "|")
        pools = sorted({p for v, _ in cols for p in v.pools if p != SERIAL}, key=pool_order)
        for pool in pools:
            cells = []
            for v, f in cols:
                s = v.get(pool, f, v.main_size, 1)
                if s is not None and not s.values.get(TIME) and s.errors:
                    cells.append(NA)
                else:
                    cells.append(fmt_ratio(v.overhead(pool, f)))
            name = f"{pool} (baseline)" if is_baseline(pool) else pool
            self.add(f"| {name} | " + " | ".join(cells) + " |")

    def per_task_section(self, r):
        """ns_per_task at W = 1 and at the hardware threads, the speedup between
        the two, and T1 / T_serial against both serials, for the fork-join
        workloads of PER_TASK."""
        present = [(w, text) for w, text in PER_TASK if w in r.workloads()
                   and any(s.stat("ns_per_task") for s in r.view(w).series)]
        if not present and not r.scaling:
            return
        hw = r.hw
        xs = (1,) if hw == 1 else (1, hw)
        self.h(2, "Per task")
        self.add("The time each worker spends per task, ns per task = wall x W / tasks (median), "
                 f"at W = 1 and at W = {hw} (the hardware threads), "
                 + (f"the speedup T1 / T{hw} (a pool's median time at W = 1 over its own at "
                    f"W = {hw}, with its 95 % bootstrap interval), " if hw > 1 else "")
                 + "and the work overhead "
                 "T1 / T_serial (a row's median time at W = 1 over a serial row's, with its 95 % "
                 "bootstrap interval) against both serials: `serial` (plain recursion, whatever "
                 "the compiler makes of it) and `serial_noinline` (recursion through a call that "
                 "is not inlined: the T_serial of the published work-overhead figures). – = no row.")
        spread = cpu_speed_spread(r.run_info)
        if hw > 1 and spread and spread[5]:
            self.add("", f"In {spread[5]} of {spread[0]} samples through this run one CPU took "
                     f"{LOPSIDED:.2f}x or more the time of another for the same serial code "
                     f"(worst {spread[2]:.2f}x; Machine): a T1 / T{hw} measured in such a spell "
                     "reads the machine as much as the pool, whose lone worker at W = 1 ran on "
                     "a fast CPU or a slow one"
                     + (" (the speedups at even CPU speeds below take the CPUs' speeds out)."
                        if r.scaling else "."))
        for w, text in present:
            v = r.view(w)
            self.add("", f"`{w}`: {text}", "")
            groups = [(f, size) for f in v.facets for size in (v.sizes or [None])
                      if any(v.get(p, f, size, x) is not None for p in v.pools for x in xs)]
            heads = []
            for f, size in groups:
                where = ", ".join(t for t in (
                    f"{v.size_key}:{size}" if v.size_key and size is not None else "",
                    facet_text(f)) if t)
                where = f" ({where})" if where and len(groups) > 1 else ""
                heads += [f"ns/task W={x}{where}" for x in xs]
                if hw > 1:
                    heads.append(f"T1 / T{hw}{where}")
                heads += [f"T1 / T_serial (`serial`){where}",
                          f"T1 / T_serial (`serial_noinline`){where}"]
            self.add("| pool | " + " | ".join(heads) + " |", "|---" * (len(heads) + 1) + "|")
            for pool in v.pools:
                cells = []
                for f, size in groups:
                    cells += [self.cell(v.get(pool, f, size, x), "ns_per_task") for x in xs]
                    own = v.get(pool, f, size, 1)
                    if hw > 1:
                        cells.append(fmt_ratio(time_ratio(own, v.get(pool, f, size, hw))))
                    for base in (SERIAL, SERIAL_NOINLINE):
                        cells.append(fmt_ratio(
                            time_ratio(own, v.get(base, f, size, 1)) if pool != base else None))
                name = f"{pool} (baseline)" if is_baseline(pool) else pool
                self.add(f"| {name} | " + " | ".join(cells) + " |")

        self.scaling_table(r)

    def scaling_table(self, r):
        """scaling.json (run-sweep's `fork_cost scaling` pass): work_stealing's
        speedup at W = all CPUs over W = 1 per workload, plain, at even speeds
        and at busy speeds, with the CPUs' spread."""
        if not r.scaling:
            return
        rounds = sorted({len(x["rounds"]) for x in r.scaling})
        ws = sorted({x["workers"] for x in r.scaling})
        w = ws[0] if len(ws) == 1 else "W"
        self.h(3, "work_stealing at even CPU speeds")
        self.add(f"From `scaling.json`: `fork_cost scaling` after the rounds above, "
                 f"{' or '.join(str(n) for n in rounds)} rounds per workload at the quick "
                 "sweep's size, each round timing the recursion at one worker pinned "
                 "to each CPU in turn (t_c), then at one worker on every CPU at once, then at "
                 f"W = {w} workers (nothing pinned), within seconds of each other, each time "
                 f"the best of {scaling_runs_text(r.scaling)}. "
                 "The medians over the rounds of: T1 / "
                 f"T{w} (T1 the mean of the t_c); at even speeds, W x (1 / sum of 1 / t_c) / "
                 f"T{w}: the speedup over what those CPUs could do at best, T1 / T{w} itself "
                 "where they run alike, and where they do not, what it would read if they did; "
                 "at busy speeds, the same with the t_c taken all at once (CPUs that slow each "
                 "other down only when all work count against the machine, not the pool); the "
                 "slowest CPU's t_c over the fastest's; and the all-at-once share over the "
                 "one-at-a-time share. Lowest and highest round in brackets.")
        self.add("", f"| workload | size | T1 / T{w} | at even speeds | at busy speeds | "
                 "slowest / fastest CPU | all busy / alone |", "|---" * 7 + "|")
        order = {name: i for i, (name, _) in enumerate(PER_TASK)}
        for x in sorted(r.scaling, key=lambda x: (order.get(x["workload"], len(order)),
                                                 x["workload"])):
            med = x["median"]

            def cell(key):
                vals = [y[key] for y in x["rounds"]
                        if isinstance(y, dict) and isinstance(y.get(key), (int, float))]
                span = f" [{min(vals):.2f}, {max(vals):.2f}]" if len(vals) > 1 else ""
                return f"{med[key]:.2f}x{span}"

            size = f"{x.get('size_key')}:{x.get('size')}" if x.get("size") else "–"
            head = x["workload"] + (f" (W = {x['workers']})" if len(ws) > 1 else "")
            self.add(f"| {head} | {size} | {cell('plain')} | {cell('even')} | "
                     f"{cell('busy')} | {med['spread']:.2f}x | {med['busy_over_alone']:.2f}x |")

    def memory_section(self, r):
        if not r.has_memory:
            return
        self.h(2, "Peak memory")
        self.add("From `memory.json`: each row measured alone in a fresh process. The pool's own "
                 "peak = the process's peak resident memory running the row minus the same "
                 "process's peak with an empty pool of the same workers; one measurement per row.")
        by_workload = {}
        for s in r.memory.values():
            by_workload.setdefault(s.workload, []).append(s)
        for w in sorted(by_workload, key=workload_order):
            ss = by_workload[w]
            xs = sorted({s.params.get("workers") for s in ss if s.params.get("workers") is not None},
                        key=sort_key)
            pools = sorted({s.pool for s in ss}, key=pool_order)
            index = {(s.pool, s.params.get("workers")): s for s in ss}
            params = sorted({s.param_text(skip=("workers",)) for s in ss})
            self.add("", f"`{w}` ({'; '.join(p for p in params if p) or 'no parameters'}): the "
                     "pool's own peak (`pool_peak_mb`), by workers:", "")
            self.add("| pool | " + " | ".join(f"W={x}" for x in xs) + " |", "|---" * (len(xs) + 1) + "|")
            for p in pools:
                name = f"{p} (baseline)" if is_baseline(p) else p
                self.add(f"| {name} | " + " | ".join(self.cell(index.get((p, x)), "pool_peak_mb")
                                                     for x in xs) + " |")
            rep = max([x for x in xs if isinstance(x, int) and x <= r.hw] or xs[:1] or [None])
            if rep is not None:
                self.add("", f"At workers:{rep}, all three figures:", "")
                self.add("| pool | pool's own peak | process peak | empty-pool peak |", "|---|---|---|---|")
                for p in pools:
                    s = index.get((p, 1 if p == SERIAL else rep))
                    name = f"{p} (baseline, W=1)" if p == SERIAL else (
                        f"{p} (baseline)" if is_baseline(p) else p)
                    self.add(f"| {name} | " + " | ".join(self.cell(s, c) for c in MEMORY_COUNTERS) + " |")

    def oversub_section(self, r):
        if not r.has_oversub:
            return
        hw = r.hw
        self.h(2, "Oversubscription")
        plot = self.link("oversub.png")
        self.add("From `oversub.json`: the rows below at worker counts up to 32 times the "
                 f"hardware threads ({hw}). What an idle worker costs shows here: the process's CPU "
                 "time per job (all its threads), parks and wake-ups per job should stay flat as W "
                 "grows past the cores, where extra workers have nothing to do. Median over the "
                 "repetitions; the last column is the largest CPU ns/job median at W >= "
                 f"{hw} over the one at W = {hw} (1.00x = flat)."
                 + (f" Plot: {plot}." if plot else ""))
        by_row = {}
        for s in r.oversub.values():
            by_row.setdefault((s.workload, s.param_text(skip=("workers",))), []).append(s)
        for (w, params) in sorted(by_row, key=lambda k: (workload_order(k[0]), k[1])):
            ss = by_row[(w, params)]
            xs = sorted({s.params.get("workers") for s in ss
                         if isinstance(s.params.get("workers"), int)})
            index = {(s.pool, s.params.get("workers")): s for s in ss}
            pools = sorted({s.pool for s in ss}, key=pool_order)
            reps = sorted({len(s.values.get("jobs_per_s", [])) for s in ss} - {0})
            self.add("", f"`{w}` ({params or 'no parameters'}; n = "
                     f"{', '.join(map(str, reps)) or '0'}):", "")
            self.add("| pool | figure | " + " | ".join(f"W={x}" for x in xs) + f" | max / W={hw} |",
                     "|---" * (len(xs) + 3) + "|")
            for p in pools:
                for counter, label in OVERSUB_COUNTERS:
                    cells = [self.cell(index.get((p, x)), counter) for x in xs]
                    spread = "–"
                    if counter == "cpu_ns_per_job":
                        at_hw = index.get((p, hw))
                        base = at_hw.stat(counter) if at_hw else None
                        highs = [index[(p, x)].stat(counter) for x in xs
                                 if x >= hw and (p, x) in index and index[(p, x)].stat(counter)]
                        if base and base.median > 0 and highs:
                            spread = f"{max(h.median for h in highs) / base.median:.2f}x"
                    self.add(f"| {p} | {label} | " + " | ".join(cells) + f" | {spread} |")

    # ---------------------------------------------------------------- workloads

    def table(self, pools, cols, cell, header_first="pool"):
        self.add("| " + header_first + " | " + " | ".join(str(c) for c in cols) + " |",
                 "|---" * (len(cols) + 1) + "|")
        for p in pools:
            name = f"{p} (baseline)" if is_baseline(p) else p
            self.add(f"| {name} | " + " | ".join(cell(p, c) for c in cols) + " |")

    @staticmethod
    def cell(s, counter, ci=False):
        """A table cell: median (and interval), n/a when the row has no such counter
        or failed, – when there is no row."""
        if s is None:
            return "–"
        st = s.stat(counter)
        if st:
            text = fmt_ci(st, counter) if ci else fmt_val(st.median, counter)
            return text + (" (some reps failed)" if s.errors else "")
        if s.errors:
            return s.error_kind()
        return NA

    def ranking_line(self, v, facet):
        rk = v.ranking(facet)
        where = v.where(facet=facet)
        if not rk.order:
            return f"No pool produced a figure at {where}."
        best, st = rk.order[0]
        rest = [(p, s) for p, s in rk.order[1:]]

        def rel(s):
            if v.higher:
                return s.median / st.median if st.median else 0.0
            floor = SCORE_FLOOR.get(v.counter, 1e-12)
            return max(st.median, floor) / max(s.median, floor)

        then = (", then " + ", ".join(f"{p} {fmt_rel(rel(s))}x" for p, s in rest)
                + " (relative to the best)") if rest else ""
        if rk.verdict == "win":
            return (f"Fastest at {where}: **{best}** ({fmt_ci(st, v.counter)}; Mann-Whitney "
                    f"p = {fmt_p(rk.p)} against {rest[0][0]}){then}.")
        if rk.verdict == "alone":
            return f"Only {best} has a figure at {where} ({fmt_ci(st, v.counter)})."
        if rk.verdict == "tie":
            return (f"Tie at {where} (p = {fmt_p(rk.p)}, best vs runner-up): "
                    f"{', '.join(rk.tied)} are not told apart"
                    + (f" (with n = {st.n} repetitions no test can reach p < {stats.ALPHA})"
                       if rk.too_few_to_win else "") + f"; best median {best} "
                    f"({fmt_ci(st, v.counter)}){then}.")
        return (f"n < 3: no test at {where}; best median {best} ({fmt_ci(st, v.counter)}){then}.")

    def workload_section(self, r, w, v):
        add = self.add
        better = "higher" if v.higher else "lower"
        self.h(2, f"{w}: {v.ylabel} ({better} is better)")
        if w in IDEAL_TEXT:
            add(f"Ideal: {IDEAL_TEXT[w]}.")
        if w in FLOOR_REFERENCE and any(v.floor(x) is not None for x in v.xs):
            add(f"*{FLOOR_REFERENCE[w][1]}*: {FLOOR_REFERENCE[w][2]}.")
        if "native_tbb" in v.pools:
            add("`tbb` is oneTBB behind poolbench's pool interface; `native_tbb` is the workload "
                "written the way oneTBB's users write it (a baseline).")
        links = [self.link(f"{w}.png"), self.link(f"{w}_jobs.png"), self.link(f"{w}_speedup.png")]
        if v.all_failed():
            add(f"No plot: no row of this workload has a `{v.counter}` value "
                "(every row is unsupported, failed or lacks the counter).")
        elif any(links):
            add("Plots: " + ", ".join(l for l in links if l) + ".")
        facets = v.facets or [()]
        for facet in facets:
            caption = ", ".join(t for t in (
                f"{v.size_key}:{v.main_size}" if v.size_key else "", facet_text(facet)) if t)
            add("", f"Median `{v.counter}` [95 % CI]" + (f" at {caption}" if caption else "")
                + f", by {v.xkey}:", "")
            xs = v.xs
            self.table(v.pools, [f"{v.xkey[0].upper()}={x}" for x in xs],
                       lambda p, c: self.cell(v.get(p, facet, v.main_size, to_num(c.split("=", 1)[1])),
                                              v.counter, ci=True))
            ideals = [v.ideal(x, facet) for x in xs]
            if xs and all(i is not None for i in ideals):
                add("| *ideal* | " + " | ".join(fmt_val(i, v.counter) for i in ideals) + " |")
            if w in FLOOR_REFERENCE:
                floors = [v.floor_series(x) for x in xs]
                if any(f is not None for f in floors):
                    add(f"| *{FLOOR_REFERENCE[w][1]}* | " + " | ".join(
                        self.cell(f, v.counter, ci=True) if f is not None else "–" for f in floors) + " |")
            add("", self.ranking_line(v, facet))
        if len(v.sizes) > 1:
            counter = "jobs_per_s" if any("jobs_per_s" in s.values for s in v.series) else v.counter
            for facet in facets:
                caption = ", ".join(t for t in (f"{v.xkey}:{v.rep_x}", facet_text(facet)) if t)
                add("", f"Median `{counter}` at {caption} (serial: W=1), by {v.size_key}:"
                    if SERIAL in v.pools else f"Median `{counter}` at {caption}, by {v.size_key}:", "")
                self.table(v.pools, [f"{v.size_key}={n}" for n in v.sizes],
                           lambda p, c: self.cell(v.get(p, facet, to_num(c.split("=", 1)[1]),
                                                        1 if p == SERIAL else v.rep_x), counter))
        # every counter at the representative point
        extra = sorted({c for s in v.series for c in s.counters()} - {v.counter})
        if extra:
            cols = [v.counter] + extra
            add("", f"All counters at {v.where()} (median; n/a = the row does not keep it):", "")
            self.table(v.pools, cols,
                       lambda p, c: self.cell(v.get(p, v.main_facet, v.main_size,
                                                    1 if p == SERIAL else v.rep_x), c))
        errs = [s for s in v.series if s.errors]
        if errs:
            add("", "Unsupported or failed here:", "")
            for line in self.error_lines(errs):
                add(line)
        silent = [s for s in v.series if not s.errors and not s.stat(v.counter)]
        if silent:
            add("", f"Rows without an error but also without a `{v.counter}` value (not plotted):", "")
            for s in silent:
                name = f"{s.workload}/{s.pool}" if s.pool else s.workload
                counters = ", ".join(f"`{c}`" for c in sorted(s.counters())) or "none"
                add(f"- `{name}` ({s.param_text() or 'no parameters'}): counters {counters}")

    @staticmethod
    def error_lines(series):
        """Group error rows by (workload, pool, reason), collapsing parameter values."""
        groups = {}
        for s in series:
            groups.setdefault((s.workload, s.pool, s.errors[0]), []).append(s)
        lines = []
        for (w, pool, reason), ss in sorted(groups.items()):
            keys = []
            for s in ss:
                keys += [k for k in s.params if k not in keys]
            params = "; ".join(
                f"{k} " + ", ".join(str(x) for x in sorted({s.params.get(k) for s in ss if k in s.params},
                                                           key=sort_key))
                for k in keys)
            kind = error_kind(reason)
            what = reason if kind != "failed" else f"failed: {reason}"
            count = f"{len(ss)} instances: " if len(ss) > 1 else ""
            bad = sum(len(s.errors) for s in ss)
            good = sum(max((len(x) for c, x in s.values.items() if not c.startswith("_")), default=0)
                       for s in ss)
            note = (f" (in {bad} of {bad + good} repetitions; the successful ones are used)"
                    if good else "")
            name = f"{w}/{pool}" if pool else w
            lines.append(f"- `{name}` ({count}{params}){note}: {md_escape(what)}")
        return lines

    def errors_section(self, r):
        self.h(2, "Unsupported and failed rows")
        errs = [s for s in list(r.series.values()) + list(r.memory.values()) if s.errors]
        if not errs:
            self.add("None: every row produced a figure.")
            return
        self.add(f"{len(errs)} benchmark instance(s) reported an error instead of a figure "
                 "(`unsupported` = the pool cannot run that workload, by design; `wrong result` = "
                 "the row's self-check failed; `failed` = any other error):", "")
        for line in self.error_lines(errs):
            self.add(line)

    def queue_section(self, r):
        add = self.add
        self.h(2, "Queues")
        if "queues.png" in self.written:
            add("Plot: [queues.png](queues.png).")
        for w in sorted(r.workloads(queue=True), key=lambda w: (w != "queue_throughput", w)):
            v = r.view(w)
            better = "higher" if v.higher else "lower"
            add("", f"`{w}`: median `{v.counter}` [95 % CI] ({better} is better)"
                + (f" at {v.size_key}:{v.main_size}" if v.size_key else "") + ":", "")
            if v.xs:
                self.table(v.pools, [f"{v.xkey}={x}" for x in v.xs],
                           lambda p, c: self.cell(v.get(p, v.main_facet, v.main_size,
                                                        to_num(c.split("=", 1)[1])), v.counter, ci=True),
                           header_first="queue")
            elif v.sizes:
                self.table(v.pools, [f"{v.size_key}={n}" for n in v.sizes],
                           lambda p, c: self.cell(v.get(p, v.main_facet, to_num(c.split("=", 1)[1]),
                                                        v.rep_x), v.counter, ci=True),
                           header_first="queue")
            else:
                self.table(v.pools, [v.counter],
                           lambda p, c: self.cell(v.get(p, v.main_facet, None, None), v.counter, ci=True),
                           header_first="queue")
            add("", self.ranking_line(v, v.main_facet))
