"""``cxroi clv --model sbg``: renewals of subscriptions (shifted-beta-geometric) and the residual value of
every active customer.

Each spell of the customer file (start, end) is a subscription; its periods run from its own start (the
n-th anniversary is the start plus n months, quarters or years, the day clipped to the month's end). A
spell that ends in (A_{t-1}, A_t] churned in period t (an end on the anniversary day is a cancellation at
that renewal); an active spell renewed every complete period up to the as-of day and is censored there.
Spells that have not completed their first period carry no renewal yet (they are valued, not fitted).

Cohorts are the start periods (the same period unit). Per active customer, the residual value is
margin per period x DERL(d, alpha, beta, n) with n - 1 = renewals made and d the period's discount rate
(1 + annual)^(months / 12) - 1; margin per period = MRR x months x gross margin when the customer file has
an MRR column (otherwise DERL is reported in periods and the value is empty). Formulas in
``cxroi.metrics.sbg``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from cxroi.errors import UsageError
from cxroi.metrics.churn import NO_END
from cxroi.metrics.sbg import derl, fit_sbg, retention, survival
from cxroi.pipeline.clv_purchases import ModelOptions, ModelResult, calibration_end_day
from cxroi.pipeline.common import Note
from cxroi.pipeline.customers import plural
from cxroi.pipeline.sources import day_date, day_number

MONTHS = {"month": 1, "quarter": 3, "year": 12}
COHORT_FIELDS = [
    "customers",
    "active",
    "churned",
    "periods_observed",
    "renewals",
    "derl_mean",
    "value_per_period_mean",
    "residual_value",
]
EPOCH = np.datetime64("1970-01-01", "D")


def add_months(days: np.ndarray, months: np.ndarray | int) -> np.ndarray:
    """Day numbers ``months`` calendar months after ``days`` (the day clipped to the month's length)."""
    dates = EPOCH + np.asarray(days, dtype="timedelta64[D]")
    month = dates.astype("datetime64[M]")
    dom = (dates - month.astype("datetime64[D]")).astype(np.int64)
    target = month + np.asarray(months, dtype="timedelta64[M]")
    length = ((target + 1).astype("datetime64[D]") - target.astype("datetime64[D]")).astype(np.int64)
    out = target.astype("datetime64[D]") + np.minimum(dom, length - 1).astype("timedelta64[D]")
    return np.asarray((out - EPOCH).astype(np.int64))


def complete_periods(start: np.ndarray, until: np.ndarray, months: int) -> np.ndarray:
    """The largest t >= 0 with the t-th anniversary (start + t periods) on or before ``until``."""
    s = EPOCH + np.asarray(start, dtype="timedelta64[D]")
    u = EPOCH + np.asarray(until, dtype="timedelta64[D]")
    k = (u.astype("datetime64[M]") - s.astype("datetime64[M]")).astype(np.int64)
    k = np.where(add_months(start, k) > until, k - 1, k)
    return np.asarray(np.maximum(k, 0) // months * (k >= 0))


def _lifetimes(
    start: np.ndarray, end: np.ndarray, cut: int, months: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per spell: churned in the data by ``cut``, the period of churn (T) or the complete periods survived."""
    churned = (end != NO_END) & (end <= cut)
    safe_end = np.where(churned, end, cut)
    t_churn = complete_periods(start, np.maximum(safe_end - 1, start), months) + 1
    survived = complete_periods(start, np.full(len(start), cut), months)
    return churned, t_churn, survived


def sbg_model(data: Any, request: Any, options: ModelOptions) -> ModelResult:
    """Fit the sBG on every spell's renewals and value the active customers, per cohort and segment."""
    customers = data.customers
    if not customers.has_end:
        raise UsageError(
            "--model sbg needs the customers' end (churn) dates",
            "name the end column with --end COL (or crm.customers.end in the config)",
        )
    months = MONTHS.get(options.period)
    if months is None:
        raise UsageError(
            f"--period {options.period!r} is not a renewal period for sBG", "use month, quarter or year"
        )
    as_of = day_number(data.as_of)
    cal_end = calibration_end_day(options, as_of)
    warnings: list[str] = []
    exists = customers.start <= cal_end
    start, end = (
        customers.start[exists],
        np.where(customers.end[exists] > cal_end, NO_END, customers.end[exists]),
    )
    churned, t_churn, survived = _lifetimes(start, end, cal_end, months)
    horizon = int(max(t_churn[churned].max(initial=0), survived.max(initial=0)))
    lost = np.bincount(t_churn[churned], minlength=horizon + 1)[1:].astype(float)
    alive = np.bincount(survived[~churned], minlength=horizon + 1)[1:].astype(float)
    young = int(np.sum(~churned & (survived == 0)))
    if young:
        warnings.append(
            Note(
                f"{plural(young, 'active customer')} not yet through a first {options.period}: "
                "valued, not used to fit"
            )
        )
    fit = fit_sbg(lost.tolist(), alive.tolist())
    alpha, beta = fit.values
    rate = (1.0 + options.discount_rate) ** (months / 12.0) - 1.0
    active = ~churned
    n_next = survived + 1  # DERL's n: renewals made + 1
    derl_each = np.where(active, derl(alpha, beta, n_next, rate), 0.0)
    mrr = customers.mrr[exists] if customers.mrr is not None else None
    value_pp = mrr * months * options.gross_margin if mrr is not None else None
    if value_pp is None:
        warnings.append(
            Note("the customer file has no MRR column: DERL is in periods, the residual value is empty")
        )
    spells = np.flatnonzero(exists)
    group = customers.group[spells]
    cohort = _cohort_labels(start, options.period)
    by = list(request.by)
    labels = customers.labels
    records: list[dict[str, Any]] = []
    keys = sorted(
        set(zip(cohort.tolist(), group.tolist(), strict=True)),
        key=lambda k: (k[0], labels[k[1]] if labels else ()),
    )
    for ck, g in keys:
        m = (cohort == ck) & (group == g)
        act = m & active
        rec: dict[str, Any] = {"cohort": ck, **dict(zip(by, labels[g] if labels else (), strict=False))}
        rec.update(
            customers=int(m.sum()),
            active=int(act.sum()),
            churned=int((m & churned).sum()),
            periods_observed=int(np.max(np.where(churned, t_churn, survived)[m])),
            renewals=int(np.sum(np.where(churned, t_churn - 1, survived)[m])),
            derl_mean=float(derl_each[act].mean()) if act.any() else math.nan,
        )
        if value_pp is not None and act.any():
            rec["value_per_period_mean"] = float(value_pp[act].mean())
            rec["residual_value"] = float(np.sum(value_pp[act] * derl_each[act]))
        else:
            rec["value_per_period_mean"] = rec["residual_value"] = math.nan
        records.append(rec)
    curve = _curve(alpha, beta, lost, alive, horizon)

    def total(mask: np.ndarray, segs: tuple[str, ...] | None) -> dict[str, Any]:
        act = mask & active
        rec: dict[str, Any] = dict(zip(by, segs, strict=True)) if by and segs else {"segment": "all"}
        rec.update(customers=int(mask.sum()), active=int(act.sum()))
        rec["derl_mean"] = float(derl_each[act].mean()) if act.any() else math.nan
        rec["residual_value"] = (
            float(np.sum(value_pp[act] * derl_each[act])) if value_pp is not None else math.nan
        )
        return rec

    everyone = np.ones(len(start), dtype=bool)
    totals = [total(everyone, ("(all)",) * len(by) if by else None)]
    if by:
        totals += [total(group == g, labels[g]) for g in np.unique(group).tolist()]
    hold = None
    if options.holdout_start is not None:
        hold = _holdout(alpha, beta, customers, exists, start, churned, survived, cal_end, as_of, months)
    summary = {
        "as_of": data.as_of.isoformat(),
        "calibration_end": day_date(cal_end).isoformat(),
        "period": options.period,
        "period_discount_rate": rate,
        "discount_rate": options.discount_rate,
        "gross_margin": options.gross_margin,
        "spells": len(start),
        "fitted_on": int(fit.n),
        "not_yet_through_a_period": young,
    }
    result = ModelResult(
        "sbg",
        {"sbg": fit},
        records,
        ["cohort", *by, *COHORT_FIELDS],
        totals,
        [*(by or ["segment"]), "customers", "active", "derl_mean", "residual_value"],
        hold,
        summary,
        warnings,
        curve,
    )
    if value_pp is not None:
        ids = customers.spell_id[spells]
        result.value_of = {
            int(i): float(v) for i, v in zip(ids[active], (value_pp * derl_each)[active], strict=True)
        }
    return result


def _cohort_labels(start: np.ndarray, period: str) -> np.ndarray:
    dates = EPOCH + start.astype("timedelta64[D]")
    years = dates.astype("datetime64[Y]").astype(np.int64) + 1970
    month = dates.astype("datetime64[M]").astype(np.int64) % 12 + 1
    if period == "year":
        return np.asarray(years.astype(str))
    if period == "quarter":
        return np.asarray(
            np.char.add(np.char.add(years.astype(str), "-Q"), ((month - 1) // 3 + 1).astype(str))
        )
    return np.asarray(np.char.add(np.char.add(years.astype(str), "-"), np.char.zfill(month.astype(str), 2)))


def _curve(
    alpha: float, beta: float, lost: np.ndarray, alive: np.ndarray, horizon: int
) -> list[dict[str, Any]]:
    """Observed and fitted retention by period: at risk, renewed, r_t observed and r_t of the model."""
    at_risk = lost.sum() + alive.sum()
    r_model, s_model = retention(alpha, beta, horizon), survival(alpha, beta, horizon)
    out = []
    for t in range(1, horizon + 1):
        renewed = at_risk - lost[t - 1]
        out.append(
            {
                "period": t,
                "at_risk": int(at_risk),
                "renewed": int(renewed),
                "retention_observed": float(renewed / at_risk) if at_risk else math.nan,
                "retention_model": float(r_model[t - 1]),
                "survival_model": float(s_model[t]),
            }
        )
        at_risk = renewed - alive[t - 1]
    return out


def _holdout(
    alpha: float,
    beta: float,
    customers: Any,
    exists: np.ndarray,
    start: np.ndarray,
    churned: np.ndarray,
    survived: np.ndarray,
    cal_end: int,
    as_of: int,
    months: int,
) -> dict[str, Any]:
    """Expected against actual renewals at the anniversaries in (calibration end, as-of] of the customers
    active at the calibration end: expected = sum_{t = n+1..m} S(t) / S(n)."""
    active = ~churned
    true_end = customers.end[exists]
    last = complete_periods(start, np.full(len(start), as_of), months)
    s = survival(alpha, beta, int(last.max(initial=0)) + 1)
    cum = np.cumsum(s)
    n, m = survived[active], last[active]
    expected = (cum[m] - cum[n]) / s[n]
    ends = true_end[active]
    renew_until = np.where(
        (ends != NO_END) & (ends <= as_of),
        complete_periods(start[active], np.maximum(ends - 1, start[active]), months),
        m,
    )
    actual = np.maximum(np.minimum(renew_until, m) - n, 0).astype(float)
    table = []
    for b in range(7):
        sel = np.minimum(n, 6) == b
        if sel.any():
            table.append(
                {
                    "renewals_made": f"{b}+" if b == 6 else str(b),
                    "customers": int(sel.sum()),
                    "actual_mean": float(actual[sel].mean()),
                    "predicted_mean": float(expected[sel].mean()),
                }
            )
    return {
        "start": day_date(cal_end + 1).isoformat(),
        "end": day_date(as_of).isoformat(),
        "customers": int(active.sum()),
        "actual": float(actual.sum()),
        "predicted": float(expected.sum()),
        "mean_absolute_error": float(np.mean(np.abs(expected - actual))) if len(actual) else math.nan,
        "by_renewals": table,
    }
