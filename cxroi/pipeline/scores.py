"""``cxroi scores``: NPS, CSAT and CES per segment and period, from integer counts per group.

Each input is reduced by DuckDB (``cxroi.pipeline.scores_engine``) to a histogram of scale positions per
(period, segment...) group, and histograms from files add up exactly. Every score is then computed from
those counts (see ``cxroi.metrics``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pyarrow as pa

from cxroi.config import CesConfig, CsatConfig, NpsConfig, Period
from cxroi.errors import DataError, UsageError
from cxroi.io import ColumnKind, TableSource
from cxroi.metrics.answers import (
    BLANK,
    builtin_labels,
    label_key,
    numeric_positions,
    parse_labelled,
    scale_positions,
)
from cxroi.metrics.bands import band_lookup
from cxroi.pipeline.common import Note, Tally, category_codes
from cxroi.pipeline.group_counts import GroupCounts
from cxroi.pipeline.score_records import METRIC_FIELDS, records_of
from cxroi.report.record_table import RecordTable

Metric = Literal["nps", "csat", "ces"]
METRICS: tuple[Metric, ...] = ("nps", "csat", "ces")

# CES means live on a 1-7 scale: show two decimals in tables.
DECIMALS = {"ces": {"value": 2, "moe": 2, "ci_low": 2, "ci_high": 2, "delta": 2}}


@dataclass(frozen=True)
class ScoresRequest:
    """What to compute: a config per metric that has a column, plus date/segments/period."""

    nps: NpsConfig | None = None
    csat: CsatConfig | None = None
    ces: CesConfig | None = None
    date: str | None = None
    by: tuple[str, ...] = ()
    period: Period | None = None
    strict: bool = False
    until: dt.date | None = None  # answers dated after this day are not counted (``--as-of``)
    totals: bool = False  # also count, in the same pass, overall and per segment regardless of period
    min_n: int = 0  # records with fewer valid answers get ``small: true`` (0: no flag)
    engine: str = "duckdb"  # who parses CSV files: duckdb (read_csv where it can) | reader (cxroi's reader)
    paths: list[str] | None = None  # filled with "input: engine" lines as the inputs are read (for -v)
    engine_settings: Any = None  # EngineConfig: DuckDB's memory limit, temp directory, threads
    cache: str | None = None  # folder of the count cache (``cxroi run``); None: read every input

    def metrics(self) -> dict[Metric, NpsConfig | CsatConfig | CesConfig]:
        found = {m: getattr(self, m) for m in METRICS}
        return {m: c for m, c in found.items() if c is not None and c.column}


@dataclass(frozen=True)
class ScoresResult:
    table: Sequence[dict[str, Any]]  # the records (a RecordTable: columns, for renderers that want them)
    fields: list[str]
    warnings: list[str]
    by: tuple[str, ...]
    period: Period | None
    answers: dict[Metric, int]  # metric -> valid answers used
    distributions: dict[str, list[int]] = field(default_factory=dict)  # metric -> answers per scale value
    overall: list[dict[str, Any]] | None = None  # with ``totals``: one record per metric, all answers
    segments: list[dict[str, Any]] | None = None  # with ``totals`` and ``by``: per segment, all periods
    trend: list[dict[str, Any]] | None = None  # with ``totals`` and ``period``: per period, all segments

    @functools.cached_property
    def records(self) -> list[dict[str, Any]]:
        """One dict per (metric, period, segment...) record."""
        return self.table.rows() if isinstance(self.table, RecordTable) else list(self.table)


@dataclass
class _Acc:
    counts: dict[str, GroupCounts] = field(default_factory=dict)  # metric -> counts per (period, segment...)
    # with ``totals`` and a period: answers left out of ``counts`` for want of a date, per segment
    undated: dict[str, GroupCounts] = field(default_factory=dict)
    invalid: dict[str, Tally] = field(default_factory=dict)
    foreign_digits: dict[str, tuple[int, list[str]]] = field(default_factory=dict)  # read, but said
    bad_dates: Tally = field(default_factory=Tally)
    no_date: Tally = field(default_factory=Tally)
    group_mismatch: Tally = field(default_factory=Tally)  # Qualtrics Qn_NPS_GROUP disagrees with the score
    rows: int = 0


def answer_positions(
    arr: pa.Array, low: int, high: int, labels: dict[str, float] | None = None
) -> tuple[np.ndarray, list[str] | None, np.ndarray | None]:
    """Scale positions per row, plus (for text) the dictionary strings and their positions (for examples).

    Text answers may be labels (``Good``, 😃, ``Very satisfied``, ``Çok memnunum``: see
    ``cxroi.metrics.answers.builtin_labels``) or the config's ``labels``; "no answer" labels are blanks."""
    if pa.types.is_dictionary(arr.type):
        texts = arr.dictionary.to_pylist()
        strings = [None if t is None else str(t) for t in texts]
        mapping = builtin_labels(low, high) | {label_key(k): float(v) for k, v in (labels or {}).items()}
        lut = scale_positions([parse_labelled(t, mapping) for t in strings], low, high)
        lut = np.append(lut, BLANK)
        idx = np.asarray(arr.indices.fill_null(len(strings)).to_numpy(zero_copy_only=False), dtype=np.int64)
        return lut[idx], [s or "" for s in strings], lut[:-1]
    if pa.types.is_integer(arr.type) or pa.types.is_floating(arr.type):
        values = np.asarray(arr.cast(pa.float64()).fill_null(math.nan).to_numpy(zero_copy_only=False))
        return numeric_positions(values, low, high), None, None
    return answer_positions(arr.cast(pa.string()).dictionary_encode(), low, high, labels)


class _Scorer:
    def __init__(self, request: ScoresRequest, resolved: dict[str, str]) -> None:
        self.request = request
        self.resolved = resolved  # role -> column name in this source
        self.metrics = request.metrics()

    def new(self) -> _Acc:
        return _Acc(invalid={m: Tally() for m in self.metrics})


def _cached_read(
    source: TableSource,
    request: ScoresRequest,
    resolved: dict[str, str],
    wanted: dict[str, ColumnKind],
    scorer: _Scorer,
) -> tuple[_Acc, list[str], list[str]]:
    """The counts and warnings of one input, from the count cache when it holds them for this very file
    and these parameters (see ``cxroi.engine.cache``), else read and then stored."""
    database = getattr(source, "db", None) is not None  # a database's content has no cheap fingerprint
    folder = Path(request.cache) if request.cache and source.display != "<stdin>" and not database else None
    key = ""
    if folder is not None:
        from cxroi.engine import cache

        params = {
            "resolved": resolved,
            "request": [str(getattr(request, f)) for f in ("nps", "csat", "ces", "date", "by", "period",
                                                           "until", "totals", "engine")],
        }  # fmt: skip
        key = cache.cache_key(Path(source.path), params)
        hit = cache.load(folder, key, scorer.new)
        if hit is not None:
            if request.paths is not None:
                request.paths.append(f"{source.display}: count cache ({folder / key}.json)")
            return hit
    part = _read(source, request, resolved, wanted, scorer)
    found = _source_warnings(source, part, request, resolved)
    checks = _cross_check(source.display, part, resolved)
    if folder is not None:
        from cxroi.engine import cache

        with contextlib.suppress(OSError):  # a cache that cannot be written only costs the next run its speed
            cache.save(folder, key, part, found, checks)
    return part, found, checks


def _read(source: TableSource, request: ScoresRequest, resolved: dict[str, str], wanted: dict[str, ColumnKind],
          scorer: _Scorer) -> _Acc:  # fmt: skip
    """The counts of one input, reduced by DuckDB: from the file itself where ``read_csv`` can express how
    it is read, else from the rows cxroi's reader reads (written to Parquet in the temp folder)."""
    from cxroi.engine.duckdb_scores import unsupported
    from cxroi.pipeline.scores_engine import reduce_source

    acc = scorer.new()
    db: Any = getattr(source, "db", None)
    if db is not None and not getattr(source, "pushdown", True):  # fetched columns, counted like a file
        source.fetch(list(dict.fromkeys(resolved.values())))  # type: ignore[attr-defined]
    elif db is not None:
        from cxroi.pipeline.scores_engine import reduce_database

        queries = reduce_database(source, request, resolved, acc)
        if request.paths is not None:
            request.paths.append(f"{source.display}: counts pushed down to {db.dialect}, "
                                 f"{len(queries)} queries; first: {queries[0]}")  # fmt: skip
        return acc
    why = "engine.csv: reader" if request.engine == "reader" else unsupported(source, resolved)
    queries = reduce_source(source, request, resolved, acc, wanted if why else None)
    if request.paths is not None:
        direct = "DuckDB read_parquet" if source.kind == "parquet" else "DuckDB read_csv"
        if db is not None:
            direct = f"columns fetched from {db.dialect} (pushdown: false), counted by {direct}"
        how = f"cxroi's reader ({why}) into DuckDB" if why else direct
        request.paths.append(f"{source.display}: {how}, {len(queries)} queries; first: {queries[0]}")
    return acc


def _merge(total: _Acc, part: _Acc) -> None:
    total.rows += part.rows
    total.group_mismatch.merge(part.group_mismatch)
    total.bad_dates.merge(part.bad_dates)
    total.no_date.merge(part.no_date)
    for name in ("counts", "undated"):
        for metric, groups in getattr(part, name).items():
            dest = getattr(total, name)
            dest[metric] = dest[metric].merge(groups) if metric in dest else groups
    for metric, tally in part.invalid.items():
        total.invalid.setdefault(metric, Tally()).merge(tally)


def _resolve(source: TableSource, request: ScoresRequest) -> tuple[dict[str, str], dict[str, ColumnKind]]:
    resolved: dict[str, str] = {}
    wanted: dict[str, ColumnKind] = {}
    for metric, cfg in request.metrics().items():
        assert cfg.column is not None
        resolved[metric] = source.resolve(cfg.column)
        wanted[resolved[metric]] = ColumnKind.CATEGORY
    for i, col in enumerate(request.by):
        resolved[f"by{i}"] = source.resolve(col)
        wanted[resolved[f"by{i}"]] = ColumnKind.CATEGORY
    if request.period or (request.until is not None and request.date):
        assert request.date is not None
        resolved["date"] = source.resolve(request.date)
        wanted[resolved["date"]] = ColumnKind.DATE
    if "nps" in resolved and f"{resolved['nps']}_NPS_GROUP" in source.columns:
        resolved["nps_group"] = f"{resolved['nps']}_NPS_GROUP"  # Qualtrics' own band: a cross-check only
        wanted[resolved["nps_group"]] = ColumnKind.CATEGORY
    return resolved, wanted


# Qualtrics Qn_NPS_GROUP values -> our NPS band names
_QUALTRICS_GROUPS = {
    "1": "detractors",
    "2": "passives",
    "3": "promoters",
    "detractor": "detractors",
    "passive": "passives",
    "promoter": "promoters",
}


def _group_mismatches(group_col: pa.Array, pos: np.ndarray, cfg: NpsConfig) -> np.ndarray:
    """Rows whose exported NPS group names another band than the score does (both present)."""
    codes, labels = category_codes(group_col)
    names = [_QUALTRICS_GROUPS.get(str(lab).strip().casefold()) for lab in labels]
    bands = band_lookup(
        cfg.scale, {"detractors": cfg.detractors, "passives": cfg.passives, "promoters": cfg.promoters}
    )
    band_of = np.full(cfg.scale[1] - cfg.scale[0] + 1, "", dtype=object)
    for name, positions in bands.items():
        band_of[positions] = name
    exported = np.array([n or "" for n in names], dtype=object)[codes]
    valid = (pos >= 0) & (exported != "")
    scored = np.full(len(pos), "", dtype=object)
    scored[valid] = band_of[pos[valid]]
    mismatch: np.ndarray = valid & (exported != scored)
    return mismatch


def validate_request(request: ScoresRequest) -> None:
    if not request.metrics():
        raise UsageError(
            "no score column given",
            "name at least one with --nps, --csat or --ces (or in the config's scores:)",
        )
    if request.period and not request.date:
        raise UsageError(
            "--period needs a date column", "give it with --date COL (or scores.date in the config)"
        )
    if len(set(request.by)) != len(request.by):
        raise UsageError("the same --by column is given twice", "name each segment column once")


def compute_scores(sources: Sequence[TableSource], request: ScoresRequest) -> ScoresResult:
    """Read every source and compute the requested scores per (period, segment...) group."""
    validate_request(request)
    metrics = request.metrics()
    total = _Acc(invalid={m: Tally() for m in metrics})
    warnings: list[str] = []
    cross_checks: list[str] = []
    for source in sources:
        resolved, wanted = _resolve(source, request)
        scorer = _Scorer(request, resolved)
        part, found, checks = _cached_read(source, request, resolved, wanted, scorer)
        _merge(total, part)
        warnings.extend(found)
        cross_checks.extend(checks)
    problems = [w for w in warnings if not isinstance(w, Note)]
    if request.strict and problems:
        raise DataError(problems[0], "fix the data, or drop --strict to leave such rows out with a warning")
    warnings += cross_checks  # information, not a data problem: never fatal, even with --strict
    for metric, cfg in metrics.items():
        if not len(total.counts.get(metric, ())):
            bad = total.invalid[metric]
            seen = f" ({bad.count} invalid: {bad.where()})" if bad.count else ""
            raise DataError(
                f"no valid {metric.upper()} answers in column {cfg.column!r}{seen}",
                f"check the column and its scale {list(cfg.scale)} (answers must be whole numbers on it)",
            )
    records = records_of(total.counts, request)
    overall_counts = _collapse(total, request, keep_period=False, keep_segments=False)
    overall = segments = trend = None
    if request.totals:
        overall = records_of(overall_counts, replace(request, by=(), period=None)).rows()
        if request.by:
            by_segment = _collapse(total, request, keep_period=False, keep_segments=True)
            segments = records_of(by_segment, replace(request, period=None)).rows()
        if request.period:
            by_period = _collapse(total, request, keep_period=True, keep_segments=False)
            trend = records_of(by_period, replace(request, by=())).rows()
    fields = ["metric"]
    if request.period:
        fields.append("period")
    fields += [*request.by, "n", "value", "moe", "ci_low", "ci_high"]
    fields += [f for m in metrics for f in METRIC_FIELDS[m]]
    if request.period:
        fields += ["delta", "p_value"]
    if request.min_n:
        fields.append("small")
    answers = {m: int(total.counts[m].hist.sum()) for m in metrics}
    counted = overall_counts if request.totals else total.counts
    distributions: dict[str, list[int]] = {
        m: counted[m].total().astype(int).tolist() for m in metrics if m in counted and len(counted[m])
    }
    return ScoresResult(
        records,
        fields,
        warnings,
        request.by,
        request.period,
        answers,
        distributions,
        overall,
        segments,
        trend,
    )


Counts = dict[str, GroupCounts]


def _collapse(total: _Acc, request: ScoresRequest, keep_period: bool, keep_segments: bool) -> Counts:
    """Sum the (period, segment...) histograms over the period and/or the segments; totals without the
    period also count the answers that had no usable date."""
    has_period = request.period is not None
    segs = list(range(int(has_period), int(has_period) + len(request.by)))
    keep = ([0] if keep_period and has_period else []) + (segs if keep_segments else [])
    out: Counts = {}
    for metric, groups in total.counts.items():
        collapsed = groups.select(keep)
        undated = total.undated.get(metric)
        if has_period and not keep_period and undated is not None and len(undated):
            collapsed = collapsed.merge(undated.select(list(range(len(request.by))) if keep_segments else []))
        out[metric] = collapsed
    return out


def _cross_check(where: str, acc: _Acc, resolved: dict[str, str]) -> list[str]:
    out: list[str] = []
    if acc.group_mismatch.count:
        n = acc.group_mismatch.count
        out.append(
            f"{where}: {n} answer{'s' if n > 1 else ''} in {resolved['nps_group']!r} name another NPS group than "
            f"the score does under the configured bands ({acc.group_mismatch.where()}); groups are recomputed "
            "from the score, the exported group is only a cross-check"
        )
    return out


def _source_warnings(
    source: TableSource, acc: _Acc, request: ScoresRequest, resolved: dict[str, str]
) -> list[str]:
    out: list[str] = list(source.warnings)
    note = source.filter_note()
    if note:
        out.append(Note(note))
    where = source.display
    for metric, cfg in request.metrics().items():
        tally = acc.invalid[metric]
        if tally.count:
            out.append(
                f"{where}: {tally.count} {metric.upper()} answer{'s' if tally.count > 1 else ''} in column "
                f"{resolved[metric]!r} {'are' if tally.count > 1 else 'is'} not a whole number on the scale "
                f"{list(cfg.scale)} and left out ({tally.where()})"
            )
    for name, (count, texts) in acc.foreign_digits.items():
        out.append(
            Note(
                f"{where}: {count} {name.upper()} answer{'s' if count > 1 else ''} in column {resolved[name]!r} "
                f"{'are' if count > 1 else 'is'} written in non-ASCII digits (e.g. {', '.join(map(repr, texts))}) "
                "and read as the numbers they spell"
            )
        )
    if acc.bad_dates.count:
        out.append(
            f"{where}: {acc.bad_dates.count} date{'s' if acc.bad_dates.count > 1 else ''} in column "
            f"{resolved['date']!r} could not be read (a date before 1900 is a placeholder "
            f"and counts as unreadable); those answers are left out ({acc.bad_dates.where()})"
        )
    if acc.no_date.count:
        out.append(
            f"{where}: {acc.no_date.count} row{'s have' if acc.no_date.count > 1 else ' has'} no date in column "
            f"{resolved['date']!r}; left out of the per-period figures ({acc.no_date.where()})"
        )
    skipped = source.skipped
    if skipped.count - skipped.footer:
        extra = f" ({'; '.join(skipped.examples)})" if skipped.examples else ""
        out.append(
            f"{where}: skipped {skipped.count - skipped.footer} rows with the wrong number of fields{extra}"
        )
    return out


def build_request(
    config: Any,
    *,
    nps_col: str | None = None,
    csat_col: str | None = None,
    ces_col: str | None = None,
    date: str | None = None,
    by: Sequence[str] | None = None,
    period: Period | None = None,
    strict: bool | None = None,
    interval: str | None = None,
    ces_value: str | None = None,
    min_n: int | None = None,
) -> ScoresRequest:
    """Merge command-line flags over the config's ``scores:`` section (flags win)."""
    sc = config.scores
    nps_cfg = sc.nps.model_copy(
        update={k: v for k, v in {"column": nps_col, "interval": interval}.items() if v}
    )
    csat_cfg = sc.csat.model_copy(update={"column": csat_col} if csat_col else {})
    ces_cfg = sc.ces.model_copy(
        update={k: v for k, v in {"column": ces_col, "value": ces_value}.items() if v}
    )
    return ScoresRequest(
        nps=nps_cfg,
        csat=csat_cfg,
        ces=ces_cfg,
        date=date or sc.date,
        by=tuple(by) if by else tuple(sc.by),
        period=period or sc.period,
        strict=sc.strict if strict is None else strict,
        min_n=sc.min_n if min_n is None else min_n,
        engine=os.environ.get("CXROI_ENGINE") or config.engine.csv,  # the env: to run a suite on each
        engine_settings=config.engine,
    )


def titles(request: ScoresRequest) -> dict[str, str]:
    """Table titles that say each metric's unit."""
    ces_cfg = request.ces
    lo, hi = ces_cfg.scale if ces_cfg else (1, 7)
    ces_unit = {
        "mean": f"mean on {lo}-{hi}",
        "agree": "% agree",
        "net": "% agree - % disagree",
    }[ces_cfg.value if ces_cfg else "mean"]
    return {"nps": "NPS (points, -100..100)", "csat": "CSAT (% satisfied)", "ces": f"CES ({ces_unit})"}
