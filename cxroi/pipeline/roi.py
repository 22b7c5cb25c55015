"""The CX programme's ROI: benefit lines measured from the data (or set as assumptions), year by year,
then ROI, NPV and payback (``cxroi.metrics.roi``), a customer bootstrap range, a tornado and what-ifs.

Two methods (``roi.method``; the other is always computed beside the headline as a cross-check):

* ``evidence`` (default when answers link to customers): the ``cx_mix`` line values the observed shift in
  the CX mix between ``roi.baseline`` and ``roi.current`` by what each group is worth (its margin and its
  Kaplan–Meier retention, ``cxroi survival``), with ``cost_to_serve`` (attributed) and ``referrals``;
  no attribution applies to the mix: only differences that go with the CX groups count;
* ``pre-post``: ``retention`` (a stock of saved customers earning the margin), ``cost_to_serve``,
  ``expansion`` (within segments) and ``referrals``, all scaled by ``roi.attribution``.

Uncertainty (``roi.uncertainty: bootstrap``): ``roi.draws`` Poisson-bootstrap draws over customers
(each customer's weight ~ Poisson(1), drawn from a 65,536-entry inverse-CDF table; Hanley & MacGibbon
2006, Chamandy et al. 2012): a customer's answers, CRM history and outcome move together, every
measured input and the ROI are recomputed, and assumptions given as ranges are drawn uniformly. The
80% and 95% ranges are percentiles of the draws; ``prob_roi_positive`` is the share of draws with a
discounted ROI above 0. Tornado: the discounted ROI with one input at each end of its 95% range
(bootstrap percentiles, or an assumption's range), the others at their estimates.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np

from cxroi.config import ClvConfig, RoiConfig, Window
from cxroi.errors import ConfigError, DataError
from cxroi.metrics.periods import year_before
from cxroi.metrics.roi import cash_flows
from cxroi.pipeline.crm import CrmData, day_number
from cxroi.pipeline.link import GROUPS, Answers
from cxroi.pipeline.roi_model import Spec, build_spec, evaluate, finite, lines_of, terminal
from cxroi.pipeline.roi_sample import Sample, build_sample
from cxroi.pipeline.scores import ScoresRequest
from cxroi.pipeline.survival import SurvivalResult

BASELINE, CURRENT = 0, 1
CHUNK = 32  # bootstrap draws per matrix product


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


@dataclass
class RoiOutcome:
    lines: list[dict[str, Any]]
    summary: dict[str, Any]
    what_if: list[dict[str, Any]]
    tornado: list[dict[str, Any]] = field(default_factory=list)
    explain: list[dict[str, Any]] = field(default_factory=list)


def _poisson_table() -> np.ndarray:
    from scipy.stats import poisson

    cdf = poisson.cdf(np.arange(40), 1.0)
    table: np.ndarray = np.searchsorted(cdf, (np.arange(65536) + 0.5) / 65536).astype(np.float64)
    return table


def _attribution(cfg: RoiConfig, draws: int, rng: np.random.Generator | None) -> np.ndarray:
    a = cfg.attribution
    if isinstance(a, tuple):
        return rng.uniform(a[0], a[1], draws) if rng is not None else np.full(draws, (a[0] + a[1]) / 2)
    return np.full(draws, float(a))


def _run(
    spec: Spec,
    cfg: RoiConfig,
    sums: dict[str, np.ndarray],
    cells: np.ndarray | None,
    draws: int,
    assumptions: dict[str, np.ndarray] | None,
    attribution: np.ndarray,
) -> tuple[dict[str, np.ndarray], Any, Any]:
    values = evaluate(spec, sums, cells, draws, assumptions)
    lines = lines_of(spec, values, attribution)
    benefits = sum((att for _g, att in lines.values()), np.zeros((draws, cfg.horizon_years)))
    try:
        flows = cash_flows(benefits, cfg.cost.one_off, cfg.cost.recurring, cfg.discount_rate, cfg.ramp_months)
    except ValueError as exc:
        raise ConfigError(f"roi.cost: {exc}", "set roi.cost.one_off and/or roi.cost.recurring") from exc
    return values, lines, flows


def default_method(cfg: RoiConfig, survival: SurvivalResult | None) -> str:
    if cfg.method is not None:
        return cfg.method
    return "evidence" if survival is not None and cfg.metric in survival.follow_ups else "pre-post"


def compute_roi(
    cfg: RoiConfig,
    clv_cfg: ClvConfig,
    data: CrmData | None,
    scores: ScoresRequest | None = None,
    answers: Answers | None = None,
    survival: SurvivalResult | None = None,
    plan: np.ndarray | None = None,
) -> RoiOutcome:
    """Every enabled benefit line by year, the ROI summary with its bootstrap range, tornado and what-ifs.
    ``plan``: per customer, the plan to measure expansion within when ``crm.by`` is empty."""
    follow = survival.follow_ups if survival else None
    sample = build_sample(cfg, data, scores, answers, follow, plan) if data else None
    method = default_method(cfg, survival)
    spec = build_spec(method, cfg, clv_cfg, sample)
    sums, cells = sample.sums() if sample is not None else ({}, None)
    attribution = _attribution(cfg, 1, None)
    values, lines, flows = _run(spec, cfg, sums, cells, 1, None, attribution)
    summary = _summary(cfg, method, flows, spec, values, attribution)
    summary.update(_bootstrap(spec, cfg, sample, values))
    other = "pre-post" if method == "evidence" else "evidence"
    summary["cross_check"] = _cross_check(other, cfg, clv_cfg, sample, sums, cells)
    se = summary.pop("_se", {})
    out = RoiOutcome(_line_records(spec, lines, values, se), summary, _what_if(cfg, values, sums))
    out.tornado = summary.pop("_tornado", [])
    return out


def _summary(
    cfg: RoiConfig,
    method: str,
    flows: Any,
    spec: Spec,
    values: dict[str, np.ndarray],
    attribution: np.ndarray,
) -> dict[str, Any]:
    term = terminal(spec, values, attribution, cfg)
    payback = finite(float(flows.payback_months[0]))
    return {
        "method": method,
        "metric": cfg.metric if method == "evidence" else None,
        "attribution": cfg.attribution if not isinstance(cfg.attribution, tuple) else list(cfg.attribution),
        "benefit_by_year": [float(x) for x in flows.benefits[0]],
        "one_off_cost": cfg.cost.one_off,
        "recurring_cost": cfg.cost.recurring,
        "horizon_years": cfg.horizon_years,
        "discount_rate": cfg.discount_rate,
        "ramp_months": cfg.ramp_months,
        "total_benefit": float(flows.total_benefit[0]),
        "total_cost": flows.total_cost,
        "net_benefit": float(flows.total_benefit[0] - flows.total_cost),
        "roi": float(flows.roi[0]),
        "roi_discounted": float(flows.roi_discounted[0]),
        "benefit_pv": float(flows.benefit_pv[0]),
        "cost_pv": flows.cost_pv,
        "npv": float(flows.npv[0]),
        "payback_months": payback,
        "payback_within_horizon": payback is not None,
        "terminal_value": finite(float(term[0])) if term is not None else None,
    }


def _draw_weights(rng: np.random.Generator, table: np.ndarray, draws: int, n: int) -> np.ndarray:
    words = rng.integers(
        0, np.iinfo(np.uint64).max, size=(draws * n + 3) // 4, dtype=np.uint64, endpoint=True
    )
    return table[words.view(np.uint16)[: draws * n]].reshape(draws, n)


def _bootstrap(
    spec: Spec, cfg: RoiConfig, sample: Sample | None, point: dict[str, np.ndarray]
) -> dict[str, Any]:
    ranged = {n: i.range for n, i in spec.inputs.items() if i.range is not None}
    measured = any(i.measured for i in spec.inputs.values())
    empty = {
        k: None
        for k in (
            "roi_low",
            "roi_high",
            "roi_discounted_low",
            "roi_discounted_high",
            "roi_discounted_low80",
            "roi_discounted_high80",
            "npv_low",
            "npv_high",
            "prob_roi_positive",
        )
    }
    if cfg.uncertainty == "none" or not (measured or ranged or isinstance(cfg.attribution, tuple)):
        return {
            **empty,
            "range_method": "none: every input is a fixed assumption"
            if cfg.uncertainty != "none"
            else "none",
        }
    rng = np.random.default_rng(cfg.seed)
    table = _poisson_table()
    rois, disc, npvs = [], [], []
    inputs: dict[str, list[np.ndarray]] = {n: [] for n in spec.inputs}
    done = 0
    while done < cfg.draws:
        d = min(CHUNK, cfg.draws - done)
        if sample is not None and measured:
            sums, cells = sample.sums(_draw_weights(rng, table, d, sample.size))
        else:
            sums, cells = {}, None
        drawn = {n: rng.uniform(lo, hi, d) for n, (lo, hi) in ranged.items()}
        attribution = _attribution(cfg, d, rng)
        values, _lines, flows = _run(spec, cfg, sums, cells, d, drawn, attribution)
        rois.append(flows.roi)
        disc.append(flows.roi_discounted)
        npvs.append(flows.npv)
        for n in spec.inputs:
            inputs[n].append(values.get(n, attribution))
        done += d
    roi_all, disc_all, npv_all = (np.concatenate(x) for x in (rois, disc, npvs))
    ok = np.isfinite(disc_all)

    def q(a: np.ndarray, p: float) -> float:
        return float(_percentile(a, p))

    out: dict[str, Any] = {
        "roi_low": q(roi_all, 2.5),
        "roi_high": q(roi_all, 97.5),
        "roi_discounted_low": q(disc_all, 2.5),
        "roi_discounted_high": q(disc_all, 97.5),
        "roi_discounted_low80": q(disc_all, 10),
        "roi_discounted_high80": q(disc_all, 90),
        "npv_low": q(npv_all, 2.5),
        "npv_high": q(npv_all, 97.5),
        "prob_roi_positive": float((disc_all[ok] > 0).mean()) if ok.any() else None,
        "range_method": f"Poisson bootstrap over customers, {cfg.draws} draws, seed {cfg.seed}"
        + ("; assumption ranges drawn uniformly" if ranged or isinstance(cfg.attribution, tuple) else ""),
    }
    spread = {n: np.concatenate(v, axis=0) for n, v in inputs.items() if v}
    out["_tornado"] = _tornado(spec, cfg, point, spread, ranged)
    with np.errstate(invalid="ignore"):
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            out["_se"] = {
                n: np.nanstd(v, axis=0, ddof=1) for n, v in spread.items() if spec.inputs[n].measured
            }
    return out


def _tornado(spec: Spec, cfg: RoiConfig, point: dict[str, np.ndarray], spread: dict[str, np.ndarray],
             ranged: dict[str, tuple[float, float]]) -> list[dict[str, Any]]:  # fmt: skip
    """Discounted ROI with one input at each end of its 95% range, the others at their estimates.

    A measured input goes through its bootstrap draws (the others held at the estimate) and the ends are
    the 2.5th and 97.5th percentiles of the ROI that gives, i.e. the ROI at the ends of the input's 95%
    interval. The shares of the CX mix move together (they add up to one), as one input.
    """
    base = _attribution(cfg, 1, None)
    groups: dict[str, list[str]] = {}
    for n, i in spec.inputs.items():
        if i.measured and n in spread:
            key = "roi.benefits.cx_mix.shift" if ".shift:" in n else n
            groups.setdefault(key, []).append(n)
    rows = []

    def roi_of(values: dict[str, np.ndarray], attribution: np.ndarray, draws: int) -> np.ndarray:
        lines = lines_of(spec, values, attribution)
        benefits = sum((att for _g, att in lines.values()), np.zeros((draws, cfg.horizon_years)))
        flows = cash_flows(benefits, cfg.cost.one_off, cfg.cost.recurring, cfg.discount_rate, cfg.ramp_months)
        return np.asarray(flows.roi_discounted)

    for key, members in groups.items():
        draws = len(spread[members[0]])
        values = {n: np.repeat(v, draws, axis=0) for n, v in point.items()}
        for n in members:
            values[n] = spread[n]
        rois = roi_of(values, np.repeat(base, draws), draws)
        ok = np.isfinite(rois)
        if not ok.any():
            continue
        lo_roi, hi_roi = np.percentile(rois[ok], [2.5, 97.5])
        if len(members) == 1:
            lo_v, hi_v = _percentile(spread[members[0]], 2.5), _percentile(spread[members[0]], 97.5)
            low, high = _scalar(lo_v), _scalar(hi_v)
        else:  # the draws at the ROI's ends
            idx = np.flatnonzero(ok)
            at = [idx[np.argmin(np.abs(rois[ok] - x))] for x in (lo_roi, hi_roi)]
            low, high = ({n.rsplit(":", 1)[-1]: float(spread[n][k]) for n in members} for k in at)
        rows.append({"input": key, "low": low, "high": high, "roi_at_low": float(lo_roi),
                     "roi_at_high": float(hi_roi), "swing": float(hi_roi - lo_roi)})  # fmt: skip
    for name, (lo, hi) in [
        *ranged.items(),
        *([("roi.attribution", cfg.attribution)] if isinstance(cfg.attribution, tuple) else []),
    ]:
        result = []
        for v in (lo, hi):
            values = dict(point)
            attribution = base
            if name == "roi.attribution":
                attribution = np.array([v])
            else:
                values[name] = np.array([v])
            result.append(float(roi_of(values, attribution, 1)[0]))
        rows.append({"input": name, "low": lo, "high": hi, "roi_at_low": result[0], "roi_at_high": result[1],
                     "swing": abs(result[1] - result[0])})  # fmt: skip
    rows.sort(key=lambda r: -r["swing"] if math.isfinite(r["swing"]) else 0.0)
    return rows


def _percentile(a: np.ndarray, p: float) -> np.ndarray:
    """Percentile over the draws (axis 0), ignoring draws where the input is undefined (NaN)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.asarray(np.nanpercentile(a, p, axis=0))


def _scalar(v: np.ndarray) -> Any:
    flat = np.asarray(v).reshape(-1)
    return float(flat[0]) if flat.size == 1 else [float(x) for x in flat]


def _cross_check(
    method: str,
    cfg: RoiConfig,
    clv: ClvConfig,
    sample: Sample | None,
    sums: dict[str, np.ndarray],
    cells: np.ndarray | None,
) -> dict[str, Any]:
    try:
        spec = build_spec(method, cfg, clv, sample)
        _values, _lines, flows = _run(spec, cfg, sums, cells, 1, None, _attribution(cfg, 1, None))
    except (ConfigError, DataError, KeyError) as exc:
        return {
            "method": method,
            "roi_discounted": None,
            "roi": None,
            "npv": None,
            "unavailable": exc.args[0] if exc.args else str(exc),
        }
    return {
        "method": method,
        "roi_discounted": finite(float(flows.roi_discounted[0])),
        "roi": finite(float(flows.roi[0])),
        "npv": finite(float(flows.npv[0])),
        "benefit_by_year": [float(x) for x in flows.benefits[0]],
    }


def _line_records(
    spec: Spec,
    lines: dict[str, tuple[np.ndarray, np.ndarray]],
    values: dict[str, np.ndarray],
    se: dict[str, np.ndarray],
) -> list[dict[str, Any]]:
    """Each line by year, with its inputs: value, bootstrap standard error (the customers resampled
    together, so changes measured on the same customers are paired), range and source."""
    out = []
    for line in spec.lines:
        gross, att = lines[line.name]
        inputs = {}
        for n in line.inputs:
            v = values.get(n)
            i = spec.inputs[n]
            rec: dict[str, Any] = {"value": _scalar(v) if v is not None else None, "source": i.source}
            if n in se:
                rec["se"] = _scalar(se[n])
            if i.range is not None:
                rec["range"] = list(i.range)
            inputs[n.split(".", 3)[-1]] = rec
        for n in spec.notes:
            if n.startswith(f"roi.benefits.{line.name}."):
                inputs[n.split(".", 3)[-1]] = {"value": _scalar(values[n]), "source": spec.inputs[n].source}
        out.append(
            {
                "line": line.name,
                "by_year": [float(x) for x in gross[0]],
                "total": float(gross[0].sum()),
                "attributed_by_year": [float(x) for x in att[0]],
                "attributed": float(att[0].sum()),
                "attribution_applies": line.attributed,
                "formula": line.formula,
                "inputs": inputs,
            }
        )
    return out


def _what_if(
    cfg: RoiConfig, values: dict[str, np.ndarray], sums: dict[str, np.ndarray]
) -> list[dict[str, Any]]:
    """Value of moving customers between CX groups, valued as the cx_mix line (per year and over the horizon)."""
    k = "roi.benefits.cx_mix"
    metric = cfg.metric
    groups = [g for g, _ in GROUPS[metric]]
    if f"{k}.retention:{groups[0]}" not in values or f"{k}.margin:{groups[0]}" not in values:
        return []
    customers = float(values[f"{k}.customers"][0])
    worst, best = groups[-1], groups[0]
    share_worst = None
    if f"{metric}:{worst}_c" in sums:  # the point estimate's sums, computed once in compute_roi
        share_worst = float(sums[f"{metric}:{worst}_c"][0] / max(sums[f"answered_{metric}_c"][0], 1.0))
    disc = 1.0 / (1.0 + cfg.discount_rate) ** np.arange(1, cfg.horizon_years + 1)

    def value(shift: dict[str, float]) -> tuple[float, float]:
        per_year = np.zeros(cfg.horizon_years)
        for g, dp in shift.items():
            per_year += dp * np.nan_to_num(values[f"{k}.margin:{g}"][0]) * values[f"{k}.retention:{g}"][0]
        per_year *= customers
        return float(per_year[0]), float(per_year @ disc)

    out = []
    targets = [g for g in groups[:-1]][::-1]  # e.g. passives, promoters
    if share_worst is not None:
        moved = cfg.what_if_shift * share_worst
        for target in targets:
            first, pv = value({worst: -moved, target: moved})
            out.append(
                {
                    "scenario": f"move {cfg.what_if_shift:.0%} of {worst} to {target}",
                    "customers_moved": moved * customers,
                    "first_year_value": first,
                    "horizon_pv": pv,
                }
            )
    first, pv = value({worst: -0.01, groups[1] if len(groups) > 2 else best: 0.01})
    label = (
        "one NPS point (1% of customers from detractor to passive)"
        if metric == "nps"
        else (f"1% of customers from {worst} to {groups[1] if len(groups) > 2 else best}")
    )
    out.append(
        {"scenario": label, "customers_moved": 0.01 * customers, "first_year_value": first, "horizon_pv": pv}
    )
    return out
