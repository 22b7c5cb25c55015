"""``cxroi themes`` and ``cxroi drivers``: why customers score what they score.

Both read the survey's answers as rows (``answer_rows``); themes read the open-ended reason
(``pipeline.themes``), drivers fit the NPS answer on rated items and theme indicators
(``cxroi.metrics.drivers``). Pipelines return data and warnings; they never print.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from cxroi.config import Config, DriversConfig, NpsConfig, Period
from cxroi.errors import DataError, UsageError
from cxroi.io import TableSource
from cxroi.metrics import drivers as kda
from cxroi.metrics.themes import Dictionary
from cxroi.pipeline import themes as th
from cxroi.pipeline.answer_rows import Rows, read_rows
from cxroi.pipeline.common import Note

THEME_FIELDS = ["theme", "mentions", "share", "detractors", "passives", "promoters", "share_detractors",
                "share_passives", "share_promoters", "lift", "p_value", "q_value", "nps_with", "nps_without",
                "answers_with_text", "examples_detractors", "examples_passives", "examples_promoters"]  # fmt: skip
TERM_FIELDS = ["term", "language", "leans", "detractors", "promoters", "mentions", "log_odds", "z", "stem"]
DRIVER_FIELDS = ["driver", "importance", "ci_low", "ci_high", "direction", "coefficient", "performance",
                 "quadrant", "n", "r2", "method"]  # fmt: skip
THEME_PREFIX = "theme:"


@dataclass(frozen=True)
class WhyRequest:
    text: str | None
    nps: NpsConfig | None
    themes: dict[str, dict[str, list[str]]]
    by: tuple[str, ...] = ()
    date: str | None = None
    period: Period | None = None
    until: dt.date | None = None
    language: str | None = None
    examples: int = 3
    drivers: tuple[str, ...] = ()
    drivers_cfg: DriversConfig = field(default_factory=DriversConfig)


def build_why_request(config: Config, **flags: Any) -> WhyRequest:
    """Flags over the config (``scores.text``, ``scores.nps``, ``themes``, ``drivers``)."""
    sc = config.scores
    nps = sc.nps.model_copy(update={"column": flags["nps"]}) if flags.get("nps") else sc.nps
    return WhyRequest(
        text=flags.get("text") or sc.text.column,
        nps=nps if nps.column else None,
        themes={k: {str(lang): list(w) for lang, w in v.items()} for k, v in config.themes.items()},
        by=tuple(flags.get("by") or ()) if flags.get("by") is not None else tuple(sc.by),
        date=flags.get("date") or sc.date,
        period=flags.get("period") if flags.get("period") is not None else None,
        until=flags.get("until"),
        language=flags.get("language") or sc.text.language,
        examples=sc.text.examples if flags.get("examples") is None else int(flags["examples"]),
        drivers=tuple(flags.get("drivers") or config.drivers.columns),
        drivers_cfg=config.drivers.model_copy(
            update={
                k: flags[k] for k in ("missing", "draws", "method", "performance") if flags.get(k) is not None
            }
        ),
    )


@dataclass
class DriversResult:
    """Records (one per driver, or per theme and group) with their fields, a summary and warnings."""

    records: list[dict[str, Any]]
    fields: list[str]
    summary: dict[str, Any]
    warnings: list[str]


@dataclass
class ThemesResult(DriversResult):
    terms: list[dict[str, Any]] = field(default_factory=list)
    discovered: list[dict[str, Any]] = field(default_factory=list)
    yaml: str = ""


def _rows(sources: Sequence[TableSource], req: WhyRequest, numbers: Sequence[str] = ()) -> Rows:
    if req.period and not req.date:
        raise UsageError("--period needs a date column", "give it with --date COL (or scores.date)")
    return read_rows(sources, text=req.text, nps=req.nps, by=req.by, date=req.date, period=req.period,
                     until=req.until, numbers=numbers)  # fmt: skip


def _row_warnings(rows: Rows, req: WhyRequest) -> list[str]:
    out = []
    if rows.invalid_nps:
        out.append(f"{rows.invalid_nps} NPS answers are not on the {req.nps.scale if req.nps else ''} scale; "
                   "those answers count as answers without a score")  # fmt: skip
    if rows.later:
        out.append(Note(f"{rows.later} answers dated after {req.until} are left out (--as-of)"))
    return out


def compute_themes(
    sources: Sequence[TableSource],
    req: WhyRequest,
    *,
    terms: int | None = None,
    discover: int | None = None,
    seed: int = 42,
) -> ThemesResult:
    if not req.text:
        raise UsageError("no text column given", "name it with --text COL (or scores.text.column in -c)")
    rows = _rows(sources, req)
    dictionary = Dictionary(req.themes)
    comments = th.read_comments(rows, dictionary, req.language, want_terms=bool(terms or discover))
    warnings = _row_warnings(rows, req)
    if not req.themes and not (terms or discover):
        warnings.append(
            Note("no themes: in the config: every answer is '(no theme)'; --discover suggests some")
        )
    with_text = len(comments.rows)
    langs: dict[str, int] = {}
    counts = np.bincount(comments.code, minlength=len(comments.texts)) if with_text else np.zeros(0, np.int64)
    for lang, n in zip(comments.langs, counts.tolist(), strict=True):
        langs[lang or "none"] = langs.get(lang or "none", 0) + int(n)
    if not with_text:
        warnings.append(f"no answer has text in column {req.text!r}")
    records = th.theme_records(rows, comments, dictionary.names, req.by, bool(req.period), req.examples)
    fields = [*(["period"] if req.period else []), *req.by, *THEME_FIELDS]
    if not req.examples:
        fields = [f for f in fields if not f.startswith("examples_")]
    summary = {"answers": len(rows.text), "with_text": with_text, "blank": len(rows.text) - with_text,
               "distinct_texts": len(comments.texts), "languages": langs, "themes": dictionary.names,
               "scored": int((rows.band[comments.rows] >= 0).sum()) if with_text else 0}  # fmt: skip
    result = ThemesResult(records, fields, summary, warnings)
    if terms:
        result.terms = th.term_records(rows, comments, terms)
    if discover:
        result.discovered = th.discover(comments, discover, seed)
        result.yaml = th.discovered_yaml(result.discovered)
    return result


def compute_drivers(sources: Sequence[TableSource], req: WhyRequest) -> DriversResult:
    if req.nps is None:
        raise UsageError("no NPS column given", "name it with --nps COL (or scores.nps.column)")
    if len(req.drivers) < 2:
        raise UsageError(
            "key-driver analysis needs at least two drivers", "repeat --driver COL (or drivers.columns)"
        )
    theme_drivers = [d[len(THEME_PREFIX) :] for d in req.drivers if d.startswith(THEME_PREFIX)]
    unknown = [t for t in theme_drivers if t not in req.themes]
    if unknown:
        raise UsageError(
            f"theme {unknown[0]!r} is not in the config's themes:", "name a theme defined under themes:"
        )
    if theme_drivers and not req.text:
        raise UsageError(
            "theme drivers need the text column", "give it with --text COL (or scores.text.column)"
        )
    numeric = [d for d in req.drivers if not d.startswith(THEME_PREFIX)]
    rows = _rows(sources, req if theme_drivers else _without_text(req), numeric)
    columns: dict[str, np.ndarray] = {d: rows.numbers[d] for d in numeric}
    if theme_drivers:
        dictionary = Dictionary(req.themes)
        comments = th.read_comments(rows, dictionary, req.language, want_terms=False)
        for t in theme_drivers:
            flag = np.zeros(len(rows.text))
            j = dictionary.names.index(t)
            flag[comments.rows] = comments.mentions[comments.code, j] if len(comments.rows) else 0.0
            columns[THEME_PREFIX + t] = flag
    names = list(req.drivers)
    x = np.column_stack([columns[d] for d in names]) if len(rows.text) else np.zeros((0, len(names)))
    y = rows.score
    warnings = _row_warnings(rows, req)
    scored = ~np.isnan(y)
    no_score = int((~scored).sum())
    x, y = x[scored], y[scored]
    missing = np.isnan(x)
    incomplete = int(missing.any(axis=1).sum())
    cfg = req.drivers_cfg
    if cfg.missing == "drop":
        keep = ~missing.any(axis=1)
        x, y = x[keep], y[keep]
        if incomplete:
            warnings.append(
                Note(
                    f"{incomplete} answers miss at least one driver and are left out (drivers.missing: drop)"
                )
            )
    else:
        means = np.nanmean(np.where(missing, np.nan, x), axis=0) if len(x) else np.zeros(len(names))
        x = np.where(missing, means, x)
        if incomplete:
            per = ", ".join(f"{n} {int(c)}" for n, c in zip(names, missing.sum(axis=0), strict=True) if c)
            warnings.append(Note(f"{incomplete} answers miss a driver, filled with its mean ({per})"))
    if no_score:
        warnings.append(Note(f"{no_score} answers without a valid NPS answer are left out"))
    if len(y) < len(names) + 2:
        raise DataError(
            f"only {len(y)} complete answers for {len(names)} drivers", "need more answers than drivers"
        )
    try:
        fitted = kda.fit(x, y, cfg.method)
    except ValueError as exc:
        raise DataError(str(exc), "drop that driver: it cannot explain anything") from None
    boots = (
        kda.bootstrap_shares(x, y, cfg.draws, cfg.seed, cfg.method)
        if cfg.draws
        else np.zeros((0, len(names)))
    )
    perf, scaled = _performance(x, names, cfg.performance)
    mean_imp = float(np.mean(fitted.shares))
    mean_perf = float(np.nanmean(scaled))
    records: list[dict[str, Any]] = []
    for j, name in enumerate(names):
        low = high = None
        if len(boots):
            low, high = (float(v) for v in np.percentile(boots[:, j], [2.5, 97.5]))
        records.append({
            "driver": name, "importance": float(fitted.shares[j]), "ci_low": low, "ci_high": high,
            "direction": "+" if fitted.coefficients[j] >= 0 else "-", "coefficient": float(fitted.coefficients[j]),
            "performance": perf[j], "quadrant": kda.quadrant(float(fitted.shares[j]), scaled[j], mean_imp, mean_perf),
            "n": len(y), "r2": fitted.r2, "method": fitted.method,
        })  # fmt: skip
    records.sort(key=lambda r: -float(r["importance"]))
    summary = {"n": len(y), "r2": fitted.r2, "method": fitted.method, "draws": len(boots),
               "left_out_no_score": no_score, "incomplete": incomplete, "missing": cfg.missing,
               "performance": cfg.performance}  # fmt: skip
    return DriversResult(records, DRIVER_FIELDS, summary, warnings)


def _without_text(req: WhyRequest) -> WhyRequest:
    from dataclasses import replace

    return replace(req, text=None)


def _performance(x: np.ndarray, names: Sequence[str], mode: str) -> tuple[list[float], list[float]]:
    """Each driver's performance (mean on its scale, % top-2-box; theme drivers: % mentioning) and the
    same on 0-100 of its observed range, for the quadrants."""
    perf: list[float] = []
    scaled: list[float] = []
    for j, name in enumerate(names):
        col = x[:, j]
        lo, hi = float(col.min()), float(col.max())
        if name.startswith(THEME_PREFIX):
            value = 100.0 * float(col.mean())
            perf.append(value)
            scaled.append(100.0 - value)  # a theme mentioned often is a weakness
            continue
        if mode == "top2":
            value = 100.0 * float((col >= hi - 1).mean())
            perf.append(value)
            scaled.append(value)
        else:
            value = float(col.mean())
            perf.append(value)
            scaled.append(100.0 * (value - lo) / (hi - lo) if hi > lo else math.nan)
    return perf, scaled
