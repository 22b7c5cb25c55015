"""Parse text dates in Arrow arrays with a format chosen by ``cxroi.io.dates`` (unreadable values flagged)."""

from __future__ import annotations

import re
from datetime import datetime

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cxroi.io.dates import EXCEL_SERIAL, ISO_CELL, ISO_FAMILY, ZONE_PATTERN, ZONE_SUFFIX

TS = pa.timestamp("us")
US_PER_DAY = 86_400_000_000
# Dates before 1900 are placeholders for "no date" (.NET's 0001-01-01, Excel's day 0), never a survey
# answer or a CRM event: they count as unreadable, so they are reported, not put in period 0001-01.
EARLIEST = datetime(1900, 1, 1)


def without_placeholders(stamps: pa.Array) -> tuple[pa.Array, np.ndarray]:
    """Timestamps with the dates before 1900 (placeholders) made null, and the mask of those."""
    early = pc.fill_null(pc.less(stamps, pa.scalar(EARLIEST, TS)), False)
    if not pc.any(early).as_py():
        return stamps, np.zeros(len(stamps), dtype=bool)
    return pc.if_else(early, pa.scalar(None, TS), stamps), np.asarray(early.to_numpy(zero_copy_only=False), dtype=bool)


def parse_dates(texts: pa.Array, fmt: str) -> tuple[pa.Array, np.ndarray]:
    """Parse text dates with ``fmt``; unparseable non-blank values (and dates before 1900) become null and
    are flagged."""
    texts = texts.cast(pa.string()) if not pa.types.is_string(texts.type) else texts
    trimmed = pc.utf8_trim_whitespace(texts)
    cells = texts
    if fmt.endswith(ZONE_SUFFIX):  # local time as written; the zone is dropped
        fmt = fmt.removesuffix(ZONE_SUFFIX)
        trimmed = cells = pc.replace_substring_regex(trimmed, ZONE_PATTERN, "")
    if fmt in ISO_FAMILY:  # the cell itself (ISO_CELL allows the spaces around that SQL sees), or its zone cut
        parsed = iso_cells(cells)
    elif fmt == EXCEL_SERIAL:
        parsed = excel_serial(trimmed)
    else:
        parsed = _strict_strptime(trimmed, fmt)
    parsed, _early = without_placeholders(parsed)
    blank = pc.fill_null(pc.equal(trimmed, ""), True)  # null or empty text: no date, not a bad one
    bad = pc.and_(pc.is_null(parsed), pc.invert(blank))
    return parsed, np.asarray(bad.to_numpy(zero_copy_only=False), dtype=bool)


def _digits(texts: pa.Array) -> pa.Array:
    """Text compared for a round trip: lower case, single spaces, no leading zeros in numbers."""
    text = pc.utf8_lower(pc.replace_substring_regex(texts, r"\s+", " "))
    return pc.replace_substring_regex(text, r"(^|\D)0+(\d)", r"\1\2")


# strptime formats whose fields are all numbers (or AM/PM), each followed by a separator: 03/04/2025
SEPARATED_NUMERIC = re.compile(r"^(?:%[YymdHIMSp][^%]+)*%[YymdHIMSp]$")


def _strict_strptime(texts: pa.Array, fmt: str) -> pa.Array:
    """``strptime`` that refuses impossible dates: Arrow's turns 2025-02-30 into 2025-03-02 without a word,
    so each parsed value is written back with ``fmt`` and must give the text it came from.

    Writing back costs 2.2 s per 1M cells (``strftime``), so with a format of separated numeric fields
    (``SEPARATED_NUMERIC``: 03/04/2025 10:00:00 PM) only the cells that can differ are written back: a
    rolled-over day lands on the 1st to 3rd of the next month (an invalid day is at most 31, a month at
    least 28 days long), a rolled-over second (60, 61) on second 0 or 1; with the separators as the
    format has them, every other difference (leading zeros, runs of spaces, case) is one the comparison
    ignores (checked against writing every cell back on generated cells, ``tests/io/test_dates.py``)."""
    parsed = pc.strptime(texts, format=fmt, unit="us", error_is_null=True)
    if not SEPARATED_NUMERIC.match(fmt):
        return _written_back(texts, parsed, fmt)
    suspect = pc.less_equal(pc.day(parsed), 3)
    if "%S" in fmt:
        suspect = pc.or_(suspect, pc.less_equal(pc.second(parsed), 1))
    # strptime also skips spaces before a number ("29/ 9/2024"): a cell that is not runs of digits between
    # the format's separators is written back too
    shaped = pc.fill_null(pc.match_substring_regex(texts, _shape(fmt)), False)
    suspect = pc.or_(suspect, pc.invert(shaped))
    rows = pc.indices_nonzero(pc.fill_null(suspect, False))
    if not len(rows):
        return parsed
    checked = _written_back(texts.take(rows), parsed.take(rows), fmt)
    refused = rows.filter(pc.is_null(checked))
    if not len(refused):
        return parsed
    mask = np.zeros(len(parsed), dtype=bool)
    mask[np.asarray(refused.to_numpy(zero_copy_only=False))] = True
    return pc.if_else(pa.array(mask), pa.scalar(None, parsed.type), parsed)


def _shape(fmt: str) -> str:
    """RE2 pattern of the cells written in ``fmt`` (separated numeric fields): runs of digits between its
    separators, a run of spaces for each space, AM or PM in any case."""
    parts = re.split(r"(%[YymdHIMSp]|\s+)", fmt)
    pattern = "".join(r"\d+" if p[:1] == "%" and p != "%p" else "(?i:[ap]m)" if p == "%p"
                      else r"\s+" if p.isspace() else re.escape(p) for p in parts if p)  # fmt: skip
    return f"^{pattern}$"


def _written_back(texts: pa.Array, parsed: pa.Array, fmt: str) -> pa.Array:
    back = pc.strftime(pc.cast(parsed, pa.timestamp("s"), safe=False), format=fmt)  # %S without fractions
    same = pc.fill_null(pc.equal(_digits(back), _digits(texts)), False)
    return pc.if_else(same, parsed, pa.scalar(None, parsed.type))


def excel_serial(texts: pa.Array) -> pa.Array:
    """Excel day numbers (days since 1899-12-30, fraction = time of day) as timestamps."""
    ok = pc.fill_null(pc.match_substring_regex(texts, r"^\d{4,5}(\.\d+)?$"), False)
    days = pc.cast(pc.if_else(ok, texts, pa.scalar(None, pa.string())), pa.float64())
    micros = pc.round(pc.multiply(pc.subtract(days, 25569.0), float(US_PER_DAY)))
    return pc.cast(pc.cast(micros, pa.int64()), TS)


_DAYS_IN_MONTH = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)


def iso_cells(texts: pa.Array) -> pa.Array:
    """Timestamps of the cells written in an ISO form (``cxroi.io.dates.ISO_CELL``; its zone dropped, the
    fraction to the microsecond), null for the others and for days a month does not have (2025-02-30).

    Vectorised: RE2 splits each cell into its fields, and the microseconds since 1970 come from the civil
    date by Hinnant's ``days_from_civil`` (https://howardhinnant.github.io/date_algorithms.html)."""
    texts = texts.cast(pa.string()) if not pa.types.is_string(texts.type) else texts
    parts = pc.extract_regex(texts, ISO_CELL)
    ok = np.asarray(pc.fill_null(pc.is_valid(parts), False).to_numpy(zero_copy_only=False), dtype=bool)

    def field(name: str, width: int = 0) -> np.ndarray:
        text = pc.fill_null(pc.struct_field(parts, name), "")
        if width:  # the fraction: its first 6 digits, padded with zeros to microseconds
            text = pc.utf8_rpad(pc.utf8_slice_codeunits(text, 0, width), width, "0")
        number = pc.if_else(pc.equal(text, ""), "0", text)
        return np.asarray(pc.cast(number, pa.int64()).to_numpy(zero_copy_only=False), dtype=np.int64)

    y, m, d = field("y"), field("m"), field("d")
    m = np.where(ok, m, 1)
    leap = (y % 4 == 0) & ((y % 100 != 0) | (y % 400 == 0))
    ok &= d <= _DAYS_IN_MONTH[m - 1] + ((m == 2) & leap)
    # days_from_civil: the year starts on 1 March, so that the leap day is the year's last
    yy = y - (m <= 2)
    era = np.floor_divide(yy, 400)
    yoe = yy - era * 400
    doy = (153 * ((m + 9) % 12) + 2) // 5 + d - 1
    days = era * 146_097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719_468
    micros = days * US_PER_DAY + ((field("hh") * 60 + field("mi")) * 60 + field("ss")) * 1_000_000 + field("f", 6)
    return pa.array(micros, type=pa.int64(), mask=~ok).cast(TS)
