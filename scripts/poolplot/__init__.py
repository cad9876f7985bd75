"""poolplot: poolbench's results (Google Benchmark JSON) in, PNG plots and REPORT.md out.

Modules, one role each: names (the row-name grammar of bench/ROW_NAMES.md),
load (result folders into per-repetition series), stats (medians, bootstrap
intervals, Mann-Whitney rankings), views (one workload: figures, ideals,
speedups), figures (PNGs), report (REPORT.md), cli (the command line).
"""
