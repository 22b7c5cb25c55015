"""``cxroi link`` and ``cxroi survival`` on their own: the CRM data as of a date, the survey answers
joined to it, and the analysis of the linked answers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date

from cxroi.config import Config
from cxroi.errors import UsageError
from cxroi.io import ReadOptions, TableSource
from cxroi.pipeline import crm
from cxroi.pipeline.inputs import open_input
from cxroi.pipeline.link import Answers, LinkResult, link_outcomes, load_answers
from cxroi.pipeline.scores import ScoresRequest, build_request
from cxroi.pipeline.sources import CrmRequest
from cxroi.pipeline.survey import latest_date
from cxroi.pipeline.survival import SPECIAL, SurvivalResult, analyse, read_covariates


@dataclass
class Linked:
    data: crm.CrmData
    request: CrmRequest
    scores: ScoresRequest
    answers: Answers
    warnings: list[str]


def survey_latest(survey: Sequence[TableSource], request: ScoresRequest, as_of: date | None) -> date | None:
    """The latest answer day (not after the run's date), when "now" is not pinned and the survey is dated."""
    if as_of is not None or not survey or not request.date:
        return None
    return latest_date(list(survey), request.date, crm.run_date())


def load_linked(config: Config, as_of: date | None = None, extra: Sequence[str] = ()) -> Linked:
    """The CRM data as of ``as_of`` (default: the latest date of the inputs) and the answers joined to it."""
    if not config.link.survey_key:
        raise UsageError("link.survey_key is not set", "name the survey column holding the customer id")
    if config.scores.input not in config.inputs or config.crm.customers.input not in config.inputs:
        raise UsageError("linking needs inputs for the survey and the customers", "see configs/default.yaml")
    as_of = as_of or config.crm.as_of
    request = build_request(config)
    survey = open_input(config, config.scores.input)
    crm_request = crm.build_crm_request(
        config, ReadOptions(), as_of=as_of, need=("customers", "transactions", "tickets")
    )
    latest = survey_latest(survey, request, as_of)
    crm_request = replace(crm_request, latest_elsewhere=latest)
    data = crm.load(crm_request)
    request = replace(request, until=data.as_of)
    survey_cols = [c for c in extra if c not in SPECIAL and all(t.has(c) for t in survey)]
    answers = load_answers(survey, config.link.survey_key, request, data, survey_cols)
    return Linked(data, crm_request, request, answers, list(data.warnings))


def link_only(config: Config, as_of: date | None = None) -> tuple[LinkResult, list[str]]:
    """``cxroi link``: the survey-to-CRM join and its outcomes, with every warning on the way."""
    linked = load_linked(config, as_of)
    result = link_outcomes(linked.answers, linked.scores, linked.data, config.link, config.clv)
    return result, linked.warnings + result.warnings


def survival_for(
    config: Config, linked: Linked, metric: str | None = None, at: Sequence[int] | None = None
) -> SurvivalResult:
    """The survival analysis of the linked answers (``survival:`` section of the config)."""
    names = config.survival.covariates
    values, missing = read_covariates(names, linked.answers, linked.data, linked.request)
    if missing:
        raise UsageError(
            f"survival.covariates: {', '.join(map(repr, missing))} is not a column of the customer file or "
            "the survey, nor tenure / revenue",
            "name an existing column (the header, as in the file)",
        )
    return analyse(
        linked.answers, linked.scores, linked.data, config.link, config.survival, values, at, metric
    )


def survival_only(
    config: Config, as_of: date | None = None, metric: str | None = None, at: Sequence[int] | None = None
) -> tuple[SurvivalResult, list[str]]:
    """``cxroi survival``: the follow-ups of every linked answer, their curves, tests and hazard ratios."""
    linked = load_linked(config, as_of, config.survival.covariates)
    result = survival_for(config, linked, metric, at)
    return result, linked.warnings + result.warnings
