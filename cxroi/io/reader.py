"""Open an input (CSV/TSV, XLSX, Parquet or ``-`` for stdin) and stream the needed columns in batches.

Columns are requested by kind:

* ``category`` - dictionary-encoded text (segments, and score columns, whose few distinct strings are parsed
  once per batch instead of once per row); numeric Parquet/XLSX columns stay numeric;
* ``text`` - plain strings (ids, amounts to be parsed by the caller);
* ``date`` - timestamps. The format is guessed from a sample and pyarrow parses it while reading; if some
  value does not fit, the column is re-read as text and parsed per batch, and the rows that fail are flagged
  in ``Batch.bad_dates``.

Blank cells are nulls. Rows with the wrong number of fields (e.g. report footers) are skipped and counted.
"""

from __future__ import annotations

import atexit
import io
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from cxroi.errors import DataError, InputError
from cxroi.io.arrow_dates import parse_dates, without_placeholders
from cxroi.io.batches import Batch, ColumnKind, ReadOptions, prefetch, rebatch
from cxroi.io.dates import (
    ISO8601,
    ISO_FAMILY,
    ZONE_SUFFIX,
    decide_order,
    guess_date_format,
    swapped,
    with_order,
)
from cxroi.io.layout import Layout, detect_layout
from cxroi.io.sniff import (
    GUESSED,
    FileKind,
    decode_head,
    detect_encoding,
    detect_kind,
    head_records,
    refuse_swallowing_quote,
    sniff_delimiter,
)
from cxroi.io.xlsx import cell_float, cell_text, read_xlsx

HEAD_BYTES = 1 << 20
MAX_BLOCK = 1 << 30  # pyarrow parses a cell within one block: cells up to 1 GB
_DICT = pa.dictionary(pa.int32(), pa.string())
_TS = pa.timestamp("us")
_US_PER_DAY = 86_400_000_000
_SLASH_FIELDS = r"^\s*(?P<a>\d{1,2})/(?P<b>\d{1,2})/"


@dataclass
class SkippedRows:
    """Rows the parser could not use (wrong number of fields), e.g. a Salesforce report footer."""

    count: int = 0
    footer: int = 0
    examples: list[str] = field(default_factory=list)


class DateConversionFailed(Exception):
    """Internal: the fast timestamp parse hit a value that does not fit; re-read the date as text."""


def _cut_character(path: Path) -> bool:
    """Whether a UTF-8 file stops inside a multi-byte character: its last lead byte announces more
    continuation bytes than follow it."""
    with path.open("rb") as fh:
        fh.seek(max(0, path.stat().st_size - 4))
        tail = fh.read()
    for back in range(1, len(tail) + 1):
        byte = tail[-back]
        if byte & 0xC0 != 0x80:  # not a continuation byte: the last character starts here
            length = 1 if byte < 0x80 else 2 if byte >> 5 == 0b110 else 3 if byte >> 4 == 0b1110 else 4
            return length > back
    return False


class MultilineNeeded(Exception):
    """Internal: a quoted cell spans lines across a block boundary; re-read with multi-line parsing."""




_stdin_copy: Path | None = None
_stdin_of_copy: object = None

# Set by the CLI on a terminal: called as PROGRESS(file name, bytes read, total bytes) while large CSV files
# are read. ``None`` (the default, and always when not on a terminal) costs nothing.
PROGRESS: Callable[[str, int, int], None] | None = None
PROGRESS_MIN_BYTES = 16 << 20


class _CountingReader(io.RawIOBase):
    """A raw file that reports how many bytes have been read."""

    def __init__(self, path: Path, display: str, total: int, hook: Callable[[str, int, int], None]) -> None:
        self._raw = open(path, "rb")  # noqa: SIM115 - closed in close()
        self._display, self._total, self._hook, self._done = display, total, hook, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n = self._raw.readinto(buffer)
        self._done += n or 0
        self._hook(self._display, self._done, self._total)
        return n or 0

    def close(self) -> None:
        self._raw.close()
        super().close()


def _spool_stdin() -> Path:
    """Copy standard input to a temporary file once (per stdin stream), so it can be sniffed and streamed
    like a file."""
    global _stdin_copy, _stdin_of_copy
    if _stdin_copy is None or _stdin_of_copy is not sys.stdin:
        fd, name = tempfile.mkstemp(prefix="cxroi-stdin-")
        copy = Path(name)
        atexit.register(copy.unlink, missing_ok=True)  # before the copy: an interrupted copy is removed too
        with os.fdopen(fd, "wb") as out:
            shutil.copyfileobj(sys.stdin.buffer, out, 1 << 20)
        _stdin_copy, _stdin_of_copy = copy, sys.stdin
    return _stdin_copy


_FOOTER_MARKERS = ("grand totals", "confidential information", "copyright (c)", "salesforce.com")
# a report footer written as a full row: "Grand Totals (5 records),,,," / "Generated By: ...,,,"
_FOOTER_ROW = r"^\s*\"?\s*(?i:grand totals?\b|total \(\d+ records\)|confidential information|copyright \(c\)|generated by\b)"


class TableSource:
    """One input file, sniffed and ready to stream columns from."""

    _quotes_checked = False  # see check_quotes

    def __init__(self, path: str, options: ReadOptions | None = None) -> None:
        self.display = "<stdin>" if path == "-" else path
        self.options = options or ReadOptions()
        self.path = _spool_stdin() if path == "-" else Path(path)
        if path != "-":
            if not self.path.exists():
                raise InputError(f"{path}: no such file", "check the path (use - to read standard input)")
            if self.path.is_dir():
                raise InputError(f"{path}: is a directory, not a file", "name a CSV, XLSX or Parquet file")
        try:
            with open(self.path, "rb") as fh:
                head = fh.read(HEAD_BYTES)
            self.size = self.path.stat().st_size
        except OSError as exc:
            raise InputError(
                f"{self.display}: cannot read ({exc.strerror})", "check the file's permissions"
            ) from exc
        if not head.strip():
            raise InputError(f"{self.display}: the file is empty", "export the data again")
        self.kind: FileKind = detect_kind(self.path, head)
        self.skipped = SkippedRows()
        self.excluded = 0  # rows left out by the ``where`` filters in the latest read
        self.multiline = False
        self.encoding: str | None = None
        self.delimiter: str | None = None
        self.warnings: list[str] = []  # problems found while sniffing (e.g. an assumed day/month order)
        self.ambiguous_dates: list[str] = []
        self.date_formats: dict[str, tuple[str, str]] = {}  # column -> (format, how it was decided)
        self._sample: list[list[str]] = []
        self._block_size = 0  # grown when one cell is larger than a parsing block
        if self.kind == "csv":
            self.encoding = detect_encoding(head, self.options.encoding, self.display)
            if not self.options.encoding and self.encoding in GUESSED:
                self.warnings.append(
                    f"{self.display}: not UTF-8; read as {GUESSED[self.encoding]}: check the text, or give "
                    "--encoding (encoding: in the config)"
                )
            try:
                text = decode_head(head, self.encoding)
            except InputError as exc:
                raise InputError(f"{self.display}: {exc.message}", exc.hint) from exc
            self.delimiter = sniff_delimiter(text, self.options.delimiter)
            if self.encoding.startswith("utf-8") and self.path.is_file() and _cut_character(self.path):
                raise InputError(
                    f"{self.display}: the file ends in the middle of a UTF-8 character (cut short?)",
                    "export the file again (or give its encoding with --encoding if it is not UTF-8)",
                )
            records = head_records(text, self.delimiter)
            self.layout = detect_layout(records)
            self._sample = [list(r) for r in records[self.layout.header_rows :]]
        elif self.kind == "xlsx":
            self._xlsx_rows = read_xlsx(self.path, self.options.sheet, self.display)
            self.layout = detect_layout([[cell_text(c) for c in r] for r in self._xlsx_rows[:4]])
            self._sample = [
                [cell_text(c) for c in r] for r in self._xlsx_rows[self.layout.header_rows :][:400]
            ]
        else:
            import pyarrow.parquet as pq

            try:
                self._parquet = pq.ParquetFile(self.path)
            except (pa.ArrowInvalid, OSError) as exc:
                raise InputError(f"{self.display}: not a readable Parquet file ({exc})") from exc
            self.layout = Layout("parquet", tuple(self._parquet.schema_arrow.names), 0)
        if not self.layout.names:
            raise InputError(f"{self.display}: no header row found", "the first row must name the columns")

    def check_quotes(self) -> None:
        """Refuse a CSV file with a quote that opens a cell and never closes (every row after it would be
        read into that cell). One pass over the file, so it is run once, before the first read that could
        be fooled: the reader's, or DuckDB's when its strict mode (which refuses such a file) was not used."""
        if self.kind != "csv" or self._quotes_checked or not self.path.is_file():
            return
        self._quotes_checked = True
        assert self.encoding is not None and self.delimiter is not None
        refuse_swallowing_quote(self.path, self.encoding, self.delimiter, self.display)

    # -- column names -------------------------------------------------------------------------------
    @property
    def columns(self) -> tuple[str, ...]:
        return self.layout.names

    def resolve(self, spec: str) -> str:
        return self.layout.resolve(spec, self.display)

    def has(self, spec: str) -> bool:
        """Whether ``spec`` names one column (header, ImportId or question text) of this file."""
        try:
            self.resolve(spec)
        except DataError:
            return False
        return True

    def sample_values(self, column: str) -> list[str]:
        """Up to 400 raw values of ``column`` from the start of the data (for sniffing)."""
        if self.kind == "parquet":
            table = next(self._parquet.iter_batches(batch_size=400, columns=[column]), None)
            if table is None:
                return []
            return [str(v) for v in table.column(0).to_pylist() if v is not None]
        idx = self.layout.names.index(column)
        return [r[idx] for r in self._sample if idx < len(r)]

    def date_format(self, column: str) -> str:
        """The strptime format (or ``ISO8601`` / ``EXCEL_SERIAL``) of a date column, decided once.

        Day/month order: see ``cxroi.io.dates``. What was chosen, and why, is kept in ``date_formats``
        (shown by ``-v`` and ``cxroi check``); an order assumed for want of evidence adds a warning.
        """
        if self.options.date_format:
            return self.options.date_format
        if column in self.date_formats:
            return self.date_formats[column][0]
        values = self.sample_values(column)
        if not any(v.strip() for v in values):
            # nothing to go by (e.g. no churn yet): ISO; other shapes are reported as bad dates
            self.date_formats[column] = (ISO8601, "no values in the first rows")
            return ISO8601
        fmt, share = guess_date_format(values)
        if fmt is None or share < 0.5:
            example = next((v for v in values if v.strip()), "")
            raise DataError(
                f"{self.display}: cannot recognise the date format of column {column!r} (e.g. {example!r})",
                "give it with --date-format, e.g. --date-format '%d/%m/%Y %H:%M'",
            )
        basis = "sniffed"
        if swapped(fmt.removesuffix(ZONE_SUFFIX)) is not None:
            fmt, basis = self._day_month_order(column, fmt, values)
        self.date_formats[column] = (fmt, basis)
        return fmt

    def _day_month_order(self, column: str, fmt: str, values: list[str]) -> tuple[str, str]:
        decimal_comma = any(
            re.fullmatch(r"-?\d+,\d{1,2}", cell.strip()) for row in self._sample[:50] for cell in row
        )
        fmt, basis = decide_order(
            fmt,
            values,
            column,
            lambda: self._leading_field_max(column),
            self.delimiter,
            self.columns,
            decimal_comma,
        )
        if basis is None:
            bare = fmt.removesuffix(ZONE_SUFFIX)
            self.warnings.append(
                f"{self.display}: every date in {column!r} reads both as month/day and as day/month; assumed "
                f"month first ({bare}) -- pin it with --date-format "
                f"(e.g. '{with_order(bare, 'day-first')}') or date_format in the config"
            )
            self.ambiguous_dates.append(column)
            return fmt, "month-first: assumed (ambiguous)"
        return fmt, basis

    def _leading_field_max(self, column: str) -> tuple[int, int]:
        """The largest first and second field of slash dates over the whole column (one text pass)."""
        first = second = 0
        while True:
            try:
                for batch in self.batches({column: ColumnKind.TEXT}):
                    arr = batch.columns[column]
                    parts = pc.extract_regex(pc.fill_null(arr.cast(pa.string()), ""), _SLASH_FIELDS)
                    a = pc.max(pc.cast(pc.struct_field(parts, "a"), pa.int64())).as_py()
                    b = pc.max(pc.cast(pc.struct_field(parts, "b"), pa.int64())).as_py()
                    first, second = max(first, a or 0), max(second, b or 0)
                return first, second
            except MultilineNeeded:
                first = second = 0
                continue

    # -- streaming ----------------------------------------------------------------------------------
    def batches(
        self, wanted: dict[str, ColumnKind], *, text_dates: bool = False, min_rows: int = 0
    ) -> Iterator[Batch]:
        """Stream the ``wanted`` columns (already resolved names) in order.

        CSV batches are parsed one block ahead in a background thread, so parsing the next block overlaps
        with the caller's work on this one (pyarrow and numpy release the GIL). ``min_rows`` merges
        consecutive batches until they hold that many rows (for work with a high fixed cost per call),
        while the file is still read in small blocks.
        """
        self.check_quotes()
        self.skipped = SkippedRows()
        self.excluded = 0
        filters = [(self.resolve(col), values) for col, values in self.options.where]
        needed = dict(wanted)
        for col, _values in filters:
            needed.setdefault(col, ColumnKind.TEXT)
        if self.kind == "csv":
            stream = prefetch(self._csv_batches(needed, text_dates))
        elif self.kind == "xlsx":
            stream = self._xlsx_batches(needed)
        else:
            stream = self._parquet_batches(needed)
        if filters:
            stream = self._filtered(stream, filters, list(wanted))
        yield from (rebatch(stream, min_rows) if min_rows else stream)

    def _filtered(
        self, stream: Iterator[Batch], filters: list[tuple[str, tuple[str, ...]]], columns: list[str]
    ) -> Iterator[Batch]:
        for batch in stream:
            keep = np.ones(batch.num_rows, dtype=bool)
            for col, values in filters:
                text = pc.utf8_lower(pc.utf8_trim_whitespace(batch.columns[col].cast(pa.string())))
                wanted = pa.array([v.strip().casefold() for v in values], type=pa.string())
                keep &= np.asarray(pc.fill_null(pc.is_in(text, wanted), False).to_numpy(zero_copy_only=False))
            self.excluded += int((~keep).sum())
            yield batch.keep_rows(keep, columns)

    def filter_note(self) -> str | None:
        """How many rows the ``where`` filters left out (after a read), or None without filters."""
        if not self.options.where:
            return None
        rule = "; ".join(f"{c} in {list(v)}" for c, v in self.options.where)
        return f"{self.display}: {self.excluded:,} rows left out by the row filter ({rule})"

    def _csv_batches(self, wanted: dict[str, ColumnKind], text_dates: bool) -> Iterator[Batch]:
        assert self.delimiter is not None and self.encoding is not None
        date_formats = {c: self.date_format(c) for c, k in wanted.items() if k is ColumnKind.DATE}
        types: dict[str, pa.DataType] = {}
        parsers: list[Any] = []
        # dates pyarrow cannot parse while reading (a zone suffix such as Google Forms' "GMT+3") are read as
        # text and parsed per batch, like every date after a failed fast read
        # Only ISO dates are parsed while reading (Arrow's ISO parser refuses 2025-02-30, and what it reads
        # ``ISO_CELL`` reads alike, so the text path, ``iso_cells``, is needed only when it fails); every
        # other format is read as text and parsed strictly (Arrow's strptime would roll 30/02 over to 2 March)
        as_text = {c for c, f in date_formats.items() if text_dates or f not in ISO_FAMILY}
        for col, kind in wanted.items():
            if kind is ColumnKind.CATEGORY:
                types[col] = _DICT
            elif kind is ColumnKind.TEXT or col in as_text:
                types[col] = pa.string()
            else:
                types[col] = _TS
                parsers.append(pacsv.ISO8601)
        first_col = self.layout.names[0]  # read too, to recognise footer rows (``Grand Totals,,,,``)
        if first_col not in types:
            types[first_col] = pa.string()
        # Quoted cells with newlines are parsed correctly either way; newlines_in_values only makes the
        # block splitter quote-aware, at a cost. Try without; pyarrow says so if a cell spans a block edge.
        parse_opts = pacsv.ParseOptions(
            delimiter=self.delimiter, newlines_in_values=self.multiline, invalid_row_handler=self._invalid_row
        )
        convert_opts = pacsv.ConvertOptions(
            include_columns=list(dict.fromkeys([*wanted, first_col])),
            column_types=types,
            timestamp_parsers=list({str(p): p for p in parsers}.values()) or None,
            strings_can_be_null=True,
            null_values=[""],
            quoted_strings_can_be_null=True,
        )
        row = self.layout.header_rows + 1
        try:
            hook = PROGRESS
            source: Any = self.path
            if hook is not None and self.size >= PROGRESS_MIN_BYTES:
                source = io.BufferedReader(_CountingReader(self.path, self.display, self.size, hook), 1 << 20)
            record_batches = pacsv.open_csv(
                source,
                read_options=pacsv.ReadOptions(
                    column_names=list(self.layout.names),
                    skip_rows_after_names=self.layout.header_rows,
                    encoding={"utf-8": "utf8", "utf-8-sig": "utf8"}.get(self.encoding, self.encoding),
                    block_size=max(self.options.block_size, self._block_size),
                ),
                parse_options=parse_opts,
                convert_options=convert_opts,
            )
            for rb in record_batches:
                cols = {c: rb.column(c) for c in wanted}
                bad: dict[str, np.ndarray] = {}
                for col in as_text:
                    cols[col], bad[col] = parse_dates(cols[col], date_formats[col])
                for col in date_formats.keys() - as_text:  # parsed while reading: placeholders as in text
                    cols[col], bad[col] = without_placeholders(cols[col])
                batch = self._drop_footer_rows(
                    Batch(self.display, cols, row, rb.num_rows, bad), rb.column(first_col)
                )
                yield batch
                row += rb.num_rows
        except pa.ArrowInvalid as exc:
            msg = str(exc)
            if not text_dates and "timestamp" in msg and "conversion error" in msg.lower():
                raise DateConversionFailed(msg) from exc
            if "out of sync with chunker" in msg and not self.multiline:
                self.multiline = True
                raise MultilineNeeded(msg) from exc
            if "straddling object" in msg:  # one cell larger than a block: read again with larger blocks
                size = max(self.options.block_size, self._block_size)
                if size >= MAX_BLOCK:
                    raise InputError(
                        f"{self.display}: a cell is larger than {MAX_BLOCK >> 20} MB; cxroi does not read such cells",
                        "cut the long text column out of the export",
                    ) from exc
                self._block_size = min(size * 8, MAX_BLOCK)
                raise MultilineNeeded(msg) from exc
            if "utf8" in msg.lower() or "utf-8" in msg.lower():
                raise InputError(
                    f"{self.display}: the bytes are not valid {self.encoding} further into the file",
                    "try --encoding latin-1 (or cp1252, utf-16)",
                ) from exc
            raise InputError(
                f"{self.display}: cannot parse as delimited text: {msg.splitlines()[0]}"
            ) from exc
        except UnicodeDecodeError as exc:
            raise InputError(
                f"{self.display}: the bytes do not decode as {self.encoding}",
                "try another --encoding, e.g. latin-1, cp1252 or utf-16",
            ) from exc

    def _drop_footer_rows(self, batch: Batch, first: pa.Array) -> Batch:
        """Drop report footer rows that have the full number of fields (``Grand Totals,,,,``)."""
        text = first.cast(pa.string()) if not pa.types.is_string(first.type) else first
        hit = np.asarray(
            pc.fill_null(pc.match_substring_regex(text, _FOOTER_ROW), False).to_numpy(zero_copy_only=False),
            dtype=bool,
        )
        if not hit.any():
            return batch
        self.skipped.count += int(hit.sum())
        self.skipped.footer += int(hit.sum())
        return batch.keep_rows(~hit)

    def _invalid_row(self, row: Any) -> str:
        try:  # pyarrow decodes the row as UTF-8; a row cut inside a character does not decode
            raw = row.text or ""
        except UnicodeDecodeError:
            raw = "(bytes that do not decode)"
        text = raw.strip().strip('"')
        self.skipped.count += 1
        if text.casefold().startswith(_FOOTER_MARKERS) or not text:
            self.skipped.footer += 1
        elif len(self.skipped.examples) < 3:
            where = f"line {row.number}: " if row.number and row.number > 0 else ""
            self.skipped.examples.append(f"{where}{text[:60]}")
        return "skip"

    def _xlsx_batches(self, wanted: dict[str, ColumnKind]) -> Iterator[Batch]:
        rows = self._xlsx_rows[self.layout.header_rows :]
        idx = {c: self.layout.names.index(c) for c in wanted}
        step = 65536
        for start in range(0, len(rows), step):
            chunk = rows[start : start + step]
            cols: dict[str, pa.Array] = {}
            bad: dict[str, np.ndarray] = {}
            for col, kind in wanted.items():
                raw = [r[idx[col]] if idx[col] < len(r) else None for r in chunk]
                if kind is ColumnKind.DATE:
                    cols[col], bad[col] = self._xlsx_dates(col, raw)
                elif (
                    kind is ColumnKind.CATEGORY
                    and raw
                    and all(
                        (isinstance(v, int | float) and not isinstance(v, bool)) or v is None for v in raw
                    )
                ):
                    # as floats, whatever their size: an integral cell past 2**53 is no score, only invalid
                    cols[col] = pa.array([None if v is None else cell_float(v) for v in raw], type=pa.float64())
                else:
                    texts = [None if (t := cell_text(v)) == "" else t for v in raw]
                    arr = pa.array(texts, type=pa.string())
                    cols[col] = arr.dictionary_encode() if kind is ColumnKind.CATEGORY else arr
            yield Batch(self.display, cols, self.layout.header_rows + 1 + start, len(chunk), bad)

    def _xlsx_dates(self, col: str, raw: list[Any]) -> tuple[pa.Array, np.ndarray]:
        if all(isinstance(v, datetime) or v is None or v == "" for v in raw):
            return without_placeholders(pa.array([v or None for v in raw], type=_TS))
        texts = pa.array([None if (t := cell_text(v)) == "" else t for v in raw], type=pa.string())
        return parse_dates(texts, self.date_format(col))

    def _parquet_batches(self, wanted: dict[str, ColumnKind]) -> Iterator[Batch]:
        row = 1
        for rb in self._parquet.iter_batches(batch_size=1 << 20, columns=list(wanted)):
            cols: dict[str, pa.Array] = {}
            bad: dict[str, np.ndarray] = {}
            for col, kind in wanted.items():
                arr = rb.column(col)
                if kind is ColumnKind.DATE:
                    if pa.types.is_timestamp(arr.type) or pa.types.is_date(arr.type):
                        if pa.types.is_timestamp(arr.type) and arr.type.tz is not None:
                            arr = pc.local_timestamp(arr)
                        cols[col], bad[col] = without_placeholders(arr.cast(_TS))  # as in text
                    else:
                        cols[col], bad[col] = parse_dates(arr.cast(pa.string()), self.date_format(col))
                elif kind is ColumnKind.CATEGORY:
                    if (
                        pa.types.is_dictionary(arr.type)
                        or pa.types.is_integer(arr.type)
                        or pa.types.is_floating(arr.type)
                    ):
                        cols[col] = arr
                    else:
                        cols[col] = arr.cast(pa.string()).dictionary_encode()
                else:
                    cols[col] = arr.cast(pa.string())
            yield Batch(self.display, cols, row, rb.num_rows, bad)
            row += rb.num_rows


def open_source(path: str, options: ReadOptions | None = None) -> TableSource:
    return TableSource(path, options)


def open_sources(paths: Sequence[str], options: ReadOptions | None = None) -> list[TableSource]:
    if not paths:
        raise InputError("no input file given", "pass a path, or - to read standard input")
    if list(paths).count("-") > 1:
        raise InputError("standard input (-) can be read only once")
    return [open_source(p, options) for p in paths]


A = TypeVar("A")


def scan(
    source: TableSource,
    wanted: dict[str, ColumnKind],
    new: Callable[[], A],
    step: Callable[[A, Batch], None],
    min_rows: int = 0,
) -> A:
    """Fold every batch of ``source`` into an accumulator made by ``new``.

    The fast path lets pyarrow parse dates while reading and split blocks at any newline. If a date does
    not fit the guessed format, or a quoted cell spans a block edge, the file is folded again from a fresh
    accumulator with dates read as text (so bad ones are counted, not fatal) or multi-line parsing.
    """
    text_dates = False
    while True:
        acc = new()
        try:
            for batch in source.batches(wanted, text_dates=text_dates, min_rows=min_rows):
                step(acc, batch)
            return acc
        except DateConversionFailed:
            if text_dates:
                raise
            text_dates = True
        except MultilineNeeded:
            continue
