"""Score records from counts: one record per (metric, period, segment...) group, computed over the whole
count table at once (``cxroi.metrics.tables``, bit for bit the scalar formulas), sorted by segments then
period, with the change against the group's previous period; kept as columns (``RecordTable``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cxroi.metrics.bands import band_lookup
from cxroi.metrics.periods import period_label
from cxroi.metrics.tables import (
    ces_table,
    nps_change,
    nps_table,
    proportion_change,
    proportion_table,
    welch_change,
)
from cxroi.pipeline.common import BLANK_LABEL
from cxroi.pipeline.group_counts import GroupCounts
from cxroi.report.record_table import Block, Column, Labels, RecordTable, text_array

if TYPE_CHECKING:
    from cxroi.pipeline.scores import Metric, ScoresRequest

METRIC_FIELDS: dict[str, tuple[str, ...]] = {
    "nps": ("promoters", "passives", "detractors"),
    "csat": ("satisfied",),
    "ces": ("agree",),
}


def _bands(metric: Metric, cfg: Any) -> dict[str, tuple[int, int] | None]:
    if metric == "nps":
        return {"detractors": cfg.detractors, "passives": cfg.passives, "promoters": cfg.promoters}
    if metric == "csat":
        return {"satisfied": cfg.satisfied}
    return {"disagree": cfg.disagree, "neutral": cfg.neutral, "agree": cfg.agree}


def _sort_key(label: object) -> tuple[int, str]:
    return (1, "") if label == BLANK_LABEL else (0, str(label))


def _segment_ranks(labels: Sequence[object]) -> np.ndarray:
    """Rank of each segment label in report order (``_sort_key``: by text, ``(blank)`` last); text labels
    are sorted by Arrow (UTF-8 byte order is code point order, as Python compares text)."""
    ranks = np.empty(len(labels), dtype=np.int64)
    texts = text_array(labels)
    if texts is not None:
        order = np.asarray(pc.sort_indices(texts))
        blank = np.asarray(pc.equal(texts.take(pa.array(order)), BLANK_LABEL), dtype=bool)
        order = np.concatenate([order[~blank], order[blank]])
    else:  # not all text Arrow can hold (e.g. a lone surrogate from a cache entry): Python sorts them
        order = np.asarray(sorted(range(len(labels)), key=lambda i: _sort_key(labels[i])), dtype=np.int64)
    ranks[order] = np.arange(len(labels))
    return ranks


def _period_ranks(labels: Sequence[object]) -> np.ndarray:
    return np.argsort(np.argsort(np.asarray(labels, dtype=np.int64), kind="stable"), kind="stable")


def records_of(counts: dict[str, GroupCounts], request: ScoresRequest) -> RecordTable:
    """One record per (metric, period, segment...) group, computed over the whole count table at once
    (``cxroi.metrics.tables``), sorted by segments then period; the change is against the group's
    previous period present in the data. The records stay columns (``RecordTable``)."""
    blocks: list[Block] = []
    has_period = request.period is not None
    segs = list(range(int(has_period), int(has_period) + len(request.by)))
    known: dict[int, tuple[Sequence[object], np.ndarray]] = {}

    def ranked(labels: Sequence[object]) -> np.ndarray:  # the metrics usually share their segment labels
        if id(labels) not in known:
            known[id(labels)] = (labels, _segment_ranks(labels))
        return known[id(labels)][1]

    for metric, cfg in request.metrics().items():
        groups = counts.get(metric)
        if groups is None or not len(groups):
            continue
        by: list[tuple[int, Any]] = [(k, ranked) for k in segs] + ([(0, _period_ranks)] if has_period else [])
        g = groups.take(groups.order(by))
        cols = _score_table(metric, cfg, g.hist)
        columns: dict[str, Column] = {"metric": Labels(np.zeros(len(g), dtype=np.int64), [metric])}
        if has_period:
            assert request.period is not None
            columns["period"] = Labels(g.codes[:, 0], [period_label(int(p), request.period) for p in g.labels[0]])
        for name, k in zip(request.by, segs, strict=True):
            columns[name] = Labels(g.codes[:, k], g.labels[k])
        for name in ("n", "value", "moe", "ci_low", "ci_high"):
            columns[name] = cols[name]
        if request.min_n:
            columns["small"] = cols["n"] < request.min_n
        for name in METRIC_FIELDS[metric]:
            columns[name] = cols[name]
        absent: dict[str, np.ndarray] = {}
        if has_period:
            prev = np.zeros(len(g), dtype=bool)
            prev[1:] = (g.codes[1:, segs] == g.codes[:-1, segs]).all(axis=1)
            columns["delta"], columns["p_value"] = _changes(metric, cfg, cols, prev)
            absent = {"delta": ~prev, "p_value": ~prev}
        blocks.append(Block(list(columns), columns, len(g), absent))
    return RecordTable(blocks)


def _score_table(metric: Metric, cfg: Any, hist: np.ndarray) -> dict[str, np.ndarray]:
    """The metric's columns for every group (rows of ``hist``, counts per scale position)."""
    positions = band_lookup(cfg.scale, _bands(metric, cfg))

    def band(name: str) -> np.ndarray:
        if name not in positions:
            return np.zeros(len(hist), dtype=np.int64)
        return np.asarray(hist[:, positions[name]].sum(axis=1), dtype=np.int64)

    if metric == "nps":
        out = nps_table(band("promoters"), band("passives"), band("detractors"), interval=cfg.interval)
        out.update(promoters=band("promoters"), passives=band("passives"), detractors=band("detractors"))
        return out
    if metric == "csat":
        out = proportion_table(band("satisfied"), hist.sum(axis=1), interval=cfg.interval)
        out["satisfied"] = band("satisfied")
        return out
    values = np.arange(cfg.scale[0], cfg.scale[1] + 1)
    return ces_table(values, hist, band("agree"), band("disagree"), mode=cfg.value, interval=cfg.interval)


def _changes(
    metric: Metric, cfg: Any, cols: dict[str, np.ndarray], prev: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Change against the previous row (where ``prev``) and its p-value: the vectorised tests of
    ``cxroi.metrics.tables`` over every (previous, this) pair at once."""
    before = np.flatnonzero(prev) - 1
    after = np.flatnonzero(prev)
    delta = np.full(len(prev), np.nan)
    p_value = np.full(len(prev), np.nan)
    if not len(after):
        return delta, p_value
    b = {k: v[before] for k, v in cols.items()}
    a = {k: v[after] for k, v in cols.items()}
    delta[after] = a["value"] - b["value"]
    mode = cfg.value if metric == "ces" else None
    if metric == "nps" or mode == "net":
        p_value[after] = nps_change(b["value"], b["variance"], b["n"], a["value"], a["variance"], a["n"])[1]
    elif metric == "csat":
        p_value[after] = proportion_change(b["satisfied"], b["n"], a["satisfied"], a["n"])
    elif mode == "agree":
        p_value[after] = proportion_change(b["agree"], b["n"], a["agree"], a["n"])
    else:
        p_value[after] = welch_change(b["mean"], b["sd"], b["n"], a["mean"], a["sd"], a["n"])
    return delta, p_value
