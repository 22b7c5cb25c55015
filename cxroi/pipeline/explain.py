"""``cxroi run --explain``: for each headline figure, its value, formula and the numbers that went in."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from cxroi.config import Config
from cxroi.metrics.churn import latest_complete

if TYPE_CHECKING:
    from cxroi.pipeline.run import RunResult


def _fmt(x: Any, digits: int = 2) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    if isinstance(x, float):
        return f"{x:,.{digits}f}"
    return str(x)


def explain(result: RunResult, config: Config) -> list[dict[str, Any]]:
    """For each headline figure: its value, formula and the numbers that went in."""
    out: list[dict[str, Any]] = []
    if result.scores is not None:
        for rec in result.scores.records:
            m = rec["metric"]
            if m == "nps":
                formula = "(promoters - detractors) / n x 100; " + (
                    "95% CI adjusted Wald (Rocks 2016): add 0.75 detractors, 1.5 passives, 0.75 promoters "
                    "(n + 3), NPS' +- 1.959964 x sqrt((pP' + pD' - (pP' - pD')^2) / (n + 3)) x 100"
                    if config.scores.nps.interval == "adjusted-wald"
                    else "95% CI Wald: NPS +- 1.959964 x sqrt((pP + pD - (pP - pD)^2) / n) x 100"
                )
                inputs = {k: rec[k] for k in ("promoters", "passives", "detractors", "n")}
            elif m == "csat":
                formula = "satisfied / n x 100; " + (
                    "95% CI Wilson: (p + z^2/2n +- z sqrt(p (1 - p) / n + z^2/4n^2)) / (1 + z^2/n), z = 1.959964"
                    if config.scores.csat.interval == "wilson"
                    else "95% CI Wald: p +- 1.959964 x sqrt(p (1 - p) / n)"
                )
                inputs = {"satisfied": rec["satisfied"], "n": rec["n"]}
            else:
                q = "t_{0.975, n-1}" if config.scores.ces.interval == "t" else "1.959964"
                formula = f"CES as {config.scores.ces.value}; 95% CI for a mean: mean +- {q} x s / sqrt(n)"
                inputs = {"agree": rec["agree"], "n": rec["n"]}
            out.append(
                {
                    "figure": m.upper(),
                    "value": rec["value"],
                    "ci_low": rec["ci_low"],
                    "ci_high": rec["ci_high"],
                    "formula": formula,
                    "inputs": inputs,
                }
            )
    if result.churn:
        last = latest_complete(result.churn)
        if last is not None:
            out.append(
                {
                    "figure": f"churn {last['period']}",
                    "value": last["value"],
                    "formula": "churned / customers at the start x 100 (see README: churn definition)",
                    "inputs": {"customers_start": last["customers_start"], "churned": last["churned"]},
                }
            )
    if result.clv:
        c = result.clv[0]
        out.append(
            {
                "figure": "CLV",
                "value": c["clv"],
                "formula": "m x r / (1 + d - r), m = annual_revenue x gross_margin - annual_cost_to_serve"
                + ("" if c["horizon_years"] is None else "; finite horizon sum_t m r^t / (1 + d)^t"),
                "inputs": {
                    k: c[k]
                    for k in (
                        "annual_revenue",
                        "gross_margin",
                        "annual_cost_to_serve",
                        "annual_margin",
                        "retention",
                        "discount_rate",
                        "horizon_years",
                        "window_start",
                        "window_end",
                    )
                },
            }
        )
    if result.link is not None:
        for rec in result.link.records:
            if rec["metric"] == "nps" and " - " in str(rec["group"]):
                out.append(
                    {
                        "figure": "churn difference promoters - detractors (points)",
                        "value": rec["churn"],
                        "formula": "churn(promoters) - churn(detractors) after the answer, within "
                        f"{config.link.window_days} days; two-proportion z-test",
                        "inputs": {
                            "p_value": rec["p_value"],
                            **{
                                g: {"customers": s["customers"], "churned": s["churned"]}
                                for g, s in result.link.groups["nps"].items()
                            },
                        },
                    }
                )
    if result.survival is not None:
        for h in result.survival.hazard_ratios:
            if h["model"] == "groups" and " vs " in h["term"]:
                out.append(
                    {
                        "figure": f"hazard ratio {h['metric'].upper()} {h['term']}",
                        "value": h["hazard_ratio"],
                        "formula": "Cox proportional hazards, Efron ties: h(t) = h0(t) exp(beta x); HR = exp(beta), "
                        "95% CI exp(beta +- 1.959964 se)"
                        + (
                            "; robust errors clustered by customer"
                            if result.survival.summary["robust"]
                            else ""
                        ),
                        "inputs": {k: h[k] for k in ("ci_low", "ci_high", "p_value", "covariates")},
                    }
                )
    if result.roi is not None:
        for line in result.roi.lines:
            out.append(
                {
                    "figure": f"benefit: {line['line']}",
                    "value": line["total"],
                    "formula": line["formula"]
                    + " (per year t = 1..T; summed"
                    + (", before attribution)" if line["attribution_applies"] else "; no attribution)"),
                    "inputs": {k: v["value"] for k, v in line["inputs"].items()},
                    "sources": {k: v["source"] for k, v in line["inputs"].items()},
                    "by_year": line["by_year"],
                }
            )
        s = result.roi.summary
        costs = {
            k: s[k]
            for k in ("one_off_cost", "recurring_cost", "horizon_years", "discount_rate", "ramp_months")
        }
        out.append(
            {
                "figure": "discounted ROI %",
                "value": s["roi_discounted"],
                "formula": "(PV(B) - PV(costs)) / PV(costs) x 100; PV(B) = sum_t B_t / (1 + d)^t, "
                "PV(costs) = one_off + sum_t recurring / (1 + d)^t; B_t = the lines of year t (attributed where "
                f"attribution applies: {s['attribution']})",
                "inputs": {"benefit_by_year": s["benefit_by_year"], **costs},
                "range": [s.get("roi_discounted_low"), s.get("roi_discounted_high")],
                "range_method": s.get("range_method"),
            }
        )
        out.append(
            {
                "figure": "ROI %",
                "value": s["roi"],
                "formula": "(sum_t B_t - (one_off + recurring x T)) / (one_off + recurring x T) x 100",
                "inputs": {"total_benefit": s["total_benefit"], "total_cost": s["total_cost"]},
            }
        )
        out.append(
            {
                "figure": "NPV",
                "value": s["npv"],
                "formula": "sum_t (B_t - recurring) / (1 + d)^t - one_off",
                "inputs": {"benefit_by_year": s["benefit_by_year"], **costs},
            }
        )
        out.append(
            {
                "figure": "payback (months)",
                "value": s["payback_months"],
                "formula": "months until cumulative net cash reaches 0: -one_off, then each month B_t / 12 - "
                "recurring / 12 (benefits after ramp_months), linear within the month; none if not within the horizon",
                "inputs": {"benefit_by_year": s["benefit_by_year"], **costs},
            }
        )
        cc = s.get("cross_check") or {}
        out.append(
            {
                "figure": f"cross-check: {cc.get('method')} discounted ROI %",
                "value": cc.get("roi_discounted"),
                "formula": "the same costs with the other method's lines"
                + (f" (unavailable: {cc['unavailable']})" if cc.get("unavailable") else ""),
                "inputs": {"roi": cc.get("roi"), "npv": cc.get("npv")},
            }
        )
    for item in out:
        item["text"] = f"{item['figure']} = {_fmt(item['value'])}: {item['formula']}"
    return out
