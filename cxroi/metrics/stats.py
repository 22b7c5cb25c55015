"""Small statistical helpers shared by the score metrics."""

from __future__ import annotations

import functools
import math
from statistics import NormalDist

Z95 = 1.959964  # two-sided 95% normal quantile, as in ../shared/metrics.md
_NORMAL = NormalDist()


def two_sided_p(z: float) -> float:
    """p = 2 (1 - Phi(|z|)); NaN in, NaN out."""
    if math.isnan(z):
        return math.nan
    if math.isinf(z):
        return 0.0
    return 2.0 * (1.0 - _NORMAL.cdf(abs(z)))


def wald_proportion(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Proportion p = successes / n and its Wald margin of error z * sqrt(p (1 - p) / n), both as fractions.

    Edge cases: n = 0 gives (NaN, NaN); p = 0 or 1 gives a margin of 0 (the Wald interval collapses).
    """
    if n <= 0:
        return math.nan, math.nan
    p = successes / n
    return p, z * math.sqrt(p * (1.0 - p) / n)


def wilson_interval(successes: float, n: float, z: float = Z95) -> tuple[float, float]:
    """95% Wilson score interval of a proportion, as fractions (Wilson 1927; Agresti & Coull 1998):

    centre = (p + z^2 / 2n) / (1 + z^2 / n),  half = z sqrt(p (1 - p) / n + z^2 / 4n^2) / (1 + z^2 / n).

    Unlike Wald it never collapses at 0% or 100% and keeps its coverage for small n. n = 0 gives NaN.
    """
    if n <= 0:
        return math.nan, math.nan
    p = successes / n
    denom = 1.0 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(max(p * (1 - p) / n + z * z / (4 * n * n), 0.0)) / denom
    low = 0.0 if successes <= 0 else max(centre - half, 0.0)  # exact bounds at 0% and 100%
    high = 1.0 if successes >= n else min(centre + half, 1.0)
    return low, high


@functools.lru_cache(maxsize=65536)
def t_quantile(df: float, level: float = 0.95) -> float:
    """Two-sided Student t quantile: t_{1 - (1 - level) / 2, df} (2.776445 for df = 4); memoised, since
    thousands of groups share a few hundred sample sizes."""
    from scipy.special import stdtrit

    return float(stdtrit(df, 1.0 - (1.0 - level) / 2.0))


def two_proportion_test(x1: int, n1: int, x2: int, n2: int) -> float:
    """Two-sided p-value of the pooled two-proportion z-test for p2 - p1 (NaN when undefined)."""
    if n1 <= 0 or n2 <= 0:
        return math.nan
    pooled = (x1 + x2) / (n1 + n2)
    se = math.sqrt(pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2))
    if se == 0.0:  # all successes or all failures on both sides: nothing to test
        return math.nan
    return two_sided_p((x2 / n2 - x1 / n1) / se)


def welch_test(mean1: float, sd1: float, n1: int, mean2: float, sd2: float, n2: int) -> float:
    """Two-sided p-value of Welch's unequal-variance t-test for two means (NaN when n < 2 or both sd = 0)."""
    if n1 < 2 or n2 < 2 or math.isnan(sd1) or math.isnan(sd2):
        return math.nan
    v1, v2 = sd1 * sd1 / n1, sd2 * sd2 / n2
    se2 = v1 + v2
    if se2 == 0.0:  # no variance on either side: the test is undefined
        return math.nan
    t = (mean2 - mean1) / math.sqrt(se2)
    df = se2 * se2 / (v1 * v1 / (n1 - 1) + v2 * v2 / (n2 - 1))
    from scipy.special import stdtr

    return float(2.0 * stdtr(df, -abs(t)))
