"""Records held as columns, and their CSV written column by column.

A report of 57,600 segments has 172,800 score records: building a dict per record and formatting each
cell in Python would cost more than reading the million answers behind them. A ``RecordTable`` keeps the
records as blocks of columns (numpy arrays, and labels as codes into their distinct texts); it is a
sequence of dicts for every renderer that wants them (built once, on first use), while ``render_csv_table``
formats whole columns at once: numbers through DuckDB's ``CAST(DOUBLE AS VARCHAR)`` (the shortest text that
reads back to the same double, which is Python's ``repr``: checked by a property test), labels once per
distinct text. The cells are the ones ``formats.safe_cell`` gives, quoted as ``csv.writer`` quotes them.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, overload

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


@dataclass(frozen=True)
class Labels:
    """A text column as codes into its distinct labels."""

    codes: np.ndarray
    labels: Sequence[Any]

    def values(self) -> list[Any]:
        lookup = np.empty(len(self.labels), dtype=object)
        lookup[:] = list(self.labels)
        out: list[Any] = lookup[self.codes].tolist()
        return out


Column = Labels | np.ndarray


@dataclass(frozen=True)
class Block:
    """Records sharing their fields: ``columns[name]`` per field, in record order; ``absent[name]`` marks
    the records where that field is None."""

    names: list[str]
    columns: dict[str, Column]
    length: int
    absent: dict[str, np.ndarray] = field(default_factory=dict)

    def values(self, name: str) -> list[Any]:
        col = self.columns[name]
        out = col.values() if isinstance(col, Labels) else _py(col)
        mask = self.absent.get(name)
        if mask is not None and mask.any():
            out = [None if gone else v for v, gone in zip(out, mask.tolist(), strict=True)]
        return out

    def rows(self) -> list[dict[str, Any]]:
        columns = [self.values(n) for n in self.names]
        return [dict(zip(self.names, row, strict=True)) for row in zip(*columns, strict=True)]


def _py(column: np.ndarray) -> list[Any]:
    """Python numbers of a column, every NaN the one ``math.nan`` (so records compare equal)."""
    out: list[Any] = column.tolist()
    if column.dtype.kind == "f" and np.isnan(column).any():
        out = [math.nan if x != x else x for x in out]
    return out


class RecordTable(Sequence[dict[str, Any]]):
    """Records as blocks of columns; as a sequence, the records as dicts (built on first use)."""

    def __init__(self, blocks: list[Block]) -> None:
        self.blocks = [b for b in blocks if b.length]
        self._rows: list[dict[str, Any]] | None = None

    def rows(self) -> list[dict[str, Any]]:
        if self._rows is None:
            self._rows = [rec for b in self.blocks for rec in b.rows()]
        return self._rows

    def __len__(self) -> int:
        return sum(b.length for b in self.blocks)

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...
    @overload
    def __getitem__(self, index: slice) -> list[dict[str, Any]]: ...
    def __getitem__(self, index: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        return self.rows()[index]

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.rows())


_MAYBE_QUOTED = re.compile(r'[,"\r\n]')  # csv.writer quotes a cell only if it has one of these (or fewer)



def text_array(labels: Sequence[Any]) -> pa.Array | None:
    """``labels`` as an Arrow string array when every one is text Arrow can hold (UTF-8), else None."""
    if not all(type(v) is str for v in labels):
        return None
    try:
        return pa.array(labels, pa.string())
    except (pa.ArrowException, UnicodeError):  # e.g. a lone surrogate
        return None


def _label_cells(labels: Sequence[Any]) -> pa.Array:
    """``safe_cell`` of each label, quoted as ``csv.writer`` quotes it: for text labels over the whole
    list at once (only those with a comma, quote or line break go through ``csv.writer`` itself)."""
    from cxroi.report.formats import FORMULA_START, safe_cell

    texts = text_array(labels)
    if texts is not None:
        formula = pc.starts_with(texts, FORMULA_START[0])
        for start in FORMULA_START[1:]:
            formula = pc.or_(formula, pc.starts_with(texts, start))
        texts = pc.if_else(formula, pc.binary_join_element_wise("'", texts, ""), texts)
        maybe = np.flatnonzero(np.asarray(pc.match_substring_regex(texts, _MAYBE_QUOTED.pattern)))
        if not len(maybe):
            return texts
        cells = texts.to_pylist()
        for i in maybe.tolist():
            cells[i] = _quoted(cells[i])
        return pa.array(cells, pa.string())
    out = []
    for v in labels:
        cell = safe_cell(v)
        out.append(_quoted(cell) if _MAYBE_QUOTED.search(cell) else cell)
    return pa.array(out, pa.string())


def _quoted(cell: str) -> str:
    """``cell`` as ``csv.writer`` writes it inside a row (quoted only when it must be)."""
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow([cell, ""])
    return buf.getvalue()[:-2]  # the row ends with the empty second field: ",\n"


def _number_cells(
    con: Any, columns: dict[str, np.ndarray], absent: dict[str, np.ndarray], empty: str
) -> dict[str, pa.Array]:
    """Cells of numeric and boolean columns: ``repr`` of each finite number, ``empty`` for NaN, infinities
    and absent values, ``true``/``false``; formatted by DuckDB (connection ``con``) over whole columns."""
    arrays: dict[str, pa.Array] = {}
    exprs = []
    blank = "'" + empty.replace("'", "''") + "'"
    for i, (name, col) in enumerate(columns.items()):
        mask = absent.get(name)
        arrays[f"c{i}"] = pa.array(col, mask=mask if mask is not None and mask.any() else None)
        if col.dtype.kind == "b":
            exprs.append(f"CASE WHEN c{i} THEN 'true' WHEN NOT c{i} THEN 'false' ELSE {blank} END AS c{i}")
        elif col.dtype.kind == "f":
            exprs.append(f"CASE WHEN isfinite(c{i}) THEN CAST(c{i} AS VARCHAR) ELSE {blank} END AS c{i}")
        else:
            exprs.append(f"coalesce(CAST(c{i} AS VARCHAR), {blank}) AS c{i}")
    if not exprs:
        return {}
    # in batches, so DuckDB formats them on every core (in order: the connection keeps insertion order);
    # 8 float columns of 57,600 rows: 0.06 s against 0.08 s as one chunk
    con.register("numbers", pa.Table.from_batches(pa.table(arrays).to_batches(max_chunksize=8192)))
    out = con.sql(f"SELECT {', '.join(exprs)} FROM numbers").to_arrow_table()
    con.unregister("numbers")
    return {name: out.column(f"c{i}").combine_chunks() for i, name in enumerate(columns)}


def _json_labels(labels: Sequence[Any]) -> pa.Array:
    from cxroi.report.formats import _clean

    return pa.array([json.dumps(_clean(v), ensure_ascii=False) for v in labels], pa.string())


class _Cells:
    """Cells of blocks' columns as text: CSV (``formats.safe_cell``, quoted as ``csv.writer`` does) or JSON
    values; labels shared by blocks are formatted once."""

    def __init__(self, con: Any, json_values: bool) -> None:
        self.con = con
        self.json = json_values
        self.empty = "null" if json_values else ""
        self.seen: dict[int, tuple[Any, pa.Array]] = {}

    def of(self, block: Block, names: Sequence[str]) -> list[pa.Array | pa.Scalar]:
        numeric = {f: c for f, c in block.columns.items()
                   if f in names and isinstance(c, np.ndarray) and c.dtype != object}  # fmt: skip
        formatted = _number_cells(self.con, numeric, block.absent, self.empty)
        blank = pa.scalar(self.empty, pa.string())
        cells: list[pa.Array | pa.Scalar] = []
        for f in names:
            col = block.columns.get(f)
            if col is None:
                cells.append(blank)
            elif f in formatted:
                cells.append(formatted[f])
            else:
                values = col if isinstance(col, Labels) else Labels(np.arange(block.length), block.values(f))
                key = id(values.labels)
                if key not in self.seen:  # the metrics' blocks share their segments' labels
                    texts = _json_labels(values.labels) if self.json else _label_cells(values.labels)
                    self.seen[key] = (values.labels, texts)
                column = self.seen[key][1].take(pa.array(values.codes, pa.int64()))
                mask = block.absent.get(f)
                if mask is not None and mask.any():
                    column = pc.if_else(pa.array(mask), blank, column)
                cells.append(column)
        return cells


def _joined(cells: list[pa.Array | pa.Scalar], length: int, sep: str) -> pa.Array:
    if not any(isinstance(c, pa.Array) for c in cells):  # no column varies: repeat the one text
        text = sep.join(c.as_py() for c in cells)
        return pa.array([text] * length, pa.string())
    out: pa.Array = pc.binary_join_element_wise(*cells, sep)
    return out


def render_csv_table(table: RecordTable, fields: Sequence[str]) -> str:
    """The CSV ``formats.render_csv`` writes for ``table``'s records, formatted column by column."""
    assert len(fields) > 1  # csv.writer quotes a lone empty field: one field takes the record-by-record path
    from cxroi.engine import duckdb_module

    con = duckdb_module().connect()
    try:
        cells = _Cells(con, json_values=False)
        body = [_text_of(_end(_joined(cells.of(b, fields), b.length, ","), "\n")) for b in table.blocks]
    finally:
        con.close()
    return _quoted_row(fields) + "".join(body)


def _end(lines: pa.Array, tail: str) -> pa.Array:
    out: pa.Array = pc.binary_join_element_wise(lines, pa.scalar(tail), "")
    return out


def _json_records(cells: _Cells, block: Block, fields: Sequence[str], indent: bool) -> pa.Array:
    """Each record of ``block`` as ``json.dumps`` writes it (with ``indent=2`` inside a list, or on one
    line), keeping only the fields the record has."""
    names = [f for f in dict.fromkeys(fields) if f in block.columns]
    if not names:
        return pa.array(["  {}" if indent else "{}"] * block.length, pa.string())
    lead = "    " if indent else ""
    keyed = [
        pc.binary_join_element_wise(pa.scalar(f"{lead}{json.dumps(f, ensure_ascii=False)}: "), cell, "")
        for f, cell in zip(names, cells.of(block, names), strict=True)
    ]
    body = _joined(keyed, block.length, ",\n" if indent else ", ")
    out: pa.Array = pc.binary_join_element_wise(
        pa.scalar("  {\n" if indent else "{"), body, pa.scalar("\n  }" if indent else "}"), ""
    )
    return out


def render_json_table(table: RecordTable, fields: Sequence[str], lines: bool = False) -> str:
    """The JSON (``lines``: NDJSON) ``formats.render_json`` writes for ``table``'s records, by columns."""
    from cxroi.engine import duckdb_module

    con = duckdb_module().connect()
    try:
        cells = _Cells(con, json_values=True)
        parts = [_text_of(_end(_json_records(cells, b, fields, not lines), "\n" if lines else ",\n"))
                 for b in table.blocks]  # fmt: skip
    finally:
        con.close()
    text = "".join(parts)
    if lines:
        return text
    return "[\n" + text[:-2] + "\n]\n" if text else "[]\n"


def _quoted_row(fields: Sequence[str]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(fields)
    return buf.getvalue()


def _text_of(lines: pa.Array) -> str:
    """The concatenated text of a string array (each element already ends with its newline)."""
    if isinstance(lines, pa.ChunkedArray):
        lines = lines.combine_chunks()
    lines = lines.cast(pa.large_string()) if lines.type == pa.string() else lines
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int64)[lines.offset : lines.offset + len(lines) + 1]
    data = lines.buffers()[2]
    if data is None:
        return ""
    return bytes(memoryview(data)[offsets[0] : offsets[-1]]).decode("utf-8")
