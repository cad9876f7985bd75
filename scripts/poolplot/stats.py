"""Statistics of repetitions, all from scipy.stats.

- A figure is the median over repetitions with a 95 % percentile-bootstrap
  confidence interval (scipy.stats.bootstrap, fixed seed, so a report is
  reproducible).
- A ranking names a winner only when a two-sided Mann-Whitney U test between
  the best and the runner-up gives p < 0.05; otherwise it is a tie, and with
  fewer than 3 repetitions on either side there is no test at all.
"""

import inspect
import math
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
from scipy import stats as sps

CONFIDENCE = 0.95
ALPHA = 0.05
MIN_TEST_N = 3          # fewer repetitions than this: "n < 3: no test"
N_RESAMPLES = 9999
SEED = 13

# scipy renamed random_state to rng in 1.15; Debian 12 ships 1.10
_RNG_ARG = "rng" if "rng" in inspect.signature(sps.bootstrap).parameters else "random_state"


class Stat(NamedTuple):
    """Median of one counter over repetitions, with its confidence interval."""
    median: float
    lo: float
    hi: float
    n: int


def _bootstrap(data, statistic):
    kwargs = {_RNG_ARG: np.random.default_rng(SEED)}
    res = sps.bootstrap(data, statistic, confidence_level=CONFIDENCE, n_resamples=N_RESAMPLES,
                        method="percentile", vectorized=True, **kwargs)
    return float(res.confidence_interval.low), float(res.confidence_interval.high)


def median_ci(values):
    """Stat of the values: median and 95 % bootstrap interval (the value itself for
    one repetition or identical ones); None for no values."""
    vals = np.asarray([v for v in values if v is not None and math.isfinite(v)], dtype=float)
    if vals.size == 0:
        return None
    med = float(np.median(vals))
    if vals.size < 2 or np.all(vals == vals[0]):
        return Stat(med, med, med, int(vals.size))
    lo, hi = _bootstrap((vals,), lambda x, axis: np.median(x, axis=axis))
    return Stat(med, min(lo, med), max(hi, med), int(vals.size))


def ratio_ci(num, den):
    """median(num) / median(den) with a 95 % bootstrap interval resampling both
    samples independently: a speedup T_serial / T or an overhead T1 / T_serial."""
    a = np.asarray([v for v in num if v is not None and math.isfinite(v)], dtype=float)
    b = np.asarray([v for v in den if v is not None and math.isfinite(v)], dtype=float)
    if a.size == 0 or b.size == 0 or np.median(b) <= 0:
        return None
    ratio = float(np.median(a) / np.median(b))
    n = int(min(a.size, b.size))
    if (a.size < 2 and b.size < 2) or (np.all(a == a[0]) and np.all(b == b[0])) or np.any(b <= 0):
        return Stat(ratio, ratio, ratio, n)
    if a.size < 2:
        a = np.repeat(a, 2)
    if b.size < 2:
        b = np.repeat(b, 2)
    lo, hi = _bootstrap((a, b), lambda x, y, axis: np.median(x, axis=axis) / np.median(y, axis=axis))
    return Stat(ratio, min(lo, ratio), max(hi, ratio), n)


def mann_whitney_p(a, b):
    """Two-sided Mann-Whitney U p-value, or None when either side has fewer than
    MIN_TEST_N values. Identical samples give p = 1."""
    if len(a) < MIN_TEST_N or len(b) < MIN_TEST_N:
        return None
    p = float(sps.mannwhitneyu(a, b, alternative="two-sided").pvalue)
    return 1.0 if math.isnan(p) else p


def smallest_p(n):
    """The smallest two-sided p the exact test can give with n repetitions a side:
    2 / C(2n, n). With 3 that is 0.1, so no difference can be significant."""
    return 2.0 / math.comb(2 * n, n) if n >= 1 else 1.0


@dataclass
class Ranking:
    """Pools at one point of one workload, best first by median.

    verdict: 'win' (best vs runner-up p < ALPHA), 'tie' (p >= ALPHA), 'n<3' (no
    test: too few repetitions), 'alone' (one pool has a figure), 'none'.
    tied: the best and every pool not significantly different from it ('tie').
    """
    order: list = field(default_factory=list)   # [(pool, Stat)]
    verdict: str = "none"
    p: float = None
    tied: list = field(default_factory=list)

    @property
    def best(self):
        return self.order[0][0] if self.order else None

    @property
    def too_few_to_win(self):
        """A tie whose repetitions could not have given p < ALPHA whatever the data
        (3 against 3: the smallest two-sided p is 0.1)."""
        if self.verdict != "tie" or len(self.order) < 2:
            return False
        n = min(self.order[0][1].n, self.order[1][1].n)
        return smallest_p(n) >= ALPHA


def rank(samples, higher, floor=None):
    """samples: {pool: [values]} (baselines already left out); higher: whether a
    larger value is better. Values below `floor` order as the floor (an idle CPU
    of 0.01 % and 0.02 % are both nothing), the raw median breaking the tie."""
    order = []
    for pool, vals in samples.items():
        st = median_ci(vals)
        if st is not None:
            order.append((pool, st))
    if not order:
        return Ranking()

    def key(item):
        pool, st = item
        m = st.median if floor is None else max(st.median, floor)
        return (-m if higher else m, -st.median if higher else st.median, pool)

    order.sort(key=key)
    if len(order) == 1:
        return Ranking(order, "alone", None, [order[0][0]])
    if floor is not None:   # the test sees what the ranking sees: nothing below the floor
        samples = {pool: [max(v, floor) for v in vals] for pool, vals in samples.items()}
    best, second = order[0][0], order[1][0]
    p = mann_whitney_p(samples[best], samples[second])
    if p is None:
        return Ranking(order, "n<3", None, [])
    if p < ALPHA:
        return Ranking(order, "win", p, [best])
    tied = [best] + [q for q, _ in order[1:]
                     if (mann_whitney_p(samples[best], samples[q]) or 0.0) >= ALPHA]
    return Ranking(order, "tie", p, tied)
