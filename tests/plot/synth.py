"""Synthetic result folders in Google Benchmark's JSON layout (v1.7), with
answers known in advance, for the tests of scripts/poolplot."""

import json
import os


def rows(name, reps, time_ns=1e6, error=None, aggregates=False, **counters):
    """The iteration rows of one benchmark: `reps` is a list of factors (one per
    repetition) applied to every counter and to the time; a counter given as a
    list has one value per repetition instead."""
    out = []
    full = name + "/real_time"
    for i, f in enumerate(reps):
        row = {"name": full, "run_name": full, "run_type": "iteration", "repetitions": len(reps),
               "repetition_index": i, "threads": 1, "iterations": 0 if error else 10,
               "real_time": time_ns / f / 1e3, "cpu_time": 1.0, "time_unit": "us"}
        if error:
            row["error_occurred"] = True
            row["error_message"] = error
        else:
            for k, v in counters.items():
                row[k] = v[i] if isinstance(v, list) else v * f
        out.append(row)
    if aggregates and not error:
        for agg in ("mean", "median", "stddev", "cv"):
            row = {"name": f"{full}_{agg}", "run_name": full, "run_type": "aggregate",
                   "repetitions": len(reps), "threads": 1, "aggregate_name": agg,
                   "iterations": len(reps), "real_time": 1.0, "cpu_time": 1.0, "time_unit": "us"}
            row.update({k: 1e15 for k in counters})   # bogus: must never be used
            out.append(row)
    return out


CONTEXT = {
    "date": "2026-11-30T00:00:00+00:00", "host_name": "synth", "num_cpus": 2,
    "hardware_threads": "2", "library_build_type": "release", "compiler": "GCC 12.2.0",
    "build_type": "Release", "git_revision": "abc1234", "load_avg": [0.1, 0.1, 0.1],
}

# five repetitions, spread +-2 %: two pools 2x apart never overlap
FIVE = [0.98, 0.99, 1.0, 1.01, 1.02]


def write(folder, benchmarks, name="pools.json", context=None):
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "w", encoding="utf-8") as f:
        json.dump({"context": dict(CONTEXT, **(context or {})), "benchmarks": benchmarks}, f, indent=1)
    return folder
