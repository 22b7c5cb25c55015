"""The ROI's inputs and benefit lines as functions of the per-customer sums (``roi_sample``), vectorised
over bootstrap draws: every array's first axis is the draw (one row for the point estimate).

Measured inputs (a window's rates are per year: a window of w days counts w / 365.25 years):

* churn_w = 1 - (1 - k/n)^(365.25 / w): k of the n customers at the window's start ended within it;
* customers N: at the start of the current window (a planned mix: active on the as-of date);
* revenue / support cost per customer-year: sums over the customers active in the window / their years;
* annual_margin m = revenue per customer-year x gross margin - support cost per customer-year (current);
* within-segment revenue change = sum_s y_s,c / y_c x (rev_s,c - rev_s,b), y = customer-years, rev per
  customer-year in segment s; the mix change (total change - within) is reported, not credited;
* promoter / group shares: the latest answer of each answering customer within the window;
* margin_g: revenue and cost per customer-year of the customers who answered in group g (all the data);
* retention_g(t): the Kaplan–Meier S_g(365 t) of the follow-ups, continued beyond the group's longest
  follow-up with its constant hazard: S_g(L) exp(-(events / exposure days) (365 t - L)).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from cxroi.config import ClvConfig, RoiConfig, mid
from cxroi.errors import ConfigError
from cxroi.metrics.roi import retention_stock, terminal_value
from cxroi.pipeline.link import GROUPS
from cxroi.pipeline.roi_sample import Sample, survival_from_cells
from cxroi.pipeline.sources import DAYS_PER_YEAR

Arr = np.ndarray


@dataclass
class Input:
    """One input of a line: its values per draw (D,) or (D, T), and where it comes from."""

    name: str
    source: str  # "measured: ..." or "assumption"
    measured: bool
    range: tuple[float, float] | None = None  # an assumption given as a range


@dataclass
class Line:
    name: str
    formula: str
    inputs: list[str]
    attributed: bool
    fn: Callable[[dict[str, Arr]], Arr]  # inputs -> (D, T) benefit before attribution


@dataclass
class Spec:
    """The lines of one method and how each input is obtained."""

    method: str
    lines: list[Line] = field(default_factory=list)
    inputs: dict[str, Input] = field(default_factory=dict)
    measures: dict[str, Callable[[dict[str, Arr], Arr | None], Arr]] = field(default_factory=dict)
    constants: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def _div(a: Arr, b: Arr) -> Arr:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray(np.where(b > 0, a / np.where(b > 0, b, 1.0), np.nan))


def _window(sample: Sample | None, w: str) -> str:
    name = "baseline" if w == "b" else "current"
    label = sample.window_labels.get(w) if sample is not None else None
    return f"{name} window {label}" if label else f"{name} window"


def build_spec(method: str, cfg: RoiConfig, clv: ClvConfig, sample: Sample | None) -> Spec:
    """Lines and inputs of ``method``; raises ConfigError naming the first input it cannot obtain."""
    spec = Spec(method)
    b = cfg.benefits
    years = cfg.horizon_years
    gm = clv.gross_margin

    def need(feature: str, key: str, what: str) -> None:
        if sample is None or not sample.has(feature):
            raise ConfigError(
                f"{key}: not set, and there is no {what} to measure it from",
                "set it in the config, or give the inputs it is measured from (see README: ROI)",
            )

    def value(
        key: str,
        name: str,
        configured: Any,
        measure: Callable[[dict[str, Arr], Arr | None], Arr],
        feature: str,
        what: str,
        label: str,
    ) -> None:
        if name in spec.inputs:
            return
        if configured is not None:
            spec.inputs[name] = Input(
                name, "assumption", False, configured if isinstance(configured, tuple) else None
            )
            spec.constants[name] = mid(configured)
            return
        need(feature, f"{key}.{name.split('.')[-1]}", what)
        spec.inputs[name] = Input(name, f"measured: {label}", True)
        spec.measures[name] = measure

    def customers(key: str, configured: float | None, planned: bool = False) -> str:
        name = f"{key}.customers"
        feature = "active_as_of" if planned else "at_start_c"
        label = (
            "customers active on the as-of date"
            if planned
            else f"customers at the start of the {_window(sample, 'c')}"
        )
        value(
            "roi.benefits" + key[len("roi.benefits") :],
            name,
            configured,
            lambda s, c: s[feature],
            feature,
            "customer data with roi.current",
            label,
        )
        return name

    def churn(key: str, configured: float | None, w: str) -> str:
        name = f"{key}.{'baseline' if w == 'b' else 'current'}_churn"
        days = sample.window_days.get(w, 365) if sample else 365

        def f(s: dict[str, Arr], _c: Arr | None, w: str = w, days: int = days) -> Arr:
            p = _div(s[f"churned_{w}"], s[f"at_start_{w}"])
            return np.asarray(1.0 - (1.0 - p) ** (DAYS_PER_YEAR / days))

        value(
            key,
            name,
            configured,
            f,
            f"at_start_{w}",
            "customer data with roi.baseline/roi.current",
            f"churned / customers at the start of the {_window(sample, w)}, per year",
        )
        return name

    def per_year(key: str, name: str, configured: float | None, kind: str, w: str) -> str:
        full = f"{key}.{name}"
        if kind == "cost" and sample is not None and not sample.has_cost and configured is None:
            raise ConfigError(
                f"{full}: not set, and there is no tickets input to measure it",
                "set it, or give inputs.tickets",
            )
        if kind == "revenue" and sample is not None and not sample.has_revenue and configured is None:
            raise ConfigError(
                f"{full}: not set, and there is no revenue data (transactions or MRR) to measure it",
                "set it, or give inputs.transactions",
            )
        value(
            key,
            full,
            configured,
            lambda s, c: _div(s[f"{kind}_{w}"], s[f"years_{w}"]),
            f"{kind}_{w}",
            "customer data with roi.baseline/roi.current",
            f"{kind} per customer-year, {_window(sample, w)}",
        )
        return full

    if method == "pre-post" and b.retention.enabled:
        k = "roi.benefits.retention"
        names = [
            churn(k, b.retention.baseline_churn, "b"),
            churn(k, b.retention.current_churn, "c"),
            customers(k, b.retention.customers),
        ]
        margin = f"{k}.annual_margin"
        if b.retention.annual_margin is None:
            per_year(k, "revenue", None, "revenue", "c")
            if sample is not None and sample.has_cost:
                per_year(k, "cost", None, "cost", "c")
        value(
            k,
            margin,
            b.retention.annual_margin,
            lambda s, c: (
                _div(s["revenue_c"], s["years_c"]) * gm
                - (_div(s["cost_c"], s["years_c"]) if "cost_c" in s else 0.0)
            ),
            "revenue_c",
            "revenue data",
            f"revenue per customer-year x {gm:g} - support cost per customer-year, {_window(sample, 'c')}",
        )
        spec.inputs.pop(f"{k}.revenue", None)
        spec.inputs.pop(f"{k}.cost", None)
        names.append(margin)

        def retention(v: dict[str, Arr], n: list[str] = names) -> Arr:
            base, cur, cust, m = (v[x] for x in n)
            return np.asarray(m[:, None] * retention_stock(base - cur, cust, 1.0 - cur, years))

        spec.lines.append(
            Line(
                "retention",
                "m x S_t, S_t = S_(t-1) (1 - current_churn) + (baseline_churn - "
                "current_churn) x customers, S_0 = 0",
                names,
                True,
                retention,
            )
        )
    if method == "evidence" and b.cx_mix.enabled:
        _cx_mix(spec, cfg, gm, sample, value, customers)
    if b.cost_to_serve.enabled:
        k = "roi.benefits.cost_to_serve"
        names = [
            per_year(k, "baseline", b.cost_to_serve.baseline, "cost", "b"),
            per_year(k, "current", b.cost_to_serve.current, "cost", "c"),
            customers(k, b.cost_to_serve.customers),
        ]

        def cts(v: dict[str, Arr], n: list[str] = names) -> Arr:
            return np.repeat(((v[n[0]] - v[n[1]]) * v[n[2]])[:, None], years, axis=1)

        spec.lines.append(
            Line(
                "cost_to_serve",
                "(baseline - current support cost per customer-year) x customers",
                names,
                True,
                cts,
            )
        )
    if method == "pre-post" and b.expansion.enabled:
        _expansion(spec, cfg, gm, sample, value, customers, per_year)
    if b.referrals.enabled:
        _referrals(spec, cfg, sample, value, customers)
    if not spec.lines:
        raise ConfigError(
            "roi.benefits: every benefit line of this method is disabled", "enable at least one line"
        )
    return spec


def _expansion(
    spec: Spec, cfg: RoiConfig, gm: float, sample: Sample | None, value: Any, customers: Any, per_year: Any
) -> None:
    k = "roi.benefits.expansion"
    e = cfg.benefits.expansion
    margin = e.gross_margin if e.gross_margin is not None else gm
    spec.inputs[f"{k}.gross_margin"] = Input(f"{k}.gross_margin", "assumption", False)
    spec.constants[f"{k}.gross_margin"] = margin
    if e.baseline_revenue is not None or e.current_revenue is not None:
        b_name = per_year(k, "baseline_revenue", e.baseline_revenue, "revenue", "b")
        c_name = per_year(k, "current_revenue", e.current_revenue, "revenue", "c")
        within = None  # the change is current_revenue - baseline_revenue, with no segment split
    else:
        b_name = c_name = ""
        within = f"{k}.within_segment_change"
        segments = len(sample.segments) if sample else 1

        def within_change(s: dict[str, Arr], _c: Arr | None, n: int = segments) -> Arr:
            total = np.zeros_like(s["years_c"])
            weight = np.zeros_like(s["years_c"])
            for i in range(n):
                yb, yc = s[f"years_b@{i}"], s[f"years_c@{i}"]
                ok = (yb > 0) & (yc > 0)
                delta = _div(s[f"revenue_c@{i}"], yc) - _div(s[f"revenue_b@{i}"], yb)
                total += np.where(ok, yc * np.nan_to_num(delta), 0.0)
                weight += np.where(ok, yc, 0.0)
            return _div(total, weight)

        if sample is not None and not sample.has_revenue:
            raise ConfigError(
                f"{k}: there is no revenue data (transactions or MRR) to measure it",
                "set baseline_revenue and current_revenue, or give inputs.transactions",
            )
        label = "change in revenue per customer-year within " + (
            f"{segments} segments ({sample.segment_source if sample else 'crm.by'}), weighted by current customer-years"
            if segments > 1
            else "all customers (no crm.by)"
        )
        value(
            k, within, None, within_change, "revenue_b", "customer data with roi.baseline/roi.current", label
        )
        mix = f"{k}.mix_change"
        spec.notes.append(mix)
        spec.measures[mix] = lambda s, c: (
            _div(s["revenue_c"], s["years_c"]) - _div(s["revenue_b"], s["years_b"]) - within_change(s, c)
        )
        spec.inputs[mix] = Input(mix, "measured: change from the segment mix (reported, not credited)", True)
    cust = customers(k, e.customers)
    names = [within or "", cust, f"{k}.gross_margin", b_name, c_name]
    years = cfg.horizon_years

    def expansion(v: dict[str, Arr], n: list[str] = names) -> Arr:
        change = v[n[0]] if n[0] else v[n[4]] - v[n[3]]
        return np.repeat((change * v[n[1]] * v[n[2]])[:, None], years, axis=1)

    used = [x for x in names if x]
    spec.lines.append(
        Line(
            "expansion",
            "within-segment change in revenue per customer-year x customers x gross_margin",
            used,
            True,
            expansion,
        )
    )


def _referrals(spec: Spec, cfg: RoiConfig, sample: Sample | None, value: Any, customers: Any) -> None:
    k = "roi.benefits.referrals"
    r = cfg.benefits.referrals
    names = []
    for w, configured in (("b", r.baseline_promoter_share), ("c", r.current_promoter_share)):
        name = f"{k}.{'baseline' if w == 'b' else 'current'}_promoter_share"
        value(
            k,
            name,
            configured,
            lambda s, c, w=w: _div(s[f"nps:promoters_{w}"], s[f"answered_nps_{w}"]),
            f"nps:promoters_{w}",
            "NPS answers linked to customers in roi.baseline/roi.current",
            f"promoters / answering customers, {_window(sample, w)}",
        )
        names.append(name)
    names.append(customers(k, r.customers))
    for key, assumed in (("referral_rate", r.referral_rate), ("acquisition_cost", r.acquisition_cost)):
        name = f"{k}.{key}"
        spec.inputs[name] = Input(name, "assumption", False, assumed if isinstance(assumed, tuple) else None)
        spec.constants[name] = mid(assumed)
        names.append(name)
    years = cfg.horizon_years

    def referrals(v: dict[str, Arr], n: list[str] = names) -> Arr:
        return np.repeat(((v[n[1]] - v[n[0]]) * v[n[2]] * v[n[3]] * v[n[4]])[:, None], years, axis=1)

    spec.lines.append(
        Line(
            "referrals",
            "(current - baseline promoter share) x customers x referral_rate x acquisition_cost",
            names,
            spec.method == "pre-post",
            referrals,
        )
    )


def _cx_mix(spec: Spec, cfg: RoiConfig, gm: float, sample: Sample | None, value: Any, customers: Any) -> None:
    k = "roi.benefits.cx_mix"
    metric = cfg.metric
    groups = [g for g, _ in GROUPS[metric]]
    if sample is None or sample.cells is None:
        raise ConfigError(
            f"{k}: needs {metric.upper()} answers linked to customers (link.survey_key) to follow",
            "set link.survey_key and scores." + metric + ".column, or roi.method: pre-post",
        )
    planned = cfg.target_mix is not None
    names: list[str] = []
    if planned:
        assert cfg.target_mix is not None
        unknown = set(cfg.target_mix) - set(groups)
        if unknown:
            raise ConfigError(
                f"roi.target_mix: {', '.join(sorted(unknown))} is not a {metric.upper()} group",
                f"use {', '.join(groups)}",
            )
        for g in groups:
            name = f"{k}.shift:{g}"
            spec.inputs[name] = Input(name, "assumption (roi.target_mix)", False)
            spec.constants[name] = float(cfg.target_mix.get(g, 0.0))
            names.append(name)
    else:
        for g in groups:
            name = f"{k}.shift:{g}"

            def shift(s: dict[str, Arr], _c: Arr | None, g: str = g) -> Arr:
                cur = _div(s[f"{metric}:{g}_c"], s[f"answered_{metric}_c"])
                base = _div(s[f"{metric}:{g}_b"], s[f"answered_{metric}_b"])
                return np.asarray(cur - base)

            value(
                k,
                name,
                None,
                shift,
                f"{metric}:{g}_c",
                f"{metric.upper()} answers in roi.baseline/roi.current",
                f"share of answering customers in {g}, {_window(sample, 'c')} - {_window(sample, 'b')}",
            )
            names.append(name)
    margins, curves = [], []
    for g in groups:
        name = f"{k}.margin:{g}"

        def margin(s: dict[str, Arr], _c: Arr | None, g: str = g) -> Arr:
            revenue = _div(s[f"fu_revenue:{g}"], s[f"fu_years:{g}"])
            cost = _div(s[f"fu_cost:{g}"], s[f"fu_years:{g}"])
            return np.asarray(revenue * gm - cost, dtype=np.float64)

        if not sample.has_revenue:
            raise ConfigError(
                f"{k}: there is no revenue data (transactions or MRR) to value each group",
                "give inputs.transactions, or roi.method: pre-post",
            )
        value(
            k,
            name,
            None,
            margin,
            f"fu_revenue:{g}",
            "linked answers",
            f"annual margin per customer-year of customers answering as {g}",
        )
        margins.append(name)
        cname = f"{k}.retention:{g}"
        spec.inputs[cname] = Input(
            cname, f"measured: Kaplan–Meier retention of {g} at 365 t days (t = 1..T)", True
        )
        spec.measures[cname] = _retention(sample, groups.index(g), g, cfg.horizon_years)
        curves.append(cname)
    cust = customers(k, cfg.benefits.cx_mix.customers, planned)

    def cx_mix(v: dict[str, Arr], n: list[str] = names, m: list[str] = margins, s: list[str] = curves) -> Arr:
        total = 0.0
        for shift, margin, curve in zip(n, m, s, strict=True):
            total = total + (v[shift] * np.nan_to_num(v[margin]))[:, None] * v[curve]
        return np.asarray(v[cust][:, None] * total)

    spec.lines.append(
        Line(
            "cx_mix",
            "customers x sum_g (share_g,current - share_g,baseline) x margin_g x retention_g(365 t)",
            [*names, *margins, *curves, cust],
            False,
            cx_mix,
        )
    )


def _retention(
    sample: Sample, gi: int, group: str, years: int
) -> Callable[[dict[str, Arr], Arr | None], Arr]:
    days = np.array([365 * t for t in range(1, years + 1)])
    longest = sample.longest.get(group, 0.0)

    def f(s: dict[str, Arr], cells: Arr | None) -> Arr:
        assert cells is not None
        curve = survival_from_cells(cells, len(sample.cell_groups), sample.cell_days)[:, gi, :]
        inside = np.minimum(days, min(int(longest), sample.cell_days - 1))
        at = curve[:, inside]
        hazard = _div(s[f"fu_events:{group}"], s[f"fu_exposure:{group}"])
        beyond = np.maximum(days - longest, 0.0)
        return np.asarray(at * np.exp(-np.nan_to_num(hazard)[:, None] * beyond[None, :]))

    return f


def evaluate(
    spec: Spec, sums: dict[str, Arr], cells: Arr | None, draws: int, assumptions: dict[str, Arr] | None = None
) -> dict[str, Arr]:
    """Every input's values per draw: measured from the sums, assumptions as given (or drawn)."""
    values: dict[str, Arr] = {}
    for name, fn in spec.measures.items():
        values[name] = np.asarray(fn(sums, cells), dtype=np.float64)
    for name, v in spec.constants.items():
        values[name] = (
            np.full(draws, v) if assumptions is None or name not in assumptions else assumptions[name]
        )
    return values


def lines_of(spec: Spec, values: dict[str, Arr], attribution: Arr) -> dict[str, tuple[Arr, Arr]]:
    """Each line's benefit per draw and year, before and after attribution."""
    out = {}
    for line in spec.lines:
        gross = np.asarray(line.fn(values), dtype=np.float64)
        out[line.name] = (gross, gross * (attribution[:, None] if line.attributed else 1.0))
    return out


def terminal(spec: Spec, values: dict[str, Arr], attribution: Arr, cfg: RoiConfig) -> Arr | None:
    """The pre-post retention stock's value after the horizon (discounted to today), attributed."""
    line = next((ln for ln in spec.lines if ln.name == "retention"), None)
    if line is None:
        return None
    base, cur, cust, m = (values[x] for x in line.inputs)
    stock = retention_stock(base - cur, cust, 1.0 - cur, cfg.horizon_years)[:, -1]
    return np.asarray(terminal_value(stock, m, 1.0 - cur, cfg.discount_rate, cfg.horizon_years) * attribution)


def finite(x: float) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)
