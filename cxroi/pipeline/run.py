"""``cxroi run``: every section the config enables — scores, CRM economics, the survey-to-CRM link and the
ROI — in one pass, with an audit trail (``explain``) of how each headline figure was computed.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

from cxroi import __version__
from cxroi.config import Config, RoiConfig
from cxroi.engine import run_cache
from cxroi.engine.run_cache import CachedRun
from cxroi.errors import UsageError
from cxroi.io import ReadOptions, TableSource
from cxroi.metrics.mle import FitError
from cxroi.pipeline import crm
from cxroi.pipeline.clv_contracts import sbg_model
from cxroi.pipeline.clv_models import clv_by_group, mix_value, model_options
from cxroi.pipeline.clv_purchases import ModelResult, bgnbd_model
from cxroi.pipeline.common import Note
from cxroi.pipeline.explain import explain
from cxroi.pipeline.inputs import open_input
from cxroi.pipeline.link import LinkResult, link_outcomes, load_answers
from cxroi.pipeline.linked import Linked, survey_latest, survival_for
from cxroi.pipeline.roi import RoiOutcome, compute_roi, resolve_windows, window_days
from cxroi.pipeline.scores import ScoresRequest, ScoresResult, build_request, compute_scores
from cxroi.pipeline.sources import CrmRequest
from cxroi.pipeline.survival import SPECIAL, SurvivalResult, plan_column
from cxroi.report.formats import json_safe
from cxroi.report.privacy import redact

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
    clv_by_window: list[dict[str, Any]] | None = None  # one overall CLV per ROI window
    economics: list[dict[str, Any]] | None = None
    link: LinkResult | None = None
    survival: SurvivalResult | None = None
    roi: RoiOutcome | None = None
    why: dict[str, Any] | None = None  # themes of the open-ended reason and the key drivers
    clv_model: dict[str, Any] | None = None  # clv.model: bgnbd | sbg (parameters, totals, by CX group)
    warnings: list[str] = field(default_factory=list)
    explain: list[dict[str, Any]] = field(default_factory=list)
    sections: list[str] = field(default_factory=list)
    bands: dict[str, dict[str, Any]] = field(default_factory=dict)  # metric -> scale and bands (for charts)
    engine: list[str] = field(default_factory=list)  # how each survey and CRM input was read (for -v)

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
            "clv_by_window": self.clv_by_window,
            "clv_model": self.clv_model,
            "economics": self.economics,
            "link": {"summary": self.link.summary, "outcomes": self.link.records} if self.link else None,
            "survival": self.survival.to_dict() if self.survival else None,
            "roi": {
                "summary": self.roi.summary,
                "lines": self.roi.lines,
                "what_if": self.roi.what_if,
                "tornado": self.roi.tornado,
            }
            if self.roi
            else None,
            "why": self.why,
            "explain": self.explain,
            "warnings": [w for w in self.warnings if not isinstance(w, Note)],
            "notes": [w for w in self.warnings if isinstance(w, Note)],
        }


def run_or_reuse(
    config: Config, config_name: str, as_of: date | None = None, cache: bool = True
) -> RunResult | CachedRun:
    """``run``, or its stored result when nothing it depends on changed (``cxroi.engine.run_cache``: the
    inputs' bytes, the config, the as-of day, the version). ``cache=False`` or ``engine.cache: false``
    computes every time; a cache that cannot be written costs a note, never the run."""
    folder = _cache_folder(config, cache)
    key = (
        run_cache.run_key(config, config_name, as_of or config.crm.as_of, crm.run_date())
        if folder is not None
        else None
    )
    if folder is None or key is None:
        return run(config, config_name, as_of, cache)
    runs = Path(folder) / "runs"
    hit = run_cache.load(runs, key)
    if hit is not None:
        hit.engine.insert(0, f"run cache: unchanged inputs and config, result read from {runs / key}.json")
        return hit
    result = run(config, config_name, as_of, cache)
    try:
        # stored as the reports see it: personal data redacted (``privacy.allow`` is part of the key)
        data = redact(json_safe(result.to_dict()), set(config.privacy.allow))
        run_cache.save(runs, key, data, result.warnings, result.engine)
    except (OSError, ValueError) as exc:
        result.warnings.append(Note(f"the run cache in {runs} could not be written ({exc}); the next run computes again"))
    return result


def run(config: Config, config_name: str, as_of: date | None = None, cache: bool = True) -> RunResult:
    """Compute every enabled section of ``config``; ``as_of`` pins "now" (default: the config's, else the
    latest date in the data). ``cache``: use the count cache (``engine.cache``) for the survey inputs."""
    as_of = as_of or config.crm.as_of
    result = RunResult(as_of=as_of, config=config_name)
    data: crm.CrmData | None = None
    crm_request: CrmRequest | None = None
    model: ModelResult | None = None
    roi_cfg = config.roi
    request = replace(
        build_request(config),
        until=as_of or crm.run_date(),
        cache=_cache_folder(config, cache),
        paths=result.engine,
    )
    survey: list[TableSource] = []
    if request.metrics() and config.scores.input in config.inputs:
        survey = open_input(config, config.scores.input)
    if config.crm.customers.input in config.inputs:
        # the CRM first: its as-of day (the latest date of every input, unless pinned) is "now" everywhere
        data, roi_cfg, crm_request = _crm(result, config, as_of, survey_latest(survey, request, as_of))
        model = _clv_model(result, config, data, crm_request)
        as_of = data.as_of
        request = replace(request, until=as_of)
    if survey:
        _scores(result, survey, request)
        _why(result, config, survey, request.until)
    answers = None
    if config.link.survey_key and survey and data is not None and crm_request is not None:
        extra = [c for c in config.survival.covariates if c not in SPECIAL and all(t.has(c) for t in survey)]
        answers = load_answers(survey, config.link.survey_key, request, data, extra)
        linked = Linked(data, crm_request, request, answers, [])
        result.link = link_outcomes(answers, request, data, config.link, config.clv)
        result.warnings += result.link.warnings
        result.sections.append("link")
        result.survival = survival_for(config, linked)
        result.warnings += result.survival.warnings
        result.sections.append("survival")
        if model is not None and result.clv_model is not None:
            result.clv_model["by_group"] = clv_by_group(model, answers, request, data, config.link.answers)
    if roi_cfg is not None:
        plan = None
        if data is not None and crm_request is not None and not crm_request.by:
            plan = plan_column(crm_request, data)
        result.roi = compute_roi(roi_cfg, config.clv, data, request, answers, result.survival, plan)
        result.sections.append("roi")
        if result.clv_model is not None:
            result.clv_model["mix_value"] = mix_value(result.clv_model, result.roi.lines, roi_cfg.metric)
    result.warnings = list(dict.fromkeys(result.warnings))
    order = ("scores", "why", "economics", "link", "survival", "roi")
    result.sections.sort(key=order.index)
    if not result.sections:
        raise UsageError(
            "the config enables nothing to compute",
            "name score columns (scores:), a customer input (inputs.customers) or a roi: section",
        )
    result.explain = explain(result, config)
    if result.clv_model is not None:
        result.explain.append(_explain_model(result.clv_model))
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


def _why(result: RunResult, config: Config, survey: list[TableSource], until: date | None) -> None:
    """The themes of the open-ended reason (overall) and the key drivers, when the config names them."""
    from cxroi.pipeline.why import build_why_request, compute_drivers, compute_themes

    req = build_why_request(config, by=[], until=until)
    why: dict[str, Any] = {}
    if req.text and req.themes:
        themes = compute_themes(survey, req)
        why["themes"] = themes.records
        why["themes_summary"] = themes.summary
        result.warnings += themes.warnings
    if len(req.drivers) >= 2 and req.nps is not None:
        drivers = compute_drivers(survey, req)
        why["drivers"] = drivers.records
        why["drivers_summary"] = drivers.summary
        result.warnings += drivers.warnings
    if why:
        result.why = why
        result.sections.append("why")


def _cache_folder(config: Config, enabled: bool) -> str | None:
    setting = config.engine.cache
    if not enabled or setting is False:
        return None
    if setting is True:
        from cxroi.engine.cache import default_dir

        return str(default_dir())
    return str(setting)


def _explain_model(doc: dict[str, Any]) -> dict[str, Any]:
    total = doc["totals"][0]
    if doc["model"] == "sbg":
        formula = (
            "sum over active customers of MRR x months x gross margin x DERL(d, alpha, beta, renewals + 1)"
        )
        value = total["residual_value"]
    else:
        formula = (
            "sum over customers of gross margin x E[value] (Gamma-Gamma) x discounted E[purchases] (BG/NBD)"
        )
        value = total["clv_total"]
    inputs = {name: {k: v for k, v in fit.items()} for name, fit in doc["parameters"].items()}
    shown = "; ".join(
        f"{name} "
        + ", ".join(
            f"{k} = {v['value']:.4g} (se {v['se']:.3g})" for k, v in fit.items() if isinstance(v, dict)
        )
        for name, fit in doc["parameters"].items()
    )
    return {"figure": f"clv_model ({doc['model']})", "value": value, "formula": formula,
            "inputs": {"parameters": inputs, **doc["summary"]},
            "text": f"model CLV ({doc['model']}) = {value:,.2f}: {formula}; {shown}"}  # fmt: skip


def _clv_model(
    result: RunResult, config: Config, data: crm.CrmData, request: CrmRequest
) -> ModelResult | None:
    """``clv.model: bgnbd | sbg``: the per-customer model on the run's CRM data; a fit that fails is a
    warning and the section is left out (the rest of the report stands)."""
    if config.clv.model == "average":
        return None
    options = model_options(config, config.clv.model)
    try:
        fit = bgnbd_model if config.clv.model == "bgnbd" else sbg_model
        model = fit(data, request, options)
    except (FitError, UsageError) as exc:
        result.warnings.append(f"clv.model {config.clv.model}: {exc.message}; the model CLV is left out")
        return None
    result.warnings += model.warnings
    doc = model.to_dict()
    doc.pop("customers", None)
    result.clv_model = doc
    return model


def _crm(
    result: RunResult, config: Config, as_of: date | None, survey_latest: date | None = None
) -> tuple[crm.CrmData, RoiConfig | None, CrmRequest]:
    """Load the CRM inputs as of ``as_of``, with the ROI windows resolved relative to that day; the
    per-customer money in those windows is summed while reading (a second read of transactions and
    tickets only when the as-of day was not known before the data was read)."""
    roi_cfg, roi_notes = _roi_windows(config, as_of)
    request = crm.build_crm_request(
        config, ReadOptions(), as_of=as_of, need=("customers", "transactions", "contracts", "tickets")
    )
    request = replace(
        request,
        windows=_windows(roi_cfg),
        latest_elsewhere=survey_latest,
        purchases=config.clv.model == "bgnbd",
        paths=result.engine,  # -v: how each CRM input was read
    )
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
        if roi_cfg is not None and roi_cfg.baseline is not None and roi_cfg.current is not None:
            result.clv_by_window = [
                {"window": name, **crm.clv_records(data, request, config.clv, True, window_days(w))[0]}
                for name, w in (("baseline", roi_cfg.baseline), ("current", roi_cfg.current))
            ]
        if request.by:
            result.clv += crm.clv_records(data, request, config.clv)
    result.sections.append("economics")
    return data, roi_cfg, request


def _roi_windows(config: Config, as_of: date | None) -> tuple[RoiConfig | None, list[str]]:
    if config.roi is None:
        return None, []
    return resolve_windows(config.roi, as_of)


def _windows(roi_cfg: RoiConfig | None) -> tuple[tuple[int, int], ...]:
    if roi_cfg is None or roi_cfg.baseline is None or roi_cfg.current is None:
        return ()
    return (window_days(roi_cfg.baseline), window_days(roi_cfg.current))
