"""Calendar periods: integer keys computed from timestamps, and their labels.

Keys sort in time order: month ``YYYYMM``, quarter ``YYYYQ``, year ``YYYY``, ISO week ``YYYYWW`` (ISO year).
Labels: ``2025-01``, ``2025-Q1``, ``2025``, ``2025-W03``.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

Period = Literal["week", "month", "quarter", "year"]
PERIODS_PER_YEAR = {"week": 52, "month": 12, "quarter": 4, "year": 1}


_US_PER_DAY = 86_400_000_000


def _key_of_day(day: date, period: Period) -> int:
    if period == "month":
        return day.year * 100 + day.month
    if period == "quarter":
        return day.year * 10 + (day.month - 1) // 3 + 1
    if period == "year":
        return day.year
    iso = day.isocalendar()
    return iso.year * 100 + iso.week


def period_keys(timestamps: pa.Array, period: Period) -> np.ndarray:
    """Integer period key per timestamp; -1 where the timestamp is null.

    Works on whole days: timestamps become day numbers, and the few distinct days of a batch are mapped to
    their period through a lookup table (much cheaper than decomposing every timestamp into fields).
    """
    ts = timestamps.cast(pa.timestamp("us")) if timestamps.type != pa.timestamp("us") else timestamps
    micros = np.asarray(
        pc.fill_null(ts.cast(pa.int64()), np.iinfo(np.int64).min).to_numpy(zero_copy_only=False)
    )
    null = micros == np.iinfo(np.int64).min
    days = np.floor_divide(micros, _US_PER_DAY)
    out = np.full(len(micros), -1, dtype=np.int64)
    if null.all():
        return out
    valid_days = days[~null]
    first, last = int(valid_days.min()), int(valid_days.max())
    if last - first > 40_000:  # dates over a century apart: decompose each timestamp instead
        return _field_keys(ts, period)
    epoch = date(1970, 1, 1)
    lut = np.array(
        [_key_of_day(epoch + timedelta(days=d), period) for d in range(first, last + 1)], dtype=np.int64
    )
    out[~null] = lut[valid_days - first]
    return out


def _field_keys(timestamps: pa.Array, period: Period) -> np.ndarray:
    if period == "month":
        key = pc.add(pc.multiply(pc.year(timestamps), 100), pc.month(timestamps))
    elif period == "quarter":
        key = pc.add(pc.multiply(pc.year(timestamps), 10), pc.quarter(timestamps))
    elif period == "year":
        key = pc.year(timestamps)
    else:
        key = pc.add(pc.multiply(pc.iso_year(timestamps), 100), pc.iso_week(timestamps))
    return np.asarray(pc.fill_null(key, -1).to_numpy(zero_copy_only=False), dtype=np.int64)


def period_label(key: int, period: Period) -> str:
    if period == "month":
        return f"{key // 100:04d}-{key % 100:02d}"
    if period == "quarter":
        return f"{key // 10:04d}-Q{key % 10}"
    if period == "year":
        return f"{key:04d}"
    return f"{key // 100:04d}-W{key % 100:02d}"


def period_bounds(key: int, period: Period) -> tuple[date, date]:
    """First day of the period and first day of the next one."""
    if period == "month":
        y, m = divmod(key, 100)
        start = date(y, m, 1)
        end = date(y + (m == 12), m % 12 + 1, 1)
    elif period == "quarter":
        y, q = divmod(key, 10)
        start = date(y, 3 * q - 2, 1)
        end = date(y + (q == 4), (3 * q) % 12 + 1, 1)
    elif period == "year":
        start, end = date(key, 1, 1), date(key + 1, 1, 1)
    else:
        y, w = divmod(key, 100)
        start = date.fromisocalendar(y, w, 1)
        end = start + timedelta(days=7)
    return start, end


def period_of_day(day: int, period: Period) -> int:
    """Period key of a day number (days since 1970-01-01)."""
    return _key_of_day(date(1970, 1, 1) + timedelta(days=day), period)


def period_range(first_day: int, last_day: int, period: Period) -> list[tuple[int, int, int]]:
    """Every period from the one holding ``first_day`` to the one holding ``last_day``:
    (key, first day, first day of the next period), days since 1970-01-01."""
    epoch = date(1970, 1, 1)
    out: list[tuple[int, int, int]] = []
    key = period_of_day(first_day, period)
    last_key = period_of_day(last_day, period)
    while True:
        start, end = period_bounds(key, period)
        out.append((key, (start - epoch).days, (end - epoch).days))
        if key >= last_key:
            return out
        key = _key_of_day(end, period)


def year_before(d: date) -> date:
    """The same day a year earlier (28 February for 29 February)."""
    try:
        return d.replace(year=d.year - 1)
    except ValueError:  # 29 February
        return d.replace(year=d.year - 1, day=28)


def period_kind(label: str) -> str:
    """``quarterly``, ``monthly``, ``weekly`` or ``annual`` from a period label (2025-Q4, 2025-01, 2025-W03,
    2025)."""
    if "-Q" in label:
        return "quarterly"
    if "-W" in label:
        return "weekly"
    return "monthly" if "-" in label else "annual"
