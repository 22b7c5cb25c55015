"""Survey answers joined to CRM customers: match rate, and churn, revenue and CLV by NPS group.

The join: each answer's customer key (e.g. Qualtrics ``ExternalReference``) is compared, as trimmed text,
with the customer ids of the CRM file. When a customer answered several times the config picks the
answer used: ``latest`` (default), ``first`` or ``each`` (every answer counts).

Outcome of an answer given on day a, with a follow-up window of W days:

* *churned after the answer* when ``a < end <= a + W``;
* the answer counts only if the customer was active when answering (``start <= a < end``), and, with
  ``full_window`` (default), only if the whole window has passed by ``as_of`` (``a + W <= as_of``):
  otherwise recent answers, whose churn cannot have happened yet, would flatter the churn rate.
  The latest/first answer is chosen among those eligible answers: the latest answer *overall* of a
  customer who kept answering is recent, and the customers whose latest answer is old are mostly the ones
  who left, so choosing before filtering would inflate churn.

Per group (NPS promoters/passives/detractors, CSAT satisfied/not, CES agree/neutral/disagree):
customers, churned, churn % with its 95% Wilson interval, revenue and support cost per customer-year
(sums over the group's customers / their years active in the data), and CLV from those and the group's
churn (annualised from the window). Promoters are compared with detractors (satisfied with not
satisfied, agree with disagree) with a two-proportion z-test.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cxroi.config import ClvConfig, LinkConfig
from cxroi.errors import DataError, UsageError
from cxroi.io import Batch, ColumnKind, TableSource
from cxroi.io.reader import scan
from cxroi.metrics.churn import NO_END
from cxroi.metrics.clv import clv_discounted, margin_per_year
from cxroi.metrics.stats import two_proportion_test, wilson_interval
from cxroi.pipeline.common import Note, Tally
from cxroi.pipeline.crm import DAYS_PER_YEAR, CrmData, day_number
from cxroi.pipeline.scores import ScoresRequest, answer_positions

# Band names per metric, in display order, and which two are compared.
GROUPS = {
    "nps": (("promoters", "promoters"), ("passives", "passives"), ("detractors", "detractors")),
    "csat": (("satisfied", "satisfied"), ("not satisfied", None)),
    "ces": (("agree", "agree"), ("neutral", "neutral"), ("disagree", "disagree")),
}
COMPARE = {
    "nps": ("promoters", "detractors"),
    "csat": ("satisfied", "not satisfied"),
    "ces": ("agree", "disagree"),
}
FIELDS = [
    "metric",
    "group",
    "customers",
    "churned",
    "churn",
    "churn_low",
    "churn_high",
    "p_value",
    "revenue_per_customer",
    "support_cost_per_customer",
    "annual_margin",
    "clv",
]


@dataclass
class Answers:
    row: np.ndarray  # customer row of each linked answer
    day: np.ndarray
    positions: dict[str, np.ndarray]  # metric -> scale position per answer (< 0: no valid answer)
    answers: int  # answers with at least one valid score
    no_key: int
    unmatched: Tally = field(default_factory=Tally)
    extra: dict[str, np.ndarray] = field(default_factory=dict)  # survey column -> text per answer


@dataclass(frozen=True)
class LinkResult:
    records: list[dict[str, Any]]
    summary: dict[str, Any]
    warnings: list[str]
    groups: dict[str, dict[str, dict[str, float]]]  # metric -> group -> measures (for the what-if)


def _band_of(metric: str, cfg: Any) -> np.ndarray:
    """Group index (into GROUPS[metric]) of each scale position."""
    low, high = cfg.scale
    out = np.full(high - low + 1, -1, dtype=np.int64)
    if metric == "nps":
        bands = [cfg.promoters, cfg.passives, cfg.detractors]
    elif metric == "csat":
        bands = [cfg.satisfied]
        out[:] = 1  # everything outside the satisfied band
    else:
        bands = [cfg.agree, cfg.neutral, cfg.disagree]
    for i, band in enumerate(bands):
        if band is not None:
            out[band[0] - low : band[1] - low + 1] = i
    return out


def load_answers(
    sources: Sequence[TableSource],
    key: str,
    scores: ScoresRequest,
    data: CrmData,
    extra: Sequence[str] = (),
) -> Answers:
    """Read answers (customer key, date, scores and the ``extra`` survey columns, as text) and link each
    to its customer row."""
    metrics = scores.metrics()
    if not metrics:
        raise UsageError("linking needs a score column", "name scores.nps.column (or csat/ces) in the config")
    if not scores.date:
        raise UsageError("linking needs the answer date", "name scores.date in the config")
    rows: list[np.ndarray] = []
    days: list[np.ndarray] = []
    pos: dict[str, list[np.ndarray]] = {m: [] for m in metrics}
    totals = {"answers": 0, "no_key": 0}
    unmatched = Tally()
    more: dict[str, list[np.ndarray]] = {c: [] for c in extra}
    for source in sources:
        part = _scan_answers(source, key, scores, data, extra)
        rows.append(part.row)
        days.append(part.day)
        for m, p in part.positions.items():
            pos[m].append(p)
        for c in extra:
            more[c].append(part.extra[c])
        totals["answers"] += part.answers
        totals["no_key"] += part.no_key
        unmatched.merge(part.unmatched)
    return Answers(
        row=np.concatenate(rows) if rows else np.array([], dtype=np.int64),
        day=np.concatenate(days) if days else np.array([], dtype=np.int64),
        positions={m: np.concatenate(v) if v else np.array([], dtype=np.int64) for m, v in pos.items()},
        answers=totals["answers"],
        no_key=totals["no_key"],
        unmatched=unmatched,
        extra={c: np.concatenate(v) if v else np.array([], dtype=object) for c, v in more.items()},
    )


def _scan_answers(
    source: TableSource, key: str, scores: ScoresRequest, data: CrmData, extra: Sequence[str] = ()
) -> Answers:
    metrics = scores.metrics()
    assert scores.date is not None
    key_col = source.resolve(key)
    date_col = source.resolve(scores.date)
    cols = {m: source.resolve(c.column or "") for m, c in metrics.items()}
    wanted = {key_col: ColumnKind.TEXT, date_col: ColumnKind.DATE}
    wanted.update({c: ColumnKind.CATEGORY for c in cols.values()})
    extra_cols = {c: source.resolve(c) for c in extra}
    wanted.update({c: ColumnKind.TEXT for c in extra_cols.values() if c not in wanted})
    cut = (data.as_of - date(1970, 1, 1)).days

    def new() -> _Parts:
        return _Parts()

    def step(acc: _Parts, batch: Batch) -> None:
        positions = {
            m: answer_positions(batch.columns[c], *metrics[m].scale, metrics[m].labels)[0]
            for m, c in cols.items()
        }
        any_valid = np.zeros(batch.num_rows, dtype=bool)
        for p in positions.values():
            any_valid |= p >= 0
        text = pc.utf8_trim_whitespace(batch.columns[key_col].cast(pa.string()))
        blank = np.asarray(pc.fill_null(pc.equal(text, ""), True).to_numpy(zero_copy_only=False), dtype=bool)
        micros = batch.columns[date_col].cast(pa.timestamp("us")).cast(pa.int64())
        stamp = np.asarray(pc.fill_null(micros, np.iinfo(np.int64).min).to_numpy(zero_copy_only=False))
        day = np.floor_divide(stamp, 86_400_000_000)
        any_valid &= day <= cut  # answers after the as-of day have not been given yet
        row = data.customers.lookup(text, trimmed=True, days=day)
        miss = any_valid & ~blank & (row < 0)
        examples = pc.filter(text, pa.array(miss)).slice(0, 3).to_pylist() if miss.any() else []
        acc.unmatched.add(batch, miss, [str(e) for e in examples])
        acc.answers += int(any_valid.sum())
        acc.no_key += int((any_valid & blank).sum())
        keep = any_valid & (row >= 0) & (stamp != np.iinfo(np.int64).min)
        acc.rows.append(row[keep])
        acc.days.append(np.floor_divide(stamp[keep], 86_400_000_000))
        for m, p in positions.items():
            acc.positions.setdefault(m, []).append(p[keep])
        for name, c in extra_cols.items():
            col = batch.columns[c].cast(pa.string())
            acc.extra.setdefault(name, []).append(
                np.asarray(col.to_numpy(zero_copy_only=False), dtype=object)[keep]
            )

    parts: _Parts = scan(source, wanted, new, step)
    return Answers(
        row=np.concatenate(parts.rows) if parts.rows else np.array([], dtype=np.int64),
        day=np.concatenate(parts.days) if parts.days else np.array([], dtype=np.int64),
        positions={
            m: np.concatenate(parts.positions[m]) if parts.positions.get(m) else np.array([], dtype=np.int64)
            for m in metrics
        },
        answers=parts.answers,
        no_key=parts.no_key,
        unmatched=parts.unmatched,
        extra={
            c: np.concatenate(parts.extra[c]) if parts.extra.get(c) else np.array([], dtype=object)
            for c in extra
        },
    )


@dataclass
class _Parts:
    rows: list[np.ndarray] = field(default_factory=list)
    days: list[np.ndarray] = field(default_factory=list)
    positions: dict[str, list[np.ndarray]] = field(default_factory=dict)
    answers: int = 0
    no_key: int = 0
    unmatched: Tally = field(default_factory=Tally)
    extra: dict[str, list[np.ndarray]] = field(default_factory=dict)


def _choose(row: np.ndarray, day: np.ndarray, valid: np.ndarray, policy: str) -> np.ndarray:
    """Indices of the answers used: one per customer (latest or first by date), or all of them."""
    idx = np.flatnonzero(valid)
    if policy == "each" or len(idx) == 0:
        return idx
    order = np.lexsort((day[idx], row[idx]))  # by customer, then date
    ordered = idx[order]
    r = row[ordered]
    if policy == "latest":
        last = np.r_[r[1:] != r[:-1], True]
        chosen: np.ndarray = ordered[last]
        return chosen
    first = np.r_[True, r[1:] != r[:-1]]
    picked: np.ndarray = ordered[first]
    return picked


def per_customer_years(data: CrmData, first_day: int, last_day: int) -> np.ndarray:
    """Years each customer was active within [first_day, last_day)."""
    c = data.customers
    lo = np.maximum(c.start, first_day)
    hi = np.minimum(c.end, last_day)
    years: np.ndarray = np.clip(hi - lo, 0, None).astype(np.float64) / DAYS_PER_YEAR
    return years


def span_years(data: CrmData) -> np.ndarray:
    """Years each spell was active over the span the data covers: from the first transaction (else the
    first start) to the as-of date."""
    tx = data.transactions
    first = (
        int(tx.frame["day"].min()) if tx is not None and len(tx.frame) else int(data.customers.start.min())
    )
    return per_customer_years(data, first, day_number(data.as_of) + 1)


def spell_revenue(data: CrmData, years: np.ndarray, window: int | None = None) -> np.ndarray | None:
    """Revenue of each spell over ``years`` (within the requested ``window``, an index into the CRM
    request's windows, or over all the data): the transactions, else 12 x MRR x years; None without either."""
    tx = data.transactions
    if tx is not None and tx.per_customer is not None:
        return np.asarray(tx.per_customer.money(window))
    if data.customers.mrr is not None:
        return np.asarray(np.asarray(data.customers.mrr, dtype=np.float64) * 12.0 * years)
    return None


def link_outcomes(
    answers: Answers, scores: ScoresRequest, data: CrmData, link: LinkConfig, clv: ClvConfig
) -> LinkResult:
    c = data.customers
    as_of = day_number(data.as_of)
    window = link.window_days
    warnings: list[str] = []
    matched = len(answers.row)
    rate = matched / answers.answers if answers.answers else math.nan
    answered = np.zeros(len(c.start), dtype=bool)
    answered[answers.row] = True
    summary: dict[str, Any] = {
        "answers": answers.answers,
        "matched": matched,
        "match_rate": rate * 100 if not math.isnan(rate) else None,
        "unmatched_answers": answers.answers - matched,
        "answers_without_key": answers.no_key,
        "customers": len(c.start),
        "customers_without_answer": int((~answered).sum()),
        "policy": link.answers,
        "window_days": window,
        "full_window": link.full_window,
        "as_of": data.as_of.isoformat(),
    }
    if answers.answers == 0:
        raise DataError("no valid survey answers to link", "check the score columns and the survey file")
    if matched == 0:
        raise DataError(
            "no survey answer matches a CRM customer",
            f"check link.survey_key and crm.customers.id (unmatched keys e.g. {answers.unmatched.examples})",
        )
    if rate * 100 < link.min_match_rate:
        warnings.append(
            f"only {rate:.1%} of survey answers match a CRM customer ({matched} of {answers.answers}); "
            f"unmatched keys e.g. {', '.join(map(repr, answers.unmatched.examples)) or 'blank'}"
        )
    # revenue and support cost per customer-year, over the span the transactions cover
    tx = data.transactions
    years = span_years(data)
    revenue = tx.per_customer.money() if tx is not None and tx.per_customer is not None else None
    tk = data.tickets
    cost = tk.per_customer.money() if tk is not None and tk.per_customer is not None else None

    records: list[dict[str, Any]] = []
    groups_out: dict[str, dict[str, dict[str, float]]] = {}
    excluded = {"inactive": 0, "recent": 0}
    for metric, cfg in scores.metrics().items():
        pos = answers.positions[metric]
        start_all, end_all = c.start[answers.row], c.end[answers.row]
        active_all = (start_all <= answers.day) & (answers.day < end_all)
        mature_all = answers.day + window <= as_of if link.full_window else np.ones(len(pos), dtype=bool)
        valid = pos >= 0
        excluded["inactive"] = max(excluded["inactive"], int((valid & ~active_all).sum()))
        excluded["recent"] = max(excluded["recent"], int((valid & active_all & ~mature_all).sum()))
        # choose among the answers that can show an outcome: e.g. the latest answer followed for a whole
        # window, not a latest answer that is too recent (or one that only exists because they stayed)
        use = _choose(answers.row, answers.day, valid & active_all & mature_all, link.answers)
        row, day = answers.row[use], answers.day[use]
        end = c.end[row]
        ok = np.ones(len(use), dtype=bool)
        band = _band_of(metric, cfg)[pos[use]]
        churned = (end > day) & (end <= day + window) & (end != NO_END)
        stats: dict[str, dict[str, float]] = {}
        for gi, (name, _key) in enumerate(GROUPS[metric]):
            sel = ok & (band == gi)
            n = int(sel.sum())
            k = int((sel & churned).sum())
            custs = np.unique(row[sel])
            rev_cy = _ratio(revenue, years, custs)
            cost_cy = _ratio(cost, years, custs) if cost is not None else 0.0
            churn = k / n if n else math.nan
            low, high = wilson_interval(k, n)
            margin = margin_per_year(rev_cy, clv.gross_margin, cost_cy) if revenue is not None else math.nan
            retention = (1.0 - churn) ** (DAYS_PER_YEAR / window) if n else math.nan
            value = clv_discounted(margin, retention, clv.discount_rate, clv.horizon)
            stats[name] = {
                "customers": n,
                "churned": k,
                "churn": churn,
                "revenue": rev_cy,
                "cost": cost_cy,
                "margin": margin,
                "clv": value,
            }
            records.append(
                {
                    "metric": metric,
                    "group": name,
                    "customers": n,
                    "churned": k,
                    "churn": churn * 100 if n else None,
                    "churn_low": low * 100 if n else None,
                    "churn_high": high * 100 if n else None,
                    "p_value": None,
                    "revenue_per_customer": rev_cy if revenue is not None else None,
                    "support_cost_per_customer": cost_cy if cost is not None else None,
                    "annual_margin": margin if revenue is not None else None,
                    "clv": value if revenue is not None else None,
                }
            )
        a, b = COMPARE[metric]
        sa, sb = stats[a], stats[b]
        records.append(
            {
                "metric": metric,
                "group": f"{a} - {b}",
                "customers": None,
                "churned": None,
                "churn": (sa["churn"] - sb["churn"]) * 100,
                "churn_low": None,
                "churn_high": None,
                "p_value": two_proportion_test(
                    int(sb["churned"]), int(sb["customers"]), int(sa["churned"]), int(sa["customers"])
                ),
                "revenue_per_customer": sa["revenue"] - sb["revenue"] if revenue is not None else None,
                "support_cost_per_customer": sa["cost"] - sb["cost"] if cost is not None else None,
                "annual_margin": sa["margin"] - sb["margin"] if revenue is not None else None,
                "clv": sa["clv"] - sb["clv"] if revenue is not None else None,
            }
        )
        groups_out[metric] = stats
    summary["answers_used_excluded_inactive"] = excluded["inactive"]
    summary["answers_used_excluded_recent"] = excluded["recent"]
    if excluded["inactive"]:
        warnings.append(
            f"{excluded['inactive']} linked answers were given while the customer was not active "
            "(before the start or after the end date); left out of the outcomes"
        )
    if excluded["recent"]:
        warnings.append(
            Note(
                f"{excluded['recent']} linked answers are less than {window} days before {data.as_of}: their "
                f"{window}-day window has not passed, so the churn by group leaves them out (link.full_window); "
                "`cxroi survival` follows every answer, censored at the as-of date"
            )
        )
    return LinkResult(records, summary, warnings, groups_out)


def _ratio(values: np.ndarray | None, years: np.ndarray, customers: np.ndarray) -> float:
    """Sum of ``values`` over ``customers`` / their years: money per customer-year."""
    if values is None or len(customers) == 0:
        return math.nan
    total_years = float(years[customers].sum())
    return float(values[customers].sum()) / total_years if total_years > 0 else math.nan
