"""``cxroi survival``: does a promoter stay longer than a detractor? Time from each linked answer to churn.

Follow-ups: the answers of ``cxroi link`` (the same join, ``link.answers`` choice, and only answers given
while the customer was active), but none left out for being recent. For an answer on day a by a
customer whose spell ends on day e:

* an event (churn) at t = e - a when the customer had ended by the as-of date;
* censored at t = as_of - a otherwise (still active, or a cancellation scheduled after as_of).

Per CX group (NPS promoters / passives / detractors; CSAT satisfied / not; CES agree / neutral /
disagree): the Kaplan–Meier curve with its log-log Greenwood interval, median and RMST
(``survival.horizon_days``), retention at ``survival.at`` days; the log-rank test across the groups and
between the best and worst; and Cox models (``cxroi.metrics.survival``): hazard ratios of each group
against the best, and of one scale point of the raw score, adjusted for ``survival.covariates``, with
robust errors clustered by customer when ``link.answers: each`` gives a customer several rows.

Covariates: ``tenure`` (years from the customer's start to the answer), ``revenue`` (revenue per
customer-year, thousands, from the transactions, else 12 x MRR), or any column of the customer file
(its latest row per customer) or of the survey. A numeric column enters as is; a text column as one
indicator per level against its most frequent level. Follow-ups with a blank numeric covariate are left
out of the Cox models (counted in a warning).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from cxroi.config import LinkConfig, SurvivalConfig
from cxroi.errors import DataError, UsageError
from cxroi.io import Batch, ColumnKind
from cxroi.io.reader import scan
from cxroi.metrics.churn import NO_END
from cxroi.metrics.survival import KaplanMeier, cox, kaplan_meier, logrank
from cxroi.pipeline.crm import CrmData, day_number
from cxroi.pipeline.link import COMPARE, GROUPS, Answers, _band_of, _choose, span_years, spell_revenue
from cxroi.pipeline.scores import ScoresRequest
from cxroi.pipeline.sources import CrmRequest, role

BEST = {"nps": "promoters", "csat": "satisfied", "ces": "agree"}
GROUP_FIELDS = [
    "metric",
    "group",
    "answers",
    "customers",
    "events",
    "exposure_days",
    "median_days",
    "rmst_days",
]
CURVE_FIELDS = ["metric", "group", "day", "at_risk", "events", "survival", "ci_low", "ci_high"]
TEST_FIELDS = ["metric", "comparison", "test", "statistic", "df", "p_value"]
HR_FIELDS = ["metric", "model", "term", "hazard_ratio", "ci_low", "ci_high", "p_value", "covariates"]
SPECIAL = ("tenure", "revenue")


@dataclass
class FollowUps:
    """One row per follow-up of one metric."""

    answer: np.ndarray  # index into the answers
    row: np.ndarray  # customer spell
    customer: np.ndarray  # customer (for clustering)
    day: np.ndarray  # answer day
    duration: np.ndarray
    event: np.ndarray
    group: np.ndarray  # index into GROUPS[metric]
    score: np.ndarray  # the raw score


@dataclass
class SurvivalResult:
    groups: list[dict[str, Any]]
    survival: list[dict[str, Any]]
    at: list[dict[str, Any]]
    tests: list[dict[str, Any]]
    hazard_ratios: list[dict[str, Any]]
    summary: dict[str, Any]
    warnings: list[str] = field(default_factory=list)
    curves: dict[str, dict[str, KaplanMeier]] = field(default_factory=dict)  # metric -> group -> curve
    follow_ups: dict[str, FollowUps] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "summary": self.summary,
            "groups": self.groups,
            "survival": self.survival,
            "at": self.at,
            "tests": self.tests,
            "hazard_ratios": self.hazard_ratios,
        }

    def retention(self, metric: str, group: str, day: float) -> float:
        """S_g(day): the Kaplan–Meier curve within the follow-up; beyond the group's longest follow-up it
        continues with the group's constant hazard (events / exposure days)."""
        km = self.curves[metric][group]
        last = float(km.durations[-1]) if len(km.durations) else 0.0
        if day <= last:
            return float(km.at(day)["survival"])
        s_last = float(km.at(last)["survival"])
        rec = next(g for g in self.groups if g["metric"] == metric and g["group"] == group)
        hazard = rec["events"] / rec["exposure_days"] if rec["exposure_days"] else 0.0
        return s_last * math.exp(-hazard * (day - last))


def follow_ups(answers: Answers, metric: str, cfg: Any, data: CrmData, policy: str) -> FollowUps:
    """The follow-ups of one metric: eligible answers (valid, customer active that day), chosen by policy."""
    c = data.customers
    as_of = day_number(data.as_of)
    pos = answers.positions[metric]
    start, end = c.start[answers.row], c.end[answers.row]
    active = (start <= answers.day) & (answers.day < end) & (answers.day <= as_of)
    use = _choose(answers.row, answers.day, (pos >= 0) & active, policy)
    row, day = answers.row[use], answers.day[use]
    e = c.end[row]
    event = (e != NO_END) & (e <= as_of)
    duration = np.where(event, e - day, as_of - day).astype(np.float64)
    return FollowUps(
        answer=use,
        row=row,
        customer=c.spell_id[row],
        day=day,
        duration=duration,
        event=event,
        group=_band_of(metric, cfg)[pos[use]],
        score=(pos[use] + cfg.scale[0]).astype(np.float64),
    )


def analyse(
    answers: Answers,
    scores: ScoresRequest,
    data: CrmData,
    link: LinkConfig,
    cfg: SurvivalConfig,
    covariates: dict[str, np.ndarray] | None = None,
    at: Sequence[int] | None = None,
    only: str | None = None,
) -> SurvivalResult:
    """Curves, tests and hazard ratios of every configured metric (or ``only`` one)."""
    days_at = sorted(set(at if at else cfg.at))
    result = SurvivalResult([], [], [], [], [], {})
    metrics = {m: c for m, c in scores.metrics().items() if only is None or m == only}
    if not metrics:
        raise UsageError(
            f"--metric {only}: that score is not configured", "name its column under scores: in the config"
        )
    result.summary = {
        "as_of": data.as_of.isoformat(),
        "policy": link.answers,
        "horizon_days": cfg.horizon_days,
        "at_days": days_at,
        "covariates": list(cfg.covariates),
        "robust": link.answers == "each",
    }
    for metric, mcfg in metrics.items():
        fu = follow_ups(answers, metric, mcfg, data, link.answers)
        if len(fu.duration) == 0:
            result.warnings.append(
                f"{metric}: no linked answer from an active customer; no survival analysis"
            )
            continue
        result.follow_ups[metric] = fu
        result.summary.setdefault("follow_ups", {})[metric] = len(fu.duration)
        _curves(result, metric, fu, cfg.horizon_days, days_at)
        _tests(result, metric, fu)
        _hazards(result, metric, fu, covariates or {}, cfg.covariates, link.answers == "each")
    if not result.follow_ups:
        raise DataError("no linked answers to follow", "check link.survey_key and the customer ids")
    return result


def _curves(result: SurvivalResult, metric: str, fu: FollowUps, horizon: int, days_at: Sequence[int]) -> None:
    result.curves[metric] = {}
    for gi, (name, _k) in enumerate(GROUPS[metric]):
        sel = fu.group == gi
        n = int(sel.sum())
        rec: dict[str, Any] = {
            "metric": metric,
            "group": name,
            "answers": n,
            "customers": len(np.unique(fu.customer[sel])),
            "events": int(fu.event[sel].sum()),
            "exposure_days": float(fu.duration[sel].sum()),
            "median_days": None,
            "rmst_days": None,
        }
        result.groups.append(rec)
        if n == 0:
            continue
        km = kaplan_meier(fu.duration[sel], fu.event[sel], float(horizon))
        result.curves[metric][name] = km
        rec["median_days"] = km.median
        rec["rmst_days"] = km.rmst
        for i in range(1, len(km.day)):
            result.survival.append(
                {
                    "metric": metric,
                    "group": name,
                    "day": int(km.day[i]),
                    "at_risk": int(km.at_risk[i]),
                    "events": int(km.events[i]),
                    "survival": float(km.survival[i]),
                    "ci_low": float(km.ci_low[i]),
                    "ci_high": float(km.ci_high[i]),
                }
            )
        for d in days_at:
            result.at.append({"metric": metric, "group": name, **km.at(float(d)), "day": int(d)})


def _tests(result: SurvivalResult, metric: str, fu: FollowUps) -> None:
    names = [g for g, _ in GROUPS[metric]]
    present = [i for i, g in enumerate(names) if (fu.group == i).any()]
    if len(present) >= 2:
        sel = np.isin(fu.group, present)
        t = logrank(fu.duration[sel], fu.event[sel], fu.group[sel])
        result.tests.append(_test(metric, " vs ".join(names[i] for i in present), t))
    a, b = COMPARE[metric]
    ia, ib = names.index(a), names.index(b)
    if len(GROUPS[metric]) > 2 and (fu.group == ia).any() and (fu.group == ib).any():
        sel = np.isin(fu.group, [ia, ib])
        result.tests.append(
            _test(metric, f"{a} vs {b}", logrank(fu.duration[sel], fu.event[sel], fu.group[sel]))
        )


def _test(metric: str, comparison: str, t: Any) -> dict[str, Any]:
    return {
        "metric": metric,
        "comparison": comparison,
        "test": "log-rank",
        "statistic": t.statistic,
        "df": t.df,
        "p_value": t.p_value,
    }


def _design(
    fu: FollowUps, covariates: dict[str, np.ndarray], names: Sequence[str]
) -> tuple[pd.DataFrame, list[str], int]:
    """Covariate columns of the follow-ups: numeric as is, text as indicators; rows with blanks dropped."""
    frame = pd.DataFrame(index=np.arange(len(fu.duration)))
    terms: list[str] = []
    keep = np.ones(len(fu.duration), dtype=bool)
    for name in names:
        values = covariates[name][fu.answer] if name in covariates else None
        if values is None:
            continue
        if values.dtype.kind == "f":
            keep &= ~np.isnan(values)
            frame[name] = values
            terms.append(name)
            continue
        text = pd.Series(values, dtype="object").fillna("").astype(str).str.strip()
        numeric = pd.to_numeric(text.where(text != ""), errors="coerce")
        if numeric[text != ""].notna().all() and (text != "").any():
            keep &= numeric.notna().to_numpy()
            frame[name] = numeric.to_numpy()
            terms.append(name)
            continue
        levels = text.replace("", "(blank)")
        counts = levels.value_counts()  # the most frequent level is the reference
        for level in counts.index[1:]:
            col = f"{name}={level}"
            frame[col] = (levels == level).to_numpy(dtype=np.float64)
            terms.append(col)
    return frame, terms, int((~keep).sum())


def _hazards(
    result: SurvivalResult,
    metric: str,
    fu: FollowUps,
    covariates: dict[str, np.ndarray],
    names: Sequence[str],
    robust: bool,
) -> None:
    if fu.event.sum() == 0:
        result.warnings.append(f"{metric}: no churn among the followed answers; no hazard ratios")
        return
    design, cov_terms, dropped = _design(fu, covariates, names)
    keep = design.notna().all(axis=1).to_numpy()
    if dropped:
        result.warnings.append(
            f"{metric}: {dropped} follow-ups with a blank covariate left out of the Cox models"
        )
    labels = [g for g, _ in GROUPS[metric]]
    best = labels.index(BEST[metric])
    present = [i for i in range(len(labels)) if i != best and ((fu.group == i) & keep).any()]
    base = pd.DataFrame({"duration": fu.duration, "event": fu.event.astype(np.int8), "customer": fu.customer})
    base = pd.concat([base, design], axis=1)
    group_terms = []
    for i in present:
        col = f"{labels[i]} vs {labels[best]}"
        base[col] = (fu.group == i).astype(np.float64)
        group_terms.append(col)
    base["score (per point)"] = fu.score
    cluster = "customer" if robust else None
    covs = ", ".join(names)
    for model, terms in (("groups", group_terms), ("score", ["score (per point)"])):
        if not terms or (not ((fu.group == best) & keep).any() and model == "groups"):
            continue
        data = base[keep]
        try:
            fit = cox(data, "duration", "event", [*terms, *cov_terms], cluster=cluster)
        except (ValueError, np.linalg.LinAlgError, ZeroDivisionError) as exc:  # lifelines: no convergence
            result.warnings.append(f"{metric}: the Cox model ({model}) could not be fitted: {exc}")
            continue
        for t in fit.terms:
            result.hazard_ratios.append(
                {
                    "metric": metric,
                    "model": model,
                    "term": t.term,
                    "hazard_ratio": t.hazard_ratio,
                    "ci_low": t.ci_low,
                    "ci_high": t.ci_high,
                    "p_value": t.p_value,
                    "covariates": covs,
                }
            )
        failing = [k for k, p in fit.ph_p_values.items() if p < 0.05]
        if failing:
            result.warnings.append(
                f"{metric}: the proportional-hazards check fails for {', '.join(failing)} (Schoenfeld residual "
                f"test, p < 0.05, model {model}): the hazard ratio is an average over time; read the curves"
            )


def read_covariates(
    names: Sequence[str],
    answers: Answers,
    data: CrmData,
    request: CrmRequest,
) -> tuple[dict[str, np.ndarray], list[str]]:
    """Per answer (index into ``answers``), the value of each covariate; the survey ones must have been
    read into ``answers.extra``. Returns the values and the covariate names not found anywhere."""
    out: dict[str, np.ndarray] = {}
    missing: list[str] = []
    c = data.customers
    customer_cols = [n for n in names if n not in SPECIAL and n not in answers.extra]
    per_customer = _customer_columns(request, data, customer_cols)
    for name in names:
        if name == "tenure":
            out[name] = (answers.day - c.start[answers.row]).astype(np.float64) / 365.25
        elif name == "revenue":
            out[name] = _revenue(data)[answers.row] / 1000.0
        elif name in answers.extra:
            out[name] = answers.extra[name]
        elif name in per_customer:
            out[name] = per_customer[name][c.spell_id[answers.row]]
        else:
            missing.append(name)
    return out, missing


def _revenue(data: CrmData) -> np.ndarray:
    """Revenue per customer-year of each spell: transactions over the years active in their span, else
    12 x MRR."""
    years = span_years(data)
    money = spell_revenue(data, years)
    if money is not None:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(years > 0, money / years, np.nan)
    raise UsageError(
        "survival.covariates: revenue needs transactions or an MRR column",
        "give inputs.transactions, or remove revenue from survival.covariates",
    )


def _customer_columns(request: CrmRequest, data: CrmData, names: Sequence[str]) -> dict[str, np.ndarray]:
    """Text of each named customer-file column per unique customer (its last row), for the covariates."""
    if not names:
        return {}
    n = len(data.customers.ids)
    out: dict[str, np.ndarray] = {}
    for src in request.customers:
        id_col = role(src, "customers", request.customers_map, "id")
        assert id_col is not None
        cols = {name: src.table.resolve(name) for name in names if src.table.has(name)}
        if not cols:
            continue
        for name in cols:
            out.setdefault(name, np.full(n, None, dtype=object))
        wanted = {id_col: ColumnKind.TEXT, **{c: ColumnKind.TEXT for c in cols.values()}}

        def step(
            acc: dict[str, np.ndarray], batch: Batch, cols: dict[str, str] = cols, id_col: str = id_col
        ) -> None:
            text = pc.utf8_trim_whitespace(batch.columns[id_col].cast(pa.string()))
            idx = np.asarray(
                pc.fill_null(pc.index_in(text, value_set=data.customers.ids), -1).to_numpy(
                    zero_copy_only=False
                )
            )
            hit = idx >= 0
            for name, c in cols.items():
                values = np.asarray(
                    batch.columns[c].cast(pa.string()).to_numpy(zero_copy_only=False), dtype=object
                )
                acc[name][idx[hit]] = values[hit]

        scan(src.table, wanted, lambda: out, step)
    return out


PLAN_NAMES = ("plan", "plan name", "subscription plan", "product", "tier", "edition")


def plan_column(request: CrmRequest, data: CrmData) -> np.ndarray | None:
    """Per customer, the text of the customer file's plan column (a header such as Plan or Tier), if any."""
    for src in request.customers:
        for name in src.table.columns:
            if name.strip().lower() in PLAN_NAMES:
                return _customer_columns(request, data, [name]).get(name)
    return None
