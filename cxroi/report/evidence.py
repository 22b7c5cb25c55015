"""The survival evidence and the ROI in reports: their tables, one-line summaries and charts (the
renderers in ``documents`` and ``scorecard`` lay them out)."""

from __future__ import annotations

import math
from typing import Any

Table = tuple[list[dict[str, Any]], list[str]]

_KM = {"survival": 3, "ci_low": 3, "ci_high": 3}
TABLE_DECIMALS: dict[str, dict[str, int]] = {
    "survival_groups": {"exposure_days": 0, "median_days": 0, "rmst_days": 1},
    "survival_at": _KM,
    "survival_curves": _KM,
    "hazard_ratios": {"hazard_ratio": 2, "ci_low": 2, "ci_high": 2},
    "survival_tests": {"statistic": 2},
    "roi_tornado": {"roi_at_low": 1, "roi_at_high": 1, "swing": 1},
    "what_if": {"customers_moved": 1, "first_year_value": 0, "horizon_pv": 0},
}


def _cell(v: Any) -> Any:
    """A list or a per-group mapping as one short text cell (``promoters 0.0449, passives -0.0300``)."""
    if isinstance(v, list):
        return ", ".join(_n(x, 4) for x in v)
    if isinstance(v, dict):
        return ", ".join(f"{k} {_n(x, 4)}" for k, x in v.items())
    return v


def _n(x: Any, digits: int = 1, pct: bool = False) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "n/a"
    return f"{x:,.{digits}f}" + ("%" if pct else "")


def survival_tables(data: dict[str, Any]) -> dict[str, Table]:
    s = data.get("survival")
    if not s:
        return {}
    from cxroi.pipeline.survival import CURVE_FIELDS, GROUP_FIELDS, HR_FIELDS, TEST_FIELDS

    return {
        "survival_groups": (s["groups"], GROUP_FIELDS),
        "survival_at": (s["at"], CURVE_FIELDS),
        "hazard_ratios": (s["hazard_ratios"], HR_FIELDS),
        "survival_tests": (s["tests"], TEST_FIELDS),
        "survival_curves": (s["survival"], CURVE_FIELDS),
    }


def roi_tables(data: dict[str, Any]) -> dict[str, Table]:
    roi = data.get("roi")
    if not roi:
        return {}
    summary = dict(roi["summary"])
    cross = summary.pop("cross_check", None) or {}
    summary["benefit_by_year"] = ", ".join(_n(x, 2) for x in summary.get("benefit_by_year") or [])
    rows = [{"measure": k, "value": v} for k, v in summary.items()]
    rows += [{"measure": f"cross_check.{k}", "value": v if not isinstance(v, list) else ", ".join(_n(x, 2) for x in v)}
             for k, v in cross.items()]  # fmt: skip
    out: dict[str, Table] = {"roi_summary": (rows, ["measure", "value"])}
    years = summary.get("horizon_years") or 0
    line_rows = []
    for line in roi["lines"]:
        rec: dict[str, Any] = {"line": line["line"]}
        for t, v in enumerate(line["by_year"], start=1):
            rec[f"year_{t}"] = v
        rec.update({"total": line["total"], "attributed": line["attributed"], "formula": line["formula"]})
        line_rows.append(rec)
    out["roi_lines"] = (
        line_rows,
        ["line", *[f"year_{t}" for t in range(1, years + 1)], "total", "attributed", "formula"],
    )
    inputs = []
    for line in roi["lines"]:
        for key, inp in line["inputs"].items():
            value = inp["value"]
            se = inp.get("se")
            inputs.append({"line": line["line"], "input": key,
                           "value": ", ".join(_n(x, 4) for x in value) if isinstance(value, list) else value,
                           "se": ", ".join(_n(x, 4) for x in se) if isinstance(se, list) else se,
                           "range": " to ".join(_n(x, 4) for x in inp["range"]) if inp.get("range") else None,
                           "source": inp["source"]})  # fmt: skip
    out["roi_inputs"] = (inputs, ["line", "input", "value", "se", "range", "source"])
    if roi.get("tornado"):
        trows = [{k: _cell(v) for k, v in r.items()} for r in roi["tornado"]]
        out["roi_tornado"] = (trows, ["input", "low", "high", "roi_at_low", "roi_at_high", "swing"])
    if roi.get("what_if"):
        out["what_if"] = (roi["what_if"], ["scenario", "customers_moved", "first_year_value", "horizon_pv"])
    return out


def survival_sentence(data: dict[str, Any]) -> str | None:
    """Hazard ratio of the worst NPS group against the best, and 1-year retention per group."""
    s = data.get("survival")
    if not s:
        return None
    hr = next(
        (h for h in s["hazard_ratios"] if h["metric"] == "nps" and h["term"] == "detractors vs promoters"),
        None,
    )
    year = [a for a in s["at"] if a["metric"] == "nps" and a["day"] == 365]
    parts = []
    if hr is not None:
        adj = f", adjusted for {hr['covariates']}" if hr["covariates"] else ""
        parts.append(f"detractors churn {_n(hr['hazard_ratio'], 2)}x as fast as promoters (hazard ratio, 95% CI "
                     f"{_n(hr['ci_low'], 2)}–{_n(hr['ci_high'], 2)}, p = {_n(hr['p_value'], 3)}{adj})")  # fmt: skip
    if year:
        parts.append("1-year retention " + ", ".join(
            f"{a['group']} {_n(a['survival'] * 100, 1, True)} ({_n(a['ci_low'] * 100, 0)}–{_n(a['ci_high'] * 100, 0)})"
            for a in year))  # fmt: skip
    if not parts:
        return None
    n = (s.get("summary") or {}).get("follow_ups", {}).get("nps")
    lead = f"Survival ({n:,} NPS answers followed, none left out): " if n else "Survival: "
    return lead + "; ".join(parts)


def roi_sentence(s: dict[str, Any]) -> str:
    """The headline ROI, its ranges, NPV, payback and the cross-check in one line."""
    method = s.get("method", "pre-post")
    text = f"Discounted ROI {_n(s['roi_discounted'])}% ({method}"
    if s.get("roi_discounted_low") is not None:
        text += (f"; 80% range {_n(s['roi_discounted_low80'], 0)}% to {_n(s['roi_discounted_high80'], 0)}%, 95% "
                 f"{_n(s['roi_discounted_low'], 0)}% to {_n(s['roi_discounted_high'], 0)}%, "
                 f"P(ROI > 0) = {_n(s['prob_roi_positive'], 2)}")  # fmt: skip
    pay = "not within the horizon" if s["payback_months"] is None else f"{s['payback_months']:.1f} months"
    text += f") over {s['horizon_years']} years; ROI {_n(s['roi'])}%; NPV {_n(s['npv'], 0)}; payback {pay}"
    cc = s.get("cross_check") or {}
    if cc.get("roi_discounted") is not None:
        text += f"; cross-check {cc['method']}: {_n(cc['roi_discounted'])}%"
    low, high = s.get("roi_discounted_low"), s.get("roi_discounted_high")
    if low is not None and high is not None and low < 0 < high:
        text += " — inconclusive: the 95% range runs from a loss to a gain"
    return text


def evidence_charts(data: dict[str, Any]) -> dict[str, str | None]:
    from cxroi.report import evidence_charts as ec

    out: dict[str, str | None] = {}
    s = data.get("survival")
    if s:
        at_days = (s.get("summary") or {}).get("at_days") or []
        for metric in ("nps", "csat", "ces"):
            curves: dict[str, list[dict[str, Any]]] = {}
            at: dict[str, list[dict[str, Any]]] = {}
            for g in s["groups"]:
                if g["metric"] == metric and g["answers"]:
                    curves[g["group"]] = [
                        r for r in s["survival"] if r["metric"] == metric and r["group"] == g["group"]
                    ]
                    at[g["group"]] = [
                        a for a in s["at"] if a["metric"] == metric and a["group"] == g["group"]
                    ]
            if curves:
                out[f"chart-km-{metric}"] = ec.km_chart(f"chart-km-{metric}", f"Retention after a {metric.upper()} answer",
                                                        curves, at_days, at)  # fmt: skip
        terms = [(f"{h['metric'].upper()} {h['term']}", h["hazard_ratio"], h["ci_low"], h["ci_high"])
                 for h in s["hazard_ratios"] if h["model"] == "groups" and " vs " in h["term"]]  # fmt: skip
        out["chart-forest"] = ec.forest_chart(
            "chart-forest", "Hazard ratios against the best group (Cox)", terms
        )
    roi = data.get("roi")
    if roi and roi.get("tornado"):
        out["chart-tornado"] = ec.tornado_chart("chart-tornado", "What moves the ROI",
                                                roi["summary"]["roi_discounted"], roi["tornado"])  # fmt: skip
    return out
