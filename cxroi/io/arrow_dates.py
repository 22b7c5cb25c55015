"""Parse text dates in Arrow arrays with a format chosen by ``cxroi.io.dates`` (unreadable values flagged)."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cxroi.io.dates import EXCEL_SERIAL, ISO8601, ZONE_PATTERN, ZONE_SUFFIX

TS = pa.timestamp("us")
US_PER_DAY = 86_400_000_000
# Dates before 1900 are placeholders for "no date" (.NET's 0001-01-01, Excel's day 0), never a survey
# answer or a CRM event: they count as unreadable, so they are reported, not put in period 0001-01.
EARLIEST = pa.scalar(datetime(1900, 1, 1), TS)


def without_placeholders(stamps: pa.Array) -> tuple[pa.Array, np.ndarray]:
    """Timestamps with the dates before 1900 (placeholders) made null, and the mask of those."""
    early = pc.fill_null(pc.less(stamps, EARLIEST), False)
    if not pc.any(early).as_py():
        return stamps, np.zeros(len(stamps), dtype=bool)
    return pc.if_else(early, pa.scalar(None, TS), stamps), np.asarray(early.to_numpy(zero_copy_only=False), dtype=bool)


def parse_dates(texts: pa.Array, fmt: str) -> tuple[pa.Array, np.ndarray]:
    """Parse text dates with ``fmt``; unparseable non-blank values (and dates before 1900) become null and
    are flagged."""
    texts = texts.cast(pa.string()) if not pa.types.is_string(texts.type) else texts
    trimmed = pc.utf8_trim_whitespace(texts)
    if fmt.endswith(ZONE_SUFFIX):  # local time as written; the zone is dropped
        fmt = fmt.removesuffix(ZONE_SUFFIX)
        trimmed = pc.replace_substring_regex(trimmed, ZONE_PATTERN, "")
    if fmt == ISO8601:
        parsed = iso_timestamps(trimmed)
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


def _strict_strptime(texts: pa.Array, fmt: str) -> pa.Array:
    """``strptime`` that refuses impossible dates: Arrow's turns 2025-02-30 into 2025-03-02 without a word,
    so each parsed value is written back with ``fmt`` and must give the text it came from."""
    parsed = pc.strptime(texts, format=fmt, unit="us", error_is_null=True)
    back = pc.strftime(pc.cast(parsed, pa.timestamp("s"), safe=False), format=fmt)  # %S without fractions
    same = pc.fill_null(pc.equal(_digits(back), _digits(texts)), False)
    return pc.if_else(same, parsed, pa.scalar(None, parsed.type))


def excel_serial(texts: pa.Array) -> pa.Array:
    """Excel day numbers (days since 1899-12-30, fraction = time of day) as timestamps."""
    ok = pc.fill_null(pc.match_substring_regex(texts, r"^\d{4,5}(\.\d+)?$"), False)
    days = pc.cast(pc.if_else(ok, texts, pa.scalar(None, pa.string())), pa.float64())
    micros = pc.round(pc.multiply(pc.subtract(days, 25569.0), float(US_PER_DAY)))
    return pc.cast(pc.cast(micros, pa.int64()), TS)


def iso_timestamps(texts: pa.Array) -> pa.Array:
    values: list[datetime | None] = []
    for v in texts.to_pylist():
        try:
            d = datetime.fromisoformat(v) if v else None
        except ValueError:
            d = None
        if d is not None and d.tzinfo is not None:
            d = d.replace(tzinfo=None)
        values.append(d)
    return pa.array(values, type=TS)
