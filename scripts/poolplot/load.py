"""Loading a result folder: pools.json, and when present queues.json, memory.json,
oversub.json and run.json (Google Benchmark JSON), into Series of per-repetition
values.

Per-repetition values come from the rows with run_type "iteration"; aggregate
rows are a fallback for files that hold nothing else (ROW_NAMES.md,
"Repetitions"). Any input problem raises PlotError, which ends the run with
exit status 2 and a message that names the file.

Run.view builds a views.View of one workload: load imports views, and views
never imports load (the Series record both use is in series.py).
"""

import json
import math
import os
import sys

from .names import REFERENCE, parse_name, to_num
from .series import TIME, Series, series_key
from .views import View, workload_order

PROG = "plot"

# keys of a Google Benchmark row that are not user counters
GB_KEYS = {
    "name", "family_index", "per_family_instance_index", "run_name", "run_type",
    "repetitions", "repetition_index", "threads", "iterations", "real_time",
    "cpu_time", "time_unit", "aggregate_name", "aggregate_unit", "error_occurred",
    "error_message", "label", "skipped", "skip_message",
}
TIME_UNITS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}


class PlotError(Exception):
    """A problem with the input that ends the run with exit status 2."""

    def __init__(self, path, what):
        super().__init__(f"{path}: {what}")
        self.path, self.what = path, what


def warn(msg):
    print(f"{PROG}: warning: {msg}", file=sys.stderr)


def read_json(path, required, what="every result folder needs pools.json"):
    """The Google Benchmark JSON document at path, or None when it is absent and
    not required. Unreadable, truncated or foreign files raise PlotError."""
    if not os.path.exists(path):
        if required:
            raise PlotError(path, f"missing ({what})")
        return None
    try:
        with open(path, "rb") as f:
            data = json.loads(f.read().decode("utf-8"))
    except UnicodeDecodeError as e:
        raise PlotError(path, f"not UTF-8 text ({e.reason} at byte {e.start})") from None
    except json.JSONDecodeError as e:
        raise PlotError(path, f"unparseable JSON at line {e.lineno} column {e.colno}: {e.msg} "
                              "(truncated or corrupt?)") from None
    except OSError as e:
        raise PlotError(path, f"cannot read: {e.strerror}") from None
    if not isinstance(data, dict) or not isinstance(data.get("benchmarks"), list):
        raise PlotError(path, "no 'benchmarks' list (not Google Benchmark JSON output?)")
    return data


def add_rows(series, data, path):
    """Adds the rows of one Google Benchmark document to series (key -> Series)."""
    aggregates = {}   # key -> (workload, pool, params, {aggregate name: row})
    for i, row in enumerate(data["benchmarks"]):
        if not isinstance(row, dict):
            warn(f"{path}: benchmarks[{i}] is not an object; ignored")
            continue
        name = row.get("run_name") or row.get("name")
        if not isinstance(name, str) or not name:
            warn(f"{path}: benchmarks[{i}] has no name; ignored")
            continue
        workload, pool, params = parse_name(name)
        if not workload:
            continue
        key = series_key(workload, pool, params)
        if row.get("run_type") == "aggregate" or "aggregate_name" in row:
            aggregates.setdefault(key, (workload, pool, params, {}))[3][
                str(row.get("aggregate_name"))] = row
            continue
        s = series.get(key)
        if s is None:
            s = series[key] = Series(workload, pool, params)
        if row.get("error_occurred") or row.get("skipped") in ("error", "error_occurred"):
            s.errors.append(str(row.get("error_message") or row.get("skip_message")
                                or "error (no message)").strip())
            continue
        add_counters(s, row)
    only_aggregates = 0
    for key, (workload, pool, params, aggs) in aggregates.items():
        row = aggs.get("median") or aggs.get("mean")
        if key not in series and row:
            add_counters(series.setdefault(key, Series(workload, pool, params)), row)
            only_aggregates += 1
    if only_aggregates:
        warn(f"{path}: {only_aggregates} benchmark(s) have only aggregate rows; using their "
             "median (or mean) as one repetition")


def add_counters(s, row):
    for k, v in row.items():
        if k in GB_KEYS or isinstance(v, bool) or not isinstance(v, (int, float)):
            continue
        if math.isfinite(v):
            s.values.setdefault(k, []).append(float(v))
    t, unit = row.get("real_time"), TIME_UNITS.get(row.get("time_unit", "ns"))
    if isinstance(t, (int, float)) and not isinstance(t, bool) and unit and math.isfinite(t) and t > 0:
        s.values.setdefault(TIME, []).append(float(t) * unit)
        s.time_units.add(row.get("time_unit", "ns"))


SCALING_MEDIANS = ("plain", "even", "busy", "spread", "busy_over_alone")


def load_scaling(path):
    """scaling.json's workloads (run-sweep's `fork_cost scaling` pass: each
    {"workload", "size_key", "size", "workers", "median": {SCALING_MEDIANS},
    "rounds": [{..., "even"}]}), those with every median a positive number;
    [] when the file is absent. Anything else in it is left out with a
    warning, as is the whole file when it does not parse."""
    if not os.path.exists(path):
        return []
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError) as e:
        warn(f"{path}: ignored ({e})")
        return []
    items = data.get("workloads") if isinstance(data, dict) else None
    if not isinstance(items, list):
        warn(f"{path}: ignored (no 'workloads' list)")
        return []
    kept = []
    for item in items:
        med = item.get("median") if isinstance(item, dict) else None
        if (isinstance(med, dict) and isinstance(item.get("workload"), str)
                and isinstance(item.get("workers"), int)
                and isinstance(item.get("rounds"), list)
                and all(isinstance(med.get(k), (int, float)) and med[k] > 0
                        for k in SCALING_MEDIANS)):
            kept.append(item)
        else:
            warn(f"{path}: an entry without a workload, workers, rounds and positive medians "
                 "left out")
    return kept


class Run:
    """One result folder."""

    def __init__(self, folder, label):
        self.folder, self.label = folder, label
        self.context = {}
        self.series = {}          # series_key -> Series, from pools.json and queues.json
        self.memory = {}          # series_key -> Series, from memory.json
        self.oversub = {}         # series_key -> Series, from oversub.json
        self.has_queues = False
        self.has_memory = False
        self.has_oversub = False
        self.run_info = {}
        self.scaling = []         # scaling.json's workloads (fork_cost scaling), when present
        self.views = {}
        self.load()

    def load(self):
        if not os.path.exists(self.folder):
            raise PlotError(self.folder, "no such result folder")
        if not os.path.isdir(self.folder):
            raise PlotError(self.folder, "not a directory (expected a result folder holding pools.json)")
        path = os.path.join(self.folder, "pools.json")
        pools = read_json(path, required=True)
        self.context = pools.get("context") if isinstance(pools.get("context"), dict) else {}
        add_rows(self.series, pools, path)
        if not any(s.counters() or s.errors for s in self.series.values()):
            raise PlotError(path, "no usable rows (no benchmark has a counter or an error message)")
        info_path = os.path.join(self.folder, "run.json")
        if os.path.exists(info_path):   # written by run-sweep; optional
            try:
                with open(info_path, encoding="utf-8") as f:
                    info = json.load(f)
                self.run_info = info if isinstance(info, dict) else {}
            except (OSError, ValueError) as e:
                warn(f"{info_path}: ignored ({e})")
        self.scaling = load_scaling(os.path.join(self.folder, "scaling.json"))
        qpath = os.path.join(self.folder, "queues.json")
        queues = read_json(qpath, required=False)
        if queues is not None:
            self.has_queues = True
            if not self.context and isinstance(queues.get("context"), dict):
                self.context = queues["context"]
            add_rows(self.series, queues, qpath)
        self.has_memory = self.load_optional("memory.json", self.memory, "memory table")
        self.has_oversub = self.load_optional("oversub.json", self.oversub,
                                              "oversubscription table")

    def load_optional(self, name, series, table):
        """Adds the rows of the folder's optional file `name` to series; whether it
        had a usable row (a warning names the missing `table` when it had none)."""
        path = os.path.join(self.folder, name)
        data = read_json(path, required=False)
        if data is None:
            return False
        add_rows(series, data, path)
        usable = any(s.counters() or s.errors for s in series.values())
        if not usable:
            warn(f"{path}: no usable rows; no {table}")
        return usable

    # ---- context
    @property
    def hw(self):
        for key in ("hardware_threads", "num_cpus"):
            v = to_num(str(self.context.get(key, "")).strip())
            if isinstance(v, (int, float)) and v >= 1:
                return int(v)
        return os.cpu_count() or 1   # no context: assume the machine we run on

    @property
    def hw_known(self):
        return any(isinstance(to_num(str(self.context.get(k, "")).strip()), (int, float))
                   for k in ("hardware_threads", "num_cpus"))

    @property
    def machine(self):
        """'host, N hardware threads' from the context, or None when it names no host."""
        host = str(self.context.get("host_name") or "").strip()
        if not host:
            return None
        return f"{host}, {self.hw} hardware threads" if self.hw_known else host

    def reference_series(self, name, counter, **params):
        """The first reference row `name` with a `counter` whose params match (a param
        the row does not have matches anything), or None."""
        for s in self.series.values():
            if (s.workload == REFERENCE and s.pool == name and s.stat(counter)
                    and all(s.params.get(k, v) == v for k, v in params.items())):
                return s
        return None

    def reference(self, name, counter, **params):
        """The median of reference_series(...), or None."""
        s = self.reference_series(name, counter, **params)
        return s.stat(counter).median if s else None

    # ---- views
    def workloads(self, queue=False):
        names = {s.workload for s in self.series.values()
                 if s.workload != REFERENCE and s.workload.startswith("queue_") == queue}
        return sorted(names, key=workload_order)

    def view(self, workload):
        if workload not in self.views:
            self.views[workload] = View(self, workload)
        return self.views[workload]
