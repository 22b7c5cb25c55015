"""Turn a run into report files: resolve each path template and render each format.

Path templates hold only ``as_of`` (a date: ``{as_of:%Y-%m}``), ``date`` (the day of the run) and
``period`` (the latest period of the trend), checked when the config is read (``expand_template``: no
attribute or index access, no other names). CSV writes one file per table: the path
gets ``-TABLE`` before its extension, or the template may place ``{table}`` itself.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from cxroi.config_outputs import expand_template
from cxroi.errors import ConfigError
from cxroi.report.documents import (
    render_csv_tables,
    render_html_report,
    render_markdown_report,
    render_xlsx_report,
)
from cxroi.report.privacy import redact


def expand_path(
    template: str, as_of: date | None, today: date, period: str | None, table: str | None = None
) -> Path:
    values: dict[str, Any] = {"as_of": as_of or today, "date": today, "period": period or "all"}
    if table is not None:
        values["table"] = table
    try:
        return Path(expand_template(template, values))
    except (KeyError, ValueError) as exc:
        raise ConfigError(
            f"reports: bad path template ({exc})", "use {as_of:%Y-%m}, {date}, {period} or {table}"
        ) from exc


def _latest_period(data: dict[str, Any]) -> str | None:
    trend = (data.get("scores") or {}).get("trend") or []
    if trend:
        return str(trend[-1]["period"])
    churn = data.get("churn") or []
    return str(churn[-1]["period"]) if churn else None


def render_report(
    fmt: str, template: str, data: dict[str, Any], assumptions: dict[str, Any], allow: set[str], today: date
) -> list[tuple[Path, str | bytes]]:
    """The files one report spec produces: (path, content), personal data redacted."""
    safe = redact(data, allow)
    as_of = date.fromisoformat(safe["as_of"]) if safe.get("as_of") else None
    period = _latest_period(safe)
    if fmt == "csv":
        out: list[tuple[Path, str | bytes]] = []
        for table, text in render_csv_tables(safe).items():
            if "{table}" in template:
                path = expand_path(template, as_of, today, period, table)
            else:
                base = expand_path(template, as_of, today, period)
                path = base.with_name(f"{base.stem}-{table}{base.suffix or '.csv'}")
            out.append((path, text))
        return out
    path = expand_path(template, as_of, today, period)
    if fmt == "markdown":
        return [(path, render_markdown_report(safe))]
    if fmt == "html":
        return [(path, render_html_report(safe))]
    if fmt == "xlsx":
        return [(path, render_xlsx_report(safe, assumptions))]
    return [(path, json.dumps(safe, ensure_ascii=False, indent=2, allow_nan=False, default=str) + "\n")]
