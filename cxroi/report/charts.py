"""Charts for the HTML report, drawn by matplotlib and returned as inline SVG text.

Each function takes plain numbers and returns an ``<svg>`` element (no XML prolog, no external
references, text kept as text), or ``None`` when there is nothing to draw. Output is deterministic: no
dates in the metadata, a fixed id salt.
"""

from __future__ import annotations

import functools
import io
import math
import re
from collections.abc import Sequence
from typing import Any

BAND_COLOURS = {"detractors": "#d9534f", "passives": "#f0ad4e", "promoters": "#5cb85c"}
INK = "#333333"
ACCENT = "#2c6fbb"


@functools.cache
def pyplot() -> Any:
    """matplotlib's pyplot with the Agg backend and the house style, imported on first use: importing it
    costs 0.65 s, which every command that draws no chart (a cron run writing JSON from the run cache
    took 1.4 s, half of it this import) would pay at start. Imported with Ctrl-C and SIGTERM held back,
    as DuckDB is (``cxroi.engine.duckdb_module``), so a signal cannot leave it half initialised."""
    from cxroi.signals import held

    with held():
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    plt.rcParams.update(
        {
            "svg.fonttype": "none",
            "svg.hashsalt": "cxroi",
            "font.family": "sans-serif",
            "font.size": 10,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.edgecolor": "#999999",
            "axes.labelcolor": INK,
            "xtick.color": INK,
            "ytick.color": INK,
        }
    )
    return plt


def _svg(fig: Any, chart_id: str, title: str) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None, "Creator": None})
    pyplot().close(fig)
    text = buf.getvalue()
    svg = text[text.index("<svg") :]
    svg = re.sub(r"<svg ", f'<svg id="{chart_id}" role="img" aria-label="{title}" ', svg, count=1)
    return svg


def _finite(values: Sequence[float | None]) -> list[float]:
    return [math.nan if v is None else float(v) for v in values]


# How many characters of period labels fit across a trend chart's x-axis at 8 pt before they touch.
AXIS_CHARS = 44
MAX_TICKS = 16


def _period_ticks(periods: Sequence[str]) -> tuple[list[str]]:
    """Every period's label, or every k-th one when there are more than MAX_TICKS (blank between)."""
    step = max(1, math.ceil(len(periods) / MAX_TICKS))
    return ([p if i % step == 0 else "" for i, p in enumerate(periods)],)


def _rotate(periods: Sequence[str]) -> bool:
    """Slant the labels when, side by side, they would run into each other."""
    shown = [p for p in _period_ticks(periods)[0] if p]
    return sum(len(p) + 2 for p in shown) > AXIS_CHARS


def trend_chart(
    chart_id: str, title: str, periods: Sequence[str], values: Sequence[float | None],
    low: Sequence[float | None], high: Sequence[float | None], unit: str,
) -> str | None:  # fmt: skip
    """A line with its 95% confidence band."""
    if not periods:
        return None
    fig, ax = pyplot().subplots(figsize=(5.6, 2.5))
    x = list(range(len(periods)))
    ax.fill_between(x, _finite(low), _finite(high), color=ACCENT, alpha=0.18, linewidth=0, label="95% CI")
    ax.plot(x, _finite(values), color=ACCENT, marker="o", markersize=4, linewidth=1.8, label=title)
    ax.set_xticks(x, *_period_ticks(periods))
    if _rotate(periods):
        ax.tick_params(axis="x", labelrotation=35, labelsize=8)
        for label in ax.get_xticklabels():
            label.set_horizontalalignment("right")
    else:
        ax.tick_params(axis="x", labelsize=8)
    ax.set_ylabel(unit)
    ax.set_title(title, loc="left", fontsize=11, color=INK)
    ax.grid(axis="y", color="#e5e5e5")
    ax.legend(frameon=False, loc="lower right", fontsize=8)
    return _svg(fig, chart_id, title)


def distribution_chart(
    chart_id: str, scale: Sequence[int], counts: Sequence[int], bands: dict[str, tuple[int, int]]
) -> str | None:
    """The 0-10 answers as bars coloured by band."""
    if not counts or sum(counts) == 0:
        return None
    colours = []
    for v in scale:
        colour = "#999999"
        for name, (lo, hi) in bands.items():
            if lo <= v <= hi:
                colour = BAND_COLOURS.get(name, colour)
        colours.append(colour)
    fig, ax = pyplot().subplots(figsize=(5.6, 2.5))
    from matplotlib.patches import Patch

    ax.bar([str(v) for v in scale], counts, color=colours)
    total = sum(counts)
    handles = []
    for name, (lo, hi) in bands.items():
        share = sum(c for v, c in zip(scale, counts, strict=True) if lo <= v <= hi) / total * 100
        handles.append(Patch(color=BAND_COLOURS.get(name, "#999999"), label=f"{name} {share:.1f}%"))
    ax.set_ylabel("answers")
    ax.set_title("NPS answers, 0-10", loc="left", fontsize=11, color=INK)
    ax.legend(handles=handles, frameon=False, fontsize=8, loc="upper left")
    return _svg(fig, chart_id, "NPS answer distribution")


def churn_by_group_chart(chart_id: str, groups: Sequence[str], churn: Sequence[float | None],
                         low: Sequence[float | None], high: Sequence[float | None]) -> str | None:  # fmt: skip
    """Churn % per NPS group with 95% error bars."""
    if not groups:
        return None
    values = _finite(churn)
    err_low = [
        max(v - lo, 0) if not math.isnan(v) and lo is not None else 0
        for v, lo in zip(values, low, strict=True)
    ]
    err_high = [
        max(hi - v, 0) if not math.isnan(v) and hi is not None else 0
        for v, hi in zip(values, high, strict=True)
    ]
    fig, ax = pyplot().subplots(figsize=(5.0, 2.5))
    colours = [BAND_COLOURS.get(g, ACCENT) for g in groups]
    ax.bar(list(groups), [0 if math.isnan(v) else v for v in values], color=colours,
           yerr=[err_low, err_high], capsize=4, ecolor=INK)  # fmt: skip
    ax.set_ylabel("churned within the window, %")
    ax.set_title("Churn after the answer, by NPS group", loc="left", fontsize=11, color=INK)
    return _svg(fig, chart_id, "Churn by NPS group")


def waterfall_chart(chart_id: str, lines: Sequence[tuple[str, float]], cost: float, net: float) -> str | None:
    """Benefit lines stacking up, the programme cost taking away, and the net."""
    if not lines:
        return None
    labels, bottoms, heights, colours = [], [], [], []
    running = 0.0
    for name, value in lines:
        labels.append(name.replace("_", " "))
        bottoms.append(running if value >= 0 else running + value)
        heights.append(abs(value))
        colours.append("#5cb85c" if value >= 0 else "#d9534f")
        running += value
    labels.append("cost")
    bottoms.append(running - cost)
    heights.append(cost)
    colours.append("#d9534f")
    labels.append("net")
    bottoms.append(min(0.0, net))
    heights.append(abs(net))
    colours.append(ACCENT if net >= 0 else "#d9534f")
    fig, ax = pyplot().subplots(figsize=(6.4, 2.7))
    ax.bar(labels, heights, bottom=bottoms, color=colours)
    ax.axhline(0, color="#999999", linewidth=0.8)
    ax.set_ylabel("over the horizon")
    ax.set_title("ROI waterfall (attributed benefits, cost, net)", loc="left", fontsize=11, color=INK)
    from matplotlib.ticker import FuncFormatter

    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: f"{v:,.0f}"))
    return _svg(fig, chart_id, "ROI waterfall")
