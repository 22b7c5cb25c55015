"""Net Promoter Score from band counts.

NPS = (promoters - detractors) / n * 100, in points from -100 to 100, where n counts valid answers only
(blank answers are not responses). Each answer scores +1 (promoter), 0 (passive) or -1 (detractor), so
the per-answer variance is ``pP + pD - (pP - pD)^2`` with pP, pD the promoter and detractor shares.

Intervals are 95% and in points; ``ci_low``..``ci_high`` is the interval, ``moe`` its half-width:

* ``adjusted-wald`` (default; Rocks 2016, "Confidence intervals for the Net Promoter Score"): add 0.75
  detractors, 1.5 passives and 0.75 promoters (n' = n + 3), and take the Wald interval around that
  adjusted NPS: ``NPS' +- 1.959964 * sqrt(var' / n') * 100``. ``value`` stays the observed NPS, so the
  interval is not centred on it. It keeps its coverage for small n: one promoter gives 100 with the
  interval 12.7..100, not "100 +- 0".
* ``wald``: ``NPS +- 1.959964 * sqrt(var / n) * 100``, centred on the NPS; collapses to 0 width when every
  answer is in one band.

Edge cases: n = 0 has no NPS (NaN everywhere).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from cxroi.metrics.stats import Z95, two_sided_p

Interval = Literal["wald", "adjusted-wald"]


@dataclass(frozen=True)
class NpsResult:
    n: int
    promoters: int
    passives: int
    detractors: int
    value: float  # points, -100..100
    variance: float  # of the +1/0/-1 score (fraction scale)
    se: float  # fraction scale
    moe: float  # points
    ci_low: float  # points
    ci_high: float  # points


def nps_variance(p_promoters: float, p_detractors: float) -> float:
    """Variance of the +1/0/-1 per-answer score: pP + pD - (pP - pD)^2."""
    diff = p_promoters - p_detractors
    return p_promoters + p_detractors - diff * diff  # d * d, not d ** 2: correctly rounded


def _wald(promoters: float, passives: float, detractors: float, z: float) -> tuple[float, float, float]:
    n = promoters + passives + detractors
    pp, pd = promoters / n, detractors / n
    var = max(nps_variance(pp, pd), 0.0)
    se = math.sqrt(var / n)
    return pp - pd, var, se


def nps(
    promoters: int, passives: int, detractors: int, *, interval: Interval = "adjusted-wald", z: float = Z95
) -> NpsResult:
    """NPS with its 95% margin of error from the three band counts."""
    n = promoters + passives + detractors
    if n == 0:
        nan = math.nan
        return NpsResult(0, 0, 0, 0, nan, nan, nan, nan, nan, nan)
    _score, var, se = _wald(promoters, passives, detractors, z)
    value = (promoters - detractors) * 100.0 / n  # exact for whole counts: 10/100 -> 10.0, not 10.000...04
    if interval == "adjusted-wald":
        centre, _avar, ase = _wald(promoters + 0.75, passives + 1.5, detractors + 0.75, z)
        half = z * ase * 100.0
        low, high = centre * 100.0 - half, centre * 100.0 + half
    else:
        moe = z * se * 100.0
        low, high = value - moe, value + moe
    low, high = max(low, -100.0), min(high, 100.0)
    if interval == "adjusted-wald":
        moe = (high - low) / 2.0
    return NpsResult(n, promoters, passives, detractors, value, var, se, moe, low, high)


def nps_change_test(before: NpsResult, after: NpsResult) -> tuple[float, float]:
    """Change in points (after - before) and the two-sided p-value of
    z = (NPS_after - NPS_before) / sqrt(var_a/n_a + var_b/n_b) (NPS as fractions).

    Returns NaN for the p-value when either side is empty or both variances are 0 (e.g. one answer each):
    a test needs sampling variance, and a p of 0 there would claim a certainty the data cannot give.
    """
    delta = after.value - before.value
    if before.n == 0 or after.n == 0:
        return delta, math.nan
    se = math.sqrt(before.variance / before.n + after.variance / after.n)
    if se == 0.0:  # every answer alike in both periods: no sampling variance to test against
        return delta, math.nan
    return delta, two_sided_p((delta / 100.0) / se)
