"""The CX programme's ROI: benefit lines measured from the data (baseline window vs current window) or set
as assumptions in the config, then ROI, NPV and payback (``cxroi.metrics.roi``), an uncertainty range
and what-if values.

Measured inputs (each line prints the ones it used):

* churn per year in a window: customers there at its start who ended within it / customers at its
  start (annualised when the window is not a year), with its binomial standard error;
* support cost and revenue per customer-year in a window: sums over the customers active in it / their
  years active in it (a ratio estimator, with its standard error);
* customers: those at the start of the current window;
* value per customer: CLV (default) or annual margin, over the current window (``crm.clv``);
* promoters: distinct customers whose (chosen) answer in the current window is a promoter.

Uncertainty: a seeded Monte Carlo (``roi.draws``, ``roi.seed``) draws every measured input from a normal
distribution around its estimate with its standard error, recomputes the lines and ROI, and reports the
2.5th and 97.5th percentiles. Assumptions from the config are held fixed, as is the value per customer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np

from cxroi.config import ClvConfig, RoiConfig, Window
from cxroi.errors import ConfigError, DataError
from cxroi.metrics.churn import churn_counts
from cxroi.metrics.clv import clv_discounted, margin_per_year
from cxroi.metrics.periods import year_before
from cxroi.metrics.roi import (
    annuity,
    cost_to_serve_benefit,
    expansion_benefit,
    referral_benefit,
    retention_benefit,
    roi,
)
from cxroi.pipeline.crm import DAYS_PER_YEAR, CrmData, clv_inputs, day_number
from cxroi.pipeline.link import LinkResult, per_customer_years

BASELINE, CURRENT = 0, 1


def resolve_windows(
    cfg: RoiConfig, as_of: date | None, assumptions_only: bool = False
) -> tuple[RoiConfig, list[str]]:
    """The ROI's windows as of ``as_of``: ``current`` defaults to the 12 months ending then and
    ``baseline`` to the 12 months before; a configured window that runs past ``as_of`` is cut there (with a
    note) and one that starts after it is an error."""
    if as_of is None or assumptions_only:
        return cfg, []
    notes: list[str] = []
    current = cfg.current
    if current is None:
        current = Window.model_validate({"from": year_before(as_of) + timedelta(days=1), "to": as_of})
    baseline = cfg.baseline
    if baseline is None:
        baseline = Window.model_validate(
            {"from": year_before(current.from_), "to": current.from_ - timedelta(days=1)}
        )
    out: dict[str, Window] = {}
    for name, w in (("baseline", baseline), ("current", current)):
        if w.from_ > as_of:
            raise ConfigError(
                f"roi.{name} starts on {w.from_}, after the as-of date {as_of}: nothing in it has happened yet",
                f"move roi.{name}, or run with a later --as-of",
            )
        if w.to > as_of:
            notes.append(
                f"roi.{name} ends on {w.to}, after the as-of date {as_of}: measured over {w.from_}..{as_of} "
                "(rates per year)"
            )
            w = Window.model_validate({"from": w.from_, "to": as_of})
        out[name] = w
    return cfg.model_copy(update=out), notes


def window_days(w: Window) -> tuple[int, int]:
    """[first day, day after the last) of a config window."""
    return day_number(w.from_), day_number(w.to + timedelta(days=1))


@dataclass(frozen=True)
class Measure:
    """A line input: its value, standard error (0 for assumptions) and where it came from."""

    value: float
    se: float = 0.0
    source: str = "assumption"
    n: int | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"value": self.value, "source": self.source}
        if self.se:
            out["se"] = self.se
        if self.n is not None:
            out["n"] = self.n
        return out


@dataclass
class RoiOutcome:
    lines: list[dict[str, Any]]
    summary: dict[str, Any]
    what_if: list[dict[str, Any]]
    explain: list[dict[str, Any]] = field(default_factory=list)


class _Inputs:
    """Measures inputs from the CRM data over the baseline and current windows (lazily, once each)."""

    def __init__(self, cfg: RoiConfig, clv_cfg: ClvConfig, data: CrmData | None) -> None:
        self.cfg = cfg
        self.clv_cfg = clv_cfg
        self.data = data
        self.windows: dict[int, tuple[int, int]] = {}
        if cfg.baseline is not None:
            self.windows[BASELINE] = window_days(cfg.baseline)
        if cfg.current is not None:
            self.windows[CURRENT] = window_days(cfg.current)

    def _need(self, key: str, which: int) -> tuple[CrmData, int, int]:
        if self.data is None:
            raise ConfigError(
                f"{key}: not set, and there is no customer data to measure it from",
                "set it in the config, or give inputs.customers (and roi.baseline/roi.current windows)",
            )
        if which not in self.windows:
            name = "baseline" if which == BASELINE else "current"
            raise ConfigError(
                f"{key}: not set, and roi.{name} (from/to) is missing to measure it",
                f"add roi.{name}: {{from: YYYY-MM-DD, to: YYYY-MM-DD}}",
            )
        ws, we = self.windows[which]
        return self.data, ws, we

    def churn(self, key: str, which: int) -> Measure:
        data, ws, we = self._need(key, which)
        c = data.customers
        counts = churn_counts(c.start, c.end, ws, we, np.zeros(len(c.start), dtype=np.int64), 1)
        n, k = int(counts.customers_start[0]), int(counts.churned[0])
        if n == 0:
            raise DataError(f"{key}: no customers at the start of the window to measure churn")
        p = k / n
        exponent = DAYS_PER_YEAR / (we - ws)
        annual = 1.0 - (1.0 - p) ** exponent
        se_p = math.sqrt(p * (1.0 - p) / n)
        se = exponent * (1.0 - p) ** (exponent - 1.0) * se_p if p < 1 else se_p
        return Measure(annual, se, f"measured: {k} of {n} customers churned in {_label(ws, we)}", n)

    def customers(self, key: str) -> Measure:
        data, ws, we = self._need(key, CURRENT)
        c = data.customers
        n = int(((c.start < ws) & (c.end >= ws)).sum())
        return Measure(float(n), 0.0, f"measured: customers at the start of {_label(ws, we)}")

    def per_customer_year(self, key: str, which: int, kind: str) -> Measure:
        data, ws, we = self._need(key, which)
        daily = data.transactions if kind == "revenue" else data.tickets
        if daily is None or daily.per_customer is None:
            raise ConfigError(
                f"{key}: not set, and there is no {'transactions' if kind == 'revenue' else 'tickets'} input "
                "to measure it",
                f"set it, or give inputs.{'transactions' if kind == 'revenue' else 'tickets'}",
            )
        money = daily.per_customer.money(which)
        years = per_customer_years(data, ws, we)
        active = years > 0
        x, y = money[active], years[active]
        n = int(active.sum())
        if n == 0 or y.sum() == 0:
            raise DataError(f"{key}: no active customers in {_label(ws, we)}")
        ratio = float(x.sum() / y.sum())
        se = float(np.std(x - ratio * y, ddof=1) / (math.sqrt(n) * y.mean())) if n > 1 else 0.0
        what = "revenue" if kind == "revenue" else "support cost"
        return Measure(
            ratio, se, f"measured: {what} per customer-year over {n} customers in {_label(ws, we)}", n
        )

    def value_per_customer(self, key: str) -> Measure:
        data, ws, we = self._need(key, CURRENT)
        inputs = clv_inputs(data, ws, we, (we - ws) / DAYS_PER_YEAR, overall=True)
        cfg = self.clv_cfg
        revenue = cfg.annual_revenue if cfg.annual_revenue is not None else float(inputs.annual_revenue[0])
        cost = (
            cfg.annual_cost_to_serve
            if cfg.annual_cost_to_serve is not None
            else float(inputs.annual_cost_to_serve[0])
        )
        margin = (
            cfg.annual_margin
            if cfg.annual_margin is not None
            else margin_per_year(revenue, cfg.gross_margin, cost)
        )
        if math.isnan(margin):
            raise ConfigError(
                f"{key}: not set, and there is no revenue data (transactions or MRR) to measure it"
            )
        if self.cfg.value_per_customer == "annual_margin":
            return Measure(margin, 0.0, f"measured: annual margin per customer in {_label(ws, we)}")
        retention = cfg.retention if cfg.retention is not None else 1.0 - float(inputs.annual_churn[0])
        value = clv_discounted(margin, retention, cfg.discount_rate, cfg.horizon)
        return Measure(
            value, 0.0, f"measured: CLV (m = {margin:.2f}, r = {retention:.4f}) in {_label(ws, we)}"
        )


def _label(ws: int, we: int) -> str:
    first = date(1970, 1, 1) + timedelta(days=ws)
    last = date(1970, 1, 1) + timedelta(days=we - 1)
    return f"{first.isoformat()}..{last.isoformat()}"


def _pick(configured: float | None, measure: Any, *args: Any) -> Measure:
    return Measure(configured) if configured is not None else measure(*args)  # type: ignore[no-any-return]


def compute_roi(
    cfg: RoiConfig,
    clv_cfg: ClvConfig,
    data: CrmData | None,
    link: LinkResult | None = None,
    promoters_measured: tuple[int, str] | None = None,
) -> RoiOutcome:
    """Every enabled benefit line, the ROI summary with its range, and the what-if values."""
    inputs = _Inputs(cfg, clv_cfg, data)
    b = cfg.benefits
    lines: list[dict[str, Any]] = []
    # name -> (function of measures, measures, formula)
    models: list[tuple[str, Any, dict[str, Measure], str]] = []
    value: Measure | None = None
    if b.retention.enabled:
        k = "roi.benefits.retention"
        value = _pick(b.retention.value_per_customer, inputs.value_per_customer, f"{k}.value_per_customer")
        m = {
            "baseline_churn": _pick(
                b.retention.baseline_churn, inputs.churn, f"{k}.baseline_churn", BASELINE
            ),
            "current_churn": _pick(b.retention.current_churn, inputs.churn, f"{k}.current_churn", CURRENT),
            "customers": _pick(b.retention.customers, inputs.customers, f"{k}.customers"),
            "value_per_customer": value,
        }
        models.append(
            (
                "retention",
                retention_benefit,
                m,
                "(baseline_churn - current_churn) x customers x value_per_customer",
            )
        )
    if b.cost_to_serve.enabled:
        k = "roi.benefits.cost_to_serve"
        m = {
            "baseline": _pick(
                b.cost_to_serve.baseline, inputs.per_customer_year, f"{k}.baseline", BASELINE, "cost"
            ),
            "current": _pick(
                b.cost_to_serve.current, inputs.per_customer_year, f"{k}.current", CURRENT, "cost"
            ),
            "customers": _pick(b.cost_to_serve.customers, inputs.customers, f"{k}.customers"),
        }
        models.append(("cost_to_serve", cost_to_serve_benefit, m, "(baseline - current) x customers"))
    if b.expansion.enabled:
        k = "roi.benefits.expansion"
        margin = b.expansion.gross_margin if b.expansion.gross_margin is not None else clv_cfg.gross_margin
        m = {
            "baseline_revenue": _pick(
                b.expansion.baseline_revenue,
                inputs.per_customer_year,
                f"{k}.baseline_revenue",
                BASELINE,
                "revenue",
            ),
            "current_revenue": _pick(
                b.expansion.current_revenue,
                inputs.per_customer_year,
                f"{k}.current_revenue",
                CURRENT,
                "revenue",
            ),
            "customers": _pick(b.expansion.customers, inputs.customers, f"{k}.customers"),
            "gross_margin": Measure(margin),
        }
        models.append(
            (
                "expansion",
                expansion_benefit,
                m,
                "(current_revenue - baseline_revenue) x customers x gross_margin",
            )
        )
    if b.referrals.enabled:
        k = "roi.benefits.referrals"
        if b.referrals.promoters is not None:
            promoters = Measure(b.referrals.promoters)
        elif promoters_measured is not None:
            promoters = Measure(float(promoters_measured[0]), 0.0, promoters_measured[1])
        else:
            raise ConfigError(
                f"{k}.promoters: not set, and no survey answers linked to customers to count them",
                "set it, or configure scores, link.survey_key and roi.current",
            )
        m = {
            "promoters": promoters,
            "referral_rate": Measure(b.referrals.referral_rate),
            "acquisition_cost": Measure(b.referrals.acquisition_cost),
        }
        models.append(("referrals", referral_benefit, m, "promoters x referral_rate x acquisition_cost"))
    if not models:
        raise ConfigError("roi.benefits: every benefit line is disabled", "enable at least one line")

    total = 0.0
    for name, fn, m, formula in models:
        gross = fn(*(x.value for x in m.values()))
        total += gross
        lines.append(
            {
                "line": name,
                "annual_benefit": gross,
                "attributed": gross * cfg.attribution,
                "formula": formula,
                "inputs": {k: v.as_dict() for k, v in m.items()},
            }
        )
    annual = total * cfg.attribution
    try:
        result = roi(annual, cfg.cost.one_off, cfg.cost.recurring, cfg.horizon_years, cfg.discount_rate)
    except ValueError as exc:
        raise ConfigError(f"roi.cost: {exc}", "set roi.cost.one_off and/or roi.cost.recurring") from exc
    summary: dict[str, Any] = {
        "annual_benefit_gross": total,
        "attribution": cfg.attribution,
        "annual_benefit": annual,
        "one_off_cost": cfg.cost.one_off,
        "recurring_cost": cfg.cost.recurring,
        "horizon_years": cfg.horizon_years,
        "discount_rate": cfg.discount_rate,
        "total_benefit": result.total_benefit,
        "total_cost": result.total_cost,
        "net_benefit": result.net_benefit,
        "roi": result.roi,
        "roi_discounted": result.roi_discounted,
        "benefit_pv": result.benefit_pv,
        "cost_pv": result.cost_pv,
        "npv": result.npv,
        "payback_months": result.payback_months,
        "payback_within_horizon": result.payback_months is not None
        and result.payback_months <= 12 * cfg.horizon_years,
    }
    summary.update(_uncertainty(cfg, models))
    what_if = _what_if(cfg, clv_cfg, link, value, models, b)
    return RoiOutcome(lines, summary, what_if)


def _uncertainty(cfg: RoiConfig, models: list[tuple[str, Any, dict[str, Measure], str]]) -> dict[str, Any]:
    uncertain = [x for _n, _f, m, _ in models for x in m.values() if x.se > 0]
    if cfg.uncertainty == "none" or not uncertain:
        return {
            "roi_low": None,
            "roi_high": None,
            "npv_low": None,
            "npv_high": None,
            "range_method": "none: every input is an assumption" if not uncertain else "none",
        }
    rng = np.random.default_rng(cfg.seed)
    total = np.zeros(cfg.draws)
    for _name, fn, m, _formula in models:
        draws = []
        for key, x in m.items():
            if x.se > 0:
                d = rng.normal(x.value, x.se, cfg.draws)
                if "churn" in key:
                    d = np.clip(d, 0.0, 1.0)
                draws.append(d)
            else:
                draws.append(np.full(cfg.draws, x.value))
        total += fn(*draws)
    annual = total * cfg.attribution
    total_cost = cfg.cost.one_off + cfg.cost.recurring * cfg.horizon_years
    rois = (annual * cfg.horizon_years - total_cost) / total_cost * 100.0
    npvs = (annual - cfg.cost.recurring) * annuity(cfg.horizon_years, cfg.discount_rate) - cfg.cost.one_off
    return {
        "roi_low": float(np.percentile(rois, 2.5)),
        "roi_high": float(np.percentile(rois, 97.5)),
        "npv_low": float(np.percentile(npvs, 2.5)),
        "npv_high": float(np.percentile(npvs, 97.5)),
        "range_method": f"Monte Carlo, {cfg.draws} draws, seed {cfg.seed}: measured inputs drawn from "
        "normal distributions with their standard errors; assumptions held fixed; 95% range",
    }


def _what_if(
    cfg: RoiConfig,
    clv_cfg: ClvConfig,
    link: LinkResult | None,
    value: Measure | None,
    models: list[tuple[str, Any, dict[str, Measure], str]],
    b: Any,
) -> list[dict[str, Any]]:
    """Value of moving detractors to passives or promoters, and of one NPS point (per year)."""
    if link is None or "nps" not in link.groups or value is None:
        return []
    groups = link.groups["nps"]
    d, pa_, pr = groups["detractors"], groups["passives"], groups["promoters"]
    if not (d["customers"] and pa_["customers"] and pr["customers"]):
        return []
    customers = next((m["customers"].value for _n, _f, m, _ in models if "customers" in m), None)
    if customers is None:
        return []
    window = link.summary["window_days"]
    margin = b.expansion.gross_margin if b.expansion.gross_margin is not None else clv_cfg.gross_margin

    def per_customer_gain(target: dict[str, float], referrals: bool) -> tuple[float, float, float]:
        churn_gain = _annual(d["churn"], window) - _annual(target["churn"], window)
        revenue_gain = (
            (target["revenue"] - d["revenue"]) * margin if not math.isnan(target["revenue"]) else 0.0
        )
        referral = b.referrals.referral_rate * b.referrals.acquisition_cost if referrals else 0.0
        return churn_gain * value.value + revenue_gain + referral, churn_gain, revenue_gain

    linked = d["customers"] + pa_["customers"] + pr["customers"]
    detractors = d["customers"] / linked * customers
    moved = cfg.what_if_shift * detractors
    out = []
    for target, name, refer in ((pa_, "passives", False), (pr, "promoters", True)):
        gain, churn_gain, revenue_gain = per_customer_gain(target, refer)
        out.append(
            {
                "scenario": f"move {cfg.what_if_shift:.0%} of detractors to {name}",
                "customers_moved": moved,
                "annual_value": moved * gain,
                "inputs": {
                    "detractor_share": d["customers"] / linked,
                    "customers": customers,
                    "churn_reduction": churn_gain,
                    "margin_gain_per_customer": revenue_gain,
                    "value_per_customer": value.value,
                    "referral_value_per_customer": gain - churn_gain * value.value - revenue_gain,
                },
            }
        )
    gain, churn_gain, revenue_gain = per_customer_gain(pa_, False)
    out.append(
        {
            "scenario": "one NPS point (1% of customers from detractor to passive)",
            "customers_moved": 0.01 * customers,
            "annual_value": 0.01 * customers * gain,
            "inputs": {
                "customers": customers,
                "churn_reduction": churn_gain,
                "margin_gain_per_customer": revenue_gain,
                "value_per_customer": value.value,
            },
        }
    )
    return out


def _annual(churn: float, window_days: int) -> float:
    """Churn over a window of ``window_days`` as a yearly rate."""
    if math.isnan(churn):
        return math.nan
    return float(1.0 - (1.0 - churn) ** (DAYS_PER_YEAR / window_days))
