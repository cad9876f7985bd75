"""The command line of scripts/plot: result folders in, PNGs and REPORT.md out.

Exit status: 0 ok, 1 some plot could not be drawn, 2 bad input or usage.
"""

import argparse
import os
import sys

from .entry import guarded
from .figures import NoPlotter, Plotter
from .load import PROG, PlotError, Run
from .report import Report, overview_tables
from .views import workload_order


def parse_args(argv):
    ap = argparse.ArgumentParser(
        prog=PROG,
        description="Plot poolbench results. Reads Google Benchmark JSON (pools.json and, if present,\n"
                    "queues.json, memory.json and oversub.json) from result folders; writes\n"
                    "<workload>.png (and <workload>_jobs.png where several job counts were run,\n"
                    "<workload>_speedup.png where a speedup is defined), latency.png, overview.png,\n"
                    "queues.png, oversub.png and REPORT.md.\n"
                    "Every figure is a median with a 95 % bootstrap interval; a pool is named fastest\n"
                    "only when a Mann-Whitney U test says so. Several folders are overlaid in the\n"
                    "same plots and then need --out. Row names: bench/ROW_NAMES.md.",
        epilog="examples:\n  scripts/plot results/host-20261122T0630Z\n"
               "  scripts/plot results/laptop-* results/server-* --out results/compare\n"
               "exit status: 0 ok, 1 some plot could not be drawn, 2 bad input or usage",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("folders", nargs="+", metavar="DIR", help="result folder(s) holding pools.json")
    ap.add_argument("--out", metavar="DIR",
                    help="output folder (default: the result folder; required with several folders)")
    ap.add_argument("--labels", metavar="A,B,...",
                    help="comma-separated labels for the folders in legends (default: each folder's "
                         "machine, 'host, N hardware threads', when the folders come from "
                         "different machines, else the folder names)")
    ap.add_argument("--dpi", type=int, default=110, help="PNG resolution (default: %(default)s)")
    ap.add_argument("--no-plots", action="store_true", help="write REPORT.md only, no PNGs")
    args = ap.parse_args(argv)
    if len(args.folders) > 1 and not args.out:
        ap.error("several result folders are overlaid into one place: give --out DIR")
    if args.dpi < 20 or args.dpi > 1200:
        ap.error(f"--dpi {args.dpi}: expected 20..1200")
    labels = args.labels.split(",") if args.labels else []
    if labels and len(labels) != len(args.folders):
        ap.error(f"--labels has {len(labels)} labels for {len(args.folders)} folders")
    return args, labels


def load_runs(folders, labels):
    runs, seen = [], set()
    for i, folder in enumerate(folders):
        label = labels[i] if labels else (os.path.basename(os.path.normpath(folder)) or folder)
        runs.append(Run(folder, label))
    machines = [r.machine for r in runs]
    if not labels and len(runs) > 1 and all(machines) and len(set(machines)) == len(runs):
        for r, m in zip(runs, machines):   # overlays of several machines: labelled by machine
            r.label = m
    for r in runs:
        base, k = r.label, 2
        while r.label in seen:
            r.label, k = f"{base}#{k}", k + 1
        seen.add(r.label)
    return runs


def draw(plotter, runs):
    workloads = []
    for r in runs:
        workloads += [w for w in r.workloads() if w not in workloads]
    workloads.sort(key=workload_order)
    for w in workloads:
        views = [r.view(w) for r in runs if w in r.workloads()]
        if all(v.all_failed() for v in views):
            print(f"{PROG}: {w}: no row has a figure (all unsupported or failed); no plot",
                  file=sys.stderr)
            continue
        if w == "latency":
            plotter.guarded("latency.png", plotter.latency)
        else:
            plotter.guarded(f"{w}.png", plotter.lines, w, "x")
        if any(len(v.sizes) > 1 for v in views):
            plotter.guarded(f"{w}_jobs.png", plotter.lines, w, "size")
        if any(v.scales() for v in views):
            plotter.guarded(f"{w}_speedup.png", plotter.speedup, w)
    tables = overview_tables(runs)
    if tables:
        plotter.guarded("overview.png", plotter.overview, tables)
    if any(r.workloads(queue=True) for r in runs):
        plotter.guarded("queues.png", plotter.queues)
    if any(r.has_oversub for r in runs):
        plotter.guarded("oversub.png", plotter.oversub)


def main(argv=None):
    args, labels = parse_args(argv)
    try:
        runs = load_runs(args.folders, labels)
        out = args.out or args.folders[0]
        try:
            os.makedirs(out, exist_ok=True)
        except OSError as e:
            raise PlotError(out, f"cannot create output folder: {e.strerror}") from None
    except PlotError as e:
        print(f"{PROG}: error: {e.path}: {e.what}", file=sys.stderr)
        return 2

    if args.no_plots:
        plotter = NoPlotter()
    else:
        try:
            plotter = Plotter(runs, out, args.dpi)
        except ImportError as e:
            print(f"{PROG}: error: cannot import matplotlib ({e}); writing REPORT.md without plots "
                  "(apt-get install python3-matplotlib)", file=sys.stderr)
            plotter = NoPlotter()
        draw(plotter, runs)
    text = Report(runs, plotter.written, plotter.failed, out).build()
    report = os.path.join(out, "REPORT.md")
    try:
        with open(report, "w", encoding="utf-8") as f:
            f.write(text)
    except OSError as e:
        print(f"{PROG}: error: {report}: cannot write: {e.strerror}", file=sys.stderr)
        return 2
    print(f"{PROG}: wrote {len(plotter.written)} PNG(s) and REPORT.md to {out}/")
    for name in plotter.written + ["REPORT.md"]:
        print(f"  {os.path.join(out, name)}")
    return 1 if plotter.failed else 0


def entry(argv=None):
    """main() without a bare traceback for the user (PLOT_DEBUG=1 shows it)."""
    return guarded(main, PROG, argv)
