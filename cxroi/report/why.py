"""The "Why" section of reports: the themes of the open-ended reason (share among detractors against
promoters, lift, q-value, NPS effect), their example comments, and the key drivers; a one-line summary and
two charts (themes by lift; the driver quadrant), inline SVG like ``cxroi.report.charts``."""

from __future__ import annotations

import math
from typing import Any

from cxroi.report.charts import INK, _svg, pyplot

Table = tuple[list[dict[str, Any]], list[str]]
THEME_COLUMNS = ["theme", "mentions", "share", "share_detractors", "share_promoters", "lift", "q_value",
                 "nps_with", "nps_without"]  # fmt: skip
DRIVER_COLUMNS = ["driver", "importance", "ci_low", "ci_high", "direction", "performance", "quadrant"]
DECIMALS = {
    "why_themes": {"share": 1, "share_detractors": 1, "share_promoters": 1, "lift": 2, "q_value": 3,
                   "nps_with": 1, "nps_without": 1},
    "why_drivers": {"importance": 1, "ci_low": 1, "ci_high": 1, "performance": 2},
}  # fmt: skip
GROUP_LABEL = {"detractors": "detractor", "passives": "passive", "promoters": "promoter"}


def _by_lift(themes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    def key(r: dict[str, Any]) -> tuple[int, float]:
        lift = r.get("lift")
        return (0, -lift) if lift is not None else (1, 0.0)

    return sorted((r for r in themes if r["mentions"]), key=key)


def why_tables(data: dict[str, Any]) -> dict[str, Table]:
    why = data.get("why") or {}
    out: dict[str, Table] = {}
    if why.get("themes"):
        rows = _by_lift(why["themes"])
        out["why_themes"] = ([{k: r.get(k) for k in THEME_COLUMNS} for r in rows], THEME_COLUMNS)
        examples = [{"theme": r["theme"], "group": GROUP_LABEL[g], "comment": text}
                    for r in rows for g in GROUP_LABEL for text in r.get(f"examples_{g}") or []]  # fmt: skip
        if examples:
            out["why_examples"] = (examples, ["theme", "group", "comment"])
    if why.get("drivers"):
        out["why_drivers"] = ([{k: r.get(k) for k in DRIVER_COLUMNS} for r in why["drivers"]], DRIVER_COLUMNS)
    return out


def why_sentence(data: dict[str, Any]) -> str | None:
    """The theme most over-represented among detractors (significant at q < 0.05) and the top driver."""
    why = data.get("why") or {}
    parts = []
    top = next((r for r in _by_lift(why.get("themes") or []) if r["theme"] != "(no theme)"
                and r.get("q_value") is not None and r["q_value"] < 0.05 and (r.get("lift") or 0) > 1), None)  # fmt: skip
    if top is not None:
        parts.append(
            f"Top detractor theme: {top['theme']} ({top['share_detractors']:.1f}% of detractors' reasons vs "
            f"{top['share_promoters']:.1f}% of promoters', lift {top['lift']:.2f}, q {_q(top['q_value'])}; "
            f"NPS {top['nps_with']:.1f} with it, {top['nps_without']:.1f} without)"
        )
    drivers = why.get("drivers") or []
    if drivers:
        d = drivers[0]
        parts.append(
            f"Top driver: {d['driver']} ({d['importance']:.1f}% of R² {d['r2']:.2f}, {d['quadrant']})"
        )
    return "; ".join(parts) or None


def _q(q: float) -> str:
    return "< 0.001" if q < 0.001 else f"{q:.3f}"


def why_charts(data: dict[str, Any]) -> dict[str, str | None]:
    why = data.get("why") or {}
    out: dict[str, str | None] = {}
    if why.get("themes"):
        out["chart-themes"] = theme_chart("chart-themes", "Themes among detractors and promoters (by lift)",
                                          _by_lift(why["themes"]))  # fmt: skip
    if why.get("drivers"):
        out["chart-drivers"] = quadrant_chart(
            "chart-drivers", "Key drivers: importance × performance", why["drivers"]
        )
    return out


def theme_chart(chart_id: str, title: str, rows: list[dict[str, Any]]) -> str | None:
    """Paired horizontal bars: % of detractors' and of promoters' reasons that mention each theme."""
    plt = pyplot()

    rows = [r for r in rows if r.get("share_detractors") is not None and r.get("share_promoters") is not None]
    if not rows:
        return None
    fig, ax = plt.subplots(figsize=(6.4, 0.6 + 0.42 * len(rows)))
    y = list(range(len(rows)))[::-1]
    h = 0.38
    ax.barh(
        [v + h / 2 for v in y], [r["share_detractors"] for r in rows], h, color="#d9534f", label="detractors"
    )
    ax.barh(
        [v - h / 2 for v in y], [r["share_promoters"] for r in rows], h, color="#5cb85c", label="promoters"
    )
    for yi, r in zip(y, rows, strict=True):
        lift = "" if r.get("lift") is None else f"lift {r['lift']:.2f}"
        edge = max(r["share_detractors"], r["share_promoters"])
        ax.annotate(lift, (edge, yi), xytext=(6, -3), textcoords="offset points", fontsize=8, color=INK)
    ax.set_yticks(y, [str(r["theme"]) for r in rows])
    ax.set_xlabel("% of the group's answers with text that mention the theme")
    ax.set_xlim(0, max(max(r["share_detractors"], r["share_promoters"]) for r in rows) * 1.3 + 1)
    ax.legend(loc="lower right", fontsize=8, frameon=False)
    ax.set_title(title, loc="left", fontsize=11, color=INK)
    return _svg(fig, chart_id, title)


def quadrant_chart(chart_id: str, title: str, drivers: list[dict[str, Any]]) -> str | None:
    """Importance (% of R²) against performance, split at the means: "fix first" is top left."""
    plt = pyplot()

    pts = [
        (d["driver"], d["importance"], d["performance"], d["quadrant"])
        for d in drivers
        if d.get("performance") is not None
        and math.isfinite(d["performance"])
        and not d["driver"].startswith("theme:")
    ]
    if len(pts) < 2:
        return None
    colours = {"fix first": "#d9534f", "keep up": "#5cb85c", "monitor": "#f0ad4e", "maintain": "#888888"}
    fig, ax = plt.subplots(figsize=(6.0, 4.2))
    mx = sum(p[2] for p in pts) / len(pts)
    my = sum(p[1] for p in pts) / len(pts)
    ax.axvline(mx, color="#bbbbbb", linewidth=1, linestyle="--")
    ax.axhline(my, color="#bbbbbb", linewidth=1, linestyle="--")
    for name, imp, perf, quad in pts:
        ax.scatter([perf], [imp], s=60, color=colours.get(quad, INK), zorder=3)
        ax.annotate(
            f"{name} ({quad})", (perf, imp), xytext=(7, 4), textcoords="offset points", fontsize=8, color=INK
        )
    lo, hi = min(p[2] for p in pts), max(p[2] for p in pts)
    pad = (hi - lo) * 0.35 or 0.5
    ax.set_xlim(lo - pad, hi + pad * 1.6)
    ax.set_ylim(0, max(p[1] for p in pts) * 1.2)
    ax.set_xlabel("performance (mean rating)")
    ax.set_ylabel("importance (% of R²)")
    ax.set_title(title, loc="left", fontsize=11, color=INK)
    return _svg(fig, chart_id, title)
