"""Benchmark row names: the grammar of bench/ROW_NAMES.md, parsed in one place.

    <workload>/<pool>/workers:<W>[/<key>:<value>]...     pool and baseline rows
    reference/<what>[/<key>:<value>]...                  reference rows (no pool)

Google Benchmark's own name parts (/iterations:K, /real_time, /repeats:N, ...)
and aggregate suffixes (_mean, _median, ...) are dropped. Keep this module and
bench/ROW_NAMES.md in step.
"""

import re

REFERENCE = "reference"
# Rows beside the pools (ROW_NAMES.md, "Pools and baselines"): drawn dashed,
# tabled, never ranked. `serial` is the T_serial of every speedup;
# `serial_noinline` (the fork-join workloads only) the T_serial of the
# published work-overhead figures.
SERIAL = "serial"
SERIAL_NOINLINE = "serial_noinline"
# The outside baselines (go, rayon: their own programs; pthreadpool,
# thread_pool: libraries inside pool_bench) are baselines too: what a reader
# would pick instead, compared, never the winner among our pools.
BASELINES = ("serial", "serial_noinline", "native_tbb", "openmp", "go", "rayon", "pthreadpool",
             "thread_pool")
# Parameters that give a row's size (the x axis of <workload>_jobs.png); any
# other key except the worker count is a facet.
SIZE_KEYS = ("jobs", "depth", "n", "items", "trips", "b0", "bursts", "links")

# name parts Google Benchmark appends itself
GB_SUFFIX = re.compile(r"^(repeats|min_time|min_warmup_time|iterations|real_time|"
                       r"process_time|manual_time)(:.*)?$")
AGG_SUFFIX = re.compile(r"_(mean|median|stddev|cv|min|max|BigO|RMS)$")


def to_num(text):
    """'12' -> 12, '0.5' -> 0.5, anything else unchanged ('n_8w')."""
    for conv in (int, float):
        try:
            return conv(text)
        except (TypeError, ValueError):
            pass
    return text


def parse_name(name):
    """'empty/mutex/workers:2/jobs:1000/repeats:3' -> ('empty', 'mutex', {...}).

    Returns (None, None, {}) for a name with nothing left once Google
    Benchmark's own parts are dropped. A reference row's `what` is its pool.
    """
    parts = [p for p in str(name).split("/") if p]
    if parts:
        parts[-1] = AGG_SUFFIX.sub("", parts[-1])
    parts = [p for p in parts if not GB_SUFFIX.match(p)]
    if not parts:
        return None, None, {}
    workload, rest = parts[0], parts[1:]
    pool = ""
    if rest and ":" not in rest[0]:
        pool, rest = rest[0], rest[1:]
    params = {}
    for p in rest:
        key, sep, value = p.partition(":")
        params[key] = to_num(value) if sep else True
    return workload, pool, params


def is_baseline(pool):
    return pool in BASELINES


def error_kind(message):
    """ROW_NAMES.md, "Rows that give no figure": unsupported, wrong result or failed."""
    text = str(message).lstrip()
    if text.startswith("unsupported"):
        return "unsupported"
    if text.startswith("wrong result"):
        return "wrong result"
    return "failed"


def sort_key(v):
    """Numbers first in numeric order, then words (grain:n_8w after grain:4096)."""
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return (0, v, "")
    return (1, 0, str(v))
