"""Reports of a ``cxroi run`` for people and other programs: Markdown, self-contained HTML with charts,
Excel, JSON and CSV (one file per table). Every renderer takes the run's data (``RunResult.to_dict()``)
and returns text or bytes; writing is the caller's job.

Safety: text from the data is escaped in HTML and Markdown, cells that a spreadsheet would run as a
formula are stored as text (XLSX) or neutralised (CSV), and personal data is redacted first
(``cxroi.report.privacy``).
"""

from __future__ import annotations

import html
import io
import json
import math
import re
from collections.abc import Callable, Sequence
from typing import Any

from cxroi.metrics.churn import latest_complete
from cxroi.report.cards import CSS as CARDS_CSS
from cxroi.report.cards import kpi_cards, summary_paragraph
from cxroi.report.clv_model import CLV_MODEL_DECIMALS, clv_model_tables
from cxroi.report.evidence import (
    TABLE_DECIMALS,
    evidence_charts,
    roi_sentence,
    roi_tables,
    survival_sentence,
    survival_tables,
)
from cxroi.report.formats import DISPLAY_DECIMALS, P_FIELDS, display_cell, render_csv
from cxroi.report.formats import table_fields as _fields
from cxroi.report.why import DECIMALS as WHY_DECIMALS
from cxroi.report.why import why_charts, why_sentence, why_tables

Table = tuple[list[dict[str, Any]], list[str]]

ECONOMICS_MEASURES = {
    "customers_start", "customers_end", "new", "churned", "churn", "retention", "annualized_churn", "clv",
    "annual_margin", "revenue", "transactions", "avg_transaction", "contract_value", "avg_contract_value", "tickets",
    "support_cost", "support_cost_per_customer", "support_cost_per_ticket", "frt_mean_hours", "frt_median_hours",
    "highest_churn",
}  # fmt: skip
PERCENT_FIELDS = {"churn", "retention", "annualized", "annualized_churn", "annual_churn", "value_pct", "match_rate",
                  "churn_low", "churn_high", "roi", "roi_low", "roi_high", "roi_discounted"}  # fmt: skip


_TEXT_MEASURES = {"window_start", "window_end", "note"}


def report_tables(data: dict[str, Any]) -> dict[str, Table]:
    """Every table of a run, by name, in report order (flat records: nested inputs are spread out)."""
    tables: dict[str, Table] = {}
    scores = data.get("scores") or {}
    for name in ("overall", "trend", "segments"):
        recs = scores.get(name)
        if recs:
            tables[f"scores_{name}"] = (recs, _fields(recs))
    tables.update(why_tables(data))
    for name in ("economics", "churn", "clv"):  # the HTML's order, so Markdown reads the same
        recs = data.get(name)
        if recs:
            known = {k for r in recs for k, v in r.items() if not isinstance(v, str) or k in _TEXT_MEASURES}
            segments = [k for r in recs for k in r if k not in known and k != "period"]
            tables[name] = (recs, _fields(recs, ["period", *dict.fromkeys(segments)]))
    if data.get("clv_by_window"):
        recs = data["clv_by_window"]
        tables["clv_by_window"] = (recs, _fields(recs, ["window"]))
    tables.update(clv_model_tables(data.get("clv_model")))
    link = data.get("link")
    if link:
        tables["link_summary"] = (
            [{"measure": k, "value": v} for k, v in link["summary"].items()],
            ["measure", "value"],
        )
        tables["link_outcomes"] = (link["outcomes"], _fields(link["outcomes"]))
    tables.update(survival_tables(data))
    tables.update(roi_tables(data))
    explain = data.get("explain")
    if explain:
        rows = [{"figure": e["figure"], "value": e["value"], "formula": e["formula"],
                 "inputs": json.dumps(e["inputs"], ensure_ascii=False, default=str)} for e in explain]  # fmt: skip
        tables["explain"] = (rows, ["figure", "value", "formula", "inputs"])
    return tables


# --- CSV ------------------------------------------------------------------------------------------------
def render_csv_tables(data: dict[str, Any]) -> dict[str, str]:
    """One CSV text per table (full precision, formula-safe)."""
    return {name: render_csv(recs, fields) for name, (recs, fields) in report_tables(data).items()}


# --- Markdown -------------------------------------------------------------------------------------------
def _flag_used(field: str, records: Sequence[dict[str, Any]]) -> bool:
    """The ``small`` flag is shown only when some record is small (a column of "no" says nothing); the
    half-width ``moe`` is not shown beside the interval it would misstate (adjusted Wald, Wilson)."""
    if field == "moe" and records and "ci_low" in records[0]:
        return False
    return field != "small" or any(r.get("small") for r in records)


SMALL_TEXT = (
    "Rows with small = true (in the trends: n*) have fewer answers than scores.min_n: read them with care."
)


def _md(text: Any) -> str:
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ").replace("<", "&lt;")


def row_decimals(record: dict[str, Any], decimals: dict[str, int] | None) -> dict[str, int] | None:
    """The table's decimals, with a score record's own by metric (CES means and margins: 2 decimals)."""
    from cxroi.pipeline.scores import DECIMALS as SCORE_DECIMALS

    own = SCORE_DECIMALS.get(str(record.get("metric"))) if "value" in record else None
    return {**(decimals or {}), **own} if own else decimals


def trend_pivot(records: Sequence[dict[str, Any]]) -> Table:
    """The trend turned around for reading: one column per period, per metric a row for the value, its
    95% interval, n, the change on the previous period and its p-value (the long table stays in CSV,
    XLSX and JSON)."""
    periods = list(dict.fromkeys(str(r["period"]) for r in records))
    rows: list[dict[str, Any]] = []
    for metric in dict.fromkeys(str(r["metric"]) for r in records):
        by = {str(r["period"]): r for r in records if r["metric"] == metric}
        d = row_decimals({"metric": metric, "value": 0}, None)

        def cell(r: dict[str, Any], measure: str, d: dict[str, int] | None = d) -> str:
            if measure == "95% CI":
                return f"{display_cell('ci_low', r.get('ci_low'), d)}–{display_cell('ci_high', r.get('ci_high'), d)}"
            field = {"value": "value", "n": "n", "change": "delta", "p": "p_value"}[measure]
            return display_cell(field, r.get(field), d)

        for measure in ("value", "95% CI", "n", "change", "p"):
            row: dict[str, Any] = {"metric": metric.upper(), "measure": measure,
                   **{p: cell(by[p], measure) if p in by else "" for p in periods}}  # fmt: skip
            if measure == "n" and any(r.get("small") for r in by.values()):  # n* = fewer than scores.min_n
                row.update({p: row[p] + "*" for p in periods if p in by and by[p].get("small")})
                row["small"] = True
            rows.append(row)
    return rows, ["metric", "measure", *periods]


def _md_table(
    records: Sequence[dict[str, Any]], fields: Sequence[str], decimals: dict[str, int] | None = None
) -> str:
    shown = [f for f in fields if any(r.get(f) is not None for r in records) and _flag_used(f, records)]
    lines = ["| " + " | ".join(_md(f) for f in shown) + " |", "|" + "|".join(" --- " for _ in shown) + "|"]
    for r in records:
        d = row_decimals(r, decimals)
        lines.append("| " + " | ".join(_md(display_cell(f, r.get(f), d)) for f in shown) + " |")
    if any(r.get("small") for r in records):
        lines += ["", f"_{SMALL_TEXT}_"]
    return "\n".join(lines) + "\n"


def _n(x: Any, digits: int = 1) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    if isinstance(x, int) and not isinstance(x, bool):
        return f"{x:,}"
    if isinstance(x, float):
        return f"{x:,.{digits}f}"
    return str(x)


def headline(data: dict[str, Any]) -> list[str]:
    """One sentence per headline figure."""
    out: list[str] = []
    scores = data.get("scores") or {}
    trend = scores.get("trend") or []
    for rec in scores.get("overall") or []:
        d = 2 if rec["metric"] == "ces" else 1
        rows = [r for r in trend if r["metric"] == rec["metric"]]
        change = ""
        if rows and rows[-1].get("delta") is not None:
            last = rows[-1]
            sig = (
                "significant" if last["p_value"] is not None and last["p_value"] < 0.05 else "not significant"
            )
            p = _n(last["p_value"], 3)
            change = f"; {last['period']}: {_n(last['value'], d)} ({last['delta']:+.{d}f}, p = {p}, {sig})"
        out.append(
            f"{rec['metric'].upper()} {_n(rec['value'], d)} (95% CI {_n(rec['ci_low'], d)} to "
            f"{_n(rec['ci_high'], d)}, n = {rec['n']:,}){change}"
        )
    last = latest_complete(data.get("churn") or [])
    if last is not None:
        out.append(
            f"Churn {last['period']}: {last['value']:.2f}% ({last['churned']:,} of {last['customers_start']:,} customers)"
        )
    clv = data.get("clv") or []
    if clv:
        out.append(
            f"CLV {_n(clv[0]['clv'], 0)} per customer (annual margin {_n(clv[0]['annual_margin'], 0)})"
        )
    why = why_sentence(data)
    if why:
        out.append(why)
    sentence = survival_sentence(data)
    if sentence:
        out.append(sentence)
    roi = data.get("roi")
    if roi:
        out.append(roi_sentence(roi["summary"]))
    return out


SECTION_TITLES = {
    "scores_overall": "Overall scores (all periods)",
    "scores_trend": "Trends",
    "scores_segments": "Scores by segment",
    "why_themes": "Why: themes of the reasons (by lift among detractors)",
    "why_examples": "Why: example reasons (personal data redacted)",
    "why_drivers": "Why: key drivers of the NPS answer (% of R²)",
    "churn": "Churn",
    "clv": "Customer lifetime value",
    "economics": "Economics by segment",
    "link_summary": "Survey ↔ CRM match",
    "link_outcomes": "Churn by NPS, CSAT and CES group",
    "survival_groups": "Survival: follow-ups by group",
    "survival_at": "Survival: retention after the answer",
    "hazard_ratios": "Survival: hazard ratios (Cox, Efron ties)",
    "survival_tests": "Survival: log-rank tests",
    "survival_curves": "Survival: Kaplan–Meier curves",
    "clv_by_window": "CLV in each ROI window",
    "clv_model_parameters": "CLV model: fitted parameters (MLE, standard errors from the Hessian)",
    "clv_model_by_group": "CLV model: value per customer by CX group (mean, 95% interval)",
    "clv_model_totals": "CLV model: totals",
    "clv_model_mix_value": "CLV model: the measured CX mix shift at the model's CLV (lifetime value; cross-check)",
    "roi_summary": "ROI",
    "roi_lines": "ROI benefit lines by year",
    "roi_inputs": "ROI inputs and where they come from",
    "roi_tornado": "ROI sensitivity (tornado)",
    "what_if": "What if",
    "explain": "How each figure was computed",
}


def render_markdown_report(data: dict[str, Any]) -> str:
    parts = [f"# CX report — as of {data.get('as_of') or 'latest data'}\n",
             "\n".join(f"- {_md(h)}" for h in headline(data)) + "\n"]  # fmt: skip
    for name, (recs, fields) in report_tables(data).items():
        if name == "scores_trend":
            recs, fields = trend_pivot(recs)
        if name == "survival_curves":  # one row per event time: in the CSV, XLSX and JSON reports
            continue
        if name == "explain":
            parts.append(f"## {SECTION_TITLES[name]}\n")
            parts.append("\n".join(f"- **{_md(r['figure'])}** = {_md(_n(r['value'], 2))}: {_md(r['formula'])}; "
                                   f"inputs {_md(r['inputs'])}" for r in recs) + "\n")  # fmt: skip
            continue
        parts.append(f"## {SECTION_TITLES.get(name, name)}\n")
        decimals = TABLE_DECIMALS.get(name) or WHY_DECIMALS.get(name) or CLV_MODEL_DECIMALS.get(name)
        parts.append(_md_table(recs, fields, decimals))
    warnings = data.get("warnings") or []
    if warnings:
        parts.append("## Warnings\n")
        parts.append("\n".join(f"- {_md(w)}" for w in warnings) + "\n")
    notes = data.get("notes") or []
    if notes:
        parts.append("## Notes\n")
        parts.append("\n".join(f"- {_md(w)}" for w in notes) + "\n")
    parts.append(f"\n_{_md(data.get('generated_by', 'cxroi'))}, config {_md(data.get('config', ''))}_\n")
    return "\n".join(parts)


# --- HTML -----------------------------------------------------------------------------------------------
CSS = """
body{font-family:-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:#222;margin:2rem auto;max-width:1100px;
padding:0 1rem;line-height:1.45}
h1{font-size:1.6rem;margin-bottom:.2rem}
h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #ddd;padding-bottom:.2rem}
.headline{display:flex;flex-wrap:wrap;gap:.6rem;padding:0;list-style:none}
.headline li{background:#f4f7fb;border:1px solid #dde5f0;border-radius:6px;padding:.5rem .8rem}
table{border-collapse:collapse;font-size:.85rem;margin:.6rem 0;width:100%}
th,td{border-bottom:1px solid #e6e6e6;padding:.25rem .5rem;text-align:right;white-space:nowrap}
td.t{white-space:normal;overflow-wrap:anywhere;max-width:28rem}th{white-space:normal}
th{background:#fafafa}td.t,th.t{text-align:left}
tr.hl td,td.hl,th.hl{background:#fdecea;font-weight:600}
tr.small td{color:#999}
.scroll{overflow-x:auto}
.charts{display:flex;flex-wrap:wrap;gap:1rem}.charts svg{max-width:100%;height:auto}
.muted{color:#777;font-size:.8rem}.warn{color:#8a6d3b}
@page{size:A4;margin:12mm}
@media print{body{margin:0;max-width:none;padding:0;font-size:10pt}h2{page-break-after:avoid}
table,svg,.cards{page-break-inside:avoid}
table{font-size:7.5pt}th,td{padding:.1rem .25rem;white-space:normal}.scroll{overflow:visible}}
"""


def _esc(x: Any) -> str:
    return html.escape(str(x), quote=True)


def _numeric_text(v: Any) -> bool:
    """A pre-formatted number (``4.98``, ``29.3–34.6``, ``< 0.001``, ``-``, empty): aligned right."""
    return v is None or bool(re.fullmatch(r"[-+<>=.,*\d\s–]*", str(v)))


# Past this many columns a table of a few records is turned around (one column per record) to fit a
# 1280-px page and A4.
WIDE_COLUMNS, WIDE_ROWS = 9, 8


def _html_table(
    records: Sequence[dict[str, Any]],
    fields: Sequence[str],
    highlight: Callable[[dict[str, Any]], bool] | None = None,
    decimals: dict[str, int] | None = None,
) -> str:
    shown = [f for f in fields if any(r.get(f) is not None for r in records) and _flag_used(f, records)]
    text_fields = {f for f in shown if all(isinstance(r.get(f), str | None) for r in records)}
    text_fields -= {f for f in text_fields if all(_numeric_text(r.get(f)) for r in records)}
    if len(shown) > WIDE_COLUMNS and len(records) <= WIDE_ROWS:  # a few wide records: one column each
        labels = [f for f in shown if f in text_fields]
        return _html_pivot(records, [f for f in shown if f not in text_fields], labels, highlight, decimals)
    head = "".join(f'<th class="{"t" if f in text_fields else ""}">{_esc(f.replace("_", " "))}</th>' for f in shown)
    rows = []
    for r in records:
        marks = [c for c, on in (("hl", highlight and highlight(r)), ("small", r.get("small"))) if on]
        cls = f' class="{" ".join(marks)}"' if marks else ""
        d = row_decimals(r, decimals)
        cells = "".join(f'<td class="{"t" if f in text_fields else ""}">{_esc(display_cell(f, r.get(f), d))}</td>'
                        for f in shown)  # fmt: skip
        rows.append(f"<tr{cls}>{cells}</tr>")
    note = f'<p class="muted">{_esc(SMALL_TEXT)}</p>' if any(r.get("small") for r in records) else ""
    return f'<div class="scroll"><table><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table></div>{note}'


def _html_pivot(
    records: Sequence[dict[str, Any]], fields: Sequence[str], label_fields: Sequence[str],
    highlight: Callable[[dict[str, Any]], bool] | None = None, decimals: dict[str, int] | None = None,
) -> str:  # fmt: skip
    """Segments as columns, measures as rows (for wide records); highlighted segments' cells marked."""
    shown = [
        f
        for f in fields
        if f not in label_fields and f != "period" and any(r.get(f) is not None for r in records)
    ]
    marks = [bool(highlight and highlight(r)) for r in records]
    head = '<th class="t"></th>' + "".join(
        f'<th class="{"hl" if m else ""}">{_esc(" / ".join(str(r.get(f)) for f in label_fields) or "all")}</th>'
        for r, m in zip(records, marks, strict=True)
    )
    rows = []
    for f in shown:
        cells = "".join(f'<td class="{"hl" if m else ""}">{_esc(display_cell(f, r.get(f), row_decimals(r, decimals)))}</td>'
                        for r, m in zip(records, marks, strict=True))  # fmt: skip
        rows.append(f'<tr><td class="t">{_esc(f)}</td>{cells}</tr>')
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def build_charts(data: dict[str, Any]) -> dict[str, str]:
    """The report's charts as inline SVG, by id."""
    from cxroi.report import charts

    out: dict[str, str | None] = {}
    scores = data.get("scores") or {}
    trend = scores.get("trend") or []
    units = {"nps": "NPS points", "csat": "% satisfied", "ces": "CES"}
    for metric in ("nps", "csat", "ces"):
        rows = [r for r in trend if r["metric"] == metric]
        if rows:
            out[f"chart-{metric}-trend"] = charts.trend_chart(
                f"chart-{metric}-trend", f"{metric.upper()} by period", [r["period"] for r in rows],
                [r["value"] for r in rows], [r["ci_low"] for r in rows], [r["ci_high"] for r in rows], units[metric],
            )  # fmt: skip
    dist = (scores.get("distribution") or {}).get("nps")
    bands = (scores.get("bands") or {}).get("nps")
    if dist and bands:
        lo, hi = bands["scale"]
        named = {k: tuple(v) for k, v in bands.items() if k != "scale"}
        out["chart-nps-distribution"] = charts.distribution_chart("chart-nps-distribution", list(range(lo, hi + 1)),
                                                                  dist, named)  # fmt: skip
    link = data.get("link")
    if link:
        rows = [r for r in link["outcomes"] if r["metric"] == "nps" and " - " not in r["group"]]
        out["chart-churn-by-group"] = charts.churn_by_group_chart(
            "chart-churn-by-group", [r["group"] for r in rows], [r["churn"] for r in rows],
            [r["churn_low"] for r in rows], [r["churn_high"] for r in rows],
        )  # fmt: skip
    roi = data.get("roi")
    if roi:
        s = roi["summary"]
        out["chart-roi-waterfall"] = charts.waterfall_chart(
            "chart-roi-waterfall", [(ln["line"], ln["attributed"]) for ln in roi["lines"]], s["total_cost"],
            s["net_benefit"],
        )  # fmt: skip
    out.update(evidence_charts(data))
    out.update(why_charts(data))
    return {k: v for k, v in out.items() if v}


def render_html_report(data: dict[str, Any]) -> str:
    """One self-contained page: inline CSS and SVG, no scripts, no external references."""
    charts = build_charts(data)
    tables = report_tables(data)
    body = [f"<h1>CX report — as of {_esc(data.get('as_of') or 'latest data')}</h1>",
            kpi_cards(data),
            summary_paragraph(headline(data), len((data.get("scores") or {}).get("overall") or []))]  # fmt: skip
    scores_charts = [charts[k] for k in ("chart-nps-trend", "chart-nps-distribution", "chart-csat-trend",
                                         "chart-ces-trend") if k in charts]  # fmt: skip
    if scores_charts:
        body.append('<h2>Survey scores</h2><div class="charts">' + "".join(scores_charts) + "</div>")
    if "scores_trend" in tables:
        tables["scores_trend"] = trend_pivot(tables["scores_trend"][0])
    for name in ("scores_overall", "scores_trend", "scores_segments"):
        if name in tables:
            body.append(f"<h3>{_esc(SECTION_TITLES[name])}</h3>" + _html_table(*tables[name]))
    if "why_themes" in tables or "why_drivers" in tables:
        body.append("<h2>Why customers score what they score</h2>")
        why = [charts[k] for k in ("chart-themes", "chart-drivers") if k in charts]
        if why:
            body.append('<div class="charts">' + "".join(why) + "</div>")
        for name in ("why_themes", "why_examples", "why_drivers"):
            if name in tables:
                body.append(f"<h3>{_esc(SECTION_TITLES[name])}</h3>"
                            + _html_table(*tables[name], decimals=WHY_DECIMALS.get(name)))  # fmt: skip
    if "economics" in tables:
        recs, fields = tables["economics"]
        periods = [r["period"] for r in recs]
        latest = periods[-1] if periods else None
        rows = [r for r in recs if r["period"] == latest]
        labels = [f for f in fields if f not in ECONOMICS_MEASURES and f != "period"]
        body.append(
            f'<h2>Segments — {_esc(latest)}</h2><p class="muted">The segment with the highest churn is '
            "highlighted.</p>" + _html_pivot(rows, fields, labels, lambda r: bool(r.get("highest_churn")))
        )
    for name in ("churn", "clv", "clv_by_window", "clv_model_parameters", "clv_model_by_group", "clv_model_totals",
                 "clv_model_mix_value"):
        if name in tables:
            body.append(f"<h2>{_esc(SECTION_TITLES[name])}</h2>"
                        + _html_table(*tables[name], decimals=CLV_MODEL_DECIMALS.get(name)))  # fmt: skip
    if "link_outcomes" in tables:
        body.append("<h2>Does a higher NPS mean lower churn?</h2>")
        if "chart-churn-by-group" in charts:
            body.append('<div class="charts">' + charts["chart-churn-by-group"] + "</div>")
        body.append(_html_table(*tables["link_summary"]) + _html_table(*tables["link_outcomes"]))
    if "survival_groups" in tables:
        body.append("<h2>Does a promoter stay longer? Survival after the answer</h2>")
        km = [
            charts[k]
            for k in ("chart-km-nps", "chart-km-csat", "chart-km-ces", "chart-forest")
            if k in charts
        ]
        if km:
            body.append('<div class="charts">' + "".join(km) + "</div>")
        for name in ("survival_groups", "survival_at", "hazard_ratios", "survival_tests"):
            body.append(f"<h3>{_esc(SECTION_TITLES[name])}</h3>"
                        + _html_table(*tables[name], decimals=TABLE_DECIMALS.get(name)))  # fmt: skip
    if "roi_summary" in tables:
        body.append("<h2>Return on the CX programme</h2>")
        roi_charts = [charts[k] for k in ("chart-roi-waterfall", "chart-tornado") if k in charts]
        if roi_charts:
            body.append('<div class="charts">' + "".join(roi_charts) + "</div>")
        body.append(_html_table(*tables["roi_summary"]))
        for name in ("roi_lines", "roi_inputs", "roi_tornado", "what_if"):
            if name in tables:
                body.append(f"<h3>{SECTION_TITLES[name]}</h3>"
                            + _html_table(*tables[name], decimals=TABLE_DECIMALS.get(name)))  # fmt: skip
    if "explain" in tables:
        recs = tables["explain"][0]
        items = "".join(f"<li><b>{_esc(r['figure'])}</b> = {_esc(_n(r['value'], 2))}: {_esc(r['formula'])}<br>"
                        f"<span class=\"muted\">inputs {_esc(r['inputs'])}</span></li>" for r in recs)  # fmt: skip
        body.append(f"<h2>{SECTION_TITLES['explain']}</h2><ul>{items}</ul>")
    warnings = data.get("warnings") or []
    if warnings:
        body.append(
            "<h2>Warnings</h2><ul>" + "".join(f'<li class="warn">{_esc(w)}</li>' for w in warnings) + "</ul>"
        )
    notes = data.get("notes") or []
    if notes:
        body.append("<h2>Notes</h2><ul>" + "".join(f"<li>{_esc(w)}</li>" for w in notes) + "</ul>")
    body.append(f'<p class="muted">{_esc(data.get("generated_by", "cxroi"))} · config {_esc(data.get("config", ""))}'
                f" · schema {_esc(data.get('schema_version'))}</p>")  # fmt: skip
    return html_page(f"CX report — {data.get('as_of') or ''}", body)


def html_page(title: str, body: Sequence[str]) -> str:
    """A self-contained page: inline CSS, no scripts, no external requests (Content-Security-Policy)."""
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta http-equiv="Content-Security-Policy" '
        "content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">"
        f"<title>{_esc(title)}</title><style>{CSS}{CARDS_CSS}</style></head><body>\n"
        + "\n".join(body)
        + "\n</body></html>\n"
    )


def render_records_html(records: Sequence[dict[str, Any]], fields: Sequence[str], title: str) -> str:
    """One command's records (``cxroi scores -o x.html``) as a page with one table, escaped."""
    return html_page(title, [f"<h1>{_esc(title)}</h1>", _html_table(records, fields)])


def render_records_xlsx(records: Sequence[dict[str, Any]], fields: Sequence[str], name: str) -> bytes:
    """One command's records (``cxroi scores -o x.xlsx``) as one sheet, numbers with number formats."""
    return xlsx_workbook([(name, list(records), list(fields), None)])


# --- XLSX -----------------------------------------------------------------------------------------------
def excel_format(field: str, value: int | float, decimals: dict[str, int] | None = None) -> str:
    """The Excel number format showing ``value`` as the Markdown/HTML tables do (``display_cell``): the same
    decimals by field and table (CES means and margins 2, NPS and percentages 1), thousands separators,
    whole numbers as integers, p- and q-values with 3 decimals and ``< 0.001`` below. The cell keeps the
    full-precision number."""
    if field in P_FIELDS and (decimals or {}).get(field, 3) == 3:
        return '[<0.0005]"< 0.001";0.000'
    if isinstance(value, int):
        return "#,##0"
    places = (decimals or {}).get(field, DISPLAY_DECIMALS.get(field, 2))
    return "#,##0" + ("." + "0" * places if places else "")


def render_xlsx_report(data: dict[str, Any], assumptions: dict[str, Any]) -> bytes:
    """One sheet per table, numbers stored as numbers with the human formats' decimals as number formats,
    frozen header rows, plus the assumptions and the audit trail. Text never becomes a formula."""
    tables = report_tables(data)
    sheets: list[tuple[str, list[dict[str, Any]], list[str], dict[str, int] | None]] = [
        (n, r, f, TABLE_DECIMALS.get(n) or WHY_DECIMALS.get(n) or CLV_MODEL_DECIMALS.get(n))
        for n, (r, f) in tables.items()
    ]
    plain = (int, float, str, bool, type(None))
    arows = [{"setting": k, "value": v if isinstance(v, plain) else json.dumps(v, default=str)}
             for k, v in _flatten(assumptions).items()]  # fmt: skip
    sheets.append(("assumptions", arows, ["setting", "value"], None))
    return xlsx_workbook(sheets)


def xlsx_workbook(sheets: Sequence[tuple[str, list[dict[str, Any]], list[str], dict[str, int] | None]]) -> bytes:
    """A workbook with one sheet per (name, records, fields, decimals): bold frozen header, numbers as
    numbers with number formats by field (``excel_format``), every text cell a string (never a formula)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    wb.remove(wb.active)
    for name, recs, fields, decimals in sheets:
        ws = wb.create_sheet(name[:31])
        ws.append(fields)
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for r in recs:
            ws.append([_xlsx_value(r.get(f)) for f in fields])
        for col, f in enumerate(fields, start=1):
            letter = get_column_letter(col)
            for r, cell in zip(recs, ws[letter][1:], strict=True):
                if isinstance(cell.value, str):
                    cell.data_type = "s"  # a string, never a formula, whatever it starts with
                elif isinstance(cell.value, int | float) and not isinstance(cell.value, bool):
                    # key/value tables take the format of the measure on the row
                    kind = str(r.get("measure", f)) if f == "value" else f
                    cell.number_format = excel_format(kind, cell.value, row_decimals(r, decimals))
            width = max([len(str(f))] + [min(len(str(r.get(f, ""))), 60) for r in recs[:200]]) + 2
            ws.column_dimensions[letter].width = min(width, 62)
        ws.freeze_panes = "A2"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _xlsx_value(v: Any) -> Any:
    if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
        return None
    if isinstance(v, dict | list):
        return json.dumps(v, ensure_ascii=False, default=str)
    return v


def _flatten(d: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(_flatten(v, key + "."))
        else:
            out[key] = v
    return out
