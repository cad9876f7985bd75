"""The command line of scripts/compare: two result folders (or two git revisions,
built and run alternately by ab.py) in, the table of changes out.

Exit status: 0 ok, 1 compare.png could not be drawn, or with --ab a build or a
benchmark failed; 2 bad input or usage.
"""

import argparse
import contextlib
import os
import sys

from . import load
from .compare import Comparison, CompareError, markdown, summary
from .entry import guarded

PROG = "compare"


def parse_args(argv):
    ap = argparse.ArgumentParser(
        prog=PROG,
        description="Compare two poolbench result folders row by row, as Go's benchstat does.\n"
                    "Every row in both folders (pools.json, queues.json, oversub.json) gets the\n"
                    "median of its time (real_time; lower is better) in each, the change in %\n"
                    "with its 95 % interval (bootstrap of the ratio of medians), the two-sided\n"
                    "Mann-Whitney U p-value, and `~` in place of the change where p >= 0.05;\n"
                    "each pool a geometric mean. Rows in one folder only, and rows with fewer\n"
                    "than 3 repetitions, are listed apart. Folders from different machines,\n"
                    "builds or sweep options compare with a warning that names the difference.\n"
                    "\n"
                    "With --ab, builds two git revisions in temporary trees (cmake --preset\n"
                    "release, target pool_bench) and runs their pool_bench alternately, one\n"
                    "row and one repetition at a time (POOLBENCH_QUICK=1), the rows in a new\n"
                    "random order each round and A or B first in turn; writes the two result\n"
                    "folders A/ and B/ and compares them.",
        epilog="examples:\n"
               "  scripts/compare results/vm-20261130T062153Z results/latest\n"
               "  scripts/compare results/old results/new --out results/old-vs-new\n"
               "  scripts/compare --ab HEAD~1 HEAD --filter '^empty/' --repetitions 7\n"
               "exit status: 0 ok, 1 compare.png could not be drawn, or (--ab) a build or a\n"
               "benchmark failed, 2 bad input or usage",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("folders", nargs="*", metavar="DIR",
                    help="BASE and NEW: two result folders holding pools.json")
    ap.add_argument("--ab", nargs=2, metavar=("REV_A", "REV_B"),
                    help="build and run two git revisions alternately instead (A is the base)")
    ap.add_argument("--out", metavar="DIR",
                    help="write COMPARE.md and compare.png there (with --ab also the folders A/ "
                         "and B/; default with --ab: results/ab-<A>-<B>-<UTC date-time>)")
    ap.add_argument("--filter", metavar="REGEX",
                    help="--ab: the rows to run (Google Benchmark syntax; default: every row)")
    ap.add_argument("--repetitions", metavar="N", type=int,
                    help="--ab: repetitions of each row and revision (default: 5, at least 3)")
    ap.add_argument("--workers", metavar="LIST",
                    help="--ab: worker counts, comma-separated (POOLBENCH_WORKERS; default: "
                         "pool_bench's quick default)")
    ap.add_argument("--dpi", type=int, default=110, help="PNG resolution (default: %(default)s)")
    args = ap.parse_args(argv)
    if args.ab:
        if args.repetitions is None:
            args.repetitions = 5
        if args.folders:
            ap.error("--ab builds its own folders: give either two folders or --ab REV_A REV_B")
        if args.repetitions < 3:
            ap.error(f"--repetitions {args.repetitions}: at least 3 (a Mann-Whitney test needs 3 a "
                     "side)")
        if args.workers is not None:
            for w in args.workers.split(","):
                if not w.isdigit() or w.startswith("0") or int(w) > 4096:
                    ap.error(f"--workers: '{w}' is not a worker count (a whole number from 1 to "
                             "4096)")
    else:
        if len(args.folders) != 2:
            ap.error(f"expected two result folders, BASE and NEW (got {len(args.folders)}), or "
                     "--ab REV_A REV_B")
        for opt in ("filter", "repetitions", "workers"):
            if getattr(args, opt) is not None:
                ap.error(f"--{opt} goes with --ab only")
    if args.dpi < 20 or args.dpi > 1200:
        ap.error(f"--dpi {args.dpi}: expected 20..1200")
    return args


@contextlib.contextmanager
def warnings_as(prog):
    """load's warnings named for this program while it loads."""
    old, load.PROG = load.PROG, prog
    try:
        yield
    finally:
        load.PROG = old


def error(msg):
    print(f"{PROG}: error: {msg}", file=sys.stderr)
    return 2


def compare_folders(base, new, out, labels=("base", "new"), dpi=110):
    """Loads, compares, prints; writes COMPARE.md and compare.png to out when given.
    Returns the exit status."""
    try:
        with warnings_as(PROG):
            runs = [load.Run(folder, label) for folder, label in zip((base, new), labels)]
        cmp = Comparison(*runs, labels=labels)
    except load.PlotError as e:
        return error(f"{e.path}: {e.what}")
    except CompareError as e:
        return error(str(e))
    for w in cmp.warnings:
        print(f"{PROG}: warning: {w}", file=sys.stderr)
    text = markdown(cmp)
    print(text)
    print(f"{PROG}: {summary(cmp)}", file=sys.stderr)
    if not out:
        return 0
    try:
        os.makedirs(out, exist_ok=True)
        with open(os.path.join(out, "COMPARE.md"), "w", encoding="utf-8") as f:
            f.write(text + "\n")
    except OSError as e:
        return error(f"{out}: cannot write COMPARE.md: {e.strerror}")
    png = os.path.join(out, "compare.png")
    status = 0
    try:
        from .compare_figure import draw
        draw(cmp, png, dpi)
    except ImportError as e:
        print(f"{PROG}: error: cannot import matplotlib ({e}); no compare.png "
              "(apt-get install python3-matplotlib)", file=sys.stderr)
        status, png = 1, None
    except Exception as e:   # a figure that cannot be drawn leaves the table written
        print(f"{PROG}: error: compare.png: {type(e).__name__}: {e}", file=sys.stderr)
        if os.environ.get("PLOT_DEBUG"):
            raise
        status, png = 1, None
    print(f"{PROG}: wrote {os.path.join(out, 'COMPARE.md')}" + (f" and {png}" if png else ""),
          file=sys.stderr)
    return status


def main(argv=None):
    args = parse_args(argv)
    if args.ab:
        from .ab import AbError, run_ab
        try:
            a, b, out = run_ab(args.ab[0], args.ab[1], args.filter, args.repetitions,
                               args.workers, args.out, prog=PROG)
        except AbError as e:
            print(f"{PROG}: error: {e}", file=sys.stderr)
            return e.status
        return compare_folders(a, b, out, labels=("A", "B"), dpi=args.dpi)
    return compare_folders(args.folders[0], args.folders[1], args.out, dpi=args.dpi)


def entry(argv=None):
    """main() without a bare traceback for the user (PLOT_DEBUG=1 shows it)."""
    return guarded(main, PROG, argv)
