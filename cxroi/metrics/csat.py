"""Customer satisfaction (CSAT): the share of answers in the "satisfied" band (top two boxes on 1-5).

CSAT = satisfied / n * 100, in percent (0..100); n counts valid answers only.
Margin of error: Wald on the proportion, ``1.959964 * sqrt(p (1 - p) / n) * 100`` points, so it is 0 when
everyone (or no one) is satisfied. n = 0 gives NaN. The change between two periods is tested with the
pooled two-proportion z-test.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from cxroi.metrics.stats import Z95, two_proportion_test, wald_proportion


@dataclass(frozen=True)
class CsatResult:
    n: int
    satisfied: int
    value: float  # percent
    moe: float  # percentage points
    ci_low: float
    ci_high: float


def csat(satisfied: int, n: int, z: float = Z95) -> CsatResult:
    p, moe = wald_proportion(satisfied, n, z)
    if math.isnan(p):
        return CsatResult(0, 0, math.nan, math.nan, math.nan, math.nan)
    value, moe = p * 100.0, moe * 100.0
    return CsatResult(n, satisfied, value, moe, max(value - moe, 0.0), min(value + moe, 100.0))


def csat_change_test(before: CsatResult, after: CsatResult) -> tuple[float, float]:
    """Change in points (after - before) and the pooled two-proportion test p-value."""
    return after.value - before.value, two_proportion_test(
        before.satisfied, before.n, after.satisfied, after.n
    )
