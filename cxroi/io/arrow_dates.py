"""Parse text dates in Arrow arrays with a format chosen by ``cxroi.io.dates`` (unreadable values flagged)."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cxroi.io.dates import EXCEL_SERIAL, ISO8601, ZONE_PATTERN, ZONE_SUFFIX

TS = pa.timestamp("us")
US_PER_DAY = 86_400_000_000


def parse_dates(texts: pa.Array, fmt: str) -> tuple[pa.Array, np.ndarray]:
    """Parse text dates with ``fmt``; unparseable non-blank values become null and are flagged."""
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
        parsed = pc.strptime(trimmed, format=fmt, unit="us", error_is_null=True)
    bad = pc.and_(pc.is_null(parsed), pc.invert(pc.is_null(trimmed)))
    return parsed, np.asarray(bad.to_numpy(zero_copy_only=False), dtype=bool)


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
