"""Every result table of a run in long form, for a database table a dashboard (Metabase, Superset, Looker)
reads: one row per (section, metric, period, segments, field) with its number.

A record's text fields other than ``metric`` and ``period`` (a segment such as ``Region``, an NPS group,
a theme) are its segments, kept as one JSON object with sorted keys; each number (a boolean is 1 or 0, a
missing value NULL) becomes a row of its own with the field's name. Full precision (float64), personal
data already redacted by the caller.
"""

from __future__ import annotations

import json
from typing import Any

import pyarrow as pa

SCHEMA = pa.schema([
    ("run_id", pa.string()), ("config", pa.string()), ("as_of", pa.date32()), ("run_at", pa.timestamp("us")),
    ("section", pa.string()), ("metric", pa.string()), ("period", pa.string()), ("segments", pa.string()),
    ("field", pa.string()), ("value", pa.float64()),
])  # fmt: skip
DIMENSIONS = ("metric", "period")


def long_rows(data: dict[str, Any]) -> list[tuple[str, str | None, str | None, str, str, float | None]]:
    """(section, metric, period, segments JSON, field, value) for every number of every report table."""
    from cxroi.report.documents import report_tables

    rows: list[tuple[str, str | None, str | None, str, str, float | None]] = []
    for section, (records, fields) in report_tables(data).items():
        for rec in records:
            metric = rec.get("metric")
            period = rec.get("period")
            segments = {
                k: v for k, v in rec.items() if k not in DIMENSIONS and isinstance(v, str)
            }
            seg = json.dumps(segments, ensure_ascii=False, sort_keys=True)
            for f in fields:
                if f in DIMENSIONS or f not in rec:
                    continue
                v = rec[f]
                if isinstance(v, str):
                    continue
                if isinstance(v, bool):
                    value: float | None = 1.0 if v else 0.0
                elif isinstance(v, int | float):
                    value = float(v)
                elif v is None:
                    value = None
                else:
                    continue
                rows.append((section, None if metric is None else str(metric),
                             None if period is None else str(period), seg, f, value))  # fmt: skip
    return rows


def results_table(data: dict[str, Any], run_id: str, config: str, run_at: Any) -> pa.Table:
    """The long rows of ``data`` as an Arrow table with the run's columns."""
    import datetime as dt

    rows = long_rows(data)
    as_of = dt.date.fromisoformat(data["as_of"]) if data.get("as_of") else None
    cols: list[Any] = list(zip(*rows, strict=True)) if rows else [[] for _ in range(6)]
    n = len(rows)
    arrays = [pa.array([run_id] * n, pa.string()), pa.array([config] * n, pa.string()),
              pa.array([as_of] * n, pa.date32()), pa.array([run_at] * n, pa.timestamp("us")),
              *[pa.array(list(c), t.type) for c, t in zip(cols, list(SCHEMA)[4:], strict=True)]]  # fmt: skip
    return pa.Table.from_arrays(arrays, schema=SCHEMA)
