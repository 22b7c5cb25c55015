"""Customer churn and retention over calendar periods.

Dates are whole days (int, days since 1970-01-01); a customer with no end date has ``end = NO_END``.
For a period [ps, pe) (pe = first day of the next period):

* *at the start*: ``start < ps`` and (no end, or ``end >= ps``);
* *churned in the period*: at the start and ``ps <= end < pe``;
* *new*: ``ps <= start < pe`` (a customer who starts on the period's first day is new);
* *new and churned*: new and ``end < pe``;
* *at the end*: ``start < pe`` and (no end, or ``end >= pe``),
  so ``customers_end = customers_start - churned + new - new_and_churned``.

Churn rate = churned / customers_start (a fraction; NaN when nobody was there at the start);
retention = 1 - churn. A rate per period converts to a yearly one as ``1 - (1 - c) ** periods_per_year``
(5 % a month is 45.96 % a year, not 60 %). Expected lifespan under constant churn c is ``1 / c`` periods.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

NO_END = np.iinfo(np.int64).max // 2


@dataclass(frozen=True)
class ChurnCounts:
    customers_start: np.ndarray
    churned: np.ndarray
    new: np.ndarray
    new_and_churned: np.ndarray
    customers_end: np.ndarray


def churn_counts(
    start: np.ndarray, end: np.ndarray, ps: int, pe: int, groups: np.ndarray, k: int
) -> ChurnCounts:
    """Counts per group (0..k-1) for the period [ps, pe); ``end`` holds ``NO_END`` for active customers."""
    at_start = (start < ps) & (end >= ps)
    churned = at_start & (end < pe)
    new = (start >= ps) & (start < pe)
    new_churned = new & (end < pe)
    at_end = (start < pe) & (end >= pe)

    def count(mask: np.ndarray) -> np.ndarray:
        return np.bincount(groups[mask], minlength=k)

    return ChurnCounts(count(at_start), count(churned), count(new), count(new_churned), count(at_end))


class PeriodChurn:
    """``churn_counts`` of many periods from one pass over the customers, for fixed ``groups``.

    With ``bounds`` the sorted days that start or end a period and ``idx(v)`` the number of bounds ``<= v``,
    ``v < bounds[i]`` exactly when ``idx(v) <= i``. So ``D(x, y) = #(start < x and end < y)`` at two
    bounds is a prefix sum of the histogram of (group, idx(start), idx(end)), and every count is a
    difference of such sums (no assumption that ``end >= start``):

    at_start = D(ps, inf) - D(ps, ps); churned = D(ps, pe) - D(ps, ps); new = D(pe, inf) - D(ps, inf);
    new_and_churned = D(pe, pe) - D(ps, pe); at_end = D(pe, inf) - D(pe, pe).

    One ``bincount`` and a cumulative sum, instead of five masked passes over every customer per period.
    """

    def __init__(self, start: np.ndarray, end: np.ndarray, groups: np.ndarray, k: int, days: np.ndarray) -> None:
        self.bounds = np.unique(np.asarray(days, dtype=np.int64))
        b = len(self.bounds) + 1  # idx runs 0..len(bounds)
        a = np.searchsorted(self.bounds, start, side="right")
        c = np.searchsorted(self.bounds, end, side="right")
        hist = np.bincount((np.asarray(groups, dtype=np.int64) * b + a) * b + c, minlength=k * b * b)
        cum = np.zeros((k, b + 1, b + 1), dtype=np.int64)
        cum[:, 1:, 1:] = hist.reshape(k, b, b).cumsum(axis=1).cumsum(axis=2)
        self.cum = cum
        self.all = b  # column of D(x, inf)

    def _at(self, day: int) -> int:
        i = int(np.searchsorted(self.bounds, day))
        if i == len(self.bounds) or self.bounds[i] != day:
            raise ValueError(f"day {day} is not one of the bounds")
        return i + 1  # D(bounds[i], .) sums idx(start) <= i, i.e. the first i + 1 rows of the histogram

    def counts(self, ps: int, pe: int) -> ChurnCounts:
        """The same numbers as ``churn_counts(start, end, ps, pe, groups, k)``, for ``ps <= pe``."""
        if pe < ps:
            raise ValueError(f"the period ends ({pe}) before it starts ({ps})")
        i, j = self._at(ps), self._at(pe)
        d = self.cum
        at_start = d[:, i, self.all] - d[:, i, i]
        return ChurnCounts(
            at_start,
            d[:, i, j] - d[:, i, i],
            d[:, j, self.all] - d[:, i, self.all],
            d[:, j, j] - d[:, i, j],
            d[:, j, self.all] - d[:, j, j],
        )


def churn_rate(churned: int, customers_start: int) -> float:
    """Churned / customers at the start, as a fraction; NaN when there was nobody at the start."""
    return churned / customers_start if customers_start > 0 else math.nan


def annualize(rate: float, periods_per_year: float) -> float:
    """Yearly churn from a per-period churn rate (fraction): 1 - (1 - c)^periods_per_year."""
    if math.isnan(rate):
        return math.nan
    return float(1.0 - (1.0 - rate) ** periods_per_year)


def active_days(
    start: np.ndarray, end: np.ndarray, ws: int, we: int, groups: np.ndarray, k: int
) -> np.ndarray:
    """Customer-days of activity in [ws, we) per group: a customer is active on day d when
    ``start <= d < end`` (the end day itself no longer counts)."""
    lo = np.maximum(start, ws)
    hi = np.minimum(end, we)
    days = np.clip(hi - lo, 0, None)
    return np.bincount(groups, weights=days.astype(np.float64), minlength=k)


def latest_complete(records: list[dict[str, object]]) -> dict[str, object] | None:
    """The latest complete period of churn records, all segments summed: period, customers_start,
    churned and churn % (``value``); None when no complete period had customers at its start."""
    complete = [r for r in records if not r["partial"] and r["customers_start"]]
    if not complete:
        return None
    period = complete[-1]["period"]
    rows = [r for r in complete if r["period"] == period]
    start = sum(int(r["customers_start"]) for r in rows)  # type: ignore[call-overload]
    churned = sum(int(r["churned"]) for r in rows)  # type: ignore[call-overload]
    return {"period": period, "customers_start": start, "churned": churned, "value": churned / start * 100}
