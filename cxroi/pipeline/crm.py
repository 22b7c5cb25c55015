"""CRM economics: churn, retention, CLV, transaction and contract value, support cost and response time.

``load`` reads every CRM input as of one day (``pipeline.customers`` for the customers and their spells,
``pipeline.activity`` for transactions, contracts and tickets); the functions below compute every measure
from those arrays (see ``cxroi.metrics.churn`` and ``cxroi.metrics.clv``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from cxroi.config import ClvConfig
from cxroi.errors import DataError, UsageError
from cxroi.metrics.churn import (
    NO_END,
    ChurnCounts,
    PeriodChurn,
    active_days,
    annualize,
    churn_counts,
    churn_rate,
)
from cxroi.metrics.clv import clv_discounted, clv_simple, margin_per_year
from cxroi.metrics.periods import PERIODS_PER_YEAR, period_label, period_range, year_before
from cxroi.pipeline.activity import MONEY, MONEY_SCALE, Daily, load_contracts, load_tickets, load_transactions
from cxroi.pipeline.common import Note
from cxroi.pipeline.customers import Customers, load_customers, plural
from cxroi.pipeline.sources import (
    DAYS_PER_YEAR,
    CrmRequest,
    Source,
    build_crm_request,
    day_date,
    day_number,
)

__all__ = ["DAYS_PER_YEAR", "CrmRequest", "Daily", "Source", "build_crm_request", "day_date", "day_number"]


@dataclass
class CrmData:
    customers: Customers
    transactions: Daily | None
    contracts: Daily | None
    tickets: Daily | None
    as_of: date
    warnings: list[str]


def run_date() -> date:
    """The run's own date: the latest possible default "now" (tests pin it)."""
    return date.today()


def load(request: CrmRequest) -> CrmData:
    """Load every CRM input as of ``request.as_of`` (default: the latest date in the data that is not
    after the run's own date). Rows dated after it do not exist; ends after it are scheduled, not churn."""
    cut = day_number(request.as_of or run_date())
    customers = load_customers(request, cut)
    transactions = load_transactions(request, customers, cut)
    contracts = load_contracts(request, customers, cut)
    tickets = load_tickets(request, customers, cut)
    warnings = list(customers.warnings)
    for daily in (transactions, contracts, tickets):
        if daily is not None:
            warnings += daily.warnings
    problems = [w for w in warnings if not isinstance(w, Note)]
    if request.strict and problems:
        raise DataError(problems[0], "fix the data, or drop --strict to leave such rows out with a warning")
    if request.as_of is not None:
        as_of = request.as_of
    else:
        last = int(customers.start.max())
        ended = customers.end[customers.end != NO_END]
        if len(ended):
            last = max(last, int(ended.max()))
        for daily in (transactions, contracts, tickets):
            if daily is not None and len(daily.frame):
                last = max(last, int(daily.frame["day"].max()))
        if request.latest_elsewhere is not None:
            last = max(last, day_number(request.latest_elsewhere))
        as_of = day_date(min(last, cut))
    notes = list(customers.notes)
    for daily in (transactions, contracts, tickets):
        if daily is not None:
            notes += daily.notes
    inactive = request.customers_map.inactive_after_days
    if not customers.has_end and inactive and transactions is not None and transactions.last_day is not None:
        _churn_from_inactivity(customers, transactions.last_day, inactive, day_number(as_of), notes)
    return CrmData(customers, transactions, contracts, tickets, as_of, warnings + [Note(n) for n in notes])


def _churn_from_inactivity(
    customers: Customers, last_day: np.ndarray, days: int, as_of: int, notes: list[str]
) -> None:
    """Without end dates: a customer with no purchase for ``days`` days churned ``days`` after the last
    one (or after the start, when they never bought), if that is on or before the as-of day."""
    last = np.where(last_day >= 0, np.maximum(last_day, customers.start), customers.start)
    end = last + days
    churned = end <= as_of
    customers.end = np.where(churned, end, NO_END)
    customers.has_end = True
    notes.append(
        f"churn from inactivity: {plural(int(churned.sum()), 'customer')} without a purchase for {days} days "
        "count as churned that many days after their last purchase"
    )


def _segment_fields(by: Sequence[str], labels: tuple[str, ...]) -> dict[str, str]:
    return dict(zip(by, labels, strict=True))


def _sum_in(daily: Daily | None, column: str, ws: int, we: int, k: int) -> np.ndarray:
    """Per-group sum of ``column`` over days in [ws, we) (money back in currency units)."""
    if daily is None or daily.frame.empty:
        return np.zeros(k)
    f = daily.frame
    sel = f[(f["day"] >= ws) & (f["day"] < we)]
    total = np.bincount(
        sel["group"].to_numpy(dtype=np.int64), weights=sel[column].to_numpy(dtype=float), minlength=k
    )
    return total / MONEY_SCALE if column in MONEY else total


def _periods(data: CrmData, request: CrmRequest) -> list[tuple[int, int, int]]:
    first = request.from_ or day_date(int(data.customers.start.min()))
    last = request.to or data.as_of
    if last < first:
        raise UsageError(f"--to {last} is before --from {first}", "swap them")
    return period_range(day_number(first), day_number(last), request.period)


def _churn_of(c: Customers, periods: list[tuple[int, int, int]]) -> Callable[[int, int], ChurnCounts]:
    """``churn_counts`` of each period, segments as on its first day: from one ``PeriodChurn`` table when
    no customer changes segment (then the groups are the same on every day), else period by period."""
    if c.seg_rows is None and periods:
        days = np.array([d for _key, ps, pe in periods for d in (ps, pe)], dtype=np.int64)
        table = PeriodChurn(c.start, c.end, c.group_at(periods[0][1]), c.k, days)
        return table.counts
    return lambda ps, pe: churn_counts(c.start, c.end, ps, pe, c.group_at(ps), c.k)


def _pct(x: float) -> float:
    return x * 100.0 if not math.isnan(x) else math.nan


def _div(a: float, b: float) -> float:
    return a / b if b else math.nan


NO_CHURN_NOTE = "no end dates: churn not known"


def _churn_base(
    request: CrmRequest, key: int, labels: tuple[str, ...], counts: Any, g: int, known: bool = True
) -> tuple[dict[str, Any], float]:
    """Period, segment fields and the four customer counts of group ``g``, and its churn rate."""
    rec: dict[str, Any] = {"period": period_label(key, request.period)}
    rec.update(_segment_fields(request.by, labels))
    rec.update(
        customers_start=int(counts.customers_start[g]),
        churned=int(counts.churned[g]) if known else None,
        new=int(counts.new[g]),
        customers_end=int(counts.customers_end[g]),
    )
    return rec, churn_rate(int(counts.churned[g]), int(counts.customers_start[g])) if known else math.nan


def churn_records(data: CrmData, request: CrmRequest) -> list[dict[str, Any]]:
    """One record per (period, segment): customers at start, churned, new, at end, churn %, retention %,
    annualised churn % (see ``cxroi.metrics.churn`` for the exact definitions)."""
    c = data.customers
    per_year = PERIODS_PER_YEAR[request.period]
    as_of_day = day_number(data.as_of)
    records: list[dict[str, Any]] = []
    periods = _periods(data, request)
    churn_of = _churn_of(c, periods)
    for key, ps, pe in periods:
        counts = churn_of(ps, pe)
        for g, labels in enumerate(c.labels):
            rec, rate = _churn_base(request, key, labels, counts, g, c.has_end)
            note = "no customers at the start" if counts.customers_start[g] == 0 else None
            rec.update(
                value=_pct(rate),
                retention=_pct(1.0 - rate),
                annualized=_pct(annualize(rate, per_year)),
                partial=pe - 1 > as_of_day,
                note=note if c.has_end else NO_CHURN_NOTE,
            )
            records.append(rec)
    return records


CHURN_FIELDS = [
    "customers_start",
    "churned",
    "new",
    "customers_end",
    "value",
    "retention",
    "annualized",
    "partial",
    "note",
]


@dataclass(frozen=True)
class ClvInputs:
    """Per segment, the inputs a CLV is computed from (annual, per customer)."""

    customers: np.ndarray  # active at the end of the window
    customer_years: np.ndarray
    annual_revenue: np.ndarray
    annual_cost_to_serve: np.ndarray
    annual_churn: np.ndarray  # fraction


def clv_inputs(
    data: CrmData, ws: int, we: int, years: float, overall: bool = False, counts: ChurnCounts | None = None
) -> ClvInputs:
    """Derive CLV inputs over [ws, we) (``years`` long): revenue and support cost per customer-year,
    and the churn of the customers there at the start of the window; per segment, or for all
    customers together with ``overall``. ``counts``: the window's ``churn_counts`` per segment, when
    already known."""
    c = data.customers
    groups, k = (np.zeros(len(c.start), dtype=np.int64), 1) if overall else (c.group_at(ws), c.k)

    def total(daily: Daily | None, column: str) -> np.ndarray:
        sums = _sum_in(daily, column, ws, we, c.k)
        return np.array([sums.sum()]) if overall else sums

    exposure = active_days(c.start, c.end, ws, we, groups, k) / DAYS_PER_YEAR
    if counts is None or overall:
        counts = churn_counts(c.start, c.end, ws, we, groups, k)
    with np.errstate(divide="ignore", invalid="ignore"):
        churn = np.where(counts.customers_start > 0, counts.churned / counts.customers_start, np.nan)
        churn = 1.0 - (1.0 - churn) ** (1.0 / years)  # window churn -> per year
        if data.transactions is not None:
            revenue = total(data.transactions, "revenue") / exposure
        elif c.mrr is not None:
            active = (c.start < we) & (c.end >= we) & ~np.isnan(c.mrr)
            mrr_sum = np.bincount(groups[active], weights=c.mrr[active], minlength=k)
            revenue = 12.0 * mrr_sum / np.bincount(groups[active], minlength=k)
        else:
            revenue = np.full(k, np.nan)
        cost = total(data.tickets, "cost") / exposure
    return ClvInputs(counts.customers_end, exposure, revenue, np.nan_to_num(cost), churn)


def clv_fields(cfg: ClvConfig, revenue: float, cost: float, churn: float) -> dict[str, Any]:
    revenue = cfg.annual_revenue if cfg.annual_revenue is not None else revenue
    cost = cfg.annual_cost_to_serve if cfg.annual_cost_to_serve is not None else cost
    retention = cfg.retention if cfg.retention is not None else 1.0 - churn
    churn = 1.0 - retention
    margin = (
        cfg.annual_margin
        if cfg.annual_margin is not None
        else margin_per_year(revenue, cfg.gross_margin, cost)
    )
    return {
        "annual_revenue": revenue,
        "gross_margin": cfg.gross_margin,
        "annual_cost_to_serve": cost,
        "annual_margin": margin,
        "annual_churn": _pct(churn),
        "retention": _pct(retention),
        "discount_rate": cfg.discount_rate,
        "horizon_years": cfg.horizon,
        "lifespan_years": _div(1.0, churn) if churn > 0 else math.nan,
        "clv_simple": clv_simple(margin, churn),
        "clv": clv_discounted(margin, retention, cfg.discount_rate, cfg.horizon),
    }


def clv_records(
    data: CrmData,
    request: CrmRequest,
    cfg: ClvConfig,
    overall: bool = False,
    window: tuple[int, int] | None = None,
) -> list[dict[str, Any]]:
    """CLV per segment (or for all customers with ``overall``) from the 12 months ending ``as_of``, or
    from ``window`` ([first day, day after the last), annualised over its 365.25-day years); inputs
    overridable in ``cfg``."""
    ws, we = window or (day_number(year_before(data.as_of)) + 1, day_number(data.as_of) + 1)
    inputs = clv_inputs(data, ws, we, (we - ws) / DAYS_PER_YEAR, overall=overall)
    if not data.customers.has_end and cfg.retention is None:
        raise DataError(
            "CLV needs churn, and the customer file has no end (churn) dates",
            "set clv.retention (e.g. --retention 0.85), or crm.customers.inactive_after_days to count churn "
            "from inactivity",
        )
    if cfg.annual_margin is None and cfg.annual_revenue is None and np.isnan(inputs.annual_revenue).all():
        raise DataError(
            "CLV needs revenue: give a transactions file, an MRR column, or clv.annual_revenue/annual_margin",
            "e.g. --transactions invoices.csv, or --annual-margin 1200",
        )
    records: list[dict[str, Any]] = []
    for g, labels in enumerate([()] if overall else data.customers.labels):
        rec: dict[str, Any] = _segment_fields(() if overall else request.by, labels)
        rec.update(
            window_start=day_date(ws).isoformat(),
            window_end=day_date(we - 1).isoformat(),
            customers=int(inputs.customers[g]),
            customer_years=float(inputs.customer_years[g]),
        )
        rec.update(
            clv_fields(
                cfg,
                float(inputs.annual_revenue[g]),
                float(inputs.annual_cost_to_serve[g]),
                float(inputs.annual_churn[g]),
            )
        )
        records.append(rec)
    return records


CLV_FIELDS = [
    "window_start",
    "window_end",
    "customers",
    "customer_years",
    "annual_revenue",
    "gross_margin",
    "annual_cost_to_serve",
    "annual_margin",
    "annual_churn",
    "retention",
    "discount_rate",
    "horizon_years",
    "lifespan_years",
    "clv_simple",
    "clv",
]


def economics_records(data: CrmData, request: CrmRequest, cfg: ClvConfig) -> list[dict[str, Any]]:
    """The segment profile per (period, segment): churn, CLV, transaction and contract value, support
    cost and first response time. The segment with the highest churn in each period is flagged."""
    c = data.customers
    per_year = PERIODS_PER_YEAR[request.period]
    records: list[dict[str, Any]] = []
    tickets_rows = data.tickets.rows if data.tickets is not None else None
    periods = _periods(data, request)
    churn_of = _churn_of(c, periods)
    for key, ps, pe in periods:
        counts = churn_of(ps, pe)
        years = (pe - ps) / DAYS_PER_YEAR
        inputs = clv_inputs(data, ps, pe, years, counts=counts)
        revenue = _sum_in(data.transactions, "revenue", ps, pe, c.k)
        sales = _sum_in(data.transactions, "sales", ps, pe, c.k)
        signed = _sum_in(data.contracts, "value", ps, pe, c.k)
        tickets = _sum_in(data.tickets, "tickets", ps, pe, c.k)
        support = _sum_in(data.tickets, "cost", ps, pe, c.k)
        avg_customers = inputs.customer_years / years
        period_records = []
        for g, labels in enumerate(c.labels):
            rec, rate = _churn_base(request, key, labels, counts, g, c.has_end)
            rec.update(
                churn=_pct(rate),
                retention=_pct(1.0 - rate),
                annualized_churn=_pct(annualize(rate, per_year)),
            )
            if (c.has_end or cfg.retention is not None) and (
                data.transactions is not None or c.mrr is not None or cfg.annual_margin is not None
            ):
                fields = clv_fields(
                    cfg,
                    float(inputs.annual_revenue[g]),
                    float(inputs.annual_cost_to_serve[g]),
                    annualize(rate, per_year),
                )
                rec["clv"] = fields["clv"]
                rec["annual_margin"] = fields["annual_margin"]
            if data.transactions is not None:
                rec.update(
                    revenue=float(revenue[g]),
                    transactions=int(sales[g]),
                    avg_transaction=_div(float(revenue[g]), float(sales[g])),
                )
            if data.contracts is not None:
                rec.update(
                    contract_value=float(signed[g]),
                    avg_contract_value=_div(float(signed[g]), float(counts.new[g])),
                )
            if data.tickets is not None:
                frt = _frt(tickets_rows, ps, pe, g)
                rec.update(
                    tickets=int(tickets[g]),
                    support_cost=float(support[g]),
                    support_cost_per_customer=_div(float(support[g]), float(avg_customers[g])),
                    support_cost_per_ticket=_div(float(support[g]), float(tickets[g])),
                    frt_mean_hours=float(np.mean(frt)) if len(frt) else math.nan,
                    frt_median_hours=float(np.median(frt)) if len(frt) else math.nan,
                )
            period_records.append(rec)
        churns = [r["churn"] for r in period_records if not math.isnan(r["churn"])]
        top = max(churns) if churns and len(period_records) > 1 else None
        for rec in period_records:
            rec["highest_churn"] = top is not None and rec["churn"] == top
        records.extend(period_records)
    return records


def _frt(rows: pd.DataFrame | None, ps: int, pe: int, group: int) -> np.ndarray:
    if rows is None or rows.empty:
        return np.array([])
    chosen = rows[(rows["day"] >= ps) & (rows["day"] < pe) & (rows["group"] == group)]
    sel = np.asarray(chosen["hours"].to_numpy(), dtype=np.float64)
    out: np.ndarray = sel[~np.isnan(sel)]
    return out


ECONOMICS_FIELDS = [
    "customers_start",
    "churned",
    "new",
    "customers_end",
    "churn",
    "retention",
    "annualized_churn",
    "clv",
    "annual_margin",
    "revenue",
    "transactions",
    "avg_transaction",
    "contract_value",
    "avg_contract_value",
    "tickets",
    "support_cost",
    "support_cost_per_customer",
    "support_cost_per_ticket",
    "frt_mean_hours",
    "frt_median_hours",
    "highest_churn",
]


def fields_for(records: list[dict[str, Any]], lead: list[str], rest: list[str]) -> list[str]:
    present = {k for r in records for k in r}
    return [f for f in lead if f in present or not records] + [f for f in rest if f in present]
