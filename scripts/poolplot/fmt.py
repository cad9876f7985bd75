"""Number and text formatting shared by the figures and the report."""

UNITS = {
    "jobs_per_s": " jobs/s", "ops_per_s": " ops/s", "items_per_s": " items/s",
    "elements_per_s": " elements/s", "nodes_per_s": " nodes/s", "solutions_per_s": " solutions/s",
    "efficiency": "", "wall_over_ideal": "x", "idle_cpu_pct": " %", "overhead_cpu_pct": " %",
    "makespan_over_ideal_p50": "x", "makespan_over_ideal_p99": "x",
    "p50_us": " us", "p99_us": " us", "p999_us": " us", "process_idle_cpu_pct": " %",
    "pickup_p50_us": " us", "pickup_p99_us": " us", "pickup_p999_us": " us",
    "tasks_per_s": " tasks/s", "ns_per_task": " ns",
    "madds_per_s": " madds/s", "ns_per_link": " ns", "ns_per_submit": " ns",
    "ns_per_call": " ns",
    "ns_per_job": " ns", "ns_per_trip": " ns", "peak_rss_mb": " MB", "cpu_ns_per_job": " ns",
    "pool_peak_mb": " MB", "process_peak_mb": " MB", "empty_pool_peak_mb": " MB",
}
NA = "n/a"


def fmt_num(v):
    a = abs(v)
    for thr, suffix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
        if a >= thr:
            return f"{v / thr:.3g}{suffix}"
    if a >= 100 or a == 0:
        return f"{v:.0f}"
    return f"{v:.3g}"


def _plain(v, counter):
    if counter.endswith("_pct") or counter.endswith("_us") or counter.startswith("ns_") \
            or counter.endswith("_mb"):
        return f"{v:.3g}" if abs(v) < 1000 else fmt_num(v)
    return fmt_num(v)


def fmt_val(v, counter):
    return f"{_plain(v, counter)}{UNITS.get(counter, '')}"


def fmt_ci(st, counter):
    """'42.3M jobs/s [41.9M, 42.8M]': the median and its 95 % interval."""
    text = fmt_val(st.median, counter)
    if st.lo == st.hi == st.median:
        return text
    return f"{text} [{_plain(st.lo, counter)}, {_plain(st.hi, counter)}]"


def fmt_ratio(st):
    """'1.95x [1.90, 2.01]' for a speedup or overhead Stat, '–' for None."""
    if st is None:
        return "–"
    if st.lo == st.hi == st.median:
        return f"{st.median:.2f}x"
    return f"{st.median:.2f}x [{st.lo:.2f}, {st.hi:.2f}]"


def fmt_rel(r):
    return f"{r:.2f}" if r >= 0.01 else f"{r:.1g}"


def fmt_p(p):
    if p is None:
        return "–"
    return f"{p:.2g}" if p >= 0.001 else "< 0.001"


def facet_text(facet):
    return ", ".join(f"{k}:{v}" for k, v in facet)


def md_escape(text):
    return str(text).replace("|", "\\|").replace("\n", " ")


def size_as_jobs(key, v):
    """Depth of a binary tree -> its job count; other sizes as they are."""
    if key == "depth" and isinstance(v, int):
        return 2 ** (v + 1) - 1
    return v


def reps_text(ns):
    """'n = 3 repetitions' (or 'n = 1-5 repetitions') for sorted repetition counts."""
    if not ns:
        return "repetitions"
    n = str(ns[0]) if len(ns) == 1 else f"{ns[0]}-{ns[-1]}"
    return f"n = {n} repetition{'s' if ns[-1] != 1 else ''}"
