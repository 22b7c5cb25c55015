"""Alert thresholds checked against a run's results (``alerts:`` in the config).

Metrics: ``nps``, ``csat``, ``ces`` (overall, or per segment of ``scores.by``), ``nps_delta``,
``csat_delta``, ``ces_delta`` (change of the latest period; ``and significant`` also needs p < 0.05),
``churn_rate`` (% in the latest complete period, overall or per segment of ``crm.by``), ``clv``, ``roi``,
``roi_discounted``, ``npv``, ``payback_months``, ``prob_roi_positive`` (0-1), ``match_rate`` and
``hazard_ratio`` (NPS detractors against promoters, from ``cxroi survival``) and ``theme_share[NAME]``
(% of the answers with text that mention the theme, from ``themes:``). A metric the run did not compute
is a warning, not a breach.
"""

from __future__ import annotations

import math
import operator
from dataclasses import dataclass
from typing import Any

from cxroi.config_outputs import AlertSpec
from cxroi.metrics.churn import latest_complete

OPS = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}
SIGNIFICANT = 0.05


@dataclass(frozen=True)
class Breach:
    alert: str
    subject: str
    value: float

    def message(self) -> str:
        where = f" ({self.subject})" if self.subject else ""
        return f"alert {self.alert!r} breached{where}: {self.value:,.4g}"


def _values(
    data: dict[str, Any], metric: str, per_segment: bool, by: list[str]
) -> list[tuple[str, float, Any]]:
    """(subject, value, p-value) pairs for a metric; empty when the run has none."""
    scores = data.get("scores") or {}
    if metric in ("nps", "csat", "ces"):
        key = "segments" if per_segment else "overall"
        recs = [r for r in scores.get(key) or [] if r["metric"] == metric]
        return [(" / ".join(str(r[b]) for b in by if b in r), r["value"], None) for r in recs]
    if metric.endswith("_delta"):
        rows = [r for r in scores.get("trend") or [] if r["metric"] == metric.removesuffix("_delta")]
        if rows and rows[-1]["delta"] is not None:
            return [(rows[-1]["period"], rows[-1]["delta"], rows[-1]["p_value"])]
        return []
    if metric == "churn_rate":
        last = latest_complete(data.get("churn") or [])
        if last is None:
            return []
        if per_segment:
            rows = [r for r in data["churn"] if r["period"] == last["period"] and r["customers_start"]]
            label = str(last["period"])
            return [
                (f"{label} " + " / ".join(str(r[b]) for b in by if b in r), r["value"], None) for r in rows
            ]
        return [(str(last["period"]), float(last["value"]), None)]  # type: ignore[arg-type]
    if metric == "clv":
        recs = data.get("clv") or []
        if per_segment:
            return [(" / ".join(str(r[b]) for b in by if b in r), r["clv"], None) for r in recs[1:]]
        return [("", recs[0]["clv"], None)] if recs else []
    if metric == "hazard_ratio":
        surv = data.get("survival") or {}
        hr = next((h for h in surv.get("hazard_ratios") or [] if h["metric"] == "nps" and h["model"] == "groups"
                   and h["term"] == "detractors vs promoters"), None)  # fmt: skip
        return [("", hr["hazard_ratio"], hr["p_value"])] if hr else []
    if metric in ("roi", "roi_discounted", "npv", "payback_months", "prob_roi_positive"):
        roi = data.get("roi")
        return [("", roi["summary"][metric], None)] if roi and roi["summary"][metric] is not None else []
    if metric.startswith("theme_share["):
        name = metric[len("theme_share[") : -1]
        rows = [r for r in ((data.get("why") or {}).get("themes") or []) if r["theme"] == name]
        return [(name, rows[0]["share"], None)] if rows and rows[0]["share"] is not None else []
    if metric == "match_rate":
        link = data.get("link")
        return [("", link["summary"]["match_rate"], None)] if link else []
    return []


def check_alerts(
    alerts: list[AlertSpec], data: dict[str, Any], score_by: list[str], crm_by: list[str]
) -> tuple[list[Breach], list[str]]:
    """Breaches, and warnings for alerts that could not be checked."""
    breaches: list[Breach] = []
    warnings: list[str] = []
    for alert in alerts:
        metric, op, threshold, significant = alert.parts()
        by = crm_by if metric in ("churn_rate", "clv") else score_by
        values = _values(data, metric, alert.per_segment, by)
        if not values:
            warnings.append(f"alert {alert.when!r}: this run has no {metric}; not checked")
            continue
        for subject, value, p in values:
            if value is None or (isinstance(value, float) and math.isnan(value)):
                continue
            if OPS[op](value, threshold) and (not significant or (p is not None and p < SIGNIFICANT)):
                breaches.append(Breach(alert.name or alert.when, subject, float(value)))
    return breaches, warnings
