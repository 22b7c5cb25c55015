"""The customers behind the ROI, as one row each: every sum an ROI input is made of, and the survival
follow-ups as counts per (group, day, outcome) cell, so that the point estimate (every customer weighs 1)
and each bootstrap draw (Poisson(1) weights per customer) are the same matrix product.

Per customer (its spells added up), for the baseline (b) and current (c) windows:

* ``at_start_w``, ``churned_w``: at the window's start (started before it, not ended), ended within it;
* ``revenue_w``, ``cost_w``, ``years_w``: revenue, support cost and years active within it, also per
  segment (``crm.by``; the customer's segment at the start of the current window) for the expansion line;
* ``answered_{metric}_w``, ``{metric}:{group}_w``: answered within it (latest answer) and in which group;
* ``active_as_of``: active on the as-of date (for a planned mix shift);

and over the follow-ups of ``cxroi survival`` (all the data): ``fu:{group}`` (answered in that group),
``fu_revenue:{group}``, ``fu_cost:{group}``, ``fu_years:{group}`` (money and years of those customers),
``fu_events:{group}``, ``fu_exposure:{group}`` (churns and days followed).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from cxroi.config import RoiConfig
from cxroi.pipeline.crm import CrmData, day_number
from cxroi.pipeline.link import (
    GROUPS,
    Answers,
    _band_of,
    _choose,
    per_customer_years,
    span_years,
    spell_revenue,
)
from cxroi.pipeline.scores import ScoresRequest
from cxroi.pipeline.sources import day_date
from cxroi.pipeline.survival import FollowUps

BASELINE, CURRENT = 0, 1
WINDOW_KEYS = ("b", "c")


@dataclass
class Sample:
    names: list[str]
    matrix: np.ndarray  # (customers, features)
    window_days: dict[str, int] = field(default_factory=dict)  # "b"/"c" -> length in days
    window_labels: dict[str, str] = field(default_factory=dict)  # "b"/"c" -> "first..last"
    has_revenue: bool = False
    has_cost: bool = False
    segments: list[str] = field(default_factory=list)
    segment_source: str = "crm.by"
    metrics: list[str] = field(default_factory=list)  # metrics with answers per window
    cells: sp.csr_matrix | None = None  # (customers, groups x days x 2) follow-up counts
    cell_groups: tuple[str, ...] = ()
    cell_days: int = 0
    longest: dict[str, float] = field(default_factory=dict)  # group -> longest follow-up (days)
    notes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.index = {n: i for i, n in enumerate(self.names)}

    @property
    def size(self) -> int:
        return int(self.matrix.shape[0])

    def sums(self, weights: np.ndarray | None = None) -> tuple[dict[str, np.ndarray], np.ndarray | None]:
        """Weighted sums of every feature, (draws,) each, and the cell totals (draws, cells)."""
        if weights is None:
            totals = self.matrix.sum(axis=0)[None, :]
            cells = np.asarray(self.cells.sum(axis=0)) if self.cells is not None else None
        else:
            totals = weights @ self.matrix
            cells = np.asarray((self.cells.T @ weights.T).T) if self.cells is not None else None
        return {n: totals[:, i] for n, i in self.index.items()}, cells

    def has(self, name: str) -> bool:
        return name in self.index


def build_sample(
    cfg: RoiConfig,
    data: CrmData,
    scores: ScoresRequest | None,
    answers: Answers | None,
    follow: dict[str, FollowUps] | None,
    plan: np.ndarray | None = None,
) -> Sample:
    """Every per-customer sum the ROI inputs need, from the CRM data, the answers and the follow-ups."""
    c = data.customers
    n = len(c.ids)
    cols: dict[str, np.ndarray] = {}

    def add(name: str, per_spell: np.ndarray) -> None:
        cols[name] = np.bincount(c.spell_id, weights=per_spell.astype(np.float64), minlength=n)

    as_of = day_number(data.as_of)
    add("active_as_of", (c.start <= as_of) & (c.end > as_of))
    tx, tk = data.transactions, data.tickets
    has_rev = (tx is not None and tx.per_customer is not None) or c.mrr is not None
    has_cost = tk is not None and tk.per_customer is not None
    windows: dict[str, tuple[int, int]] = {}
    if cfg.baseline is not None and cfg.current is not None:
        for key, w in zip(WINDOW_KEYS, (cfg.baseline, cfg.current), strict=True):
            windows[key] = (day_number(w.from_), day_number(w.to) + 1)
    labels = [" / ".join(lab) for lab in c.labels] if c.labels else ["all"]
    segment = c.group_at(windows["c"][0]) if "c" in windows else np.zeros(len(c.start), dtype=np.int64)
    if len(labels) == 1 and plan is not None:  # no crm.by: the plan column, when the file has one
        text = np.array(["" if v is None else str(v).strip() for v in plan[c.spell_id]], dtype=object)
        levels, codes = np.unique(text, return_inverse=True)
        labels, segment = [str(v) or "(blank)" for v in levels], codes.astype(np.int64)
        source = "the plan column, no crm.by"
    else:
        source = "crm.by"
    for i, (key, (ws, we)) in enumerate(windows.items()):
        at_start = (c.start < ws) & (c.end >= ws)
        add(f"at_start_{key}", at_start)
        add(f"churned_{key}", at_start & (c.end < we))
        years = per_customer_years(data, ws, we)
        revenue = spell_revenue(data, years, i) if has_rev else None
        revenue = np.zeros(len(c.start)) if revenue is None else revenue
        cost = (
            tk.per_customer.money(i)
            if has_cost and tk is not None and tk.per_customer
            else np.zeros(len(c.start))
        )
        add(f"revenue_{key}", revenue)
        add(f"cost_{key}", cost)
        add(f"years_{key}", years)
        for s in range(len(labels)):
            inside = segment == s
            add(f"revenue_{key}@{s}", np.where(inside, revenue, 0.0))
            add(f"years_{key}@{s}", np.where(inside, years, 0.0))
    sample_metrics: list[str] = []
    if answers is not None and scores is not None and windows:
        for metric, mcfg in scores.metrics().items():
            if metric not in answers.positions:
                continue
            sample_metrics.append(metric)
            pos = answers.positions[metric]
            start, end = c.start[answers.row], c.end[answers.row]
            ok = (pos >= 0) & (start <= answers.day) & (answers.day < end)
            band = _band_of(metric, mcfg)
            for key, (ws, we) in windows.items():
                use = _choose(
                    answers.row, answers.day, ok & (answers.day >= ws) & (answers.day < we), "latest"
                )
                cust = c.spell_id[answers.row[use]]
                cols[f"answered_{metric}_{key}"] = np.bincount(cust, minlength=n).astype(np.float64)
                g = band[pos[use]]
                for gi, (name, _k) in enumerate(GROUPS[metric]):
                    cols[f"{metric}:{name}_{key}"] = np.bincount(cust[g == gi], minlength=n).astype(
                        np.float64
                    )
    sample = Sample(
        names=[],
        matrix=np.empty((n, 0)),
        window_days={k: we - ws for k, (ws, we) in windows.items()},
        window_labels={k: f"{day_date(ws)}..{day_date(we - 1)}" for k, (ws, we) in windows.items()},
        has_revenue=has_rev,
        has_cost=has_cost,
        segments=labels,
        segment_source=source,
        metrics=sample_metrics,
    )
    if follow and cfg.metric in follow:
        _follow_ups(sample, cols, cfg, data, follow[cfg.metric], n)
    sample.names = list(cols)
    sample.matrix = np.column_stack([cols[k] for k in sample.names]) if cols else np.empty((n, 0))
    sample.index = {k: i for i, k in enumerate(sample.names)}
    return sample


def _follow_ups(
    sample: Sample, cols: dict[str, np.ndarray], cfg: RoiConfig, data: CrmData, fu: FollowUps, n: int
) -> None:
    c = data.customers
    tk = data.tickets
    years = span_years(data)
    found = spell_revenue(data, years)
    revenue = np.zeros(len(c.start)) if found is None else found
    cost = (
        tk.per_customer.money() if tk is not None and tk.per_customer is not None else np.zeros(len(c.start))
    )
    per_customer = {
        "revenue": np.bincount(c.spell_id, weights=revenue, minlength=n),
        "cost": np.bincount(c.spell_id, weights=cost, minlength=n),
        "years": np.bincount(c.spell_id, weights=years, minlength=n),
    }
    groups = tuple(g for g, _ in GROUPS[cfg.metric])
    days = 365 * cfg.horizon_years + 2
    for gi, name in enumerate(groups):
        sel = fu.group == gi
        member = np.bincount(fu.customer[sel], minlength=n) > 0
        cols[f"fu:{name}"] = member.astype(np.float64)
        for k, v in per_customer.items():
            cols[f"fu_{k}:{name}"] = np.where(member, v, 0.0)
        cols[f"fu_events:{name}"] = np.bincount(fu.customer[sel], weights=fu.event[sel], minlength=n).astype(
            np.float64
        )
        cols[f"fu_exposure:{name}"] = np.bincount(fu.customer[sel], weights=fu.duration[sel], minlength=n)
        sample.longest[name] = float(fu.duration[sel].max()) if sel.any() else 0.0
    capped = fu.duration >= days - 1
    day = np.where(capped, days - 1, fu.duration).astype(np.int64)
    event = fu.event & ~capped
    valid = fu.group >= 0
    code = (fu.group[valid] * days + day[valid]) * 2 + event[valid].astype(np.int64)
    sample.cells = sp.csr_matrix(
        (np.ones(int(valid.sum())), (fu.customer[valid], code)), shape=(n, len(groups) * days * 2)
    )
    sample.cell_groups = groups
    sample.cell_days = days


def survival_from_cells(cells: np.ndarray, groups: int, days: int) -> np.ndarray:
    """Kaplan–Meier S(t) for t = 0..days-1 of each group from cell totals (draws, groups x days x 2):
    at risk on day t = everyone whose follow-up lasted t days or more; S(t) = prod_{u <= t} (1 - d_u / n_u)."""
    c = cells.reshape(cells.shape[0], groups, days, 2)
    removed = c.sum(axis=3)
    events = c[..., 1]
    total = removed.sum(axis=2, keepdims=True)
    at_risk = total - np.concatenate(
        [np.zeros_like(removed[..., :1]), np.cumsum(removed, axis=2)[..., :-1]], axis=2
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        hazard = np.where(at_risk > 0, events / np.maximum(at_risk, 1e-300), 0.0)
    out: np.ndarray = np.cumprod(1.0 - hazard, axis=2)
    return out
