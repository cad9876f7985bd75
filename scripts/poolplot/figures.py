"""The PNG figures: one per workload (and per job count, speedup), latency,
the overview heatmap, queues and oversubscription. Every point is a median
with its 95 % bootstrap interval as the error bar; every figure says n
(repetitions).

One colour and marker per pool, the same in every figure; baselines are dashed
with hollow markers; ratio figures are on linear axes; a series far above the
others is drawn in a panel of its own; an ideal far from the data is named,
not drawn to.
"""

import os

from .fmt import facet_text, fmt_num, reps_text, size_as_jobs
from .load import warn
from .names import SERIAL, is_baseline, sort_key
from .views import SCORE_FLOOR

# One colour and marker per pool, the same in every plot and every report:
# the Okabe-Ito palette, which colour-blind readers tell apart. Pools not
# named here take the fallback colours in the order of their names.
POOL_STYLES = {
    "work_stealing": ("#0072B2", "o"),   # blue
    "tbb": ("#D55E00", "s"),             # vermillion
    "lockfree": ("#009E73", "^"),        # bluish green
    "mutex": ("#E69F00", "D"),           # orange
    "sequential": ("#000000", "v"),      # black
    "thread_per_job": ("#CC79A7", "P"),  # reddish purple
    "asio": ("#56B4E9", "X"),            # sky blue
    # baselines: drawn dashed with hollow markers
    "serial": ("#555555", "*"),          # dark grey
    "serial_noinline": ("#BBBBBB", "*"),  # light grey
    "native_tbb": ("#882255", "d"),      # wine
    "openmp": ("#999933", "p"),          # olive
    "go": ("#44AA99", ">"),              # teal
    "rayon": ("#AA4499", "H"),           # purple
    "pthreadpool": ("#661100", "8"),     # brown
    "thread_pool": ("#DDCC77", "<"),     # sand
}
QUEUE_STYLES = {
    "moodycamel": ("#009E73", "^"), "moodycamel_raw": ("#56B4E9", "v"),
    "mpmc_ring": ("#0072B2", "o"), "mutex": ("#E69F00", "D"),
    "chase_lev": ("#CC79A7", "P"), "tbb_concurrent_queue": ("#D55E00", "s"),
}
FALLBACK_STYLES = [("#332288", "h"), ("#117733", "<"), ("#44AA99", ">"), ("#AA4499", "H"),
                   ("#661100", "8"), ("#6699CC", "1"), ("#888888", "2"), ("#DDCC77", "3")]
# Figures that are ratios to an ideal: always on a linear axis.
RATIO_COUNTERS = {"efficiency", "wall_over_ideal", "makespan_over_ideal_p50",
                  "makespan_over_ideal_p99"}
# Workloads drawn with one panel per counter (they have no facets).
COUNTER_PANELS = {"bursty": ("makespan_over_ideal_p50", "makespan_over_ideal_p99", "overhead_cpu_pct")}
# A series whose largest median is this many times the largest of the rest goes
# to a panel of its own (linear axes only; a log axis shows both).
OUTLIER_FACTOR = 3.0
CI_TEXT = "bars: 95 % bootstrap CI of the median"


def styles_for(names, fixed):
    """name -> (colour, marker): fixed ones first, then the fallbacks in name order."""
    out, spare = {}, iter(FALLBACK_STYLES * (1 + len(names) // len(FALLBACK_STYLES)))
    for name in sorted(names):
        out[name] = fixed[name] if name in fixed else next(spare)
    return out


def split_outliers(peaks):
    """peaks: {pool: largest median}. The pools far above the rest (a gap of more
    than OUTLIER_FACTOR between consecutive peaks, with at least half the pools
    below it), or an empty set."""
    items = sorted(((v, p) for p, v in peaks.items() if v > 0), reverse=True)
    n = len(items)
    best, cut = None, None
    for i in range(n - 1):
        below = n - i - 1
        ratio = items[i][0] / items[i + 1][0]
        if ratio > OUTLIER_FACTOR and below >= max(2, (n + 1) // 2) and (best is None or ratio > best):
            best, cut = ratio, i
    return set() if cut is None else {p for _, p in items[:cut + 1]}


def union_facets(views):
    """Every facet of the views (None entries skipped), in parameter order."""
    facets = []
    for v in views:
        if v:
            facets += [f for f in v.facets if f not in facets]
    return sorted(facets, key=lambda f: [sort_key(x) for _, x in f])


def repetitions_text(views, counter):
    ns = sorted({n for v in views if v for n in v.reps(counter)})
    return reps_text(ns)


class NoPlotter:
    """Stands in for Plotter when matplotlib is missing: every plot is reported as not drawn."""

    def __init__(self):
        self.written, self.failed = [], []

    def guarded(self, name, *_):
        self.failed.append((name, "matplotlib is not available"))


class Plotter:
    def __init__(self, runs, out, dpi):
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        self.plt = plt
        self.runs, self.out, self.dpi = runs, out, dpi
        self.written = []
        self.failed = []
        pools = {s.pool for r in runs for s in r.series.values()
                 if s.workload != "reference" and not s.workload.startswith("queue_")}
        pools |= {s.pool for r in runs for s in r.oversub.values()}
        style = styles_for(pools, POOL_STYLES)
        self.colors = {p: c for p, (c, _) in style.items()}
        self.pool_markers = {p: m for p, (_, m) in style.items()}
        # several folders: one line style per folder (colour and marker stay the pool's)
        self.linestyles = ["-", "--", ":", "-.", (0, (5, 1)), (0, (3, 1, 1, 1, 1, 1))]
        self.ideal_colors = ["0.15", "0.45", "0.65", "0.3", "0.55"]

    def label(self, name, ri):
        name = f"{name} (baseline)" if is_baseline(name) else name
        return name if len(self.runs) == 1 else f"{name} @ {self.runs[ri].label}"

    def series_style(self, pool, ri):
        """errorbar keyword arguments of one pool in folder ri."""
        base = is_baseline(pool)
        ls = self.linestyles[ri % len(self.linestyles)]
        if base and len(self.runs) == 1:
            ls = (0, (4, 2))
        return dict(color=self.colors.get(pool, "0.3"), marker=self.pool_markers.get(pool, "o"),
                    linestyle=ls, capsize=3, markersize=6 if base else 4,
                    markerfacecolor="white" if base else None, linewidth=1.2 if base else 1.5)

    def save(self, fig, name):
        path = os.path.join(self.out, name)
        fig.savefig(path, dpi=self.dpi)
        self.plt.close(fig)
        self.written.append(name)

    def guarded(self, name, fn, *args):
        try:
            fn(*args)
        except Exception as e:  # a bad plot must not cost the report
            self.plt.close("all")
            self.failed.append((name, f"{type(e).__name__}: {e}"))
            warn(f"could not draw {name}: {type(e).__name__}: {e}")

    @staticmethod
    def finish_axes(ax, xs, values, xlabel, ylabel, log2x=True, linear_y=False):
        if log2x and xs and all(isinstance(x, (int, float)) and x > 0 for x in xs):
            ax.set_xscale("log", base=2)
            ticks = sorted(set(xs))
            ax.set_xticks(ticks)
            ax.set_xticklabels([str(int(x)) if float(x).is_integer() and x < 1e5 else fmt_num(x)
                                for x in ticks])
            if any(b / a < 1.5 for a, b in zip(ticks, ticks[1:])):   # 100 beside 128
                ax.tick_params(axis="x", labelrotation=45, labelsize="small")
            ax.minorticks_off()
        pos = [v for v in values if v is not None and v > 0]
        if (not linear_y and pos and len(pos) == len([v for v in values if v is not None])
                and max(pos) / min(pos) > 30):
            ax.set_yscale("log")
        elif pos and max(pos) >= 1e4:
            from matplotlib.ticker import FuncFormatter
            ax.yaxis.set_major_formatter(FuncFormatter(lambda y, _: fmt_num(y)))
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.grid(True, which="major", alpha=0.3)

    def legend(self, fig, axes, pools=None):
        """Legend right of the last axes. With several folders: one entry per pool (colour)
        and one per folder (line style), instead of every pool @ folder pair."""
        handles, labels = {}, []
        for ax in axes:
            for h, l in zip(*ax.get_legend_handles_labels()):
                if l not in handles:
                    handles[l] = h
                    labels.append(l)
        if len(self.runs) > 1 and pools:
            from matplotlib.lines import Line2D
            keep = [l for l in labels if " @ " in l
                    and l.split(" @ ")[0].replace(" (baseline)", "") not in pools]
            proxies = {}
            for p in pools:
                proxies[self.label(p, 0).split(" @ ")[0]] = Line2D(
                    [], [], color=self.colors.get(p, "0.3"), marker=self.pool_markers.get(p, "o"),
                    markersize=4, markerfacecolor="white" if is_baseline(p) else None)
            for ri, r in enumerate(self.runs):
                proxies[f"@ {r.label}"] = Line2D([], [], color="0.2",
                                                 linestyle=self.linestyles[ri % len(self.linestyles)])
            handles.update(proxies)
            labels = list(proxies) + keep
        if labels:
            axes[-1].legend([handles[l] for l in labels], labels, loc="upper left",
                            bbox_to_anchor=(1.02, 1.0), fontsize="small", frameon=False)

    # ---------------------------------------------------------------- lines

    def line_points(self, v, pool, facet, counter, xmode):
        if xmode == "x":
            return v.points(pool, facet, v.main_size, counter)
        pts = []
        for size in v.sizes:
            s = v.get(pool, facet, size, v.rep_x if pool != SERIAL else 1)
            st = s.stat(counter) if s else None
            xv = size_as_jobs(v.size_key, size)
            if st and isinstance(xv, (int, float)):
                pts.append((xv, st.median, st.lo, st.hi))
        return pts

    def lines(self, workload, xmode):
        """Main plot (xmode='x': figure vs workers) or jobs plot (xmode='size')."""
        views = [r.view(workload) if workload in r.workloads() else None for r in self.runs]
        first = next(v for v in views if v)
        facets = union_facets(views)
        if xmode == "x":
            counter = first.counter
        else:
            counter = "jobs_per_s" if any("jobs_per_s" in s.values for v in views if v
                                          for s in v.series) else first.counter
        panels = [(f, counter) for f in facets]
        if xmode == "x" and workload in COUNTER_PANELS and len(facets) == 1:
            have = {c for v in views if v for s in v.series for c in s.values}
            panels = [(facets[0], c) for c in COUNTER_PANELS[workload] if c in have] or panels
        same_counter = len({c for _, c in panels}) == 1
        # pools far above the others go to a second row of panels
        outliers = set()
        if counter in RATIO_COUNTERS and xmode == "x":
            peaks = {}
            for facet, c in panels:
                for v in views:
                    if v and facet in v.facets:
                        for pool in v.pools:
                            for p in self.line_points(v, pool, facet, c, xmode):
                                peaks[pool] = max(peaks.get(pool, 0.0), p[1])
            outliers = split_outliers(peaks)
        nrows = 2 if outliers else 1
        ncol = len(panels)
        fig, axes = self.plt.subplots(nrows, ncol, figsize=(4.2 * ncol + 2.8, 4.4 * nrows),
                                      squeeze=False, sharey="row" if same_counter else False,
                                      sharex="col", constrained_layout=True)
        all_axes = []
        for row in range(nrows):
            row_data, row_far = [], []
            for col, (facet, c) in enumerate(panels):
                ax = axes[row][col]
                all_axes.append(ax)
                if row == 0:
                    keep = lambda p: p not in outliers
                else:
                    keep = lambda p: p in outliers
                data, far = self.line_panel(ax, views, first, facet, c, xmode, keep,
                                            ideals=(row == 0), ylabel=(col == 0 or not same_counter),
                                            bottom=(row == nrows - 1))
                if row == 1:
                    ax.set_title("far above the others, own scale: " + ", ".join(sorted(outliers)),
                                 fontsize="small")
                if not same_counter and far:
                    self.fit_to_data([ax], data)
                row_data += data
                row_far.append(far)
            if same_counter and any(row_far):
                self.fit_to_data(list(axes[row]), row_data)
        what = "vs workers" if xmode == "x" else "vs job count"
        ylabel = first.ylabel if (xmode == "x" or counter == first.counter) else (
            "jobs/s" if counter == "jobs_per_s" else counter)
        fig.suptitle(f"{workload}: {ylabel} {what}\n(median; {CI_TEXT}; "
                     f"{repetitions_text(views, counter)})", fontsize="medium")
        self.legend(fig, [a for a in all_axes], sorted({p for v in views if v for p in v.pools}))
        self.save(fig, f"{workload}.png" if xmode == "x" else f"{workload}_jobs.png")

    def line_panel(self, ax, views, first, facet, counter, xmode, keep, ideals, ylabel, bottom):
        allx, ally, ideal_ys = [], [], []
        for ri, v in enumerate(views):
            if not v or facet not in v.facets:
                continue
            drawn = 0
            for pool in v.pools:
                if not keep(pool):
                    continue
                pts = self.line_points(v, pool, facet, counter, xmode)
                if not pts:
                    continue
                xs = [p[0] for p in pts]
                med = [p[1] for p in pts]
                err = [[p[1] - p[2] for p in pts], [p[3] - p[1] for p in pts]]
                # dodge each line a little along the log x axis so error bars do not overlap
                names = sorted(self.colors)
                k = len(names) * ri + (names.index(pool) if pool in names else 0)
                dodge = 2.0 ** (0.012 * (k - (len(names) * len(views) - 1) / 2))
                ax.errorbar([x * dodge for x in xs], med, yerr=err, label=self.label(pool, ri),
                            **self.series_style(pool, ri))
                allx += xs
                ally += [p[2] for p in pts] + [p[3] for p in pts]
                drawn += 1
            if not ideals or counter != v.counter:
                continue
            icolor = self.ideal_colors[ri % len(self.ideal_colors)]
            suffix = "" if len(self.runs) == 1 else f" @ {self.runs[ri].label}"
            if xmode == "x":
                # over the workers this panel has data for (sleep starts at 8)
                ix = [x for x in v.xs if isinstance(x, (int, float))
                      and (not allx or min(allx) <= x <= max(allx))]
                iy = [v.ideal(x, facet) for x in ix]
                if ix and all(y is not None for y in iy):
                    ax.plot(ix, iy, linestyle="--", color=icolor, linewidth=1.2, label="ideal" + suffix)
                    ideal_ys += iy
                fx = [x for x in ix if v.floor(x) is not None]
                if fx:
                    fy = [v.floor(x) for x in fx]
                    ax.plot(fx, fy, linestyle=":", marker=".", color=icolor, linewidth=1.2,
                            label="bare threads, no pool" + suffix)
                    ally += fy
                if ix and min(ix) <= v.run.hw <= max(ix) and v.xkey == "workers":
                    ax.axvline(v.run.hw, color=icolor, linestyle=":", linewidth=0.8,
                               label="hardware threads" + suffix)
            else:  # the ideal at the representative worker count
                ideal = v.ideal(v.rep_x, facet)
                if ideal is not None and allx:
                    ax.axhline(ideal, linestyle="--", color=icolor, linewidth=1.2, label="ideal" + suffix)
                    ideal_ys.append(ideal)
        if xmode == "x":
            xlabel = f"{first.xkey} (log2)"
            sub = f"{first.size_key}:{first.main_size}" if first.size_key else ""
        else:
            xlabel = ("jobs (2^(depth+1) - 1)" if first.size_key == "depth"
                      else f"{first.size_key} (log)")
            sub = f"{first.xkey}:{first.rep_x}"
        counter_note = counter if counter != first.counter or first.workload in COUNTER_PANELS else ""
        title = ", ".join(t for t in (counter_note, sub, facet_text(facet)) if t)
        if not ax.get_title():
            ax.set_title(title, fontsize="medium")
        data = [y for y in ally if y is not None]
        ideals_v = [y for y in ideal_ys if y is not None]
        # The ideal sets the range only when it lies near the data; far off
        # it is named in a note instead of squashing every line.
        far = bool(data) and any(y > 2 * max(data) or (y > 0 and y < min(data) / 2)
                                 for y in ideals_v)
        better = "higher" if (first.higher or counter != first.counter) else "lower"
        if counter in SCORE_FLOOR or counter.endswith("_p99"):
            better = "lower"
        ylab = (f"{first.ylabel if counter == first.counter else counter} ({better} is better)"
                if ylabel else "")
        self.finish_axes(ax, allx, data + ([] if far else ideals_v), xlabel if bottom else "", ylab,
                         linear_y=counter in RATIO_COUNTERS)
        if far:
            ax.text(0.02, 0.98, f"ideal off the axis: {fmt_num(max(ideals_v))} at most",
                    transform=ax.transAxes, va="top", fontsize="x-small", color="0.3")
        if xmode == "size" and allx:
            ax.set_xscale("log")
            ax.minorticks_off()
            ticks = sorted(set(allx))
            ax.set_xticks(ticks)
            ax.set_xticklabels([fmt_num(t) for t in ticks])
        return data, far

    @staticmethod
    def fit_to_data(axes, data):
        """y range of the data alone (an ideal far off is named, not drawn to); axes
        that share their y axis get one range for all of them."""
        data = [y for y in data if y is not None]
        if not data:
            return
        lo, hi = min(data), max(data)
        for ax in axes:
            if ax.get_yscale() == "log":
                lo_pos = min([y for y in data if y > 0] or [hi])
                ax.set_ylim(lo_pos / 1.5, hi * 1.5)
            else:
                pad = 0.08 * (hi - lo if hi > lo else abs(hi) or 1.0)
                ax.set_ylim(lo - pad, hi + pad)

    # ---------------------------------------------------------------- speedup

    def speedup(self, workload):
        """<workload>_speedup.png: T_serial / T against workers (each pool over its own
        T at W = 1 where there is no serial row), with the linear ideal up to each
        machine's hardware threads. One panel per facet (grain for parallel_for)."""
        views = [r.view(workload) if workload in r.workloads() else None for r in self.runs]
        views = [v if v and v.scales() else None for v in views]
        facets = union_facets(views)
        fig, axes = self.plt.subplots(1, len(facets), figsize=(4.6 * len(facets) + 3.6, 4.6),
                                      squeeze=False, sharey=True, constrained_layout=True)
        axes = list(axes[0])
        first = next(v for v in views if v)
        drawn = set()
        bases = set()
        every_y = [1.0]
        for ax, facet in zip(axes, facets):
            allx, ally = [], []
            for ri, v in enumerate(views):
                if not v or facet not in v.facets:
                    continue
                base = v.speedup_base(facet)
                bases.add(base)
                for pool in v.pools:
                    pts = v.speedups(pool, facet)
                    if not pts:
                        continue
                    ax.errorbar([p[0] for p in pts], [p[1] for p in pts],
                                yerr=[[p[1] - p[2] for p in pts], [p[3] - p[1] for p in pts]],
                                label=self.label(pool, ri), **self.series_style(pool, ri))
                    drawn.add(pool)
                    allx += [p[0] for p in pts]
                    ally += [p[2] for p in pts] + [p[3] for p in pts]
                icolor = self.ideal_colors[ri % len(self.ideal_colors)]
                hw = v.run.hw
                ix = sorted({1, hw} | {x for x in v.xs if isinstance(x, (int, float)) and x <= hw})
                suffix = "" if len(self.runs) == 1 else f" @ {self.runs[ri].label}"
                ax.plot(ix, ix, linestyle="--", color=icolor, linewidth=1.2,
                        label=f"ideal, linear to W = {hw}{suffix}")
                ax.axvline(hw, color=icolor, linestyle=":", linewidth=0.8,
                           label=f"hardware threads{suffix}")
                allx += ix
                ally += ix
            sub = f"{first.size_key}:{first.main_size}" if first.size_key else ""
            ax.set_title(", ".join(t for t in (sub, facet_text(facet)) if t), fontsize="medium")
            self.finish_axes(ax, allx, [], "workers (log2)",
                             "speedup (higher is better)" if ax is axes[0] else "")
            every_y += [y for y in ally if y > 0]
            ax.axhline(1.0, color=self.colors.get(SERIAL, "0.4") if "serial" in bases else "0.6",
                       linewidth=1.0, linestyle=(0, (4, 2)) if "serial" in bases else "-",
                       label="serial = 1" if "serial" in bases else None)
        # the panels share the y axis: one range for all of them
        from matplotlib.ticker import FuncFormatter
        for ax in axes:
            ax.set_yscale("log", base=2)
            ax.set_ylim(min(every_y) / 1.3, max(every_y) * 1.3)
            ax.yaxis.set_major_formatter(FuncFormatter(lambda y, _: f"{y:g}"))
        if bases == {"serial"}:
            what = "speedup = T_serial / T at W (the serial row's median time over the row's)"
        elif bases == {"W = 1"}:
            what = "speedup = T at W = 1 / T at W, each pool against itself (no serial row)"
        else:
            what = "speedup = T_serial / T where a serial row exists, else T at W = 1 / T"
        times = repetitions_text(views, "_time_ns")
        fig.suptitle(f"{workload}: {what}\n(median; {CI_TEXT}; {times})", fontsize="medium")
        self.legend(fig, axes, sorted(drawn))
        self.save(fig, f"{workload}_speedup.png")

    # ---------------------------------------------------------------- latency

    def latency(self):
        plt = self.plt
        groups = [(ri, r.view("latency"), pool) for ri, r in enumerate(self.runs)
                  if "latency" in r.workloads() for pool in r.view("latency").pools]
        floors = [(ri, r.view("latency")) for ri, r in enumerate(self.runs)
                  if "latency" in r.workloads() and r.view("latency").floor_series(1) is not None]
        ngroups = len(groups) + len(floors)
        fig, (ax, ax2) = plt.subplots(1, 2, figsize=(max(12.0, 0.5 * ngroups + 9.0), 4.8),
                                      constrained_layout=True,
                                      gridspec_kw={"width_ratios": [max(1.4, 0.25 * ngroups), 1]})
        # points, not bars: the range of percentiles needs a log axis, where a
        # bar's length means nothing. p50 hollow circle, p99 filled, p99.9 triangle.
        pct = [("p50_us", "p50", "o", "white"), ("p99_us", "p99", "o", None),
               ("p999_us", "p99.9", "^", None)]
        width = 0.8 / len(pct)
        values = []
        reps = set()
        groups_drawn = [(ri, v, pool, v.get(pool, v.main_facet, v.main_size, v.rep_x), self.colors[pool])
                        for ri, v, pool in groups]
        groups_drawn += [(ri, v, "bare thread (futex)", v.floor_series(v.rep_x), "0.45")
                         for ri, v in floors]
        for gi, (ri, v, name, s, color) in enumerate(groups_drawn):
            reps.add(v.rep_x)
            for pi, (c, _, marker, face) in enumerate(pct):
                st = s.stat(c) if s else None
                xpos = gi + (pi - 1) * width
                if not st:  # n/a: unsupported, failed or not kept; -: not measured here
                    ax.text(xpos, 0.02, "n/a" if s else "–", transform=ax.get_xaxis_transform(),
                            ha="center", fontsize="x-small", rotation=90, color="0.4")
                    continue
                ax.errorbar([xpos], [st.median], yerr=[[st.median - st.lo], [st.hi - st.median]],
                            color=color, marker=marker, markersize=7, linestyle="none", capsize=2,
                            markerfacecolor=face or color, markeredgecolor=color)
                values += [st.lo, st.hi]
        ax.set_xticks(range(len(groups_drawn)))
        ax.set_xticklabels([g[2] if len(self.runs) == 1 else f"{g[2]} @ {self.runs[g[0]].label}"
                            for g in groups_drawn], rotation=30, ha="right", fontsize="small")
        ax.set_xlim(-0.6, len(groups_drawn) - 0.4)
        from matplotlib.lines import Line2D
        ax.legend([Line2D([], [], color="0.3", marker=m, markerfacecolor=f or "0.3", linestyle="none")
                   for _, _, m, f in pct], [n for _, n, _, _ in pct], fontsize="small", title="percentile",
                  loc="best")
        pos = [x for x in values if x > 0]
        if pos and max(pos) / min(pos) > 30:
            ax.set_yscale("log")
        ax.set_ylabel("scheduled submit to start, us (lower is better)")
        ax.set_title("percentiles at workers:" + ",".join(str(x) for x in sorted(reps, key=sort_key))
                     + " (ideal 0)", fontsize="medium")
        ax.grid(True, axis="y", alpha=0.3)
        for gi in range(1, len(groups_drawn)):
            ax.axvline(gi - 0.5, color="0.85", linewidth=0.8)
        # right: p99 against workers, the futex floor as a dotted line
        allx, ally = [], []
        for ri, r in enumerate(self.runs):
            if "latency" not in r.workloads():
                continue
            v = r.view("latency")
            for pool in v.pools:
                pts = v.points(pool, v.main_facet, v.main_size, "p99_us")
                if not pts:
                    continue
                ax2.errorbar([p[0] for p in pts], [p[1] for p in pts],
                             yerr=[[p[1] - p[2] for p in pts], [p[3] - p[1] for p in pts]],
                             label=self.label(pool, ri), **self.series_style(pool, ri))
                allx += [p[0] for p in pts]
                ally += [p[2] for p in pts] + [p[3] for p in pts]
            fl = v.floor(v.rep_x)
            if fl is not None:
                ax2.axhline(fl, color=self.ideal_colors[ri % len(self.ideal_colors)], linestyle=":",
                            label="bare thread (futex), no pool"
                            + ("" if len(self.runs) == 1 else f" @ {r.label}"))
                ally.append(fl)
        self.finish_axes(ax2, allx, ally, "workers (log2)", "p99, us (lower is better)")
        ax2.set_title("p99 vs workers", fontsize="medium")
        self.legend(fig, [ax2], sorted({p for _, _, p in groups}))
        lat_views = [r.view("latency") for r in self.runs if "latency" in r.workloads()]
        fig.suptitle("latency: one job every 20 us, scheduled submit to start\n(median; "
                     f"{CI_TEXT}; {repetitions_text(lat_views, 'p99_us')})", fontsize="medium")
        self.save(fig, "latency.png")

    # ---------------------------------------------------------------- overview

    def overview(self, tables):
        """tables: [(run, workloads, pools, cells, columns)] from report.overview_tables."""
        import numpy as np
        from matplotlib.patches import Rectangle
        plt = self.plt
        n = len(tables)
        height = sum(0.45 * max(len(t[2]), 1) + 2.0 for t in tables)
        width = max(6.0, 1.05 * max(len(t[1]) for t in tables) + 3.4)
        fig, axes = plt.subplots(n, 1, figsize=(width, height), squeeze=False, constrained_layout=True,
                                 gridspec_kw={"height_ratios": [max(len(t[2]), 1) + 3 for t in tables]})
        cmap = plt.get_cmap("viridis").copy()   # sequential and colour-blind safe
        cmap.set_bad("0.82")
        im = None
        ns = set()
        for ax, (run, workloads, pools, cells, columns) in zip(axes[:, 0], tables):
            data = np.array([[c[1] if c[1] is not None else np.nan for c in row] for row in cells],
                            dtype=float).reshape(len(pools), len(workloads))
            im = ax.imshow(np.ma.masked_invalid(np.minimum(data, 1.0)), cmap=cmap, vmin=0.0, vmax=1.0,
                           aspect="auto")
            ax.set_xticks(range(len(workloads)))
            ax.set_xticklabels([f"{w}\nW={columns[w]['x']}\n{columns[w]['verdict']}" for w in workloads],
                               fontsize="small")
            ax.xaxis.tick_top()
            ax.set_yticks(range(len(pools)))
            ax.set_yticklabels([f"{p} (baseline)" if is_baseline(p) else p for p in pools])
            for w in workloads:
                ns.update(columns[w]["n"])
            for i, pool in enumerate(pools):
                for j, w in enumerate(workloads):
                    text, val, tie = cells[i][j]
                    color = "black"
                    if val is not None:
                        r, g, b, _ = cmap(min(val, 1.0))
                        color = "white" if 0.299 * r + 0.587 * g + 0.114 * b < 0.5 else "black"
                    ax.text(j, i, text + (" ≈" if tie else ""), ha="center", va="center",
                            fontsize="small", color=color,
                            style="italic" if is_baseline(pool) else "normal")
                    if tie:
                        ax.add_patch(Rectangle((j - 0.46, i - 0.44), 0.92, 0.88, fill=False,
                                               edgecolor=color, linestyle=(0, (2, 2)), linewidth=1.0))
            title = "relative to the best pool per workload (1.0 = best)"
            ax.set_title(title if n == 1 else f"{run.label}: {title}", fontsize="medium")
        fig.colorbar(im, ax=list(axes[:, 0]), shrink=0.8, label="relative score")
        axes[-1, 0].set_xlabel(
            "cell = value / best (higher is better) or best / value (lower is better) at the one "
            "worker count W of each column;\nbest, win / tie / n < 3 = Mann-Whitney U of the best "
            "pool vs the runner-up (p < 0.05 wins); ≈ and dashed box = tied with the best;\n"
            "baselines (italic) never win and may exceed 1; n/a = unsupported or failed; "
            f"– = not measured at that W; {reps_text(sorted(ns))}",
            fontsize="x-small", color="0.3")
        self.save(fig, "overview.png")

    # ---------------------------------------------------------------- queues

    def queues(self):
        plt = self.plt
        fig, (ax, ax2) = plt.subplots(1, 2, figsize=(12, 4.4), constrained_layout=True)
        qnames = sorted({s.pool for r in self.runs for s in r.series.values()
                         if s.workload.startswith("queue_")})
        qstyle = styles_for(qnames, QUEUE_STYLES)
        qcolor = {q: c for q, (c, _) in qstyle.items()}
        allx, ally = [], []
        title1 = title2 = ""
        bars = []
        views = []
        for ri, r in enumerate(self.runs):
            wls = r.workloads(queue=True)
            if "queue_throughput" in wls:
                v = r.view("queue_throughput")
                views.append(v)
                title1 = f"{v.size_key}:{v.main_size}" if v.size_key else ""
                for q in v.pools:
                    pts = v.points(q, v.main_facet, v.main_size, "items_per_s")
                    if pts:
                        ax.errorbar([p[0] for p in pts], [p[1] for p in pts],
                                    yerr=[[p[1] - p[2] for p in pts], [p[3] - p[1] for p in pts]],
                                    color=qcolor[q], linestyle=self.linestyles[ri % 5],
                                    marker=qstyle[q][1], capsize=3, markersize=4,
                                    label=self.label(q, ri))
                        allx += [p[0] for p in pts]
                        ally += [p[2] for p in pts] + [p[3] for p in pts]
            if "queue_roundtrip" in wls:
                v = r.view("queue_roundtrip")
                views.append(v)
                title2 = f"{v.size_key}:{v.main_size}" if v.size_key else ""
                for q in v.pools:
                    s = v.get(q, v.main_facet, v.main_size, v.rep_x)
                    st = s.stat("ns_per_trip") if s else None
                    bars.append((self.label(q, ri), qcolor[q], st))
        self.finish_axes(ax, allx, ally, "threads (log2)", "items/s (higher is better)")
        ax.set_title(f"queue_throughput {title1}".strip(), fontsize="medium")
        if ax.get_legend_handles_labels()[1]:
            ax.legend(fontsize="small")
        for i, (label, color, st) in enumerate(bars):
            if st:
                ax2.bar(i, st.median, 0.7, color=color, yerr=[[st.median - st.lo], [st.hi - st.median]],
                        capsize=3, ecolor="0.3")
                ax2.text(i, st.hi, fmt_num(st.median) + " ns ", ha="center", va="bottom",
                         fontsize="x-small")
            else:
                ax2.text(i, 0.02, "n/a", transform=ax2.get_xaxis_transform(), ha="center")
        ax2.set_xticks(range(len(bars)))
        ax2.set_xticklabels([b[0] for b in bars], rotation=30, ha="right", fontsize="small")
        ax2.set_ylabel("ns per round trip (lower is better)")
        ax2.set_title(f"queue_roundtrip {title2}".strip(), fontsize="medium")
        ax2.grid(True, axis="y", alpha=0.3)
        ns = sorted({n for v in views for n in v.reps()})
        fig.suptitle(f"queues (median; {CI_TEXT}; {reps_text(ns)})", fontsize="medium")
        self.save(fig, "queues.png")

    # ---------------------------------------------------------------- oversubscription

    def oversub(self):
        """One row of panels per oversubscribed workload: CPU ns, parks and wake-ups
        per job against the worker count, a dotted line at the hardware threads."""
        plt = self.plt
        counters = (("cpu_ns_per_job", "CPU ns per job (lower is better)"),
                    ("parks_per_job", "parks per job"), ("wakeups_per_job", "wake-ups per job"))
        groups = {}   # (workload, its other params) -> [(folder index, series)]
        for ri, r in enumerate(self.runs):
            for s in r.oversub.values():
                groups.setdefault((s.workload, s.param_text(skip=("workers",))), []).append((ri, s))
        rows = sorted(groups, key=lambda k: (sort_key(k[0]), k[1]))
        fig, axes = plt.subplots(len(rows), len(counters), figsize=(13, 3.6 * len(rows)),
                                 constrained_layout=True, squeeze=False)
        ns = set()
        for i, (w, params) in enumerate(rows):
            for j, (counter, ylabel) in enumerate(counters):
                ax = axes[i][j]
                xs, ys = [], []
                for ri, r in enumerate(self.runs):
                    by_pool = {}
                    for rj, s in groups[(w, params)]:
                        st = s.stat(counter)
                        if rj == ri and st:
                            by_pool.setdefault(s.pool, []).append((s.params.get("workers"), st))
                            ns.add(st.n)
                    for pool in sorted(by_pool, key=sort_key):
                        pts = sorted(p for p in by_pool[pool] if isinstance(p[0], int))
                        ax.errorbar([p[0] for p in pts], [p[1].median for p in pts],
                                    yerr=[[p[1].median - p[1].lo for p in pts],
                                          [p[1].hi - p[1].median for p in pts]],
                                    label=self.label(pool, ri), **self.series_style(pool, ri))
                        xs += [p[0] for p in pts]
                        ys += [p[1].lo for p in pts] + [p[1].hi for p in pts]
                    ax.axvline(r.hw, color=self.ideal_colors[ri % len(self.ideal_colors)],
                               linestyle=":", linewidth=1)
                self.finish_axes(ax, xs, ys, "workers (log2; dotted: hardware threads)", ylabel,
                                 linear_y=True)
                ax.set_ylim(bottom=0)
                ax.set_title(f"{w} ({params})" if params else w, fontsize="medium")
        self.legend(fig, [a for row in axes for a in row])
        fig.suptitle(f"oversubscription: per-job cost as workers outnumber the cores (median; "
                     f"{CI_TEXT}; {reps_text(sorted(ns))})", fontsize="medium")
        self.save(fig, "oversub.png")
