"""The HTML report's opening: one card per score (value, 95% interval, n, the latest change and whether it
is significant, a small trend line) and the other headline figures as one paragraph in words."""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from typing import Any

CSS = """
.cards{display:flex;flex-wrap:wrap;gap:.8rem;margin:1rem 0}
.card{flex:1 1 15rem;border:1px solid #dde5f0;border-radius:8px;padding:.7rem .9rem;background:#f8fafd}
.card .k{font-size:.8rem;color:#555;text-transform:uppercase;letter-spacing:.04em}
.card .v{font-size:1.9rem;font-weight:600;line-height:1.2}
.card .ci,.card .d{font-size:.8rem;color:#555}.card .d.sig{color:#1b5e20;font-weight:600}
.card svg{display:block;margin-top:.3rem}
.summary{font-size:.95rem;max-width:60rem}
"""


def _esc(x: Any) -> str:
    return html.escape(str(x), quote=True)


def sparkline(values: Sequence[float | None], width: int = 150, height: int = 30) -> str:
    """An inline SVG polyline of the values (None skipped), scaled to the box."""
    points = [(i, v) for i, v in enumerate(values) if v is not None and math.isfinite(v)]
    if len(points) < 2:
        return ""
    lo, hi = min(v for _, v in points), max(v for _, v in points)
    span = (hi - lo) or 1.0
    n = len(values) - 1 or 1
    coords = " ".join(
        f"{2 + i * (width - 4) / n:.1f},{height - 2 - (v - lo) / span * (height - 4):.1f}" for i, v in points
    )
    line = f'<polyline fill="none" stroke="#2f6db5" stroke-width="1.6" points="{coords}"/>'
    head = f'<svg width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" aria-label="trend">'
    return f"{head}{line}</svg>"


def kpi_cards(data: dict[str, Any]) -> str:
    scores = data.get("scores") or {}
    trend = scores.get("trend") or []
    cards = []
    for rec in scores.get("overall") or []:
        metric = rec["metric"]
        d = 2 if metric == "ces" else 1
        rows = [r for r in trend if r["metric"] == metric]
        change, cls = "", "d"
        last = rows[-1] if rows else None
        if last is not None and last.get("delta") is not None:
            p = last.get("p_value")
            sig = p is not None and p < 0.05
            p_text = "< 0.001" if p is not None and p < 0.0005 else (f"{p:.3f}" if p is not None else "n/a")
            change = (f"{last['period']}: {last['value']:.{d}f} ({last['delta']:+.{d}f} on the period before, "
                      f"{'significant' if sig else 'not significant'}, p {p_text})")  # fmt: skip
            cls = "d sig" if sig else "d"
        value = rec.get("value")
        shown = f"{value:.{d}f}" if isinstance(value, float) and math.isfinite(value) else "n/a"
        ci = (
            f"95% CI {rec['ci_low']:.{d}f}–{rec['ci_high']:.{d}f} · n {rec['n']:,}"
            if rec.get("ci_low") is not None
            else ""
        )
        cards.append(
            f'<div class="card"><div class="k">{_esc(metric.upper())}</div><div class="v">{_esc(shown)}</div>'
            f'<div class="ci">{_esc(ci)}</div><div class="{cls}">{_esc(change)}</div>'
            f"{sparkline([r.get('value') for r in rows])}</div>"
        )
    return f'<div class="cards">{"".join(cards)}</div>' if cards else ""


def summary_paragraph(sentences: Sequence[str], skip: int) -> str:
    """The headline sentences after the first ``skip`` (the scores, shown as cards) as one paragraph."""
    rest = [s.rstrip(".") + "." for s in sentences[skip:]]
    return f'<p class="summary">{_esc(" ".join(rest))}</p>' if rest else ""
