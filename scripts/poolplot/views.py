"""One workload of one run, indexed by (pool, facet, size, x): what each
workload's figure is, its ideal and floor, rankings and speedups.

A facet is every parameter other than the worker count and the size (for
example producers:P, grain:G); each facet gets its own panel and table.
"""

import math

from . import stats
from .names import BASELINES, SERIAL, SIZE_KEYS, is_baseline, sort_key
from .series import TIME

# workload -> (counter plotted and ranked, higher is better, axis label)
FIGURES = {
    "empty": ("jobs_per_s", True, "jobs/s"),
    "cpu": ("efficiency", True, "efficiency (N x t1) / (wall x W)"),
    "skewed": ("wall_over_ideal", False, "wall / ideal"),
    "tree": ("jobs_per_s", True, "jobs/s"),
    "fib": ("tasks_per_s", True, "tasks/s"),
    "producers": ("jobs_per_s", True, "jobs/s"),
    "sleep": ("wall_over_ideal", False, "wall / ideal"),
    "idle": ("idle_cpu_pct", False, "idle CPU, % of one core"),
    "latency": ("p99_us", False, "p99 from scheduled submit to start, us"),
    "parallel_for": ("elements_per_s", True, "elements/s"),
    "uts": ("nodes_per_s", True, "nodes/s"),
    "nqueens": ("solutions_per_s", True, "solutions/s"),
    "bursty": ("makespan_over_ideal_p50", False, "burst makespan / ideal, median"),
    "skynet": ("tasks_per_s", True, "tasks/s"),
    "integrate": ("tasks_per_s", True, "tasks (calls)/s"),
    "matmul": ("madds_per_s", True, "multiply-adds/s"),
    "mergesort": ("elements_per_s", True, "elements/s"),
    "chain": ("ns_per_link", False, "ns per link (hand-off)"),
    "spawn_busy": ("ns_per_submit", False, "ns per outside submit into a busy pool"),
    "small_for": ("ns_per_call", False, "ns per parallel_for call"),
    "reduce": ("ns_per_call", False, "ns per parallel_reduce call"),
}
WORKLOAD_ORDER = list(FIGURES)
# workloads whose ideal is min(W, hardware threads) x one uncontended atomic RMW rate
ATOMIC_IDEAL = {"empty", "tree", "fib", "producers"}
# workloads whose ideal is min(W, hardware threads) x the serial row's figure
SERIAL_IDEAL = {"parallel_for", "uts", "nqueens", "skynet", "integrate", "matmul", "mergesort"}
IDEAL_TEXT = {
    "empty": "min(W, hardware threads) x reference/atomic_rmw ops/s",
    "tree": "min(W, hardware threads) x reference/atomic_rmw ops/s",
    "fib": "min(W, hardware threads) x reference/atomic_rmw ops/s",
    "producers": "min(W, hardware threads) x reference/atomic_rmw ops/s",
    "cpu": "efficiency 1.0 up to W = hardware threads, hardware threads / W above",
    "skewed": "1.0 (makespan equal to total spin time / min(W, cores))",
    "sleep": "1.0 (wall equal to ceil(N / W) x D)",
    "idle": "0 %",
    "latency": "0 us",
    "parallel_for": "min(W, hardware threads) x the serial loop's elements/s (a speedup of "
                    "min(W, hardware threads))",
    "uts": "min(W, hardware threads) x the serial traversal's nodes/s",
    "nqueens": "min(W, hardware threads) x the serial recursion's solutions/s",
    "bursty": "1.0 (each burst's makespan equal to B x t_job / min(W, cores))",
    "skynet": "min(W, hardware threads) x the serial recursion's tasks/s",
    "integrate": "min(W, hardware threads) x the serial recursion's calls/s",
    "matmul": "min(W, hardware threads) x the serial recursion's multiply-adds/s",
    "mergesort": "min(W, hardware threads) x the serial sort's elements/s",
}
# The floor a workload's reference rows measure without any pool: which
# reference series, and what it is. Drawn dotted and tabled, never ranked.
FLOOR_REFERENCE = {
    "sleep": ("sleep_threads", "bare threads",
              "W threads and no pool taking the sleep jobs from an atomic index "
              "(`reference/sleep_threads`): what this machine's timers and scheduler allow"),
    "latency": ("latency_futex", "bare thread (futex)",
                "one bare thread woken through a futex for each job (`reference/latency_futex`): "
                "what this machine's wake-up path allows"),
}
# lower-is-better figures are clamped to this floor when ranked and scored, so a
# measured 0 (an ideal idle pool) does not make every other pool score 0
SCORE_FLOOR = {"idle_cpu_pct": 0.1, "overhead_cpu_pct": 0.1}
# The rate the Scaling table shows, in order of preference.
RATE_COUNTERS = ("jobs_per_s", "tasks_per_s", "elements_per_s", "nodes_per_s", "solutions_per_s",
                 "madds_per_s")


def time_ratio(num, den):
    """median(num's times) / median(den's times) of two series (stats.ratio_ci,
    with its interval), or None when either is missing or has no time."""
    if num is None or den is None or not num.values.get(TIME) or not den.values.get(TIME):
        return None
    return stats.ratio_ci(num.values[TIME], den.values[TIME])


def workload_order(w):
    return (WORKLOAD_ORDER.index(w) if w in WORKLOAD_ORDER else len(WORKLOAD_ORDER), w)


def pool_order(pool):
    """Pools by name, then the baselines in their fixed order."""
    return (1, BASELINES.index(pool), "") if is_baseline(pool) else (0, 0, pool)


def figure_of(workload, sample_series):
    """(counter, higher_is_better, label) for a workload, guessing for unknown ones."""
    if workload in FIGURES:
        return FIGURES[workload]
    counters = set()
    for s in sample_series:
        counters.update(s.counters())
    for c, higher in (("jobs_per_s", True), ("items_per_s", True), ("ops_per_s", True),
                      ("ns_per_trip", False), ("ns_per_job", False), ("wall_over_ideal", False)):
        if c in counters:
            return c, higher, c.replace("_per_", "/").replace("_", " ")
    if counters:
        c = sorted(counters)[0]
        return c, True, c
    return "jobs_per_s", True, "jobs/s"


class View:
    """One workload of one run."""

    def __init__(self, run, workload):
        self.run, self.workload = run, workload
        self.series = [s for s in run.series.values() if s.workload == workload]
        self.counter, self.higher, self.ylabel = figure_of(workload, self.series)
        keys = set()
        for s in self.series:
            keys.update(s.params)
        self.xkey = "workers" if "workers" in keys or "threads" not in keys else "threads"
        self.size_key = next((k for k in SIZE_KEYS if k in keys), None)
        self.facet_keys = sorted(keys - {self.xkey, self.size_key})
        self.index = {}
        for s in self.series:
            self.index[(s.pool, self.facet(s), self.size(s), self.x(s))] = s
        self.pools = sorted({s.pool for s in self.series}, key=pool_order)
        self.ranked_pools = [p for p in self.pools if not is_baseline(p)]
        # facets of the pool rows: a baseline with fewer parameters (serial has
        # no grain) is looked up through serial_for(), not drawn as a facet
        facet_series = [s for s in self.series if s.pool != SERIAL] or self.series
        self.facets = sorted({self.facet(s) for s in facet_series},
                             key=lambda f: [sort_key(v) for _, v in f])
        self.sizes = sorted({self.size(s) for s in self.series if self.size(s) is not None}, key=sort_key)
        self.xs = sorted({self.x(s) for s in self.series if self.x(s) is not None}, key=sort_key)
        self.main_size = self.sizes[-1] if self.sizes else None
        self.main_facet = self.facets[-1] if self.facets else ()
        ok_xs = sorted({self.x(s) for s in self.series if s.stat(self.counter) and self.x(s) is not None},
                       key=sort_key) or self.xs
        num_xs = [x for x in ok_xs if isinstance(x, (int, float))]
        if not num_xs:
            self.rep_x = ok_xs[-1] if ok_xs else None
        elif workload == "sleep":
            self.rep_x = 128 if 128 in num_xs else num_xs[-1]
        else:
            below = [x for x in num_xs if x <= run.hw]
            self.rep_x = below[-1] if below else num_xs[0]
        self.rate = self.counter if self.counter in RATE_COUNTERS else next(
            (c for c in RATE_COUNTERS if any(c in s.values for s in self.series)), None)

    def facet(self, s):
        return tuple((k, s.params.get(k)) for k in self.facet_keys)

    def size(self, s):
        return s.params.get(self.size_key) if self.size_key else None

    def x(self, s):
        return s.params.get(self.xkey)

    def get(self, pool, facet, size, x):
        s = self.index.get((pool, facet, size, x))
        if s is None and pool == SERIAL:
            s = self.serial_for(facet, size, x)
        return s

    def serial_for(self, facet=None, size=None, x=1):
        """The serial row of this facet and size: its own parameters must match
        (serial has no grain, so it serves every grain); None when there is none."""
        facet = self.main_facet if facet is None else facet
        size = self.main_size if size is None else size
        if x not in (1, None):
            return None
        want = dict(facet)
        for s in self.series:
            if s.pool != SERIAL or self.size(s) != size:
                continue
            if all(want.get(k) == v for k, v in s.params.items()
                   if k not in (self.xkey, self.size_key)):
                return s
        return None

    def points(self, pool, facet, size, counter):
        """[(x, median, lo, hi)] along the worker (or thread) axis; lo-hi is the
        95 % interval of the median."""
        pts = []
        for x in self.xs:
            s = self.get(pool, facet, size, x)
            st = s.stat(counter) if s else None
            if st and isinstance(x, (int, float)):
                pts.append((x, st.median, st.lo, st.hi))
        return pts

    def speedup_base(self, facet=None, size=None):
        """'serial' when this facet and size have a serial row with a time, else
        'W = 1' (each pool against its own time at one worker)."""
        s = self.serial_for(facet, size)
        return "serial" if s is not None and s.values.get(TIME) else "W = 1"

    def speedups(self, pool, facet, size=None):
        """[(x, median speedup, lo, hi)]: T_serial / T at x workers (ROW_NAMES.md),
        or without a serial row the pool's own T at W = 1 / T; [] when there is no
        base or only the base point."""
        size = self.main_size if size is None else size
        if self.rate is None or self.xkey != "workers":
            return []
        serial = self.serial_for(facet, size)
        base = serial.values.get(TIME) if serial is not None else None
        if not base:
            if pool == SERIAL:
                return []
            own = self.get(pool, facet, size, 1)
            base = own.values.get(TIME) if own is not None else None
            if not base:
                return []
        elif pool == SERIAL:
            return []
        out = []
        for x in self.xs:
            s = self.get(pool, facet, size, x)
            times = s.values.get(TIME) if s is not None else None
            if not times or not isinstance(x, (int, float)):
                continue
            st = stats.ratio_ci(base, times)
            if st:
                out.append((x, st.median, st.lo, st.hi))
        if serial is None and len(out) < 2:
            return []
        return out

    def overhead(self, pool, facet=None, size=None):
        """Work overhead T1 / T_serial: stats.Stat, or None without both rows."""
        facet = self.main_facet if facet is None else facet
        size = self.main_size if size is None else size
        serial = self.serial_for(facet, size)
        s = self.get(pool, facet, size, 1)
        if pool == SERIAL:
            return None
        return time_ratio(s, serial)

    def scales(self):
        """Whether this workload gets a speedup plot and a Scaling table."""
        return self.xkey == "workers" and any(
            self.speedups(p, f) for p in self.pools for f in self.facets)

    def all_failed(self):
        return not any(s.stat(self.counter) for s in self.series)

    def ideal(self, x, facet=None):
        """The workload's ideal figure at x workers, or None if unknown."""
        w = self.workload
        if not isinstance(x, (int, float)):
            return None
        if w in ATOMIC_IDEAL:
            ops = self.run.reference("atomic_rmw", "ops_per_s")
            return ops * min(x, self.run.hw) if ops else None
        if w in SERIAL_IDEAL:
            s = self.serial_for(facet, self.main_size)
            st = s.stat(self.counter) if s else None
            return st.median * min(x, self.run.hw) if st else None
        if w == "cpu":
            return min(1.0, self.run.hw / x)
        if w in ("skewed", "sleep", "bursty"):
            return 1.0
        if w in ("idle", "latency"):
            return 0.0
        return None

    def floor_series(self, x):
        """The no-pool reference row at x workers (FLOOR_REFERENCE), or None. A
        reference row without a workers parameter is the floor at every x."""
        ref = FLOOR_REFERENCE.get(self.workload)
        if ref is None or not isinstance(x, (int, float)):
            return None
        params = {"workers": x}
        if self.size_key and self.main_size is not None:
            params[self.size_key] = self.main_size
        return self.run.reference_series(ref[0], self.counter, **params)

    def floor(self, x):
        s = self.floor_series(x)
        return s.stat(self.counter).median if s else None

    def samples(self, facet=None, x=None, pools=None):
        """{pool: [values of the counter]} at one point, pools with values only."""
        facet = self.main_facet if facet is None else facet
        x = self.rep_x if x is None else x
        out = {}
        for pool in (self.ranked_pools if pools is None else pools):
            s = self.get(pool, facet, self.main_size, x)
            vals = s.values.get(self.counter) if s else None
            if vals:
                out[pool] = vals
        return out

    def ranking(self, facet=None, x=None):
        """stats.Ranking of the pools (never the baselines) at one point."""
        return stats.rank(self.samples(facet, x), self.higher, SCORE_FLOOR.get(self.counter))

    def scores(self, x=None, facet=None):
        """Per pool and baseline: ('ok', median, relative to the best pool) |
        ('unsupported'|'wrong result'|'failed', msg) | ('missing',)."""
        x = self.rep_x if x is None else x
        facet = self.main_facet if facet is None else facet
        out = {}
        meds = {}
        for pool in self.pools:
            s = self.get(pool, facet, self.main_size, x)
            st = s.stat(self.counter) if s else None
            if st:
                meds[pool] = st.median
            elif s and s.errors:
                out[pool] = (s.error_kind(), s.errors[0])
            else:
                out[pool] = ("missing",)
        ranked = [v for p, v in meds.items() if not is_baseline(p)]
        if ranked:
            best = max(ranked) if self.higher else min(ranked)
            floor = SCORE_FLOOR.get(self.counter, 1e-12)
            for pool, v in meds.items():
                if self.higher:
                    rel = v / best if best > 0 else (1.0 if v == best else 0.0)
                else:
                    rel = max(best, floor) / max(v, floor)
                out[pool] = ("ok", v, rel)
        else:
            for pool, v in meds.items():
                out[pool] = ("ok", v, math.nan)
        return out

    def reps(self, counter=None):
        """Sorted distinct repetition counts of the counter over this view's rows."""
        counter = counter or self.counter
        return sorted({s.stat(counter).n for s in self.series if s.stat(counter)})

    def where(self, facet=None, x=None):
        facet = self.main_facet if facet is None else facet
        x = self.rep_x if x is None else x
        parts = [f"{self.xkey}:{x}"] if x is not None else []
        if self.size_key and self.main_size is not None:
            parts.append(f"{self.size_key}:{self.main_size}")
        parts += [f"{k}:{v}" for k, v in facet]
        return ", ".join(parts)


