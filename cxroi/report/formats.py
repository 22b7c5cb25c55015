"""Render a list of records as table (rich), CSV, JSON, NDJSON or Markdown.

CSV and JSON keep full float precision (``repr``: the shortest text that reads back to the same double);
only ``table`` and ``markdown`` round for display. NaN and missing values are empty in CSV, ``null`` in
JSON, and ``-`` in tables. Text that a spreadsheet would run as a formula is neutralised in CSV.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Sequence
from enum import StrEnum
from typing import Any


class OutputFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"
    ndjson = "ndjson"
    markdown = "markdown"


EXTENSIONS = {
    ".csv": OutputFormat.csv,
    ".json": OutputFormat.json,
    ".ndjson": OutputFormat.ndjson,
    ".jsonl": OutputFormat.ndjson,
    ".md": OutputFormat.markdown,
    ".markdown": OutputFormat.markdown,
    ".txt": OutputFormat.table,
}

# How each field is shown in table/markdown: decimals (None = as is).
DISPLAY_DECIMALS = {
    "value": 1,
    "moe": 1,
    "ci_low": 1,
    "ci_high": 1,
    "delta": 1,
    "p_value": 3,
    "retention": 1,
    "annualized": 1,
    "churn": 1,
    "annualized_churn": 1,
    "annual_churn": 1,
}
# p- and q-values: 3 decimals, "< 0.001" below (a p of 0.000 would claim a certainty no test gives)
P_FIELDS = frozenset({"p_value", "q_value", "p", "q", "logrank_p", "ph_p"})
# Short column headings for the terminal table (CSV/JSON keep the field names).
HEADINGS = {
    "moe": "±moe",
    "ci_low": "CI low",
    "ci_high": "CI high",
    "promoters": "prom",
    "passives": "pass",
    "detractors": "detr",
    "satisfied": "sat",
    "p_value": "p",
    "delta": "Δ",
    "customers_start": "start",
    "customers_end": "end",
    "annualized": "annual %",
    "annualized_churn": "annual %",
    "churn": "churn %",
    "retention": "retention %",
    "highest_churn": "top churn",
    "support_cost_per_customer": "support/cust",
    "support_cost_per_ticket": "support/ticket",
    "avg_transaction": "avg txn",
    "avg_contract_value": "avg contract",
    "frt_mean_hours": "FRT mean h",
    "frt_median_hours": "FRT median h",
    "annual_cost_to_serve": "cost to serve",
    "customer_years": "cust-years",
    "window_start": "from",
    "window_end": "to",
    "annual_revenue": "revenue/yr",
    "gross_margin": "GM",
    "annual_margin": "margin/yr",
    "annual_churn": "churn %/yr",
    "discount_rate": "disc.",
    "horizon_years": "horizon",
    "lifespan_years": "life yrs",
    "clv_simple": "CLV simple",
    "clv": "CLV",
    "contract_value": "contracts",
    "support_cost": "support",
}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _clean(value: Any) -> Any:
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        return _clean(value.item())
    return value


def json_safe(value: Any) -> Any:
    """A copy of nested data fit for JSON: NaN and infinities become null, numpy scalars Python numbers."""
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return _clean(value)


def safe_cell(value: Any) -> str:
    """CSV cell text: full-precision numbers; text that would start a spreadsheet formula gets a leading '."""
    kind = type(value)
    if kind is float:  # the common cases first: a report has hundreds of thousands of cells
        return repr(value) if value - value == 0.0 else ""  # NaN and infinities are empty
    if kind is int:
        return repr(value)
    if kind is str:
        text: str = value
        return "'" + text if text.startswith(FORMULA_START) else text
    value = _clean(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    out = str(value)
    if out.startswith(FORMULA_START):
        return "'" + out
    return out


def display_cell(field: str, value: Any, decimals_override: dict[str, int] | None = None) -> str:
    value = _clean(value)
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else ""
    if isinstance(value, float):
        if field in P_FIELDS and (decimals_override or {}).get(field, 3) == 3:
            return "< 0.001" if 0 <= value < 0.0005 else f"{value:.3f}"
        decimals = (decimals_override or {}).get(field, DISPLAY_DECIMALS.get(field, 2))
        text = f"{value:,.{decimals}f}"
        return text[1:] if text.startswith("-") and not text.strip("-0.,") else text
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def make_console(buf: io.StringIO, width: int, color: bool) -> Any:
    """A rich Console writing to ``buf``: ANSI colour only when ``color`` (a terminal, no NO_COLOR)."""
    from rich.console import Console

    return Console(
        file=buf,
        width=width,
        force_terminal=color,
        no_color=not color,
        color_system="auto" if color else None,
        legacy_windows=False,
    )


def _cells(values: list[Any]) -> list[str]:
    """``safe_cell`` of a whole column, with the common one-type columns done in one pass each."""
    kinds = set(map(type, values))
    if kinds <= {float}:
        return [repr(v) if v - v == 0.0 else "" for v in values]
    if kinds <= {float, type(None)}:
        return ["" if v is None else repr(v) if v - v == 0.0 else "" for v in values]
    if kinds <= {int}:
        return list(map(repr, values))
    if kinds <= {int, type(None)}:
        return ["" if v is None else repr(v) for v in values]
    if kinds <= {str}:
        return ["'" + v if v.startswith(FORMULA_START) else v for v in values]
    return [safe_cell(v) for v in values]


def render_csv(records: Sequence[dict[str, Any]], fields: Sequence[str]) -> str:
    """CSV of the records, column by column (the same cells as ``safe_cell`` one by one)."""
    from cxroi.report.record_table import RecordTable, render_csv_table

    if isinstance(records, RecordTable) and len(fields) > 1:
        return render_csv_table(records, fields)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(fields)
    columns = [_cells([rec.get(f) for rec in records]) for f in fields]
    writer.writerows(zip(*columns, strict=True))
    return buf.getvalue()


def render_json(records: Sequence[dict[str, Any]], fields: Sequence[str]) -> str:
    from cxroi.report.record_table import RecordTable, render_json_table

    if isinstance(records, RecordTable):
        return render_json_table(records, fields)
    rows = [{f: _clean(rec.get(f)) for f in fields if f in rec} for rec in records]
    return json.dumps(rows, ensure_ascii=False, indent=2, allow_nan=False) + "\n"


def render_ndjson(records: Sequence[dict[str, Any]], fields: Sequence[str]) -> str:
    from cxroi.report.record_table import RecordTable, render_json_table

    if isinstance(records, RecordTable):
        return render_json_table(records, fields, lines=True)
    return "".join(
        json.dumps({f: _clean(rec.get(f)) for f in fields if f in rec}, ensure_ascii=False, allow_nan=False)
        + "\n"
        for rec in records
    )


SMALL_NOTE = "_Rows with small = true have fewer answers than scores.min_n: read them with care._"


def _visible_fields(records: Sequence[dict[str, Any]], fields: Sequence[str]) -> list[str]:
    """Drop columns that are empty in every record (e.g. ``satisfied`` when only NPS was asked), and the
    half-width ``moe`` when the interval itself is shown (adjusted Wald and Wilson are not symmetric
    around the value, so "value +- moe" would not be the interval)."""
    shown = [
        f
        for f in fields
        if any(_clean(r.get(f)) is not None for r in records)
        and (f != "small" or any(r.get(f) for r in records))
    ]
    if "ci_low" in shown and "ci_high" in shown and "moe" in shown:
        shown.remove("moe")
    return shown or list(fields)


def _md_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ").replace("\r", " ")


def render_markdown(records: Sequence[dict[str, Any]], fields: Sequence[str]) -> str:
    shown = _visible_fields(records, fields)
    lines = ["| " + " | ".join(_md_escape(f) for f in shown) + " |"]
    lines.append("| " + " | ".join("---:" if _numeric(records, f) else "---" for f in shown) + " |")
    for rec in records:
        lines.append("| " + " | ".join(_md_escape(display_cell(f, rec.get(f))) for f in shown) + " |")
    if any(rec.get("small") for rec in records):
        lines += ["", SMALL_NOTE]
    return "\n".join(lines) + "\n"


def _numeric(records: Sequence[dict[str, Any]], field: str) -> bool:
    values = [_clean(r.get(field)) for r in records]
    present = [v for v in values if v is not None]
    return bool(present) and all(isinstance(v, int | float) and not isinstance(v, bool) for v in present)


PLAIN_ROWS = 2_000  # longer tables are drawn without colour even on a terminal (rich: ~1 s a 2,000 rows)


def render_table(
    records: Sequence[dict[str, Any]],
    fields: Sequence[str],
    title: str | None = None,
    width: int = 120,
    color: bool = False,
    group_by: str | None = "metric",
    titles: dict[str, str] | None = None,
    group_decimals: dict[str, dict[str, int]] | None = None,
    headings: dict[str, str] | None = None,
) -> str:
    """Table(s) rendered to text, one per ``group_by`` value: rich's ``SIMPLE_HEAD`` layout, drawn by
    ``plain_table`` without colour and by rich with ANSI colours (only when ``color``, and for tables of
    at most ``PLAIN_ROWS`` rows: rich takes half a millisecond a row). Cells, headings and titles are
    literal text (no rich markup), control characters replaced."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    from cxroi.report.plain_table import plain_table, terminal_text

    buf = io.StringIO()
    console = make_console(buf, width, color)
    groups: dict[Any, list[dict[str, Any]]] = {}
    split = group_by is not None and group_by in fields
    for rec in records:
        groups.setdefault(rec.get(group_by) if split and group_by else None, []).append(rec)
    for key, rows in groups.items():
        shown = [f for f in _visible_fields(rows, fields) if not (split and f == group_by)]
        heading = (titles or {}).get(str(key), str(key).upper()) if split else title
        names = [terminal_text((headings or {}).get(f, HEADINGS.get(f, f))) for f in shown]
        right = [_numeric(rows, f) for f in shown]
        decimals = (group_decimals or {}).get(str(key))
        cells = [[terminal_text(display_cell(f, rec.get(f), decimals)) for f in shown] for rec in rows]
        small = any(rec.get("small") for rec in rows)
        caption = "dimmed rows (small = true): fewer answers than scores.min_n; read them with care" if small else None
        heading = terminal_text(heading) if heading else heading
        plain = not color or len(rows) > PLAIN_ROWS
        lines = plain_table(heading, names, right, cells, caption, width) if plain else None
        if lines is not None:
            buf.write("\n".join(lines) + "\n")
            continue
        table = Table(title=Text(heading) if heading else None, title_justify="left", header_style="bold",
                      box=box.SIMPLE_HEAD)  # fmt: skip
        for name, r in zip(names, right, strict=True):
            table.add_column(Text(name), justify="right" if r else "left", no_wrap=True)
        for rec, row in zip(rows, cells, strict=True):
            table.add_row(*map(Text, row), style="dim" if rec.get("small") else None)
        if caption:
            table.caption = caption
            table.caption_justify = "left"
        console.print(table)
    return "\n".join(line.rstrip() for line in buf.getvalue().splitlines()) + "\n"


def render_pivot(
    records: Sequence[dict[str, Any]],
    fields: Sequence[str],
    group_field: str | None,
    column_fields: Sequence[str],
    title: str | None = None,
    width: int = 120,
    color: bool = False,
    headings: dict[str, str] | None = None,
) -> str:
    """Tables with one column per segment and one row per measure (for wide records such as economics);
    one table per value of ``group_field`` (e.g. each period)."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    from cxroi.report.plain_table import terminal_text

    def text(value: str) -> Text:  # literal text (no rich markup), control characters replaced
        return Text(terminal_text(value))

    buf = io.StringIO()
    console = make_console(buf, width, color)
    groups: dict[Any, list[dict[str, Any]]] = {}
    for rec in records:
        groups.setdefault(rec.get(group_field) if group_field else None, []).append(rec)
    measures = [f for f in _visible_fields(records, fields) if f != group_field and f not in column_fields]
    for key, rows in groups.items():
        heading = f"{title} — {key}" if title and key is not None else title or (str(key) if key else None)
        table = Table(title=text(heading) if heading else None, title_justify="left", header_style="bold",
                      box=box.SIMPLE_HEAD)  # fmt: skip
        table.add_column("")
        for rec in rows:
            label = " / ".join(str(rec.get(f)) for f in column_fields) or "all"
            table.add_column(text(label), justify="right", no_wrap=True)
        for f in measures:
            table.add_row(
                text((headings or {}).get(f, HEADINGS.get(f, f))), *(text(display_cell(f, r.get(f))) for r in rows)
            )
        console.print(table)
    return "\n".join(line.rstrip() for line in buf.getvalue().splitlines()) + "\n"


def render_records(
    fmt: OutputFormat,
    records: Sequence[dict[str, Any]],
    fields: Sequence[str],
    *,
    title: str | None = None,
    width: int = 120,
    color: bool = False,
    titles: dict[str, str] | None = None,
    group_decimals: dict[str, dict[str, int]] | None = None,
    headings: dict[str, str] | None = None,
    pivot: tuple[str | None, Sequence[str]] | None = None,
) -> str:
    """Render ``records`` in ``fmt``; ``pivot=(group_field, column_fields)`` turns the terminal table
    around (segments as columns, measures as rows), for records too wide to read across."""
    if fmt is OutputFormat.csv:
        return render_csv(records, fields)
    if fmt is OutputFormat.json:
        return render_json(records, fields)
    if fmt is OutputFormat.ndjson:
        return render_ndjson(records, fields)
    if fmt is OutputFormat.markdown:
        return render_markdown(records, fields)
    if pivot is not None:
        return render_pivot(records, fields, pivot[0], pivot[1], title, width, color, headings)
    return render_table(
        records,
        fields,
        title=title,
        width=width,
        color=color,
        titles=titles,
        group_decimals=group_decimals,
        headings=headings,
    )


def table_fields(records: Sequence[dict[str, Any]], preferred: Sequence[str] = ()) -> list[str]:
    """The columns of a report table: ``preferred`` ones present, then every other scalar key in order."""
    seen: list[str] = [f for f in preferred if any(f in r for r in records)]
    for r in records:
        for k in r:
            if k not in seen and not isinstance(r[k], dict | list):
                seen.append(k)
    return seen
