"""One benchmark instance (workload/pool/params) and its values per repetition:
the record that load fills from Google Benchmark rows and that views, report
and compare read. It imports only stats and names, so any other module can import it
without a cycle.
"""

from . import stats
from .names import error_kind

# The row's real_time per iteration in ns, kept beside the counters: the T of
# every speedup T_serial / T. Not a counter, so tables leave it out.
TIME = "_time_ns"


class Series:
    """All repetitions of one benchmark instance: workload/pool/params."""

    def __init__(self, workload, pool, params):
        self.workload, self.pool, self.params = workload, pool, params
        self.values = {}   # counter -> [value per repetition]
        self.errors = []   # error messages, one per failed repetition
        self.time_units = set()   # time_unit of the repetitions that gave a TIME
        self._stats = {}

    def stat(self, counter):
        """stats.Stat (median, lo, hi, n) over repetitions, or None: lo-hi is the
        95 % bootstrap interval of the median."""
        if counter not in self._stats:
            self._stats[counter] = stats.median_ci(self.values.get(counter) or [])
        return self._stats[counter]

    def error_kind(self):
        return error_kind(self.errors[0]) if self.errors else None

    def counters(self):
        """The user counters this row has (not the time)."""
        return {c for c in self.values if not c.startswith("_")}

    def param_text(self, skip=()):
        return ", ".join(f"{k}:{v}" for k, v in self.params.items() if k not in skip)


def series_key(workload, pool, params):
    return (workload, pool, tuple(sorted(params.items(), key=lambda kv: kv[0])))
