"""Survey answers as rows, for the analyses that need each answer (themes, drivers): the open-ended text,
the NPS band, segments and period of every answer, and numeric driver ratings, read from every source of
the survey input with cxroi's reader (so every layout, encoding and label rule applies)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cxroi.config import NpsConfig, Period
from cxroi.io import Batch, ColumnKind, TableSource
from cxroi.io.reader import scan
from cxroi.metrics.answers import INVALID
from cxroi.metrics.bands import band_lookup
from cxroi.metrics.periods import period_keys, period_label
from cxroi.metrics.themes import DETRACTOR, NO_SCORE, PASSIVE, PROMOTER
from cxroi.pipeline.common import BLANK_LABEL
from cxroi.report.privacy import looks_personal

NAME_HINT = ("name",)


@dataclass
class Rows:
    """One entry per answer (after ``--as-of``), in file order."""

    text: list[str | None] = field(default_factory=list)
    band: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int8))
    score: np.ndarray = field(default_factory=lambda: np.zeros(0))  # NPS answer (NaN: none or invalid)
    segments: list[list[str]] = field(default_factory=list)  # per --by column, the label per answer
    period: list[str | None] = field(default_factory=list)
    numbers: dict[str, np.ndarray] = field(default_factory=dict)  # driver column -> values (NaN: missing)
    names: set[str] = field(default_factory=set)  # values of personal name columns (for redaction)
    invalid_nps: int = 0
    later: int = 0


def read_rows(
    sources: Sequence[TableSource],
    *,
    text: str | None,
    nps: NpsConfig | None,
    by: Sequence[str] = (),
    date: str | None = None,
    period: Period | None = None,
    until: dt.date | None = None,
    numbers: Sequence[str] = (),
) -> Rows:
    from cxroi.pipeline.scores import answer_positions

    out = Rows(segments=[[] for _ in by])
    scores: list[np.ndarray] = []
    bands: list[np.ndarray] = []
    values: dict[str, list[np.ndarray]] = {c: [] for c in numbers}
    for source in sources:
        roles: dict[str, str] = {}
        wanted: dict[str, ColumnKind] = {}
        if text is not None:
            roles["text"] = source.resolve(text)
            wanted[roles["text"]] = ColumnKind.TEXT
        if nps is not None and nps.column:
            roles["nps"] = source.resolve(nps.column)
            wanted[roles["nps"]] = ColumnKind.CATEGORY
        for i, col in enumerate(by):
            roles[f"by{i}"] = source.resolve(col)
            wanted.setdefault(roles[f"by{i}"], ColumnKind.CATEGORY)
        if date is not None and (period or until is not None):
            roles["date"] = source.resolve(date)
            wanted[roles["date"]] = ColumnKind.DATE
        for col in numbers:
            roles[f"num:{col}"] = source.resolve(col)
            wanted.setdefault(roles[f"num:{col}"], ColumnKind.CATEGORY)
        personal = [c for c in source.columns if looks_personal(c) and "name" in c.casefold()]
        for c in personal:
            wanted.setdefault(c, ColumnKind.TEXT)
        until_us = (
            pa.scalar(dt.datetime(until.year, until.month, until.day, 23, 59, 59, 999999), pa.timestamp("us"))
            if until is not None
            else None
        )

        def step(acc: list[Batch], batch: Batch) -> None:
            acc.append(batch)

        batches: list[Batch] = scan(source, wanted, list, step)
        for batch in batches:
            keep = np.ones(batch.num_rows, dtype=bool)
            if "date" in roles and until_us is not None:
                stamps = batch.columns[roles["date"]].cast(pa.timestamp("us"))
                after = pc.fill_null(pc.greater(stamps, until_us), False)
                keep = ~np.asarray(after.to_numpy(zero_copy_only=False), dtype=bool)
                out.later += int((~keep).sum())
            cols = {c: pc.filter(a, pa.array(keep)) for c, a in batch.columns.items()}
            n = int(keep.sum())
            if "text" in roles:
                out.text += cols[roles["text"]].cast(pa.string()).to_pylist()
            else:
                out.text += [None] * n
            band = np.full(n, NO_SCORE, dtype=np.int8)
            score = np.full(n, np.nan)
            if "nps" in roles and nps is not None:
                low, high = nps.scale
                pos = answer_positions(cols[roles["nps"]], low, high, nps.labels)[0]
                out.invalid_nps += int((pos == INVALID).sum())
                lookup = band_lookup(nps.scale, {"detractors": nps.detractors, "passives": nps.passives,
                                                 "promoters": nps.promoters})  # fmt: skip
                for name, code in (("detractors", DETRACTOR), ("passives", PASSIVE), ("promoters", PROMOTER)):
                    band[np.isin(pos, lookup.get(name, []))] = code
                score = np.where(pos >= 0, pos + low, np.nan)
            bands.append(band)
            scores.append(score)
            for i in range(len(by)):
                labels = cols[roles[f"by{i}"]].cast(pa.string()).to_pylist()
                out.segments[i] += [(v or "").strip() or BLANK_LABEL for v in labels]
            if period and "date" in roles:
                keys = period_keys(cols[roles["date"]], period)
                out.period += [None if k == -1 else period_label(int(k), period) for k in keys]
            else:
                out.period += [None] * n
            for col in numbers:
                values[col].append(_numbers(cols[roles[f"num:{col}"]]))
            for c in personal:
                out.names.update(v.strip().casefold() for v in cols[c].cast(pa.string()).to_pylist() if v)
    out.band = np.concatenate(bands) if bands else np.zeros(0, dtype=np.int8)
    out.score = np.concatenate(scores) if scores else np.zeros(0)
    out.numbers = {c: np.concatenate(v) if v else np.zeros(0) for c, v in values.items()}
    out.names = {n for n in out.names if len(n) > 1}
    return out


def _numbers(arr: pa.Array) -> np.ndarray:
    """Numeric ratings (``4``, ``4,0``, `` 4 ``, ``4 - Good``: the leading number); NaN where none."""
    if pa.types.is_integer(arr.type) or pa.types.is_floating(arr.type):
        return np.asarray(arr.cast(pa.float64()).fill_null(np.nan).to_numpy(zero_copy_only=False))
    text = pc.utf8_trim_whitespace(arr.cast(pa.string()))
    lead = pc.extract_regex(text, r"^(?P<v>[-+]?\d+(?:[.,]\d+)?)")
    number = pc.replace_substring(pc.struct_field(lead, "v"), ",", ".")
    out = pc.cast(number, pa.float64(), safe=False)
    return np.asarray(out.fill_null(np.nan).to_numpy(zero_copy_only=False), dtype=float)
