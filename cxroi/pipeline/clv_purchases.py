"""``cxroi clv --model bgnbd``: per-customer CLV from the transaction history (BG/NBD + Gamma-Gamma).

The transactions, linked to their customers as for ``cxroi economics`` (same ids, dates, amounts, refunds,
status rules and as-of cut), are summed per (customer, day); a *purchase* is a day with a transaction of
zero or more (a free order is a purchase; days with refunds only are left out and counted). Per customer,
over the calibration period (up to ``--calibration-end``, default the as-of day, or the day before
``--holdout-start``):

  x = purchase days - 1,  t_x = (last - first purchase day) / 7,  T = (calibration end - first) / 7  (weeks),
  zbar = mean net amount of the repeat purchase days (the first purchase is not a repeat),

which is the summary of Fader, Hardie & Lee (2005) (CDNOW: customer 4 bought on 1997-01-01, 01-18 and
08-02 before 1997-09-30: x = 2, t_x = 30.43, T = 38.86). Customers are the ids with a purchase by the
calibration end. Formulas in ``cxroi.metrics.bgnbd``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np

from cxroi.errors import UsageError
from cxroi.metrics.bgnbd import (
    Rfm,
    discounted_clv,
    expected_purchases,
    expected_value,
    fit_bgnbd,
    fit_gamma_gamma,
    p_alive,
    value_frequency_correlation,
)
from cxroi.metrics.mle import Fit
from cxroi.pipeline.activity import MONEY_SCALE
from cxroi.pipeline.common import Note
from cxroi.pipeline.customers import plural
from cxroi.pipeline.sources import day_date, day_number

WEEK = 7.0
CORRELATION_LIMIT = 0.3
CUSTOMER_FIELDS = [
    "customer_id",
    "frequency",
    "recency_weeks",
    "age_weeks",
    "mean_value",
    "p_alive",
    "expected_purchases",
    "expected_value",
    "clv",
]
HOLDOUT_FIELDS = ["holdout_actual", "holdout_predicted"]


@dataclass(frozen=True)
class ModelOptions:
    calibration_end: date | None = None
    holdout_start: date | None = None
    horizon_months: int = 60
    gross_margin: float = 1.0
    discount_rate: float = 0.10
    period: str = "month"  # sBG only


@dataclass
class ModelResult:
    """What ``cxroi clv --model`` reports (``to_dict`` is the JSON document)."""

    model: str
    fits: dict[str, Fit]
    records: list[dict[str, Any]]  # per customer (bgnbd) or per cohort (sbg)
    fields: list[str]
    totals: list[dict[str, Any]]
    totals_fields: list[str]
    holdout: dict[str, Any] | None
    summary: dict[str, Any]
    warnings: list[str] = field(default_factory=list)
    curve: list[dict[str, Any]] = field(default_factory=list)  # sBG: retention by period
    value_of: dict[int, float] = field(default_factory=dict)  # customer id index -> CLV (for the link)

    def to_dict(self) -> dict[str, Any]:
        parameters = {
            name: {**fit.params(), "loglik": fit.loglik, "n": fit.n} for name, fit in self.fits.items()
        }
        out: dict[str, Any] = {"model": self.model, "parameters": parameters, "summary": self.summary}
        out["totals"] = self.totals
        if self.curve:
            out["retention_curve"] = self.curve
        if self.holdout is not None:
            out["holdout"] = self.holdout
        out["cohorts" if self.model == "sbg" else "customers"] = self.records
        return out


def _summarise(cust: np.ndarray, day: np.ndarray, amount: np.ndarray) -> dict[str, np.ndarray]:
    """Per customer (sorted input: customer, then day): first and last day, days, first-day and total
    amounts."""
    if len(cust) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return {
            "customer": empty,
            "first": empty,
            "last": empty,
            "days": empty,
            "first_amount": np.zeros(0),
            "total": np.zeros(0),
        }
    starts = np.flatnonzero(np.r_[True, cust[1:] != cust[:-1]])
    ends = np.r_[starts[1:], len(cust)] - 1
    return {
        "customer": cust[starts],
        "first": day[starts],
        "last": day[ends],
        "days": ends - starts + 1,
        "first_amount": amount[starts],
        "total": np.add.reduceat(amount, starts),
    }


def bgnbd_model(data: Any, request: Any, options: ModelOptions) -> ModelResult:
    """Fit BG/NBD and Gamma-Gamma on the calibration period and score every customer."""
    if data.transactions is None or data.transactions.purchases is None:
        raise UsageError(
            "--model bgnbd needs the transactions", "pass --transactions FILE (orders, invoices)"
        )
    rows, day, units = data.transactions.purchases
    customers = data.customers
    as_of = day_number(data.as_of)
    cal_end = calibration_end_day(options, as_of)
    warnings: list[str] = []
    cust = customers.spell_id[rows] if len(rows) else np.zeros(0, dtype=np.int64)
    low = int(day.min()) if len(day) else 0
    span = (int(day.max()) - low + 1) if len(day) else 1
    key = cust.astype(np.int64) * span + (day - low)
    uniq, inverse = np.unique(key, return_inverse=True)
    amount = np.bincount(inverse, weights=units, minlength=len(uniq)) / MONEY_SCALE
    spell = np.full(len(uniq), -1, dtype=np.int64)
    np.maximum.at(spell, inverse, rows)
    c, d = uniq // span, uniq % span + low
    sold = np.bincount(inverse, weights=(units >= 0).astype(float), minlength=len(uniq)) > 0
    refund_days = int(np.sum(~sold))
    if refund_days:
        warnings.append(
            Note(f"{plural(refund_days, 'customer-day')} with refunds only are not purchases in the model")
        )
    buy = sold
    cal = buy & (d <= cal_end)
    s = _summarise(c[cal], d[cal], amount[cal])
    if len(s["customer"]) == 0:
        from cxroi.metrics.mle import FitError

        raise FitError(
            f"no purchases up to the calibration end {day_date(cal_end)}",
            "check --calibration-end and the transactions' dates",
        )
    x = (s["days"] - 1).astype(float)
    t_x = (s["last"] - s["first"]) / WEEK
    T = (cal_end - s["first"]) / WEEK
    with np.errstate(invalid="ignore", divide="ignore"):
        zbar = np.where(x > 0, (s["total"] - s["first_amount"]) / np.maximum(x, 1), np.nan)
    # the distinct (x, t_x, T) rows, from one integer key of (x, recency days, age days)
    width = int(cal_end - s["first"].min()) + 1
    key = (
        (s["days"] - 1).astype(np.int64) * width * width
        + (s["last"] - s["first"]) * width
        + (cal_end - s["first"])
    )
    _keys, first_of, back, weight = np.unique(key, return_index=True, return_inverse=True, return_counts=True)
    back = back.reshape(-1)
    distinct = np.stack([x[first_of], t_x[first_of], T[first_of]], axis=1)
    fit = fit_bgnbd(
        Rfm(distinct[:, 0], distinct[:, 1], distinct[:, 2], np.full(len(distinct), np.nan)), weight
    )
    gg = fit_gamma_gamma(x, zbar)
    corr = value_frequency_correlation(x, zbar)
    if math.isfinite(corr) and abs(corr) > CORRELATION_LIMIT:
        warnings.append(
            f"Gamma-Gamma assumes purchase value and frequency are independent, but their correlation among "
            f"repeat buyers is {corr:.2f} (above {CORRELATION_LIMIT}); the expected values may be biased"
        )
    alive_d = p_alive(fit, distinct[:, 0], distinct[:, 1], distinct[:, 2])
    expected_d, factor_d = discounted_clv(
        fit,
        np.ones(len(distinct)),
        distinct[:, 0],
        distinct[:, 1],
        distinct[:, 2],
        options.horizon_months,
        options.discount_rate,
        WEEK,
    )
    value = expected_value(gg, x, zbar)
    clv = options.gross_margin * value * factor_d[back]
    last_spell = _last_spell(s["customer"], c[cal], spell[cal])
    group = customers.group_at(cal_end, last_spell)
    ids = customers.ids.take(s["customer"]).to_pylist()
    by = list(request.by)
    labels = customers.labels
    hold = None
    holdout_cols: dict[str, np.ndarray] = {}
    if options.holdout_start is not None:
        hold, holdout_cols = _holdout(fit, s, c, d, buy, cal_end, as_of, x, t_x, T)
    columns: dict[str, Any] = {
        "customer_id": ids,
        "frequency": x.astype(int).tolist(),
        "recency_weeks": t_x.tolist(),
        "age_weeks": T.tolist(),
        "mean_value": zbar.tolist(),
        "p_alive": alive_d[back].tolist(),
        "expected_purchases": expected_d[back].tolist(),
        "expected_value": value.tolist(),
        "clv": clv.tolist(),
    }
    for name, values in holdout_cols.items():
        columns[name] = values.tolist()
    seg_cols = {b: [labels[g][i] if labels else "" for g in group.tolist()] for i, b in enumerate(by)}
    names = ["customer_id", *by, *CUSTOMER_FIELDS[1:], *holdout_cols]
    merged = {**columns, **seg_cols}
    records = [dict(zip(names, row, strict=True)) for row in zip(*(merged[n] for n in names), strict=True)]
    totals = _totals(clv, alive_d[back], expected_d[back], x, group, labels, by)
    summary = {
        "as_of": data.as_of.isoformat(),
        "calibration_end": day_date(cal_end).isoformat(),
        "time_unit": "week",
        "horizon_months": options.horizon_months,
        "discount_rate": options.discount_rate,
        "gross_margin": options.gross_margin,
        "customers": len(x),
        "repeat_buyers": int(np.sum(x > 0)),
        "value_frequency_correlation": corr,
    }
    result = ModelResult(
        "bgnbd",
        {"bgnbd": fit, "gamma_gamma": gg},
        records,
        names,
        totals,
        [*(by or ["segment"]), *TOTAL_FIELDS],
        hold,
        summary,
        warnings,
    )
    result.value_of = dict(zip(s["customer"].tolist(), clv.tolist(), strict=True))
    return result


def calibration_end_day(options: ModelOptions, as_of: int) -> int:
    if options.holdout_start is not None:
        hs = day_number(options.holdout_start)
        if options.calibration_end is not None and day_number(options.calibration_end) != hs - 1:
            raise UsageError(
                "--calibration-end and --holdout-start disagree",
                "give one of them: the holdout starts the day after the calibration ends",
            )
        if hs > as_of:
            raise UsageError(
                f"--holdout-start {options.holdout_start} is after the as-of day {day_date(as_of)}",
                "the holdout must end by --as-of: start it earlier",
            )
        return hs - 1
    if options.calibration_end is not None:
        end = day_number(options.calibration_end)
        if end > as_of:
            raise UsageError(
                f"--calibration-end {options.calibration_end} is after the as-of day {day_date(as_of)}",
                "the calibration cannot end in the future of --as-of",
            )
        return end
    return as_of


def _last_spell(customer: np.ndarray, c: np.ndarray, spell: np.ndarray) -> np.ndarray:
    """The spell of each customer's latest purchase (input sorted by customer, then day)."""
    ends = np.r_[np.flatnonzero(c[1:] != c[:-1]), len(c) - 1] if len(c) else np.zeros(0, dtype=np.int64)
    return spell[ends]


TOTAL_FIELDS = [
    "customers",
    "repeat_buyers",
    "p_alive_mean",
    "expected_purchases",
    "clv_total",
    "clv_mean",
    "clv_p10",
    "clv_p50",
    "clv_p90",
]


def _totals(
    clv: np.ndarray,
    alive: np.ndarray,
    expected: np.ndarray,
    x: np.ndarray,
    group: np.ndarray,
    labels: list[tuple[str, ...]],
    by: list[str],
) -> list[dict[str, Any]]:
    def row(mask: np.ndarray, name: str, segs: tuple[str, ...]) -> dict[str, Any]:
        v = clv[mask]
        rec: dict[str, Any] = dict(zip(by, segs, strict=True)) if by else {"segment": name}
        rec.update(
            customers=int(mask.sum()),
            repeat_buyers=int(np.sum(x[mask] > 0)),
            p_alive_mean=float(alive[mask].mean()),
            expected_purchases=float(expected[mask].sum()),
            clv_total=float(v.sum()),
            clv_mean=float(v.mean()),
        )
        p10, p50, p90 = np.percentile(v, [10, 50, 90])
        rec.update(clv_p10=float(p10), clv_p50=float(p50), clv_p90=float(p90))
        return rec

    out = [row(np.ones(len(clv), dtype=bool), "all", ("(all)",) * len(by))]
    if by:
        for g in np.unique(group).tolist():
            out.append(row(group == g, " / ".join(labels[g]), labels[g]))
    return out


def _holdout(
    fit: Fit,
    s: dict[str, np.ndarray],
    c: np.ndarray,
    d: np.ndarray,
    buy: np.ndarray,
    cal_end: int,
    as_of: int,
    x: np.ndarray,
    t_x: np.ndarray,
    T: np.ndarray,
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Predicted against actual purchase days in (calibration end, as-of], per customer and in total,
    with the mean absolute error and a calibration table by calibration frequency (0..6, 7+)."""
    weeks = (as_of - cal_end) / WEEK
    predicted = expected_purchases(fit, weeks, x, t_x, T)
    later = buy & (d > cal_end) & (d <= as_of)
    known = np.isin(c[later], s["customer"])
    actual_all = np.zeros(len(s["customer"]), dtype=np.int64)
    pos = np.searchsorted(s["customer"], c[later][known])
    np.add.at(actual_all, pos, 1)
    actual = actual_all.astype(float)
    table = []
    bucket = np.minimum(x, 7).astype(int)
    for b in range(8):
        m = bucket == b
        if not m.any():
            continue
        table.append(
            {
                "frequency": f"{b}+" if b == 7 else str(b),
                "customers": int(m.sum()),
                "actual_mean": float(actual[m].mean()),
                "predicted_mean": float(predicted[m].mean()),
            }
        )
    newcomers = len(np.setdiff1d(np.unique(c[later]), s["customer"]))
    out = {
        "start": day_date(cal_end + 1).isoformat(),
        "end": day_date(as_of).isoformat(),
        "weeks": weeks,
        "customers": len(actual),
        "actual": float(actual.sum()),
        "predicted": float(predicted.sum()),
        "mean_absolute_error": float(np.mean(np.abs(predicted - actual))),
        "new_customers_left_out": newcomers,
        "by_frequency": table,
    }
    return out, {"holdout_actual": actual_all, "holdout_predicted": predicted}
