"""Money amounts and durations as exported: ``$1,250.00``, ``1.250,00 €``, ``(12.50)``, ``-3,5``,
``01:30:00``. Vectorised over Arrow string arrays; text that is not a number becomes null and is flagged.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

_NUMBER = r"^-?\d+(\.\d+)?$"
# a number as programs write it: digits with an optional point and fraction, or in scientific notation
WRITTEN = r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$"
_SEP = re.compile(r"([.,])(\d+)\D*$")


def guess_decimal(samples: Iterable[str]) -> str:
    """``","`` when the sample's amounts use decimal commas (``1.250,00``, ``12,5``), else ``"."``.

    Each value votes by its last separator: followed by exactly three digits it is ambiguous unless the other
    separator also appears (then the last one is the decimal mark).
    """
    comma = dot = 0
    for raw in samples:
        text = raw.strip()
        m = _SEP.search(text)
        if not m:
            continue
        sep, digits = m.group(1), m.group(2)
        other = "." if sep == "," else ","
        if len(digits) == 3 and other not in text:
            continue
        if sep == ",":
            comma += 1
        else:
            dot += 1
    return "," if comma > dot else "."


def parse_amounts(values: pa.Array, decimal: str = ".") -> tuple[pa.Array, np.ndarray]:
    """Float64 amounts and a mask of non-blank values that are not amounts; each cell read by its own form,
    whatever the other cells hold.

    With ``.`` as the decimal mark a number written plainly or in scientific notation (``WRITTEN``: ``12``,
    ``-3.5``, ``.5``, ``+5``, ``1.25E+06`` as Excel writes a wide number) is read as it is. Otherwise
    currency symbols, letters and spaces are dropped, thousands separators removed, and ``(x)`` and a
    trailing minus mean negative; a number in scientific notation among other signs (``$1.25E+06``) is
    not an amount (dropping the letter would read 1.2506). ``nan``, ``inf`` and overflows are not amounts.
    """
    if pa.types.is_integer(values.type) or pa.types.is_floating(values.type):
        arr = values.cast(pa.float64())
        return arr, np.zeros(len(arr), dtype=bool)
    text = pc.utf8_trim_whitespace(
        values.cast(pa.string()) if not pa.types.is_string(values.type) else values
    )
    blank = pc.fill_null(pc.equal(text, ""), True)
    if decimal != ".":
        return _finite(_cleaned(text, decimal), blank)
    written = pc.fill_null(pc.match_substring_regex(text, WRITTEN), False)
    plain = pc.cast(pc.if_else(written, text, pa.scalar(None, pa.string())), pa.float64())
    if pc.all(pc.or_(written, blank)).as_py():  # the common case: one cast, no cleaning
        return _finite(plain, blank)
    return _finite(pc.if_else(written, plain, _cleaned(text, decimal)), blank)


def _finite(numbers: pa.Array, blank: pa.Array) -> tuple[pa.Array, np.ndarray]:
    """``numbers`` with NaN and infinities (``1e999``) made null; the mask of non-blank cells left null."""
    numbers = pc.if_else(pc.fill_null(pc.is_finite(numbers), False), numbers, pa.scalar(None, pa.float64()))
    bad = pc.and_(pc.is_null(numbers), pc.invert(blank))
    return numbers, np.asarray(bad.to_numpy(zero_copy_only=False), dtype=bool)


def _cleaned(text: pa.Array, decimal: str) -> pa.Array:
    """The amounts of cells written with currency signs, separators or accounting negatives (null where a
    cell does not read as one)."""
    # the other convention's decimal mark after this one's ("1.250,00" read with ".") is not an amount
    mixed = pc.fill_null(pc.match_substring_regex(text, r"\.\d*," if decimal == "." else r",\d*\."), False)
    negative = pc.or_(
        pc.match_substring_regex(text, r"^\(.*\)$"), pc.match_substring_regex(text, r"^[^-]*\d[^\d]*-$")
    )
    cleaned = pc.replace_substring_regex(text, r"[^0-9,.\-]", "")
    cleaned = pc.replace_substring_regex(cleaned, r"(\d)-$", r"\1")
    if decimal == ",":
        cleaned = pc.replace_substring(cleaned, ".", "")
        cleaned = pc.replace_substring(cleaned, ",", ".")
    else:
        cleaned = pc.replace_substring(cleaned, ",", "")
    scientific = pc.fill_null(pc.match_substring_regex(text, r"\d[eE][+-]?\d"), False)
    ok = pc.fill_null(
        pc.and_(pc.match_substring_regex(cleaned, _NUMBER), pc.invert(pc.or_(mixed, scientific))), False
    )
    numbers = pc.cast(pc.if_else(ok, cleaned, pa.scalar(None, pa.string())), pa.float64())
    out: pa.Array = pc.if_else(pc.fill_null(negative, False), pc.negate(numbers), numbers)
    return out


def parse_durations(
    values: pa.Array, unit: str = "minutes", decimal: str = "."
) -> tuple[pa.Array, np.ndarray]:
    """Durations in hours from numbers in ``unit`` (minutes, hours, seconds) or ``[D ]HH:MM[:SS]`` text."""
    per_hour = {"minutes": 60.0, "hours": 1.0, "seconds": 3600.0}[unit]
    if pa.types.is_integer(values.type) or pa.types.is_floating(values.type):
        return pc.divide(values.cast(pa.float64()), per_hour), np.zeros(len(values), dtype=bool)
    text = pc.utf8_trim_whitespace(values.cast(pa.string()))
    is_clock = pc.fill_null(pc.match_substring_regex(text, r"^\d+:\d{1,2}(:\d{1,2})?$"), False)
    numbers, bad = parse_amounts(pc.if_else(is_clock, pa.scalar(None, pa.string()), text), decimal)
    hours = pc.divide(numbers, per_hour)
    if pc.any(is_clock).as_py():
        clock_text = pc.if_else(is_clock, text, pa.scalar(None, pa.string()))
        clock_text = pc.replace_substring_regex(clock_text, r"^(\d+:\d{1,2})$", r"\1:00")
        parts = pc.split_pattern(clock_text, ":")
        h, m, sec = (pc.cast(pc.list_element(parts, i), pa.float64()) for i in range(3))
        clock = pc.add(pc.add(h, pc.divide(m, 60.0)), pc.divide(sec, 3600.0))
        hours = pc.if_else(is_clock, clock, hours)
    negative = pc.fill_null(pc.less(hours, 0.0), False)
    bad = bad | np.asarray(negative.to_numpy(zero_copy_only=False), dtype=bool)
    hours = pc.if_else(negative, pa.scalar(None, pa.float64()), hours)
    return hours, bad
