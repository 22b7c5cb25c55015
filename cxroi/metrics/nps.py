"""Net Promoter Score from band counts.

NPS = (promoters - detractors) / n * 100, in points from -100 to 100, where n counts valid answers only
(blank answers are not responses). Each answer scores +1 (promoter), 0 (passive) or -1 (detractor), so
the per-answer variance is ``pP + pD - (pP - pD)^2`` with pP, pD the promoter and detractor shares.

Margins of error are 95% and in points:

* ``wald`` (default): ``1.959964 * sqrt(var / n) * 100``, centred on the NPS.
* ``adjusted-wald`` (Rocks 2016): add 0.75 detractors, 1.5 passives and 0.75 promoters (n + 3), compute the
  Wald interval around that adjusted NPS. ``value`` stays the observed NPS; ``ci_low``/``ci_high`` are the
  adjusted interval and ``moe`` its half-width. Better coverage for small n.

Edge cases: n = 0 has no NPS (NaN everywhere); a single answer has variance 0 so its Wald margin is 0.
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
    return p_promoters + p_detractors - (p_promoters - p_detractors) ** 2


def _wald(promoters: float, passives: float, detractors: float, z: float) -> tuple[float, float, float]:
    n = promoters + passives + detractors
    pp, pd = promoters / n, detractors / n
    var = max(nps_variance(pp, pd), 0.0)
    se = math.sqrt(var / n)
    return pp - pd, var, se


def nps(
    promoters: int, passives: int, detractors: int, *, interval: Interval = "wald", z: float = Z95
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
        moe = z * ase * 100.0
        low, high = centre * 100.0 - moe, centre * 100.0 + moe
    else:
        moe = z * se * 100.0
        low, high = value - moe, value + moe
    return NpsResult(
        n, promoters, passives, detractors, value, var, se, moe, max(low, -100.0), min(high, 100.0)
    )


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
