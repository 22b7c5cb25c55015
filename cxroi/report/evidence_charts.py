"""Charts of the evidence: Kaplan–Meier curves with interval bands and a number-at-risk table, a forest
plot of hazard ratios and the ROI tornado; inline SVG like ``cxroi.report.charts``."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from cxroi.report.charts import ACCENT, BAND_COLOURS, INK, _svg, pyplot

GROUP_COLOURS = {
    **BAND_COLOURS,
    "satisfied": "#5cb85c",
    "not satisfied": "#d9534f",
    "agree": "#5cb85c",
    "neutral": "#f0ad4e",
    "disagree": "#d9534f",
}


def km_chart(chart_id: str, title: str, curves: dict[str, list[dict[str, Any]]], at_days: Sequence[int],
             at: dict[str, list[dict[str, Any]]]) -> str | None:  # fmt: skip
    """Step curves S(t) per group from day 0, their 95% bands, and the number at risk under the axis."""
    if not curves:
        return None
    fig, ax = pyplot().subplots(figsize=(6.4, 3.6))
    from matplotlib.transforms import Bbox

    longest = 0.0
    for group, rows in curves.items():
        colour = GROUP_COLOURS.get(group, ACCENT)
        days = [0.0] + [float(r["day"]) for r in rows]
        surv = [1.0] + [float(r["survival"]) for r in rows]
        low = [1.0] + [float(r["ci_low"]) for r in rows]
        high = [1.0] + [float(r["ci_high"]) for r in rows]
        end = max((float(a["day"]) for a in at.get(group, [])), default=days[-1])
        days.append(max(end, days[-1]))
        surv.append(surv[-1])
        low.append(low[-1])
        high.append(high[-1])
        longest = max(longest, days[-1])
        ax.fill_between(days, low, high, step="post", color=colour, alpha=0.15, linewidth=0)
        ax.step(days, surv, where="post", color=colour, linewidth=1.8, label=group)
    ax.set_ylim(0, 1.02)
    ax.set_xlim(0, longest or 1)
    ax.set_ylabel("still a customer")
    ax.set_xlabel("days after the answer")
    ax.set_title(title, loc="left", fontsize=11, color=INK)
    ax.grid(axis="y", color="#e5e5e5")
    ax.legend(frameon=False, loc="lower left", fontsize=8)
    rows_text = [[str(next((a["at_risk"] for a in at.get(g, []) if a["day"] == d), "")) for d in at_days]
                 for g in curves]  # fmt: skip
    if at_days:
        table = ax.table(
            cellText=rows_text,
            rowLabels=[f"at risk: {g}" for g in curves],
            colLabels=[f"day {d}" for d in at_days],
            loc="bottom",
            bbox=Bbox.from_bounds(0.0, -0.62, 1.0, 0.36),
        )
        table.auto_set_font_size(False)
        table.set_fontsize(8)
        for cell in table.get_celld().values():
            cell.set_edgecolor("#dddddd")
    return _svg(fig, chart_id, title)


def forest_chart(chart_id: str, title: str, terms: Sequence[tuple[str, float, float, float]]) -> str | None:
    """Hazard ratios with their 95% intervals on a log scale; 1 = no difference."""
    rows = [t for t in terms if all(math.isfinite(x) and x > 0 for x in t[1:])]
    if not rows:
        return None
    fig, ax = pyplot().subplots(figsize=(6.0, 0.5 + 0.45 * len(rows)))
    y = list(range(len(rows)))[::-1]
    for yi, (_label, hr, lo, hi) in zip(y, rows, strict=True):
        colour = "#d9534f" if lo > 1 else "#5cb85c" if hi < 1 else "#888888"
        ax.plot([lo, hi], [yi, yi], color=colour, linewidth=2)
        ax.plot([hr], [yi], marker="s", color=colour, markersize=6)
        ax.annotate(f"{hr:.2f} ({lo:.2f}–{hi:.2f})", (hi, yi), xytext=(6, -3), textcoords="offset points",
                    fontsize=8, color=INK)  # fmt: skip
    ax.axvline(1.0, color="#999999", linewidth=1, linestyle="--")
    ax.set_xscale("log")
    ax.set_yticks(y, [r[0] for r in rows])
    from matplotlib.ticker import FixedLocator, NullLocator, StrMethodFormatter

    ticks = [0.125, 0.25, 0.5, 1, 2, 4, 8, 16, 32]
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_major_formatter(StrMethodFormatter("{x:g}"))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_xlabel("hazard ratio (log scale; > 1 churns faster)")
    ax.set_title(title, loc="left", fontsize=11, color=INK)
    lo_all = min(r[2] for r in rows)
    hi_all = max(r[3] for r in rows)
    ax.set_xlim(min(lo_all, 1.0) / 1.3, max(hi_all, 1.0) * 2.2)
    return _svg(fig, chart_id, title)


def tornado_chart(chart_id: str, title: str, base: float, rows: Sequence[dict[str, Any]]) -> str | None:
    """Discounted ROI with each input at the ends of its 95% range, widest swing on top."""
    rows = [r for r in rows if math.isfinite(r["roi_at_low"]) and math.isfinite(r["roi_at_high"])][:10]
    if not rows:
        return None
    fig, ax = pyplot().subplots(figsize=(6.4, 0.6 + 0.4 * len(rows)))
    y = list(range(len(rows)))[::-1]
    for yi, r in zip(y, rows, strict=True):
        lo, hi = sorted((r["roi_at_low"], r["roi_at_high"]))
        ax.barh(yi, hi - lo, left=lo, color=ACCENT, alpha=0.75, height=0.6)
    ax.axvline(base, color=INK, linewidth=1)
    ax.set_yticks(y, [_short(r["input"]) for r in rows])
    ax.set_xlabel("discounted ROI % (input at the ends of its 95% range)")
    ax.set_title(title, loc="left", fontsize=11, color=INK)
    ax.grid(axis="x", color="#e5e5e5")
    return _svg(fig, chart_id, title)


def _short(name: str) -> str:
    return name.removeprefix("roi.benefits.").removeprefix("roi.")
