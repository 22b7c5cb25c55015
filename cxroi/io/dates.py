"""Guess the date format of a column, so pyarrow can parse it while reading.

Day/month order is the dangerous part: ``03/04/2025`` is 3 April in Tel Aviv and 4 March in Texas, and a
month-to-date export where every day is <= 12 parses both ways. The order is decided, in this order, by
(1) any value in the whole column whose day/month field is above 12 (``order_evidence``), (2) the column's
header (``DD/MM``, ``dd.mm.yyyy``, ``יום/חודש/שנה``, ``gün/ay/yıl``, ``Tag``; ``MM/DD``), (3) the file's locale
(``;`` delimiter, decimal commas, non-English headers: day-first). When nothing decides it, the reader
assumes month-first (US) and says so in a warning (``--strict`` makes it an error).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime

ISO8601 = "ISO8601"
# ISO 8601 and the formats that are its spellings: in such a column every cell written in one of the ISO
# forms ``ISO_CELL`` matches is read, whatever form the sniffed sample had (``2025-01-03`` among
# ``2025-01-02 10:00:00``), the same in cxroi's reader and in SQL, and whatever the other cells hold
ISO_FAMILY = frozenset({ISO8601, "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"})
# The ISO forms read (RE2 syntax, as pyarrow and DuckDB match it): a date, then optionally ``T`` or a space
# and the hour, minutes, seconds and up to 9 digits of fraction, and a zone (``Z``, ``+02:00``, ``-0500``,
# ``+02``) after a time, dropped: the wall-clock time as written, as the other zones. Spaces around.
ISO_CELL = (
    r"^\s*(?P<y>\d{4})-(?P<m>0[1-9]|1[0-2])-(?P<d>0[1-9]|[12]\d|3[01])"
    r"(?:[T ](?P<hh>[01]\d|2[0-3])(?::(?P<mi>[0-5]\d)(?::(?P<ss>[0-5]\d)(?:\.(?P<f>\d{1,9}))?)?)?"
    r"(?:Z|[+-](?:[01]\d|2[0-3])(?::?[0-5]\d)?)?)?\s*$"
)
# Excel stores dates as days since 1899-12-30; a CSV saved from a sheet with unformatted dates carries them.
EXCEL_SERIAL = "EXCEL_SERIAL"
# A zone written after the time ("GMT+3", "UTC", "-0400"): no single strptime directive reads all of them,
# so such values are parsed without it, as local (wall-clock) time, and the format carries this suffix.
ZONE_SUFFIX = " [zone dropped]"
ZONE_PATTERN = r"(?:\s*(?:GMT|UTC|Z)(?:[+-]\d{1,2}(?::?\d{2})?)?|\s+[+-]\d{2}:?\d{2})$"
_ZONE = re.compile(ZONE_PATTERN)

# Order matters only among formats that parse every sampled value; day/month ambiguity is settled apart.
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
_SERIAL = re.compile(r"^\d{4,5}(\.\d+)?$")
# the two leading fields of a slash date: 03/04/2025
LEADING_FIELDS = r"^\s*(\d{1,2})/(\d{1,2})/"


def _parses(value: str, fmt: str) -> bool:
    if fmt == ISO8601:
        if not _ISO_T.match(value):
            return False
        try:
            datetime.fromisoformat(value)
        except ValueError:
            return False
        return True
    if fmt == EXCEL_SERIAL:
        return bool(_SERIAL.match(value)) and 1000 <= float(value) < 100_000  # 1902 .. 2173
    try:
        datetime.strptime(value, fmt)
    except ValueError:
        return False
    return True


def swapped(fmt: str) -> str | None:
    """The same format with day and month swapped, when the two are ambiguous (slash dates)."""
    if fmt.startswith("%m/%d/"):
        return "%d/%m/" + fmt[6:]
    if fmt.startswith("%d/%m/"):
        return "%m/%d/" + fmt[6:]
    return None


def is_day_first(fmt: str) -> bool:
    return fmt.startswith("%d")


def guess_date_format(values: Iterable[str]) -> tuple[str | None, float]:
    """Return the format that parses the largest share of ``values`` and that share (1.0 = all).

    Blank values are ignored. ``ISO8601`` stands for ISO timestamps with ``T``, fractions or a zone
    (handled by pyarrow's ISO parser); ``EXCEL_SERIAL`` for Excel day numbers. Values ending in a zone
    (``GMT+3``, ``UTC``, ``-0400``) get ``ZONE_SUFFIX``. Returns ``(None, 0.0)`` when nothing parses. When
    month-first and day-first both parse every value, month-first is returned: see ``order_evidence``.
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
    for fmt in (ISO8601, *FORMATS, EXCEL_SERIAL):
        hits = sum(_parses(v, fmt) for v in sample)
        share = hits / len(sample)
        if share > best_share:
            best, best_share = fmt, share
            if share == 1.0:
                break
    return best, best_share


def order_evidence(first_max: int, second_max: int) -> str | None:
    """``day-first`` / ``month-first`` when a leading field above 12 settles it (both: ``None``)."""
    if first_max > 12 and second_max <= 12:
        return "day-first"
    if second_max > 12 and first_max <= 12:
        return "month-first"
    return None


def leading_field_max(values: Sequence[str]) -> tuple[int, int]:
    """The largest first and second field among slash dates (``31/01/2025`` -> 31, 1)."""
    first = second = 0
    pattern = re.compile(LEADING_FIELDS)
    for v in values:
        m = pattern.match(v)
        if m:
            first = max(first, int(m.group(1)))
            second = max(second, int(m.group(2)))
    return first, second


_DAY_FIRST_HEADER = re.compile(
    r"dd[/.\-]mm|jj[/.\-]mm|tt[/.\-]mm|gg[/.\-]mm|יום\s*/\s*חודש|gün\s*/\s*ay|\btag\b|\bdatum\b|\btarih\b|תאריך",
    re.IGNORECASE,
)
_MONTH_FIRST_HEADER = re.compile(r"mm[/.\-]dd|m/d/y", re.IGNORECASE)


def header_order(header: str) -> str | None:
    """What a column's header says about the order: ``DD/MM``, ``gün/ay``, ``יום/חודש``, German ``Tag``/``Datum``,
    Turkish ``Tarih``, Hebrew ``תאריך`` -> day-first; ``MM/DD`` -> month-first."""
    if _MONTH_FIRST_HEADER.search(header):
        return "month-first"
    if _DAY_FIRST_HEADER.search(header):
        return "day-first"
    return None


# letters of languages whose locales write the day first (Turkish, German, Hebrew, French, Spanish ...)
_LOCALE_LETTERS = re.compile(r"[\u0590-\u05ffğışİĞŞäöüßÄÖÜéèêàçñÉÈÀÇÑ]")


def locale_order(delimiter: str | None, headers: Sequence[str], decimal_comma: bool) -> str | None:
    """Day-first when the file looks like a non-US Excel export: ``;`` delimiter, decimal commas, or
    headers in Hebrew, Turkish, German, French or Spanish."""
    if delimiter == ";" or decimal_comma or any(_LOCALE_LETTERS.search(h) for h in headers):
        return "day-first"
    return None


def with_order(fmt: str, order: str) -> str:
    """``fmt`` in the given day/month order (unchanged when it has no ambiguous pair)."""
    other = swapped(fmt)
    if other is None or is_day_first(fmt) == (order == "day-first"):
        return fmt
    return other


def decide_order(
    fmt: str,
    values: Sequence[str],
    header: str,
    whole_column: Callable[[], tuple[int, int]],
    delimiter: str | None,
    headers: Sequence[str],
    decimal_comma: bool,
) -> tuple[str, str | None]:
    """``fmt`` in the day/month order the evidence gives, and the evidence (``None``: nothing decided it,
    month first assumed). ``whole_column`` returns the largest first and second field over the whole column
    and is called only when the sampled ``values`` do not settle it."""
    order = order_evidence(*leading_field_max(values))
    if order is not None:
        return with_order(fmt, order), f"{order}: a value in the first rows settles it"
    order = order_evidence(*whole_column())
    if order is not None:
        return with_order(fmt, order), f"{order}: a value further down the column settles it"
    order = header_order(header)
    if order is not None:
        return with_order(fmt, order), f"{order}: from the column's header"
    order = locale_order(delimiter, headers, decimal_comma)
    if order is not None:
        return with_order(
            fmt, order
        ), f"{order}: the file looks like a non-US export (delimiter, decimals, language)"
    return with_order(fmt, "month-first"), None
