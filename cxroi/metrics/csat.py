"""Customer satisfaction (CSAT): the share of answers in the "satisfied" band (top two boxes on 1-5).

CSAT = satisfied / n * 100, in percent (0..100); n counts valid answers only.
Interval (95%, points): ``wilson`` (default) is the Wilson score interval (``metrics.stats.wilson_interval``),
which keeps its width at 0% and 100% and its coverage for small n; ``wald`` is
``p +- 1.959964 * sqrt(p (1 - p) / n)``, which collapses to 0 when everyone (or no one) is satisfied.
``moe`` is the interval's half-width. n = 0 gives NaN. The change between two periods is tested with the
pooled two-proportion z-test.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from cxroi.metrics.stats import Z95, two_proportion_test, wald_proportion, wilson_interval

ProportionInterval = Literal["wilson", "wald"]


@dataclass(frozen=True)
class CsatResult:
    n: int
    satisfied: int
    value: float  # percent
    moe: float  # percentage points
    ci_low: float
    ci_high: float


def proportion_interval(
    successes: int, n: int, interval: ProportionInterval = "wilson", z: float = Z95
) -> tuple[float, float, float, float]:
    """Percent, half-width, low, high (points) of a proportion's 95% interval."""
    p, moe = wald_proportion(successes, n, z)
    if math.isnan(p):
        return math.nan, math.nan, math.nan, math.nan
    value = p * 100.0
    if interval == "wilson":
        lo, hi = wilson_interval(successes, n, z)
        return value, (hi - lo) * 50.0, lo * 100.0, hi * 100.0
    moe *= 100.0
    return value, moe, max(value - moe, 0.0), min(value + moe, 100.0)


def csat(satisfied: int, n: int, z: float = Z95, interval: ProportionInterval = "wilson") -> CsatResult:
    value, moe, low, high = proportion_interval(satisfied, n, interval, z)
    if math.isnan(value):
        return CsatResult(0, 0, math.nan, math.nan, math.nan, math.nan)
    return CsatResult(n, satisfied, value, moe, low, high)


def csat_change_test(before: CsatResult, after: CsatResult) -> tuple[float, float]:
    """Change in points (after - before) and the pooled two-proportion test p-value."""
    return after.value - before.value, two_proportion_test(
        before.satisfied, before.n, after.satisfied, after.n
    )
