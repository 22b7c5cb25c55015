"""Return on a CX programme: benefit lines year by year, ROI, NPV and payback (as in Forrester TEI).

Every function takes numpy arrays whose last axis is the year t = 1..T (leading axes are bootstrap
draws), so the point estimate and every draw go through the same arithmetic.

Benefit lines, per year t:

* cx_mix (evidence): N x sum_g (p_g,current - p_g,baseline) x m_g x S_g(365 t) — the observed shift in the
  CX mix valued by each group's annual margin m_g and its retention S_g t years on;
* retention (pre-post): a stock of saved customers S_t = S_{t-1} r + dc N (S_0 = 0; dc = baseline churn -
  current churn; r = 1 - current churn) earning the annual margin m: line_t = m S_t. The value after the
  horizon, the terminal value S_T m r / (1 + d - r) discounted by (1 + d)^T, is shown apart, never in ROI;
* cost to serve: (baseline - current support cost per customer-year) x customers;
* expansion: within-segment change in revenue per customer-year x customers x gross margin (the change in
  segment mix is reported, not credited);
* referrals: (current - baseline promoter share) x customers x referral rate x acquisition cost.

With B_t the (attributed) benefit of year t, C0 the one-off cost at the start and R the recurring cost of
each year, d the discount rate:

* ROI % = (sum_t B_t - (C0 + R T)) / (C0 + R T) x 100;
* discounted ROI % (the headline) = (PV(B) - PV(costs)) / PV(costs) x 100, PV(B) = sum_t B_t / (1 + d)^t,
  PV(costs) = C0 + sum_t R / (1 + d)^t;
* NPV = sum_t (B_t - R) / (1 + d)^t - C0;
* payback: months until the cumulative monthly net cash reaches 0, starting at -C0, with B_t and R
  accruing evenly over the 12 months of year t (linear within the month it turns); benefits begin after
  ``ramp_months`` (the months before it earn nothing). None when it never pays back within the horizon.

A programme that costs nothing has no ROI: that is an error, not infinity.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def retention_stock(
    delta_churn: np.ndarray, customers: np.ndarray, retention: np.ndarray, years: int
) -> np.ndarray:
    """Saved customers at each year end: S_t = S_{t-1} r + dc N, S_0 = 0 (shape (..., T))."""
    dc, n, r = np.broadcast_arrays(
        *(np.asarray(x, dtype=np.float64) for x in (delta_churn, customers, retention))
    )
    out = np.zeros((*dc.shape, years))
    stock = np.zeros(dc.shape)
    for t in range(years):
        stock = stock * r + dc * n
        out[..., t] = stock
    return out


def terminal_value(
    stock_t: np.ndarray, margin: np.ndarray, retention: np.ndarray, discount: float, years: int
) -> np.ndarray:
    """Value of the saved stock after the horizon: S_T m r / (1 + d - r), discounted to today."""
    return np.asarray(stock_t * margin * retention / (1.0 + discount - retention) / (1.0 + discount) ** years)


def ramp_factors(years: int, ramp_months: int) -> np.ndarray:
    """Share of each year's months in which benefits are earned (after the ramp)."""
    months = np.arange(12 * years)
    earning = (months >= ramp_months).reshape(years, 12)
    return np.asarray(earning.mean(axis=1), dtype=np.float64)


@dataclass(frozen=True)
class CashFlows:
    """ROI figures of benefits B (..., T); scalars when B is one dimensional."""

    benefits: np.ndarray  # (..., T), after attribution and ramp
    total_benefit: np.ndarray
    total_cost: float
    roi: np.ndarray  # percent
    benefit_pv: np.ndarray
    cost_pv: float
    roi_discounted: np.ndarray  # percent
    npv: np.ndarray
    payback_months: np.ndarray  # NaN: not within the horizon


def cash_flows(
    benefits: np.ndarray, one_off: float, recurring: float, discount: float, ramp_months: int = 0
) -> CashFlows:
    """ROI, NPV and payback of yearly benefits (already attributed) against the programme's cost."""
    b = np.asarray(benefits, dtype=np.float64)
    years = b.shape[-1]
    total_cost = one_off + recurring * years
    if total_cost <= 0.0:
        raise ValueError("the programme costs nothing, so its ROI is undefined")
    b = b * ramp_factors(years, ramp_months)
    factors = 1.0 / (1.0 + discount) ** np.arange(1, years + 1)
    benefit_pv = b @ factors
    cost_pv = one_off + recurring * float(factors.sum())
    total = b.sum(axis=-1)
    return CashFlows(
        benefits=b,
        total_benefit=total,
        total_cost=total_cost,
        roi=(total - total_cost) / total_cost * 100.0,
        benefit_pv=benefit_pv,
        cost_pv=cost_pv,
        roi_discounted=(benefit_pv - cost_pv) / cost_pv * 100.0,
        npv=benefit_pv - cost_pv,
        payback_months=payback_months(b, one_off, recurring, ramp_months),
    )


def payback_months(
    benefits: np.ndarray, one_off: float, recurring: float, ramp_months: int = 0
) -> np.ndarray:
    """Months until cumulative net cash (from -C0, monthly accruals) reaches 0; NaN if not in the horizon.

    ``benefits`` are the yearly amounts after the ramp has been applied: a year's benefit is spread over
    its earning months.
    """
    b = np.asarray(benefits, dtype=np.float64)
    years = b.shape[-1]
    months = np.arange(12 * years)
    earning = (months >= ramp_months).reshape(years, 12)
    per_year_months = earning.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        monthly_benefit = np.where(per_year_months > 0, b / np.maximum(per_year_months, 1), 0.0)
    flow = np.repeat(monthly_benefit, 12, axis=-1) * earning.reshape(-1) - recurring / 12.0
    cum = -one_off + np.cumsum(flow, axis=-1)
    start = np.concatenate([np.full((*cum.shape[:-1], 1), -float(one_off)), cum[..., :-1]], axis=-1)
    if one_off <= 0.0:
        # nothing to recover: it pays from the start if the first month's net is not negative
        first = flow[..., 0]
        return np.where(first >= 0, 0.0, _crossing(start, cum, flow))
    return _crossing(start, cum, flow)


def _crossing(start: np.ndarray, cum: np.ndarray, flow: np.ndarray) -> np.ndarray:
    crossed = (start < 0) & (cum >= 0)
    any_cross = crossed.any(axis=-1)
    idx = np.argmax(crossed, axis=-1)
    s = np.take_along_axis(start, idx[..., None], axis=-1)[..., 0]
    f = np.take_along_axis(flow, idx[..., None], axis=-1)[..., 0]
    with np.errstate(divide="ignore", invalid="ignore"):
        months = idx + np.where(f > 0, -s / f, 0.0)
    return np.where(any_cross, months, np.nan)
