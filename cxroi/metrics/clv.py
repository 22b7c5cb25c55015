"""Customer lifetime value.

* **Simple**: annual value per customer x expected lifespan in years, lifespan = 1 / annual churn.
  Infinite (NaN here, reported as such) when nobody churns.
* **Discounted** (Gupta & Lehmann 2003), margin ``m`` per year earned at the end of each year by customers
  still retained, annual retention ``r``, annual discount rate ``d``:
  infinite horizon ``m * r / (1 + d - r)``; finite horizon T years ``sum_{t=1..T} m * r**t / (1 + d)**t``.
  m = 100, r = 0.8, d = 0.10 -> 266.67; T = 3 -> 164.09.
  ``m`` = annual revenue x gross margin - annual cost to serve. Rates are per year, matching ``m``.
"""

from __future__ import annotations

import math


def clv_simple(annual_value: float, annual_churn: float) -> float:
    """annual_value / annual_churn (lifespan 1/c years); NaN when churn is 0 or unknown."""
    if math.isnan(annual_churn) or annual_churn <= 0.0:
        return math.nan
    return annual_value / annual_churn


def clv_discounted(margin: float, retention: float, discount: float, horizon: int | None = None) -> float:
    """Gupta-Lehmann CLV; ``horizon`` None = infinite. NaN when the infinite sum diverges (r >= 1 + d)."""
    if math.isnan(margin) or math.isnan(retention):
        return math.nan
    if horizon is None:
        denominator = 1.0 + discount - retention
        if denominator <= 0.0:
            return math.nan
        return margin * retention / denominator
    q = retention / (1.0 + discount)
    return sum(margin * q**t for t in range(1, horizon + 1))


def margin_per_year(annual_revenue: float, gross_margin: float, annual_cost_to_serve: float) -> float:
    """m = annual revenue x gross margin - annual cost to serve (all per customer)."""
    return annual_revenue * gross_margin - annual_cost_to_serve
