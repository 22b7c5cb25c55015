"""Customer Effort Score (CES 2.0): "The company made it easy for me to handle my issue", 1-7 agree scale.

Three ways to report it (``value`` mode):

* ``mean`` (default): the mean answer, on the scale's own units. Interval ``mean +- t * s / sqrt(n)`` with
  ``s`` the sample standard deviation (n - 1) and t the Student quantile t_{0.975, n-1} (``interval: t``,
  default; 2.776 at n = 5, where z = 1.96 would be 29% too narrow) or z (``interval: z``, for comparison);
  undefined (NaN) for n < 2. The interval is clipped to the scale (``values`` must list the whole scale).
  Changes: Welch's t-test, so the margin and the test agree.
* ``agree``: % of answers in the agree band (5-7 on 1-7), Wilson interval like CSAT; changes: two-proportion
  test.
* ``net``: % agree - % disagree in points (-100..100), variance and interval as NPS (agree = +1,
  disagree = -1; adjusted Wald).

The result is computed from a histogram: counts of each scale value, so batches add up exactly.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from cxroi.metrics.csat import proportion_interval
from cxroi.metrics.nps import nps, nps_change_test
from cxroi.metrics.stats import Z95, t_quantile, two_proportion_test, welch_test

CesMode = Literal["mean", "agree", "net"]
MeanInterval = Literal["t", "z"]


@dataclass(frozen=True)
class CesResult:
    n: int
    agree: int
    neutral: int
    disagree: int
    mean: float
    sd: float
    mode: CesMode
    value: float
    moe: float
    ci_low: float
    ci_high: float


def mean_sd(values: Sequence[float], counts: Sequence[int]) -> tuple[int, float, float]:
    """n, mean and sample standard deviation (n - 1) of a histogram; sd is NaN for n < 2."""
    n = int(sum(counts))
    if n == 0:
        return 0, math.nan, math.nan
    mean = sum(v * c for v, c in zip(values, counts, strict=True)) / n
    if n < 2:
        return n, mean, math.nan
    ss = sum(c * ((v - mean) * (v - mean)) for v, c in zip(values, counts, strict=True))
    return n, mean, math.sqrt(ss / (n - 1))


def ces(
    values: Sequence[float],
    counts: Sequence[int],
    agree: int,
    disagree: int,
    mode: CesMode = "mean",
    z: float = Z95,
    interval: MeanInterval = "t",
) -> CesResult:
    """CES from a histogram (``values[i]`` answered ``counts[i]`` times) and the agree/disagree counts."""
    n, mean, sd = mean_sd(values, counts)
    neutral = n - agree - disagree
    if n == 0:
        nan = math.nan
        return CesResult(0, 0, 0, 0, nan, nan, mode, nan, nan, nan, nan)
    if mode == "mean":
        q = t_quantile(n - 1) if interval == "t" and n >= 2 else z
        moe = q * sd / math.sqrt(n) if n >= 2 else math.nan
        value, low, high = mean, mean - moe, mean + moe
        low, high = max(low, float(min(values))), min(high, float(max(values)))
    elif mode == "agree":
        value, moe, low, high = proportion_interval(agree, n, "wilson", z)
    else:
        r = nps(agree, neutral, disagree, z=z)
        value, moe, low, high = r.value, r.moe, r.ci_low, r.ci_high
    return CesResult(n, agree, neutral, disagree, mean, sd, mode, value, moe, low, high)


def ces_change_test(before: CesResult, after: CesResult) -> tuple[float, float]:
    """Change (after - before) in the value's unit and its two-sided p-value, by mode (see module doc)."""
    delta = after.value - before.value
    if before.mode == "mean":
        return delta, welch_test(before.mean, before.sd, before.n, after.mean, after.sd, after.n)
    if before.mode == "agree":
        return delta, two_proportion_test(before.agree, before.n, after.agree, after.n)
    a = nps(before.agree, before.neutral, before.disagree)
    b = nps(after.agree, after.neutral, after.disagree)
    return nps_change_test(a, b)
