"""The terminal scorecard of ``cxroi run``: headline scores with their margins and trend, churn, CLV,
churn by NPS group, and the ROI with its range and benefit lines. Returns text; prints nothing."""

from __future__ import annotations

import io
import math
from typing import Any

from rich import box
from rich.table import Table
from rich.text import Text

from cxroi.metrics.churn import latest_complete
from cxroi.metrics.periods import period_kind
from cxroi.report.evidence import roi_sentence, survival_sentence
from cxroi.report.formats import make_console
from cxroi.report.plain_table import terminal_text


def _n(x: Any, digits: int = 1, pct: bool = False) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, int):
        return f"{x:,}"
    text = f"{x:,.{digits}f}"
    if text.startswith("-") and not text.strip("-0.,"):
        text = text[1:]
    return text + ("%" if pct else "")


def _money(x: Any) -> str:
    return _n(x, 0)


def _why(con: Any, data: dict[str, Any]) -> None:
    """Why: the themes of the reasons by lift among detractors, and the key drivers."""
    from cxroi.report.why import why_sentence, why_tables

    tables = why_tables(data)
    if not tables:
        return
    con.print(Text("\nWhy: " + (why_sentence(data) or "themes of the reasons and key drivers"), style="bold"))
    if "why_themes" in tables:
        t = Table(box=box.SIMPLE_HEAD, header_style="bold")
        for col in (
            "theme",
            "mentions",
            "% of detractors",
            "% of promoters",
            "lift",
            "q",
            "NPS with",
            "NPS without",
        ):
            t.add_column(col, justify="left" if col == "theme" else "right")
        for r in tables["why_themes"][0]:
            q = r["q_value"]
            t.add_row(Text(terminal_text(str(r["theme"]))), _n(r["mentions"]), _n(r["share_detractors"]),
                      _n(r["share_promoters"]),
                      "-" if r["lift"] is None else f"{r['lift']:.2f}",
                      "-" if q is None else "< 0.001" if q < 0.001 else f"{q:.3f}",
                      _n(r["nps_with"]), _n(r["nps_without"]))  # fmt: skip
        con.print(t)
    if "why_drivers" in tables:
        t = Table(box=box.SIMPLE_HEAD, header_style="bold")
        for col in ("driver", "importance (% of R²)", "95% CI", "direction", "performance", "quadrant"):
            t.add_column(col, justify="left" if col in ("driver", "quadrant") else "right")
        for r in tables["why_drivers"][0]:
            ci = "-" if r["ci_low"] is None else f"{r['ci_low']:.1f}–{r['ci_high']:.1f}"
            t.add_row(Text(terminal_text(str(r["driver"]))), _n(r["importance"]), ci, r["direction"],
                      f"{r['performance']:.2f}", r["quadrant"])  # fmt: skip
        con.print(t)


def render_scorecard(
    data: dict[str, Any], width: int = 100, color: bool = False, explain: bool = False
) -> str:
    """``data`` is ``RunResult.to_dict()``."""
    buf = io.StringIO()
    con = make_console(buf, width, color)
    con.print(Text(f"CX scorecard — as of {data.get('as_of') or 'latest data'}", style="bold"))
    scores = data.get("scores")
    if scores and scores.get("overall"):
        t = Table(title="Survey scores", title_justify="left", box=box.SIMPLE_HEAD, header_style="bold")
        for col in ("metric", "value", "95% CI", "n", "latest period", "latest", "change", "p"):
            t.add_column(col, justify="left" if col in ("metric", "latest period") else "right")
        trend = scores.get("trend") or []
        for rec in scores["overall"]:
            rows = [r for r in trend if r["metric"] == rec["metric"]]
            last = rows[-1] if rows else {}
            digits = 2 if rec["metric"] == "ces" else 1
            change = last.get("delta")
            p = last.get("p_value")
            mark = " *" if p is not None and p < 0.05 else ""
            t.add_row(
                rec["metric"].upper(),
                _n(rec["value"], digits),
                f"{_n(rec['ci_low'], digits)} to {_n(rec['ci_high'], digits)}",
                _n(rec["n"]),
                str(last.get("period", "-")),
                _n(last.get("value"), digits),
                (("+" if change and change > 0 else "") + _n(change, digits)) if change is not None else "-",
                _n(p, 3) + mark,
            )
        con.print(t)
    last = latest_complete(data.get("churn") or [])
    if last is not None:
        value = float(last["value"])  # type: ignore[arg-type]
        kind = period_kind(str(last["period"]))
        con.print(
            f"Churn {last['period']} ({kind}): {_n(value, 2, True)} ({last['churned']:,} of "
            f"{last['customers_start']:,} customers); {kind} retention {_n(100 - value, 2, True)}"
        )
    clv = data.get("clv")
    if clv:
        c = clv[0]
        con.print(
            f"CLV {_money(c['clv'])} per customer (margin {_money(c['annual_margin'])}/yr, annual retention "
            f"{_n(c['retention'], 1, True)}, discount {c['discount_rate']:.0%}; {c['window_start']}..{c['window_end']})"
        )
    model = data.get("clv_model")
    if model and model.get("by_group"):
        fits = model["parameters"]
        shown = "; ".join(
            f"{name} " + ", ".join(f"{k} {v['value']:.3g}" for k, v in fit.items() if isinstance(v, dict))
            for name, fit in fits.items()
        )
        con.print(f"\nCLV per customer from the {model['model']} model ({shown}), by NPS group:")
        t = Table(box=box.SIMPLE_HEAD, header_style="bold")
        for col in ("group", "customers", "CLV mean", "95% CI", "total"):
            t.add_column(col, justify="left" if col == "group" else "right")
        for rec in model["by_group"]:
            if rec["metric"] == "nps":
                ci = f"{_money(rec['ci_low'])}–{_money(rec['ci_high'])}"
                t.add_row(rec["group"], _n(rec["customers"]), _money(rec["clv_mean"]), ci, _money(rec["clv_total"]))
        con.print(t)
        mix = model.get("mix_value")
        if mix:
            con.print(
                f"The measured {mix['metric'].upper()} mix shift at these CLVs: {_money(mix['value'])} of lifetime value "
                f"({_n(int(mix['customers']))} customers; a cross-check, not added to the ROI's horizon cash)"
            )
    link = data.get("link")
    if link:
        s = link["summary"]
        con.print(
            f"\nSurvey ↔ CRM: {s['matched']:,} of {s['answers']:,} answers matched ({_n(s['match_rate'], 1, True)}); "
            f"{s['customers_without_answer']:,} customers without an answer; churn within {s['window_days']} days "
            "of the answer:"
        )
        t = Table(box=box.SIMPLE_HEAD, header_style="bold")
        for col in ("group", "customers", "churned", "churn", "95% CI", "revenue/yr", "CLV"):
            t.add_column(col, justify="left" if col == "group" else "right")
        for rec in link["outcomes"]:
            if rec["metric"] != "nps":
                continue
            diff = " - " in rec["group"]
            ci = "-" if diff else f"{_n(rec['churn_low'])}–{_n(rec['churn_high'])}"
            label = rec["group"] + (f" (p {_n(rec['p_value'], 3)})" if diff else "")
            t.add_row(
                label,
                _n(rec["customers"]),
                _n(rec["churned"]),
                _n(rec["churn"], 1, not diff) + (" pts" if diff else ""),
                ci,
                _money(rec["revenue_per_customer"]),
                _money(rec["clv"]),
            )
        con.print(t)
    _why(con, data)
    sentence = survival_sentence(data)
    if sentence:
        con.print("\n" + sentence)
    roi = data.get("roi")
    if roi:
        s = roi["summary"]
        con.print(Text("\n" + roi_sentence(s), style="bold"))
        years = s["horizon_years"]
        t = Table(box=box.SIMPLE_HEAD, header_style="bold")
        for col in ("benefit line", *[f"year {y}" for y in range(1, years + 1)], "credited"):
            t.add_column(col, justify="left" if col == "benefit line" else "right")
        for line in roi["lines"]:
            t.add_row(line["line"], *(_money(v) for v in line["by_year"]), _money(line["attributed"]))
        t.add_row("cost", *(["" for _ in range(years)]), _money(-s["total_cost"]))
        con.print(t)
        con.print(
            f"Cost: one-off {_money(s['one_off_cost'])} + {_money(s['recurring_cost'])}/yr x {years}; "
            + ("attribution " + str(s["attribution"]) + " on " + ", ".join(
                ln["line"] for ln in roi["lines"] if ln["attribution_applies"]) if any(
                ln["attribution_applies"] for ln in roi["lines"]) else "no attribution applied")
            + (f"; value after the horizon (not in ROI) {_money(s['terminal_value'])}" if s.get("terminal_value") else "")
        )  # fmt: skip
        for r in (roi.get("tornado") or [])[:3]:
            con.print(
                f"Sensitivity: {r['input'].removeprefix('roi.benefits.')} -> ROI {_n(r['roi_at_low'], 0)}% to "
                f"{_n(r['roi_at_high'], 0)}%"
            )
        for w in roi.get("what_if") or []:
            con.print(
                f"What if: {w['scenario']}: {_money(w['first_year_value'])} in year 1, "
                f"{_money(w['horizon_pv'])} over {years} years (present value)"
            )
    if explain and data.get("explain"):
        con.print(Text("\nHow each figure was computed", style="bold"))
        for item in data["explain"]:
            con.print(f"• {item['text']}")
            con.print(f"  inputs: {item['inputs']}", soft_wrap=True)
    warnings, notes = len(data.get("warnings") or []), len(data.get("notes") or [])
    if warnings or notes:
        parts = ([f"{warnings} warning(s)"] if warnings else []) + ([f"{notes} note(s)"] if notes else [])
        con.print(f"\n{' and '.join(parts)} on stderr.")
    return "\n".join(line.rstrip() for line in buf.getvalue().splitlines()) + "\n"
