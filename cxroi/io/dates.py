"""Guess the date format of a column from sample values, so pyarrow can parse it while reading."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime

ISO8601 = "ISO8601"
# Google Forms writes the zone as "GMT+3" (no strptime directive reads that): such values are parsed
# without it, as local time, and the format carries this suffix to say so.
ZONE_SUFFIX = " [zone dropped]"
ZONE_PATTERN = r"\s*(?:GMT|UTC)(?:[+-]\d{1,2}(?::?\d{2})?)?$"
_ZONE = re.compile(ZONE_PATTERN)

# Order matters: US month/day before day/month (a day above 12 in the sample settles it), longest first.
FORMATS: tuple[str, ...] = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %I:%M:%S %p",
    "%Y/%m/%d",
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y %I:%M %p",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y",
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y",
    "%d-%m-%Y",
    "%m/%d/%y %H:%M",
    "%m/%d/%y",
    "%d/%m/%y",
    "%Y%m%d",
)

_ISO_T = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?$")


def _parses(value: str, fmt: str) -> bool:
    if fmt == ISO8601:
        if not _ISO_T.match(value):
            return False
        try:
            datetime.fromisoformat(value)
        except ValueError:
            return False
        return True
    try:
        datetime.strptime(value, fmt)
    except ValueError:
        return False
    return True


def guess_date_format(values: Iterable[str]) -> tuple[str | None, float]:
    """Return the format that parses the largest share of ``values`` and that share (1.0 = all).

    Blank values are ignored. ``ISO8601`` stands for ISO timestamps with ``T``, fractions or a zone
    (handled by pyarrow's ISO parser). Values ending in a ``GMT+3``-style zone get ``ZONE_SUFFIX``.
    Returns ``(None, 0.0)`` when nothing parses.
    """
    sample = [v.strip() for v in values if v and v.strip()][:200]
    if not sample:
        return None, 0.0
    zoned = [_ZONE.sub("", v) for v in sample]
    with_zone = sum(z != v for z, v in zip(zoned, sample, strict=True))
    if with_zone * 2 >= len(sample):
        fmt, share = guess_date_format(zoned)
        return (fmt + ZONE_SUFFIX if fmt else None), share
    best: str | None = None
    best_share = 0.0
    for fmt in (ISO8601, *FORMATS):
        hits = sum(_parses(v, fmt) for v in sample)
        share = hits / len(sample)
        if share > best_share:
            best, best_share = fmt, share
            if share == 1.0:
                break
    return best, best_share
