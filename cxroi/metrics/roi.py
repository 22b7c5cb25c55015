"""Return on a CX programme: benefit lines, ROI, NPV and payback.

Benefit lines (per year, before attribution):

* retention     = (baseline churn - current churn) x customers x value per customer
* cost to serve = (baseline - current support cost per customer) x customers
* expansion     = (current - baseline revenue per customer) x customers x gross margin
* referrals     = promoters x referral rate x acquisition cost avoided

Churn rates are fractions; money per customer per year. The programme is credited with ``attribution``
(0-1) of the sum: annual benefit B = attribution x sum of lines. A line can be negative (things got
worse); it is reported as such, never hidden.

Cash flows over a horizon of T years: the one-off cost C0 at t = 0; the recurring cost R and the benefit
B at the end of each year t = 1..T (as in the CLV model).

* ROI % = (B T - (C0 + R T)) / (C0 + R T) x 100 (undiscounted);
* discounted ROI % = (PV(B) - PV(costs)) / PV(costs) x 100;
* NPV = sum_{t=1..T} (B - R) / (1 + d)^t - C0;
* payback (months) = C0 / ((B - R) / 12): the months until the cumulative net benefit, accruing evenly,
  covers the one-off cost; 0 when there is no one-off cost; none when B <= R (it never pays back).

A programme that costs nothing has no ROI: that is an error, not infinity.
"""

from __future__ import annotations

from dataclasses import dataclass

from cxroi.metrics.stats import wilson_interval

__all__ = ["wilson_interval"]


def retention_benefit(baseline_churn: float, current_churn: float, customers: float, value: float) -> float:
    return (baseline_churn - current_churn) * customers * value


def cost_to_serve_benefit(baseline_cost: float, current_cost: float, customers: float) -> float:
    return (baseline_cost - current_cost) * customers


def expansion_benefit(
    baseline_revenue: float, current_revenue: float, customers: float, margin: float
) -> float:
    return (current_revenue - baseline_revenue) * customers * margin


def referral_benefit(promoters: float, referral_rate: float, acquisition_cost: float) -> float:
    return promoters * referral_rate * acquisition_cost


def annuity(years: int, discount: float) -> float:
    """Present value of 1 a year at the end of years 1..T: sum 1 / (1 + d)^t."""
    return sum(1.0 / (1.0 + discount) ** t for t in range(1, years + 1))


@dataclass(frozen=True)
class RoiResult:
    annual_benefit: float
    total_benefit: float
    total_cost: float
    net_benefit: float
    roi: float  # percent
    benefit_pv: float
    cost_pv: float
    roi_discounted: float  # percent
    npv: float
    payback_months: float | None


def roi(annual_benefit: float, one_off: float, recurring: float, years: int, discount: float) -> RoiResult:
    """ROI, NPV and payback of ``annual_benefit`` (already attributed) against the programme's cost."""
    total_cost = one_off + recurring * years
    if total_cost <= 0.0:
        raise ValueError("the programme costs nothing, so its ROI is undefined")
    total_benefit = annual_benefit * years
    factor = annuity(years, discount)
    benefit_pv = annual_benefit * factor
    cost_pv = one_off + recurring * factor
    net_per_year = annual_benefit - recurring
    if one_off <= 0.0:
        payback: float | None = 0.0 if net_per_year >= 0 else None
    else:
        payback = one_off / (net_per_year / 12.0) if net_per_year > 0 else None
    return RoiResult(
        annual_benefit=annual_benefit,
        total_benefit=total_benefit,
        total_cost=total_cost,
        net_benefit=total_benefit - total_cost,
        roi=(total_benefit - total_cost) / total_cost * 100.0,
        benefit_pv=benefit_pv,
        cost_pv=cost_pv,
        roi_discounted=(benefit_pv - cost_pv) / cost_pv * 100.0,
        npv=net_per_year * factor - one_off,
        payback_months=payback,
    )
