"""Survey counts reduced inside DuckDB: the one engine of ``cxroi scores`` (and of every command that
reads survey scores).

The sniffing and layout layer decides how the file is read (delimiter, header rows, column names, the
date column's format); this module turns that into one ``read_csv`` query that groups the whole file, in
one scan, by (date state, period key, segment texts) with a count per expected answer text of every
metric (``cxroi.engine.wide_counts``; texts nobody expected are counted by text in a second, targeted
query). Weighted rows (counts pushed down to a database) and Qualtrics groups use GROUPING SETS of
(keys, answer text) per metric instead. The few distinct answer texts are then mapped in Python by the
reader's own label rules, so every path gives identical counts. Row numbers of unusable values are
fetched by another targeted query only when there are any.

Inputs ``read_csv`` cannot express (XLSX, Parquet, standard input, encodings other than UTF-8, UTF-16 with
a BOM and Latin-1, row filters, Excel-serial or zoned dates), or every input with ``engine.csv: reader``,
are read by cxroi's reader and written once to Parquet in the temp folder (spreadsheet row, date state
and period key per row, the other columns as text), which DuckDB then reduces with the same query; ``-v``
says which served each input and the query it ran.

``read_csv`` runs in strict mode first, which refuses a quote that never closes, so a file it reads needs
no pass of its own for unpaired quotes; when strict mode refuses the file (a row with the wrong number of
fields), or the file's last lines look ragged (a report footer), the quotes are checked and the file is
read padding short rows. Not yet like the reader then: rows with the wrong number of fields are not
counted as skipped (DuckDB pads short rows and folds long ones; the reader skips both and says so). Report
footers are the reader's: full rows matching ``_FOOTER_ROW``; once short rows are padded, also rows
starting with a short-row marker, so a full row starting with ``salesforce.com`` is left out there while
the reader keeps it.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from cxroi.engine.sql_text import iso_sql, literal
from cxroi.errors import InputError
from cxroi.io.dates import EXCEL_SERIAL, ISO_FAMILY, ZONE_SUFFIX
from cxroi.io.reader import _FOOTER_MARKERS, _FOOTER_ROW, TableSource
from cxroi.io.sniff import ragged_tail
from cxroi.metrics.periods import period_keys
from cxroi.pipeline.common import Tally

DATE_OK, DATE_BLANK, DATE_BAD, DATE_LATER = 0, 1, 2, 3
_LOOSE = "null_padding=true, strict_mode=false"  # read_csv's options that pad short rows
MAX_ROWS = 5


@dataclass
class Reduced:
    """The grouped table of one metric: reduced rows of (date state, day, segments), and the counts of
    each (answer[, group]) in them."""

    state: np.ndarray  # per reduced row
    day: np.ndarray  # per reduced row: days since 1970 (valid where state is DATE_OK or DATE_LATER)
    segments: list[pa.Array]  # text per reduced row
    answer: pa.Array  # text per count (a dictionary array on the wide path)
    nps_group: pa.Array | None  # text per count
    n: np.ndarray  # per count
    rows: np.ndarray  # per count: the reduced row it belongs to (state, day and segments are per row)

    def per_count(self, values: np.ndarray) -> np.ndarray:
        """A per-row column (state, day, codes of the segments) spread over the counts."""
        out: np.ndarray = values[self.rows]
        return out


def parquet_types(source: TableSource) -> dict[str, pa.DataType]:
    import pyarrow.parquet as pq

    schema = pq.read_schema(source.path)
    return {f.name: f.type for f in schema}


def _typed_date(t: pa.DataType) -> bool:
    return pa.types.is_date(t) or (pa.types.is_timestamp(t) and t.tz is None)


def unsupported(source: TableSource, resolved: dict[str, str]) -> str | None:
    """Why DuckDB cannot read ``source`` the way the streaming reader does (None: it can)."""
    if source.kind == "parquet" and source.display != "<stdin>" and not source.options.where:
        types = parquet_types(source)
        names = list(types)
        if len(set(names)) != len(names) or any(c not in types for c in resolved.values()):
            return "a Parquet file with repeated or missing column names"
        for role_, col in resolved.items():
            t = types[col]
            if pa.types.is_nested(t) or pa.types.is_binary(t) or pa.types.is_large_binary(t):
                return f"a Parquet column of type {t}"
            if role_ == "date" and pa.types.is_timestamp(t) and t.tz is not None:
                return "a Parquet date column with a time zone"
            if role_ == "date" and not (_typed_date(t) or pa.types.is_string(t) or pa.types.is_large_string(t)):
                return f"a Parquet date column of type {t}"
        if "date" in resolved and not _typed_date(types[resolved["date"]]):
            fmt = source.date_format(resolved["date"])
            if fmt == EXCEL_SERIAL or fmt.endswith(ZONE_SUFFIX):
                return f"date format {fmt}"
        return None
    if source.kind != "csv":
        return f"a {source.kind} file"
    if source.display == "<stdin>":
        return "standard input"
    if duck_encoding(source) is None:
        return f"encoding {source.encoding}"
    if source.options.where:
        return "row filters (where)"
    if "date" in resolved:
        fmt = source.date_format(resolved["date"])
        if fmt == EXCEL_SERIAL or fmt.endswith(ZONE_SUFFIX):
            return f"date format {fmt}"
    return None


def duck_encoding(source: TableSource) -> str | None:
    """DuckDB's name for the file's encoding: UTF-8 (with or without BOM), UTF-16 with a BOM, Latin-1."""
    name = (source.encoding or "utf-8").lower().replace("_", "-")
    if name in ("utf-8", "utf-8-sig", "ascii"):
        return "utf-8"
    if name in ("iso8859-1", "latin-1", "latin1"):
        return "latin-1"
    if name == "utf-16":
        with open(source.path, "rb") as fh:
            bom = fh.read(2)
        return "utf-16" if bom in (b"\xff\xfe", b"\xfe\xff") else None
    return None


def column_text(x: str, t: pa.DataType) -> str:
    """SQL for a typed column ``x`` as the text the answer rules read: a float's NaN is a blank, as in the
    reader, and 9.0 is written "9"; anything else cast to VARCHAR."""
    if pa.types.is_floating(t):
        return (f"CASE WHEN isnan({x}) THEN NULL WHEN {x} = 0 AND signbit({x}) THEN '-0' "
                f"WHEN {x} = round({x}) AND abs({x}) < 1e15 THEN CAST(TRY_CAST({x} AS BIGINT) AS VARCHAR) "
                f"ELSE CAST({x} AS VARCHAR) END")  # fmt: skip
    return f"CAST({x} AS VARCHAR)"


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# The code points a footer row's first cell can start with (``footer_where``): RE2's ``\s`` (tab, line
# feed, form feed, carriage return, space), a quote, or the first letter of a marker in any case RE2's
# ``(?i)`` folds to it (g, c, s, t, their capitals and the long s, U+017F); checked against RE2 for every
# code point in tests/engine/test_duckdb_oracle.py
FOOTER_STARTS = (9, 10, 12, 13, 32, 34, 67, 71, 83, 84, 99, 103, 115, 116, 383)
# a padded short row that starts with a marker, after spaces (the reader skips the short row as a footer)
SHORT_FOOTER = "^ *(?i:" + "|".join(re.escape(m) for m in _FOOTER_MARKERS) + ")"


def footer_where(first_col: str, padded: bool) -> str:
    """SQL condition: the row is no report footer (``_FOOTER_ROW``, and ``SHORT_FOOTER`` where short rows
    are ``padded``), its first cell ``first_col``."""
    match = f"regexp_matches({first_col}, {literal(_FOOTER_ROW)})"
    if padded:
        match = f"regexp_matches({first_col}, {literal(SHORT_FOOTER)}) OR {match}"
    starts = ", ".join(map(str, FOOTER_STARTS))
    return f"NOT (CASE WHEN ascii({first_col}) IN ({starts}) THEN coalesce({match}, FALSE) ELSE FALSE END)"


class DuckScores:
    """One input file read by DuckDB; ``reduce`` returns the grouped table of each metric."""

    def __init__(
        self,
        source: TableSource,
        resolved: dict[str, str],
        until: dt.date | None,
        settings: Any = None,
        spill: Any = None,
        strict: bool = False,
    ) -> None:
        """``spill``: a callable writing the rows (as cxroi's reader reads them) to a Parquet file, for
        inputs ``read_csv`` cannot express; None: DuckDB reads the CSV file itself. ``strict``: DuckDB's
        strict CSV mode, which fails on a row with too few or too many fields or a quote that never closes
        (for callers that then let cxroi's reader, which skips such rows, read the file instead)."""
        from cxroi.engine import duckdb_module

        duckdb = duckdb_module()

        self.source = source
        self.resolved = resolved
        self.until = until
        self.weighted = False  # rows carry a count ``_n`` and per-metric set flags ``_w_m`` (pushed down)
        self._looser: list[tuple[str, str]] = []  # (strict read, loose read) until ``_loosen``
        self._loosened: list[tuple[str, str]] = []
        self._temp: str | None = None
        config: dict[str, Any] = {"memory_limit": getattr(settings, "memory_limit", "1GB")}
        temp = getattr(settings, "temp_directory", None)
        if temp is None:
            temp = self._temp = temp_folder()
        config["temp_directory"] = temp
        if getattr(settings, "threads", None):
            config["threads"] = settings.threads
        config["preserve_insertion_order"] = False
        self.con: Any = None
        self.queries: list[str] = []
        self.spilled = spill is not None
        try:
            self.con = duckdb.connect(config=config)
            self.con.execute("SET enable_progress_bar = false")  # stdout carries the data
            if self._init_elsewhere():
                return
            if spill is not None:
                self._init_spill(spill, temp)
                return
        except BaseException:  # an unreadable input, Ctrl-C or SIGTERM while spilling: no folder left
            self.close()
            raise
        self.typed_date = False
        if source.kind == "parquet":
            self._init_parquet()
            return
        names = source.columns
        self.columns = {n: f"c{i}" for i, n in enumerate(names)}
        spec = "{" + ", ".join(f"{literal(f'c{i}')}: 'VARCHAR'" for i in range(len(names))) + "}"
        delim = source.delimiter or ","
        # 16 MB buffers: on the 10M-row benchmark, five runs each in alternating order, 3.50-3.69 s and
        # 279-312 MB peak against 3.42-3.90 s and 361-449 MB with 32 MB (8 MB: 3.59-3.80 s, 261-271 MB);
        # a line must fit in one, so the sequential read, the last resort, has 64 MB buffers
        def read_csv(mode: str, extra: str = "", buffer: int = 1 << 24) -> str:
            return (
                f"read_csv({literal(str(source.path))}, delim={literal(delim)}, header=false, "
                f"skip={source.layout.header_rows}, columns={spec}, quote='\"', escape='\"', {mode}, "
                f"auto_detect=false, buffer_size={buffer}, encoding={literal(duck_encoding(source) or 'utf-8')}{extra})"
            )

        # Strict mode first: it refuses a row with the wrong number of fields and a quote that never
        # closes, so a file it reads needs no pass of its own for unpaired quotes (``check_quotes``); if it
        # refuses the file (or the file's last lines look ragged, a footer), the quotes are checked and
        # the file is read padding short rows (``_loosen``). ``strict``: strict mode only.
        ragged = not strict and ragged_tail(source.path, source.encoding or "utf-8", delim, len(names))
        first = _LOOSE if ragged else "strict_mode=true"
        if ragged:
            try:
                source.check_quotes()
            except BaseException:
                self.close()
                raise
        # parallel first; DuckDB's parallel scanner refuses padded short rows with quoted new lines
        self.read = read_csv(first)
        # row numbers only for the targeted queries: a window over the whole file would hold it in memory
        self.read_in_order = read_csv(first, ", parallel=false")
        self._sequential = read_csv(first if strict else _LOOSE, ", parallel=false", 1 << 26)
        self._looser = [] if strict or first == _LOOSE else [
            (self.read, read_csv(_LOOSE)), (self.read_in_order, self._sequential)
        ]  # fmt: skip
        # report footer rows, as the reader tells them (``cxroi.io.reader``): a full row whose first cell
        # matches ``_FOOTER_ROW`` (the same RE2 pattern) and, once short rows are padded, a row starting
        # with a marker (the reader skips such a short row as a footer); the match runs only for cells whose
        # first character can start one (``FOOTER_STARTS``): a scan of the 10M benchmark ids took a median
        # 1.77 s with the test, 1.73 s without any and 1.96 s with the match on every cell (five runs each)
        self.where = footer_where(self.columns[names[0]], padded=first == _LOOSE)
        if self._looser:
            self._looser.append((self.where, footer_where(self.columns[names[0]], padded=True)))
        self.base = f"SELECT * FROM {self.read}"
        self.numbered = (
            f"SELECT *, row_number() OVER () + {source.layout.header_rows} AS _row FROM {self.read_in_order}"
        )

    def _init_elsewhere(self) -> bool:
        """A subclass whose rows come from elsewhere (a database) sets itself up here; True: done."""
        return False

    def _init_parquet(self) -> None:
        """A Parquet file read by DuckDB itself: every used column as text (a number as its digits, read
        by the same answer rules), except a DATE or TIMESTAMP date column, kept typed; row numbers count
        from 1 as the reader's (``file_row_number`` + 1)."""
        types = parquet_types(self.source)
        used = list(dict.fromkeys(self.resolved.values()))
        self.columns = {n: f"c{i}" for i, n in enumerate(used)}
        date_col = self.resolved.get("date")
        self.typed_date = date_col is not None and _typed_date(types[date_col])
        def text(n: str) -> str:
            return column_text(_q(n), types[n])

        cols = ", ".join(
            f"{_q(n)} AS c{i}" if n == date_col and self.typed_date else f"{text(n)} AS c{i}"
            for i, n in enumerate(used)
        )
        path = literal(str(self.source.path))
        self.read = f"(SELECT {cols} FROM read_parquet({path}))"
        self._sequential = self.read
        self.base = f"SELECT * FROM {self.read}"
        row = "0" if getattr(self.source, "db", None) is not None else "file_row_number + 1"  # a database: none
        self.numbered = f"SELECT {cols}, {row} AS _row FROM read_parquet({path}, file_row_number = true)"
        self.where = "TRUE"

    def _init_spill(self, spill: Any, temp: str) -> None:
        """Rows as cxroi's reader reads them (any format, encoding, row filter or date format it knows),
        written once to Parquet in the temp folder: date state and period key already computed, the
        spreadsheet row of each row kept; DuckDB then reduces it like a CSV it read itself."""
        import os

        path = os.path.join(temp, "input.parquet")
        roles = spill(path)
        self.columns = {col: f"c{i}" for i, col in enumerate(roles)}
        self.read = f"read_parquet({literal(path)})"
        self._sequential = self.read
        self.base = f"SELECT * FROM {self.read}"
        self.numbered = self.base
        self.where = "TRUE"

    def _date_sql(self) -> tuple[str, str]:
        if self.spilled:
            return "NULL::TIMESTAMP", "_state"
        if "date" not in self.resolved:
            return "NULL::TIMESTAMP", f"{DATE_OK}"
        col = self.columns[self.resolved["date"]]
        later = "FALSE"
        if self.until is not None:
            limit = dt.datetime(self.until.year, self.until.month, self.until.day, 23, 59, 59, 999999)
            later = f"_ts > TIMESTAMP {literal(limit.isoformat(sep=' '))}"
        if self.typed_date:  # a Parquet DATE or TIMESTAMP: blank is NULL, before 1900 a placeholder
            return f"CAST({col} AS TIMESTAMP)", (
                f"CASE WHEN _ts >= TIMESTAMP '1900-01-01' THEN CASE WHEN {later} THEN {DATE_LATER} ELSE {DATE_OK} "
                f"END WHEN {col} IS NULL THEN {DATE_BLANK} ELSE {DATE_BAD} END"
            )
        fmt = self.source.date_format(self.resolved["date"])
        raw = f"trim(coalesce({col}, ''))"

        if fmt in ISO_FAMILY:
            parsed = iso_sql(col, fmt)
        else:
            # the cell as it is first; trimmed only when that fails (most cells have no spaces to trim)
            parsed = f"coalesce(try_strptime({col}, {literal(fmt)}), try_strptime(trim({col}), {literal(fmt)}))"
        state = (
            f"CASE WHEN _ts >= TIMESTAMP '1900-01-01' THEN CASE WHEN {later} THEN {DATE_LATER} ELSE {DATE_OK} END "
            f"WHEN {raw} = '' THEN {DATE_BLANK} ELSE {DATE_BAD} END"
        )
        return parsed, state

    def reduce(
        self,
        metrics: list[str],
        segments: list[str],
        period: str | None = None,
        vocab: dict[str, list[str]] | None = None,
    ) -> tuple[int, dict[str, Reduced]]:
        """Counts per (date state, period key, segments, answer) of each metric; ``day`` holds the period
        key (as ``cxroi.metrics.periods``: 202501 for a month, 20251 a quarter, 2025, ISO 202502 a week).

        Where ``counts_by_text`` and given ``vocab`` (each metric's expected answer texts), one plain GROUP
        BY counts them (``cxroi.engine.wide_counts``); else GROUPING SETS of (keys, answer) per metric (the
        oracle of the wide path in ``tests/engine/test_wide_counts.py``)."""
        self._prepare(metrics, segments)
        parsed, state = self._date_sql()
        seg_cols = [self.columns[self.resolved[s]] for s in segments]
        group = self.columns[self.resolved["nps_group"]] if "nps_group" in self.resolved else None
        answer_cols = {m: self.columns[self.resolved[m]] for m in metrics}
        day = "_day" if self.spilled else _period_sql(period)
        select = ", ".join([f"{state} AS _state", f"{day} AS _day",
                            *[f"{c} AS s{i}" for i, c in enumerate(seg_cols)],
                            *[f"{c} AS a_{m}" for m, c in answer_cols.items()],
                            *([f"{group} AS g"] if group else []),
                            *([f"_w_{m}" for m in metrics] + ["_n"] if self.weighted else [])])  # fmt: skip
        keys = ["_state", "_day", *[f"s{i}" for i in range(len(seg_cols))]]
        sets = ", ".join(
            "(" + ", ".join([*keys, f"a_{m}", *(["g"] if m == "nps" and group else [])]) + ")"
            for m in metrics
        )
        head = (
            f"WITH t AS (SELECT *, {parsed} AS _ts FROM ({self.base}) WHERE {self.where}), "
            f"u AS (SELECT {select} FROM t)"
        )
        if self.counts_by_text and vocab is not None:
            return self._reduce_wide(head, keys, metrics, len(seg_cols), vocab)
        marks = ", ".join(f"GROUPING(a_{m}) AS k_{m}" for m in metrics)
        counts = (
            ", ".join(f"sum(CASE WHEN _w_{m} = 0 THEN _n END) AS n_{m}" for m in metrics)
            if self.weighted
            else "count(*) AS n"
        )
        sql = (
            f"{head} "
            f"SELECT {', '.join(keys)}, {', '.join(f'a_{m}' for m in metrics)}{', g' if group else ''}, {marks}, "
            f"{counts} FROM u GROUP BY GROUPING SETS ({sets})"
        )
        table = self._run(sql)
        out: dict[str, Reduced] = {}
        rows = 0
        for m in metrics:
            sel = np.asarray(table.column(f"k_{m}").to_numpy(zero_copy_only=False)) == 0
            count = f"n_{m}" if self.weighted else "n"
            sel &= np.asarray(table.column(count).fill_null(0).to_numpy(zero_copy_only=False)) > 0
            part = table.filter(pa.array(sel))
            n = np.asarray(part.column(count).to_numpy(zero_copy_only=False), dtype=np.int64)
            rows = int(n.sum())
            out[m] = Reduced(
                state=np.asarray(part.column("_state").to_numpy(zero_copy_only=False), dtype=np.int64),
                day=np.asarray(
                    part.column("_day").fill_null(0).to_numpy(zero_copy_only=False), dtype=np.int64
                ),
                segments=[part.column(f"s{i}").combine_chunks() for i in range(len(seg_cols))],
                answer=part.column(f"a_{m}").combine_chunks().cast(pa.string()),
                nps_group=part.column("g").combine_chunks().cast(pa.string()) if group and m == "nps" else None,
                n=n,
                rows=np.arange(len(n)),  # one count per reduced row
            )
        return rows, out

    @property
    def counts_by_text(self) -> bool:
        """Whether ``reduce`` counts each metric's expected texts in columns (and so needs them): not for
        weighted rows (counts pushed down) nor with a Qualtrics group column (GROUPING SETS there)."""
        return not self.weighted and "nps_group" not in self.resolved

    def _prepare(self, metrics: list[str], segments: list[str]) -> None:
        """Set up the rows to reduce, where they come from elsewhere (a database's counts); files: nothing."""

    def _run(self, sql: str) -> pa.Table:
        """Run a reduction; when DuckDB's parallel CSV scanner refuses the file, again sequentially."""
        from cxroi.engine import duckdb_module

        duckdb = duckdb_module()

        sql = self._current(sql)
        self.queries.append(sql)
        try:
            return self.con.sql(sql).to_arrow_table()
        except duckdb.Error:
            if self._loosen():
                sql = self._current(sql)
                self.queries.append(sql)
                try:
                    return self.con.sql(sql).to_arrow_table()
                except duckdb.Error:
                    pass
            sql = sql.replace(self.read, self._sequential)
            self.queries.append(sql)
            try:
                return self.con.sql(sql).to_arrow_table()
            except duckdb.InvalidInputException as exc:  # the file, not the query: say what DuckDB saw
                raise self._unreadable(exc) from exc

    def _reduce_wide(
        self, head: str, keys: list[str], metrics: list[str], n_segments: int, vocab: dict[str, list[str]]
    ) -> tuple[int, dict[str, Reduced]]:
        from cxroi.engine import wide_counts as w

        codes = ", ".join(f"{w.code_sql(f'a_{m}', vocab[m])} AS k_{m}" for m in metrics)
        head = f"{head}, v AS (SELECT *, {codes} FROM u)"
        words = {m: vocab[m] for m in metrics}
        table = self._run(f"{head} SELECT {w.wide_select(keys, words)} FROM v GROUP BY {', '.join(keys)}")
        others = None
        unlisted = w.with_others(table, words)
        if unlisted:  # texts the list did not foresee: a second, targeted query counts them by text
            select, sets = w.other_sql(keys, words, unlisted)
            others = self._run(
                f"{head} SELECT {select} FROM v WHERE {w.others_where(words, unlisted)} GROUP BY GROUPING SETS ({sets})"
            )
        out: dict[str, Reduced] = {}
        rows = 0
        table = table.combine_chunks()  # DuckDB returns many small chunks: combined once for every metric
        for m in metrics:
            part = w.counts_of(table, keys, m, vocab[m], others if m in unlisted else None)
            rows = int(part.n.sum())
            out[m] = Reduced(
                state=np.asarray(part.keys.column("_state").to_numpy(zero_copy_only=False), dtype=np.int64),
                day=np.asarray(part.keys.column("_day").fill_null(0).to_numpy(zero_copy_only=False), dtype=np.int64),
                segments=[part.keys.column(f"s{i}").combine_chunks() for i in range(n_segments)],
                answer=part.answer,
                nps_group=None,
                n=part.n,
                rows=part.rows,
            )
        return rows, out

    def _unreadable(self, exc: Exception) -> InputError:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if "unicode" in str(exc).lower() or "utf-8" in str(exc).lower():
            return InputError(
                f"{self.source.display}: the bytes are not valid UTF-8 ({first})",
                "give the file's encoding with --encoding (e.g. cp1252, cp1254, latin-1), or export it as CSV UTF-8",
            )
        return InputError(f"{self.source.display}: cannot be read as CSV ({first})", "check the file, or open it "
                          "in a spreadsheet and export it again")  # fmt: skip

    def rows_where(
        self, condition: str, limit: int = MAX_ROWS, role: str | None = None
    ) -> list[tuple[int, Any]]:
        """Spreadsheet row number (and the raw text of ``role``'s column) of the first rows meeting
        ``condition`` (on the raw columns, or ``_state`` for the date state), in file order."""
        parsed, state = self._date_sql()
        value = self.columns[self.resolved[role]] if role else "NULL"
        sql = (
            f"WITH t AS (SELECT *, {parsed} AS _ts FROM ({self.numbered}) WHERE {self.where}) "
            f"SELECT _row, {value} FROM (SELECT *{'' if self.spilled else f', {state} AS _state'} FROM t) "
            f"WHERE {condition} "
            f"ORDER BY _row LIMIT {limit}"
        )
        sql = self._current(sql)
        self.queries.append(sql)
        from cxroi.engine import duckdb_module

        duckdb = duckdb_module()

        try:
            return [(int(r[0]), r[1]) for r in self.con.execute(sql).fetchall()]
        except duckdb.InvalidInputException as exc:
            raise self._unreadable(exc) from exc

    def is_one_of(self, role: str, values: list[str | None]) -> str:
        """SQL condition: the raw text of ``role``'s column is one of ``values`` (None: blank)."""
        col = self.columns[self.resolved[role]]
        texts = [v for v in values if v is not None]
        parts = [f"{col} IN ({', '.join(literal(v) for v in texts)})"] if texts else []
        if any(v is None for v in values):
            parts.append(f"{col} IS NULL")
        return "(" + " OR ".join(parts or ["FALSE"]) + ")"

    def _loosen(self) -> bool:
        """After strict mode refused the file: check its quotes (``TableSource.check_quotes`` raises on
        one that never closes) and read it padding short rows from now on; False: already so."""
        if not self._looser:
            return False
        self.source.check_quotes()
        self._loosened, self._looser = self._looser, []
        self.read, self.read_in_order = (self._current(x) for x in (self.read, self.read_in_order))
        self.base, self.numbered, self.where = (self._current(x) for x in (self.base, self.numbered, self.where))
        return True

    def _current(self, sql: str) -> str:
        """``sql`` reading the file the way it is read now (a query written before ``_loosen``)."""
        for strict, loose in self._loosened:
            sql = sql.replace(strict, loose)
        return sql

    def close(self) -> None:
        """Close the connection and remove the temporary folder made for its spills."""
        if self.con is not None:
            self.con.close()
        if self._temp is not None:
            import shutil

            shutil.rmtree(self._temp, ignore_errors=True)
            _LIVE.discard(self._temp)


# Temporary folders not yet removed: a signal landing between two statements (after the folder is made,
# before the code that removes it is in force) would leave one behind, so the process removes what is
# left when it ends (cxroi's exit runs the atexit callbacks, also after Ctrl-C and SIGTERM).
_LIVE: set[str] = set()


def _remove_live() -> None:
    import shutil

    for folder in list(_LIVE):
        shutil.rmtree(folder, ignore_errors=True)
    _LIVE.clear()


def temp_folder() -> str:
    """A new temporary folder for DuckDB's spills, registered for removal at exit; made with Ctrl-C and
    SIGTERM held back so it is always registered once it exists."""
    import atexit
    import tempfile

    from cxroi.signals import held

    if not _LIVE:
        atexit.unregister(_remove_live)
        atexit.register(_remove_live)
    with held():
        folder = tempfile.mkdtemp(prefix="cxroi-duckdb-")
        _LIVE.add(folder)
    return folder


def tally(count: int, rows: list[int], examples: list[str]) -> Tally:
    """Rows numbered 0 come from a database table, which has no row numbers: only the count is kept."""
    return Tally(count, [r for r in rows if r > 0][:MAX_ROWS], examples[:3])


def _period_sql(period: str | None) -> str:
    """The period key of ``_ts`` in SQL, equal to ``cxroi.metrics.periods._key_of_day``."""
    if period == "month":
        return "CAST(year(_ts) * 100 + month(_ts) AS BIGINT)"
    if period == "quarter":
        return "CAST(year(_ts) * 10 + quarter(_ts) AS BIGINT)"
    if period == "year":
        return "CAST(year(_ts) AS BIGINT)"
    if period == "week":
        return "CAST(isoyear(_ts) * 100 + week(_ts) AS BIGINT)"
    return "CAST(0 AS BIGINT)"


def period_of_days(days: np.ndarray, period: Any) -> np.ndarray:
    """Period keys of day numbers (same lookup as the streaming reader)."""
    stamps = pa.array(days.astype("datetime64[D]").astype("datetime64[us]"))
    return period_keys(stamps, period)

