"""compare.png: one dot per compared row, its change in time with the 95 %
interval as a bar, one panel per file and workload, the panels in columns.

The axis is the ratio new / base on a log scale, labelled as a change in %,
so a halving and a doubling lie equally far from 0. A row with p < 0.05 is
coloured (slower: vermillion, faster: bluish green); `~` rows are grey.
"""

import math

from .compare import SECTIONS
from .views import workload_order

SLOWER, FASTER, SAME = "#D55E00", "#009E73", "#999999"
ROW_INCHES = 0.15        # height of one row
PANEL_INCHES = 0.55      # a panel's title and margins
ROWS_PER_COLUMN = 70     # above this, the panels go into more columns
TICKS = (0.1, 0.2, 0.33, 0.5, 0.67, 0.8, 0.9, 1.0, 1.1, 1.25, 1.5, 2, 3, 5, 10, 20)


def panels(cmp):
    """[(title, [Change])] in table order."""
    out = []
    for section in SECTIONS:
        rows = [c for c in cmp.changes if c.section == section]
        for w in sorted({c.workload for c in rows}, key=workload_order):
            title = w if section == "pools.json" else f"{w} ({section})"
            out.append((title, [c for c in rows if c.workload == w]))
    return out


def columns(groups, ncols):
    """The panels split into ncols runs of about equal rows, in order."""
    total = sum(len(rows) for _, rows in groups)
    cols, cur, n = [], [], 0
    for g in groups:
        if cur and n + len(g[1]) / 2 > total / ncols * (len(cols) + 1) and len(cols) < ncols - 1:
            cols.append(cur)
            cur = []
        cur.append(g)
        n += len(g[1])
    cols.append(cur)
    return cols


def x_limits(changes):
    lo = min(min(c.ratio.lo, c.ratio.median) for c in changes)
    hi = max(max(c.ratio.hi, c.ratio.median) for c in changes)
    lo, hi = min(lo, 1 / 1.05), max(hi, 1.05)
    pad = (math.log(hi) - math.log(lo)) * 0.05
    return math.exp(math.log(lo) - pad), math.exp(math.log(hi) + pad)


def tick_text(ratio, _pos=None):
    """A tick's ratio as its change in time: 2 -> '+100%', 0.5 -> '-50%', 1 -> '0'."""
    pct = round((ratio - 1) * 100)
    return "0" if pct == 0 else f"{pct:+d}%"


def ticks_for(lo, hi):
    """Tick ratios inside [lo, hi], 1.0 always, none closer than 1/8 of the axis."""
    gap = (math.log(hi) - math.log(lo)) / 8
    kept = [1.0]
    for t in sorted((t for t in TICKS if lo <= t <= hi and t != 1.0),
                    key=lambda t: abs(math.log(t))):
        if all(abs(math.log(t) - math.log(k)) >= gap for k in kept):
            kept.append(t)
    return sorted(kept)


def draw(cmp, path, dpi=110):
    """Writes compare.png to path. Raises ImportError without matplotlib."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

    groups = panels(cmp)
    total = sum(len(rows) for _, rows in groups)
    ncols = max(1, min(3, math.ceil(total / ROWS_PER_COLUMN), len(groups)))
    cols = columns(groups, ncols)
    heights = [sum(len(rows) * ROW_INCHES + PANEL_INCHES for _, rows in col) for col in cols]
    a, b = cmp.labels
    fig = plt.figure(figsize=(6.5 * len(cols), max(heights) + 1.2), dpi=dpi,
                     layout="constrained")
    fig.suptitle(f"Change in time, {b} vs {a} (lower is better: left is faster)\n"
                 f"dot: median({b}) / median({a}); bar: 95 % bootstrap interval; "
                 "coloured: Mann-Whitney p < 0.05", fontsize=9)
    xlo, xhi = x_limits(cmp.changes)
    ticks = ticks_for(xlo, xhi)
    subfigs = fig.subfigures(1, len(cols), squeeze=False)[0]
    for sub, col, height in zip(subfigs, cols, heights):
        ratios = [len(rows) + PANEL_INCHES / ROW_INCHES for _, rows in col]
        # a shorter column leaves its bottom empty
        spare = (max(heights) - height) / ROW_INCHES
        filler = [spare] if spare > 0.5 else []
        axes = sub.subplots(len(col) + len(filler), 1,
                            gridspec_kw={"height_ratios": ratios + filler}, squeeze=False)[:, 0]
        if filler:
            axes[-1].set_axis_off()
        for ax, (title, rows) in zip(axes, col):
            ys = list(range(len(rows)))[::-1]
            for y, c in zip(ys, rows):
                colour = SAME if not c.significant else (SLOWER if c.ratio.median > 1 else FASTER)
                ax.plot([c.ratio.lo, c.ratio.hi], [y, y], color=colour, lw=1.2,
                        solid_capstyle="butt")
                ax.plot([c.ratio.median], [y], "o", color=colour, ms=3)
            ax.axvline(1.0, color="black", lw=0.6)
            ax.set_xscale("log")
            ax.set_xlim(xlo, xhi)
            ax.xaxis.set_major_locator(FixedLocator(ticks))
            ax.xaxis.set_minor_locator(NullLocator())
            ax.xaxis.set_major_formatter(FuncFormatter(tick_text))
            ax.tick_params(axis="x", labelsize=6)
            ax.set_ylim(-0.7, len(rows) - 0.3)
            ax.set_yticks(ys)
            prefix = len(rows[0].workload) + 1
            ax.set_yticklabels([c.name[prefix:] if c.name.startswith(c.workload + "/") else c.name
                                for c in rows], fontsize=5.5)
            ax.set_title(title, fontsize=8, loc="left")
            ax.grid(axis="x", lw=0.3, alpha=0.5)
    fig.savefig(path, dpi=dpi)
    plt.close(fig)
