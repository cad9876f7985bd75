"""poolplot: poolbench's results (Google Benchmark JSON) in, PNG plots and REPORT.md out.

Modules, one role each: names (the row-name grammar of bench/ROW_NAMES.md),
series (one row's values per repetition), load (result folders into
series), stats (medians, bootstrap intervals, Mann-Whitney rankings), views
(one workload: figures, ideals, speedups), figures (PNGs), report
(REPORT.md), cli (scripts/plot's command line); and for scripts/compare:
compare (two folders into a table of changes), compare_figure (its plot),
ab (two revisions built and run alternately), compare_cli (its command
line).
"""
