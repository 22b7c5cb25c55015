"""The survey counts of one input, reduced by DuckDB (``cxroi.engine.duckdb_scores``) into the same
accumulator the streaming reader fills, with the same semantics: answers after ``until`` are left out,
answers without a usable date are counted apart when there is a period, invalid answers, unreadable and
blank dates and Qualtrics group mismatches are tallied with their first row numbers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cxroi.config import NpsConfig
from cxroi.engine.duckdb_scores import (
    DATE_BAD,
    DATE_BLANK,
    DATE_LATER,
    DATE_OK,
    DuckScores,
    tally,
)
from cxroi.engine.wide_counts import expected_texts
from cxroi.io import Batch, ColumnKind, TableSource
from cxroi.io.reader import scan
from cxroi.metrics.answers import INVALID
from cxroi.metrics.periods import period_keys
from cxroi.pipeline.common import BLANK_LABEL
from cxroi.pipeline.group_counts import GroupCounts
from cxroi.preload import preload


def reduce_source(
    source: TableSource,
    request: Any,
    resolved: dict[str, str],
    acc: Any,
    wanted: dict[str, ColumnKind] | None = None,
) -> list[str]:
    """Fill ``acc`` (a fresh ``scores._Acc``) from ``source`` reduced by DuckDB; returns the queries run.

    With ``wanted`` (the column kinds), cxroi's reader reads the file and DuckDB reduces what it read
    (see ``spill_writer``); without, DuckDB's ``read_csv`` reads the file itself."""
    spill = None if wanted is None else spill_writer(source, wanted, resolved, request)
    duck = DuckScores(source, resolved, request.until, request.engine_settings, spill=spill)
    try:
        return _fill(duck, request, resolved, acc)
    finally:
        duck.close()


def reduce_database(source: Any, request: Any, resolved: dict[str, str], acc: Any, runner: Any = None) -> list[str]:
    """Fill ``acc`` from counts pushed down to the database (or Spark: ``runner``) that holds ``source``."""
    from cxroi.engine.sql_scores import SqlScores

    duck = SqlScores(source, resolved, request.until, request.engine_settings, runner=runner)
    try:
        return _fill(duck, request, resolved, acc)
    finally:
        duck.close()


def spill_writer(
    source: TableSource, wanted: dict[str, ColumnKind], resolved: dict[str, str], request: Any
) -> Callable[[str], list[str]]:
    """A function writing ``source`` as cxroi's reader reads it to a Parquet file: the spreadsheet row,
    the date state and period key of each row (with the reader's own date parsing and the same rules as
    the SQL path: later than ``until``, unreadable, blank), and every other role's column as text."""
    import pyarrow.parquet as pq

    date_col = resolved.get("date")
    columns = list(dict.fromkeys(c for role, c in resolved.items() if role != "date"))
    until = request.until
    until_us = (
        dt.datetime(until.year, until.month, until.day, 23, 59, 59, 999999) if until is not None else None
    )
    schema = pa.schema(
        [("_row", pa.int64()), ("_state", pa.int8()), ("_day", pa.int64()),
         *[(f"c{i}", pa.string()) for i in range(len(columns))]]
    )  # fmt: skip

    def spill(path: str) -> list[str]:
        writers: list[Any] = []

        def new() -> Any:
            for old in writers:  # the reader starts again (dates as text, multi-line cells): so do we
                old.close()
            writers.append(pq.ParquetWriter(path, schema))
            return writers[-1]

        def step(writer: Any, batch: Batch) -> None:
            n = batch.num_rows
            state = np.full(n, DATE_OK, dtype=np.int8)
            day = np.zeros(n, dtype=np.int64)
            if date_col is not None and request.period:
                keys = period_keys(batch.columns[date_col], request.period)
                missing = keys == -1
                bad = batch.bad_dates.get(date_col)
                state[missing] = DATE_BLANK
                if bad is not None:
                    state[missing & bad] = DATE_BAD
                day = np.where(missing, 0, keys)
            if date_col is not None and until_us is not None:
                stamps = batch.columns[date_col].cast(pa.timestamp("us"))
                after = pc.fill_null(pc.greater(stamps, pa.scalar(until_us, pa.timestamp("us"))), False)
                state[np.asarray(after.to_numpy(zero_copy_only=False), dtype=bool)] = DATE_LATER
            arrays = [pa.array(batch.row_numbers(np.ones(n, dtype=bool)), pa.int64()),
                      pa.array(state), pa.array(day),
                      *[_text(batch.columns[c]) for c in columns]]  # fmt: skip
            writer.write_table(pa.Table.from_arrays(arrays, schema=schema))

        writer = scan(source, wanted, new, step)
        writer.close()
        return columns

    return spill


def _text(arr: pa.Array) -> pa.Array:
    """A column as text for the reduction; a float NaN is a blank (as a numeric column has always read)."""
    if pa.types.is_floating(arr.type):
        arr = pc.if_else(pc.is_nan(arr), pa.scalar(None, arr.type), arr)
    return arr.cast(pa.string())


def _fill(duck: DuckScores, request: Any, resolved: dict[str, str], acc: Any) -> list[str]:
    from cxroi.pipeline.scores import _group_mismatches, answer_positions

    metrics = request.metrics()
    segments = [f"by{i}" for i in range(len(request.by))]
    vocab = None
    if duck.counts_by_text:  # (a database's pushed-down counts need none: no sample query is sent)
        vocab = {
            m: expected_texts(cfg.scale[0], cfg.scale[1], cfg.labels, duck.source.sample_values(resolved[m]))
            for m, cfg in metrics.items()
        }
    # pandas (pulled in by pyarrow's first to_numpy) and SciPy (CES t quantiles) load while DuckDB runs
    preload("pandas", *(["scipy.special"] if "ces" in metrics else []))
    rows, reduced = duck.reduce(list(metrics), segments, request.period, vocab)
    acc.rows = rows
    until_applies = request.until is not None and "date" in resolved
    first = True
    seen: tuple[list[pa.Array], list[tuple[np.ndarray, tuple[object, ...]]]] | None = None
    for metric, cfg in metrics.items():
        r = reduced[metric]
        low, high = cfg.scale
        width = high - low + 1
        encoded = r.answer.dictionary_encode()
        pos, strings, lut = answer_positions(encoded, low, high, cfg.labels)
        if strings is not None and lut is not None:
            _foreign_digits(acc, metric, encoded, strings, lut, r.n)
        invalid = pos == INVALID
        if invalid.any():
            bad = sorted(
                set(r.answer.filter(pa.array(invalid)).to_pylist()), key=lambda v: (v is None, v or "")
            )
            found = duck.rows_where(duck.is_one_of(metric, bad), limit=50, role=metric)
            examples = list(dict.fromkeys("" if v is None else str(v) for _row, v in found))
            acc.invalid[metric] = tally(int(r.n[invalid].sum()), [row for row, _v in found], examples)
        if metric == "nps" and r.nps_group is not None:
            assert isinstance(cfg, NpsConfig)
            mismatch = _group_mismatches(r.nps_group.dictionary_encode(), pos, cfg)
            if mismatch.any():
                chosen = pa.array(mismatch)
                pairs = set(
                    zip(r.answer.filter(chosen).to_pylist(), r.nps_group.filter(chosen).to_pylist(), strict=True)
                )
                cond = " OR ".join(
                    f"({duck.is_one_of(metric, [a])} AND {duck.is_one_of('nps_group', [g])})"
                    for a, g in sorted(pairs, key=str)
                )
                where = [row for row, _v in duck.rows_where(cond)]
                acc.group_mismatch = tally(int(r.n[mismatch].sum()), where, [])
        state = r.per_count(r.state)
        later = (state == DATE_LATER) if until_applies else np.zeros(len(r.n), dtype=bool)
        keep = ~later
        dated_or_not = keep.copy()
        parts: list[tuple[np.ndarray, Sequence[object]]] = []  # (codes per key row, labels)
        if request.period:
            if first:  # the date tallies are per row, not per metric
                bad = state == DATE_BAD
                blank = state == DATE_BLANK
                if bad.any():
                    acc.bad_dates = tally(
                        int(r.n[bad].sum()), [row for row, _v in duck.rows_where(f"_state = {DATE_BAD}")], []
                    )
                if blank.any():
                    acc.no_date = tally(
                        int(r.n[blank].sum()),
                        [row for row, _v in duck.rows_where(f"_state = {DATE_BLANK}")],
                        [],
                    )
            keep &= state == DATE_OK
            dated = (r.state == DATE_OK) | (r.state == DATE_LATER)
            period = np.where(dated, r.day, -1)  # the period key, computed in SQL
            uniq, codes = np.unique(period, return_inverse=True)
            parts.append((codes.astype(np.int64), [int(k) for k in uniq]))
        if seen is None or len(seen[0]) != len(r.segments) or not all(
            a.equals(b) for a, b in zip(seen[0], r.segments, strict=True)
        ):  # the metrics usually share their key rows: their segment labels are worked out once
            seen = (r.segments, [_codes(col) for col in r.segments])
        seg_parts = seen[1]
        parts.extend(seg_parts)
        _add(acc.counts, metric, parts, r.rows, keep & (pos >= 0), pos, r.n, width)
        if request.totals and request.period:
            _add(
                acc.undated,
                metric,
                seg_parts,
                r.rows,
                dated_or_not & ~keep & (pos >= 0),
                pos,
                r.n,
                width,
            )
        first = False
    return duck.queries


def _foreign_digits(
    acc: Any, metric: str, encoded: pa.Array, strings: list[str], lut: np.ndarray, n: np.ndarray
) -> None:
    """Answers written in other digits (Arabic-Indic ``٩``, full-width ``９``) are read as the numbers they
    spell, and counted so the reader is told."""
    found = [i for i, t in enumerate(strings) if lut[i] >= 0 and any(c.isdigit() and not c.isascii() for c in t)]
    if found:
        idx = np.asarray(encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False), dtype=np.int64)
        acc.foreign_digits[metric] = (int(n[np.isin(idx, found)].sum()), [strings[i] for i in found[:3]])


def _codes(column: pa.Array) -> tuple[np.ndarray, tuple[object, ...]]:
    """Codes of each reduced row's segment label (trimmed, blank = ``(blank)``), labelling only the
    distinct texts; texts that differ only in spaces share a label and a code. Trimmed by Arrow, whose
    spaces are exactly ``str.strip()``'s (every code point: tests/engine/test_group_counts.py)."""
    trimmed = pc.utf8_trim_whitespace(column.cast(pa.string()))
    labelled = pc.if_else(pc.fill_null(pc.equal(trimmed, ""), True), pa.scalar(BLANK_LABEL), trimmed)
    encoded = labelled.dictionary_encode()
    codes = np.asarray(encoded.indices.to_numpy(zero_copy_only=False), dtype=np.int64)
    labels = tuple(encoded.dictionary.to_pylist())  # a tuple: the metrics' counts then share it
    return codes, labels


def _add(target: dict[str, GroupCounts], metric: str, parts: Sequence[tuple[np.ndarray, Sequence[object]]],
         rows: np.ndarray, use: np.ndarray, pos: np.ndarray, n: np.ndarray, width: int) -> None:  # fmt: skip
    """Add the histograms of the ``use`` counts per group key (``parts``: codes per key row and labels;
    ``rows``: each count's key row), vectorised: keys stay codes into their labels (``GroupCounts``)."""
    if not use.any():
        return
    part = GroupCounts.from_key_rows(parts, rows[use], pos[use], n[use], width)
    target[metric] = target[metric].merge(part) if metric in target else part


__all__ = ["DATE_OK", "reduce_source"]
