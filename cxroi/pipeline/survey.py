"""What a survey input tells besides its scores: the export it comes from (its preset's columns), the
several questions a metric may have, and its latest answer day (for the default as-of)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import pyarrow as pa

from cxroi.config import CesConfig, CsatConfig, NpsConfig
from cxroi.io import Batch, ColumnKind, TableSource
from cxroi.io.presets import recognise_survey
from cxroi.io.reader import scan
from cxroi.pipeline.scores import METRICS, Metric, ScoresRequest, ScoresResult, compute_scores


def latest_date(sources: Sequence[TableSource], column: str, until: dt.date) -> dt.date | None:
    """The latest day in ``column`` (of every source) that is not after ``until``."""
    cut = np.datetime64(dt.datetime(until.year, until.month, until.day) + dt.timedelta(days=1), "us")
    latest: np.datetime64 | None = None
    for source in sources:
        col = source.resolve(column)

        def step(acc: list[np.datetime64], batch: Batch, col: str = col) -> None:
            stamps = np.asarray(batch.columns[col].cast(pa.timestamp("us")).to_numpy(zero_copy_only=False))
            ok = stamps[~np.isnat(stamps) & (stamps < cut)]
            if len(ok):
                acc.append(ok.max())

        found: list[np.datetime64] = scan(source, {col: ColumnKind.DATE}, list, step)
        for value in found:
            latest = value if latest is None or value > latest else latest
    if latest is None:
        return None
    return dt.date.fromisoformat(str(latest.astype("datetime64[D]")))


def with_survey_preset(request: ScoresRequest, source: TableSource) -> tuple[ScoresRequest, str | None]:
    """When no score column is named, the columns of a recognised survey export (Zendesk satisfaction,
    Intercom ratings, Delighted, Medallia); returns the request and a note naming the export."""
    if request.metrics():
        return request, None
    found = recognise_survey(source.columns)
    if found is None:
        return request, None
    name, roles = found
    update: dict[str, Any] = {}
    for metric in METRICS:
        if metric in roles:
            base = (
                getattr(request, metric)
                or {"nps": NpsConfig(), "csat": CsatConfig(), "ces": CesConfig()}[metric]
            )
            update[metric] = base.model_copy(update={"column": roles[metric]})
    if not request.date and "date" in roles:
        update["date"] = roles["date"]
    used = ", ".join(f"--{k} {v!r}" for k, v in roles.items() if k in update)
    return replace(request, **update), f"{source.display}: recognised as {name} ({used})"


def compute_questions(
    sources: Sequence[TableSource], request: ScoresRequest, questions: dict[str, list[str]]
) -> ScoresResult:
    """``compute_scores``, with one record set per question when a metric names several columns
    (``--nps Q5 --nps Q12``: each question is its own NPS); the records then carry a ``question`` field."""
    if all(len(cols) <= 1 for cols in questions.values()):
        return compute_scores(sources, request)
    records: list[dict[str, Any]] = []
    warnings: list[str] = []
    answers: dict[Metric, int] = {}
    fields: list[str] = []
    for metric in METRICS:
        base = getattr(request, metric)
        columns = questions.get(metric) or ([base.column] if base is not None and base.column else [])
        for column in dict.fromkeys(columns):
            only: dict[str, Any] = {m: None for m in METRICS if m != metric}
            only[metric] = base.model_copy(update={"column": column})
            one = replace(request, **only)
            part = compute_scores(sources, one)
            records += [{"metric": r["metric"], "question": column, **r} for r in part.records]
            warnings += part.warnings
            answers[metric] = answers.get(metric, 0) + part.answers.get(metric, 0)
            fields += [f for f in part.fields if f not in fields]
    fields.insert(1, "question")
    return ScoresResult(records, fields, list(dict.fromkeys(warnings)), request.by, request.period, answers)
