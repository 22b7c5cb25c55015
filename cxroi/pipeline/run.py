"""``cxroi run``: every section the config enables — scores, CRM economics, the survey-to-CRM link and the
ROI — in one pass, with an audit trail (``explain``) of how each headline figure was computed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

import numpy as np

from cxroi import __version__
from cxroi.config import Config, RoiConfig
from cxroi.errors import UsageError
from cxroi.io import ReadOptions, TableSource
from cxroi.metrics.churn import latest_complete
from cxroi.pipeline import crm
from cxroi.pipeline.common import Note
from cxroi.pipeline.inputs import open_input
from cxroi.pipeline.link import LinkResult, _band_of, _choose, link_outcomes, load_answers
from cxroi.pipeline.roi import CURRENT, RoiOutcome, compute_roi, resolve_windows, window_days
from cxroi.pipeline.scores import ScoresRequest, ScoresResult, build_request, compute_scores
from cxroi.pipeline.survey import latest_date

SCHEMA_VERSION = 1


@dataclass
class RunResult:
    as_of: date | None
    config: str
    scores: ScoresResult | None = None
    trend: ScoresResult | None = None
    segments: ScoresResult | None = None
    churn: list[dict[str, Any]] | None = None
    clv: list[dict[str, Any]] | None = None
    economics: list[dict[str, Any]] | None = None
    link: LinkResult | None = None
    roi: RoiOutcome | None = None
    warnings: list[str] = field(default_factory=list)
    explain: list[dict[str, Any]] = field(default_factory=list)
    sections: list[str] = field(default_factory=list)
    bands: dict[str, dict[str, Any]] = field(default_factory=dict)  # metric -> scale and bands (for charts)

    def to_dict(self) -> dict[str, Any]:
        """Everything, at full precision, for ``--format json``."""

        def records(r: ScoresResult | None) -> list[dict[str, Any]] | None:
            return r.records if r is not None else None

        return {
            "schema_version": SCHEMA_VERSION,
            "generated_by": f"cxroi {__version__}",
            "config": self.config,
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "sections": self.sections,
            "scores": {
                "overall": records(self.scores),
                "trend": records(self.trend),
                "segments": records(self.segments),
                "distribution": self.scores.distributions,
                "bands": self.bands,
            }
            if self.scores is not None
            else None,
            "churn": self.churn,
            "clv": self.clv,
            "economics": self.economics,
            "link": {"summary": self.link.summary, "outcomes": self.link.records} if self.link else None,
            "roi": {
                "summary": self.roi.summary,
                "lines": self.roi.lines,
                "what_if": self.roi.what_if,
            }
            if self.roi
            else None,
            "explain": self.explain,
            "warnings": self.warnings,
        }


def run(config: Config, config_name: str, as_of: date | None = None) -> RunResult:
    """Compute every enabled section of ``config``; ``as_of`` pins "now" (default: the config's, else the
    latest date in the data)."""
    as_of = as_of or config.crm.as_of
    result = RunResult(as_of=as_of, config=config_name)
    data: crm.CrmData | None = None
    roi_cfg = config.roi
    request = replace(build_request(config), until=as_of or crm.run_date())
    survey: list[TableSource] = []
    if request.metrics() and config.scores.input in config.inputs:
        survey = open_input(config, config.scores.input)
    if config.crm.customers.input in config.inputs:
        # the CRM first: its as-of day (the latest date of every input, unless pinned) is "now" everywhere
        data, roi_cfg = _crm(result, config, as_of, _survey_latest(survey, request, as_of))
        as_of = data.as_of
        request = replace(request, until=as_of)
    if survey:
        _scores(result, survey, request)
    link: LinkResult | None = None
    answers = None
    if config.link.survey_key and survey and data is not None:
        answers = load_answers(survey, config.link.survey_key, request, data)
        link = link_outcomes(answers, request, data, config.link, config.clv)
        result.link = link
        result.warnings += link.warnings
        result.sections.append("link")
    if roi_cfg is not None:
        promoters = _promoters(roi_cfg, config, request, data, answers)
        result.roi = compute_roi(roi_cfg, config.clv, data, link, promoters)
        result.sections.append("roi")
    result.warnings = list(dict.fromkeys(result.warnings))
    order = ("scores", "economics", "link", "roi")
    result.sections.sort(key=order.index)
    if not result.sections:
        raise UsageError(
            "the config enables nothing to compute",
            "name score columns (scores:), a customer input (inputs.customers) or a roi: section",
        )
    result.explain = explain(result, config)
    return result


def _scores(result: RunResult, survey: list[TableSource], request: ScoresRequest) -> None:
    """Overall, trend and segment scores in one pass over the survey (of each metric's first question)."""
    for metric, cfg in request.metrics().items():
        if len(cfg.questions) > 1:
            result.warnings.append(
                f"scores.{metric} names {len(cfg.questions)} questions; cxroi run reports the first "
                f"({cfg.questions[0]}); `cxroi scores` reports each"
            )
    for metric, cfg in request.metrics().items():
        fields = cfg.model_dump(exclude={"column", "interval", "value", "labels", "questions"})
        result.bands[metric] = {k: list(v) for k, v in fields.items() if v is not None}
    period = (request.period or "quarter") if request.date else None
    both = compute_scores(survey, replace(request, period=period, totals=True))
    result.warnings += both.warnings
    if period is None and not request.by:
        result.scores = both
    else:
        overall = both.overall or []
        result.scores = ScoresResult(
            overall, both.fields, both.warnings, (), None, both.answers, both.distributions
        )
        if period is not None:
            trend_fields = [f for f in both.fields if f not in request.by]
            result.trend = ScoresResult(both.trend or [], trend_fields, [], (), period, both.answers)
        if request.by:
            result.segments = ScoresResult(
                both.segments or [], both.fields, [], request.by, None, both.answers
            )
    result.sections.append("scores")


def _survey_latest(survey: list[TableSource], request: ScoresRequest, as_of: date | None) -> date | None:
    """The latest answer day (not after the run's date), when "now" is not pinned and the survey is dated."""
    if as_of is not None or not survey or not request.date:
        return None
    return latest_date(survey, request.date, crm.run_date())


def _crm(
    result: RunResult, config: Config, as_of: date | None, survey_latest: date | None = None
) -> tuple[crm.CrmData, RoiConfig | None]:
    """Load the CRM inputs as of ``as_of``, with the ROI windows resolved relative to that day; the
    per-customer money in those windows is summed while reading (a second read of transactions and
    tickets only when the as-of day was not known before the data was read)."""
    roi_cfg, roi_notes = _roi_windows(config, as_of)
    request = crm.build_crm_request(
        config, ReadOptions(), as_of=as_of, need=("customers", "transactions", "contracts", "tickets")
    )
    request = replace(request, windows=_windows(roi_cfg), latest_elsewhere=survey_latest)
    data = crm.load(request)
    if as_of is None and config.roi is not None:
        roi_cfg, roi_notes = _roi_windows(config, data.as_of)
        if _windows(roi_cfg) != request.windows:
            request = replace(request, windows=_windows(roi_cfg), as_of=data.as_of)
            data = crm.load(request)
    result.warnings += [Note(n) for n in roi_notes]
    result.as_of = data.as_of
    result.warnings += data.warnings
    result.churn = crm.churn_records(data, request)
    result.economics = crm.economics_records(data, request, config.clv)
    if (data.customers.has_end or config.clv.retention is not None) and (
        data.transactions is not None
        or data.customers.mrr is not None
        or config.clv.annual_margin is not None
    ):
        result.clv = crm.clv_records(data, request, config.clv, overall=True)
        if request.by:
            result.clv += crm.clv_records(data, request, config.clv)
    result.sections.append("economics")
    return data, roi_cfg


def _roi_windows(config: Config, as_of: date | None) -> tuple[RoiConfig | None, list[str]]:
    if config.roi is None:
        return None, []
    return resolve_windows(config.roi, as_of)


def _windows(roi_cfg: RoiConfig | None) -> tuple[tuple[int, int], ...]:
    if roi_cfg is None or roi_cfg.baseline is None or roi_cfg.current is None:
        return ()
    return (window_days(roi_cfg.baseline), window_days(roi_cfg.current))


def _promoters(
    roi_cfg: RoiConfig, config: Config, request: ScoresRequest, data: crm.CrmData | None, answers: Any
) -> tuple[int, str] | None:
    """Distinct customers whose chosen answer in the ROI's current window is a promoter."""
    if answers is None or data is None or roi_cfg.current is None:
        return None
    nps_cfg = request.nps
    if nps_cfg is None or not nps_cfg.column:
        return None
    ws, we = window_days(roi_cfg.current)
    pos = answers.positions["nps"]
    in_window = (answers.day >= ws) & (answers.day < we) & (pos >= 0)
    use = _choose(answers.row, answers.day, in_window, config.link.answers)
    promoter = _band_of("nps", nps_cfg)[pos[use]] == 0
    count = len(np.unique(answers.row[use][promoter]))
    return count, f"measured: distinct customers answering as promoters in window {CURRENT} (current)"


def _fmt(x: Any, digits: int = 2) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    if isinstance(x, float):
        return f"{x:,.{digits}f}"
    return str(x)


def explain(result: RunResult, config: Config) -> list[dict[str, Any]]:
    """For each headline figure: its value, formula and the numbers that went in."""
    out: list[dict[str, Any]] = []
    if result.scores is not None:
        for rec in result.scores.records:
            m = rec["metric"]
            if m == "nps":
                formula = "(promoters - detractors) / n x 100; " + (
                    "95% CI adjusted Wald (Rocks 2016): add 0.75 detractors, 1.5 passives, 0.75 promoters "
                    "(n + 3), NPS' +- 1.959964 x sqrt((pP' + pD' - (pP' - pD')^2) / (n + 3)) x 100"
                    if config.scores.nps.interval == "adjusted-wald"
                    else "95% CI Wald: NPS +- 1.959964 x sqrt((pP + pD - (pP - pD)^2) / n) x 100"
                )
                inputs = {k: rec[k] for k in ("promoters", "passives", "detractors", "n")}
            elif m == "csat":
                formula = "satisfied / n x 100; " + (
                    "95% CI Wilson: (p + z^2/2n +- z sqrt(p (1 - p) / n + z^2/4n^2)) / (1 + z^2/n), z = 1.959964"
                    if config.scores.csat.interval == "wilson"
                    else "95% CI Wald: p +- 1.959964 x sqrt(p (1 - p) / n)"
                )
                inputs = {"satisfied": rec["satisfied"], "n": rec["n"]}
            else:
                q = "t_{0.975, n-1}" if config.scores.ces.interval == "t" else "1.959964"
                formula = f"CES as {config.scores.ces.value}; 95% CI for a mean: mean +- {q} x s / sqrt(n)"
                inputs = {"agree": rec["agree"], "n": rec["n"]}
            out.append(
                {
                    "figure": m.upper(),
                    "value": rec["value"],
                    "ci_low": rec["ci_low"],
                    "ci_high": rec["ci_high"],
                    "formula": formula,
                    "inputs": inputs,
                }
            )
    if result.churn:
        last = latest_complete(result.churn)
        if last is not None:
            out.append(
                {
                    "figure": f"churn {last['period']}",
                    "value": last["value"],
                    "formula": "churned / customers at the start x 100 (see README: churn definition)",
                    "inputs": {"customers_start": last["customers_start"], "churned": last["churned"]},
                }
            )
    if result.clv:
        c = result.clv[0]
        out.append(
            {
                "figure": "CLV",
                "value": c["clv"],
                "formula": "m x r / (1 + d - r), m = annual_revenue x gross_margin - annual_cost_to_serve"
                + ("" if c["horizon_years"] is None else "; finite horizon sum_t m r^t / (1 + d)^t"),
                "inputs": {
                    k: c[k]
                    for k in (
                        "annual_revenue",
                        "gross_margin",
                        "annual_cost_to_serve",
                        "annual_margin",
                        "retention",
                        "discount_rate",
                        "horizon_years",
                        "window_start",
                        "window_end",
                    )
                },
            }
        )
    if result.link is not None:
        for rec in result.link.records:
            if rec["metric"] == "nps" and " - " in str(rec["group"]):
                out.append(
                    {
                        "figure": "churn difference promoters - detractors (points)",
                        "value": rec["churn"],
                        "formula": "churn(promoters) - churn(detractors) after the answer, within "
                        f"{config.link.window_days} days; two-proportion z-test",
                        "inputs": {
                            "p_value": rec["p_value"],
                            **{
                                g: {"customers": s["customers"], "churned": s["churned"]}
                                for g, s in result.link.groups["nps"].items()
                            },
                        },
                    }
                )
    if result.roi is not None:
        for line in result.roi.lines:
            out.append(
                {
                    "figure": f"benefit: {line['line']}",
                    "value": line["annual_benefit"],
                    "formula": line["formula"] + " (per year, before attribution)",
                    "inputs": {k: v["value"] for k, v in line["inputs"].items()},
                    "sources": {k: v["source"] for k, v in line["inputs"].items()},
                }
            )
        s = result.roi.summary
        out.append(
            {
                "figure": "ROI %",
                "value": s["roi"],
                "formula": "(annual_benefit x horizon - total_cost) / total_cost x 100; annual_benefit = attribution x "
                "sum of lines; total_cost = one_off + recurring x horizon",
                "inputs": {
                    k: s[k]
                    for k in (
                        "annual_benefit_gross",
                        "attribution",
                        "annual_benefit",
                        "one_off_cost",
                        "recurring_cost",
                        "horizon_years",
                        "total_cost",
                    )
                },
                "range": [s["roi_low"], s["roi_high"]],
                "range_method": s["range_method"],
            }
        )
        out.append(
            {
                "figure": "NPV",
                "value": s["npv"],
                "formula": "sum_{t=1..T} (annual_benefit - recurring) / (1 + d)^t - one_off",
                "inputs": {
                    k: s[k]
                    for k in (
                        "annual_benefit",
                        "recurring_cost",
                        "one_off_cost",
                        "discount_rate",
                        "horizon_years",
                    )
                },
            }
        )
        out.append(
            {
                "figure": "payback (months)",
                "value": s["payback_months"],
                "formula": "one_off / ((annual_benefit - recurring) / 12); none if the benefit does not exceed the "
                "recurring cost",
                "inputs": {k: s[k] for k in ("one_off_cost", "annual_benefit", "recurring_cost")},
            }
        )
    for item in out:
        item["text"] = f"{item['figure']} = {_fmt(item['value'])}: {item['formula']}"
    return out
