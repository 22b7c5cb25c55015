"""The customer file: who was a customer, from when to when, in which segment.

A customer export may hold one row per customer (Salesforce accounts, HubSpot companies) or one row per
subscription (Stripe, Chargebee: a plan change or a re-subscription is a second row for the same customer).
Rows of the same id are merged into *spells*: intervals of activity, where a row that starts within
``crm.customers.reactivation_days`` (default 0) of the spell's end continues the spell. A customer who comes
back after a longer gap has two spells: churned at the end of the first, new at the start of the second.
Within a spell, segment columns take the value of the row in force on the day asked for (a period's first
day, a transaction's day): ``Customers.group_at``.

``--as-of D`` is the world as it was on D: rows that start after D do not exist, ends after D have not
happened (the customer is active, the end is *scheduled*). Both are counted and reported.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from cxroi.errors import DataError, UsageError
from cxroi.io import Batch, ColumnKind
from cxroi.io.reader import scan
from cxroi.metrics.amounts import guess_decimal, parse_amounts
from cxroi.metrics.churn import NO_END
from cxroi.pipeline.common import BLANK_LABEL, Note, Tally, category_codes, combine_codes
from cxroi.pipeline.sources import CrmRequest, Source, day_date, role

_US_PER_DAY = 86_400_000_000


def plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def days_of(arr: pa.Array) -> np.ndarray:
    """Day numbers of timestamps; ``NO_END`` where null."""
    micros = pc.fill_null(arr.cast(pa.timestamp("us")).cast(pa.int64()), np.iinfo(np.int64).min)
    values = np.asarray(micros.to_numpy(zero_copy_only=False))
    out: np.ndarray = np.floor_divide(values, _US_PER_DAY)
    out[values == np.iinfo(np.int64).min] = NO_END
    return out


def amounts_of(column: pa.Array, decimal: str) -> tuple[np.ndarray, np.ndarray]:
    """Amounts as float64 (NaN where blank or unreadable) and the mask of unreadable ones."""
    parsed, bad = parse_amounts(column, decimal)
    return np.asarray(pc.fill_null(parsed, math.nan).to_numpy(zero_copy_only=False), dtype=np.float64), bad


@dataclass
class Customers:
    """One row per spell (a customer with one interval of activity has one)."""

    ids: pa.Array  # unique customer ids (trimmed text)
    first_spell: np.ndarray  # per unique id: its first spell (spells are sorted by id, then start)
    spell_id: np.ndarray  # per spell: index into ``ids``
    start: np.ndarray  # days
    end: np.ndarray  # days, NO_END when active
    mrr: np.ndarray | None
    group: np.ndarray  # per spell: segment group of its first row
    labels: list[tuple[str, ...]]
    has_end: bool = True  # False: the file has no end column, so nobody is known to have churned
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # facts to report that are not data problems
    # rows of spells whose segment changes: spell, row start, row group (sorted by spell, then start)
    seg_rows: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    _join: Any = field(default=None, init=False, repr=False, compare=False)

    @property
    def k(self) -> int:
        return max(len(self.labels), 1)

    def _index(self, text: pa.Array) -> np.ndarray:
        """Position of each id in ``ids`` (-1: absent). A DuckDB hash join against the ids loaded once:
        pyarrow's ``index_in`` hashes the million customer ids again on every batch (0.45 s per million
        probes against 0.14 s)."""
        if len(text) < 10_000:
            idx = pc.fill_null(pc.index_in(text, value_set=self.ids), -1)
            return np.asarray(idx.to_numpy(zero_copy_only=False), dtype=np.int64)
        if self._join is None:
            from cxroi.engine import duckdb_module

            duckdb = duckdb_module()

            con = duckdb.connect(config={"preserve_insertion_order": True})
            ids = pa.table({"id": self.ids.cast(pa.string()), "i": pa.array(np.arange(len(self.ids)))})
            con.register("ids_arrow", ids)
            con.execute("CREATE TABLE ids AS SELECT * FROM ids_arrow")
            con.unregister("ids_arrow")
            self._join = con
        probe = pa.table({"id": text.cast(pa.string()), "r": pa.array(np.arange(len(text)))})
        self._join.register("probe", probe)
        try:  # matches only, scattered back by row (no sort: 0.14 s against 0.23 s per million probes)
            found = self._join.execute("SELECT probe.r, ids.i FROM probe JOIN ids ON probe.id = ids.id").fetchnumpy()
        finally:
            self._join.unregister("probe")
        out = np.full(len(text), -1, dtype=np.int64)
        out[np.asarray(found["r"], dtype=np.int64)] = np.asarray(found["i"], dtype=np.int64)
        return out

    def group_at(self, day: int | np.ndarray, spells: np.ndarray | None = None) -> np.ndarray:
        """Segment group of each spell (or of ``spells``) on ``day``: the row in force then, or the first."""
        chosen = np.arange(len(self.start)) if spells is None else spells
        out = self.group[chosen].copy()
        if self.seg_rows is None or len(chosen) == 0:
            return out
        spell, row_start, row_group = self.seg_rows
        days = np.broadcast_to(np.asarray(day, dtype=np.int64), chosen.shape)
        span = np.int64(1 << 32)
        keys = spell * span + np.clip(row_start + (1 << 31), 0, span - 1)
        query = chosen * span + np.clip(days + (1 << 31), 0, span - 1)
        pos = np.searchsorted(keys, query, side="right") - 1
        hit = (pos >= 0) & (spell[np.clip(pos, 0, None)] == chosen)
        out[hit] = row_group[pos[hit]]
        return out

    def lookup(self, ids: pa.Array, trimmed: bool = False, days: np.ndarray | None = None) -> np.ndarray:
        """Spell of each customer id (-1 when not in the customer file); ids compared as trimmed text.

        With ``days``, the spell that had started by that day (the latest such), else the customer's first.
        """
        text = ids if trimmed else pc.utf8_trim_whitespace(ids.cast(pa.string()))
        found = self._index(text)
        out = np.full(len(found), -1, dtype=np.int64)
        hit = found >= 0
        out[hit] = self.first_spell[found[hit]]
        if days is not None and len(self.start) > len(self.first_spell) and hit.any():
            span = np.int64(1 << 32)
            keys = self.spell_id * span + np.clip(self.start + (1 << 31), 0, span - 1)
            d = np.clip(np.asarray(days, dtype=np.int64)[hit] + (1 << 31), 0, span - 1)
            pos = np.searchsorted(keys, found[hit] * span + d, side="right") - 1
            out[hit] = np.maximum(pos, self.first_spell[found[hit]])
        return out


class GroupCodes:
    """Global codes for segment-value combinations, built batch by batch."""

    def __init__(self) -> None:
        self.codes: dict[tuple[str, ...], int] = {}

    def encode(self, batch: Batch, columns: Sequence[str]) -> np.ndarray:
        if not columns:
            self.codes.setdefault((), 0)
            return np.zeros(batch.num_rows, dtype=np.int64)
        parts = [category_codes(batch.columns[c]) for c in columns]
        combined, _radix = combine_codes(parts, batch.num_rows)
        uniq, inverse = np.unique(combined, return_inverse=True)
        mapping = np.empty(len(uniq), dtype=np.int64)
        for i, code in enumerate(uniq.tolist()):
            labels: list[str] = []
            rest = code
            for codes_labels in reversed(parts):
                rest, j = divmod(rest, len(codes_labels[1]))
                labels.append(str(codes_labels[1][j]))
            mapping[i] = self.codes.setdefault(tuple(reversed(labels)), len(self.codes))
        return mapping[inverse]

    def labels(self) -> list[tuple[str, ...]]:
        return [k for k, _ in sorted(self.codes.items(), key=lambda kv: kv[1])]


@dataclass
class _Rows:
    """Customer rows as read (before merging into spells)."""

    ids: list[pa.Array] = field(default_factory=list)  # trimmed text
    start: list[np.ndarray] = field(default_factory=list)
    end: list[np.ndarray] = field(default_factory=list)
    mrr: list[np.ndarray] = field(default_factory=list)
    group: list[np.ndarray] = field(default_factory=list)


def _mrr_per_month(batch: Batch, col_mrr: str, decimal: str, col_quantity: str | None,
                   col_interval: str | None, scale: float) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """MRR per row: Stripe's Amount is per Interval and per unit (MRR = amount x quantity / months);
    Chargebee's ``mrr`` is in cents (``scale`` 0.01)."""
    mrr, bad = amounts_of(batch.columns[col_mrr], decimal)
    mrr = mrr * scale
    if col_quantity:
        quantity, _bad = amounts_of(batch.columns[col_quantity], ".")
        mrr = mrr * np.where(np.isnan(quantity), 1.0, quantity)
    if col_interval:
        interval = pc.utf8_lower(batch.columns[col_interval].cast(pa.string()))
        months = pc.fill_null(
            pc.if_else(
                pc.equal(interval, "year"),
                12.0,
                pc.if_else(
                    pc.equal(interval, "week"),
                    12.0 / 52.0,
                    pc.if_else(pc.equal(interval, "day"), 12.0 / 365.25, 1.0),
                ),
            ),
            1.0,
        )
        mrr = mrr / np.asarray(months.to_numpy(zero_copy_only=False), dtype=np.float64)
    return mrr, bad


def _read(
    request: CrmRequest, src: Source, groups: GroupCodes, rows: _Rows, warnings: list[str]
) -> tuple[bool, bool]:
    """Read one customer source into ``rows``; returns (has an end column, has an MRR column)."""
    m = request.customers_map
    t = src.table
    col_id, col_start = (role(src, "customers", m, r) for r in ("id", "start"))
    col_end = role(src, "customers", m, "end", required=False)
    col_mrr = role(src, "customers", m, "mrr", required=False)
    by_cols = [t.resolve(b) for b in request.by]
    assert col_id and col_start
    wanted = {col_id: ColumnKind.TEXT, col_start: ColumnKind.DATE}
    if col_end:
        wanted[col_end] = ColumnKind.DATE
    wanted.update({b: ColumnKind.CATEGORY for b in by_cols})
    lowered = {c.casefold(): c for c in t.columns}
    per_interval = src.preset == "stripe-subscriptions" and col_mrr is not None
    col_interval = lowered.get("interval") if per_interval else None
    col_quantity = lowered.get("quantity") if per_interval else None
    scale = 0.01 if src.preset == "chargebee" else 1.0
    for extra in (col_mrr, col_interval, col_quantity):
        if extra:
            wanted[extra] = ColumnKind.TEXT
    decimal = guess_decimal(t.sample_values(col_mrr)) if col_mrr else "."
    tallies = {k: Tally() for k in ("no_id", "no_start", "bad_end", "end_before_start", "bad_mrr")}

    def step(acc: _Rows, batch: Batch) -> None:
        idt = pc.utf8_trim_whitespace(batch.columns[col_id].cast(pa.string()))
        no_id = np.asarray(pc.fill_null(pc.equal(idt, ""), True).to_numpy(zero_copy_only=False), dtype=bool)
        start = days_of(batch.columns[col_start])
        end = days_of(batch.columns[col_end]) if col_end else np.full(batch.num_rows, NO_END)
        no_start = start == NO_END
        bad_end = batch.bad_dates.get(col_end or "", np.zeros(batch.num_rows, dtype=bool))
        backwards = (end < start) & ~no_start
        tallies["no_id"].add(batch, no_id)
        tallies["no_start"].add(batch, no_start & ~no_id)
        tallies["bad_end"].add(batch, bad_end & ~no_id & ~no_start)
        tallies["end_before_start"].add(batch, backwards & ~no_id & ~bad_end)
        keep = ~(no_id | no_start | bad_end | backwards)
        mrr = np.full(batch.num_rows, math.nan)
        if col_mrr:
            mrr, bad = _mrr_per_month(batch, col_mrr, decimal, col_quantity, col_interval, scale)
            tallies["bad_mrr"].add(batch, bad & keep)
        group = groups.encode(batch, by_cols)
        acc.ids.append(idt.filter(pa.array(keep)))
        acc.start.append(start[keep])
        acc.end.append(end[keep])
        acc.mrr.append(mrr[keep])
        acc.group.append(group[keep])

    def new() -> _Rows:
        for tally in tallies.values():
            tally.reset()
        return _Rows()

    part: _Rows = scan(t, wanted, new, step)
    for name in ("ids", "start", "end", "mrr", "group"):
        getattr(rows, name).extend(getattr(part, name))
    warnings.extend(t.warnings)
    note = t.filter_note()
    if note:
        warnings.append(Note(note))
    messages = {
        "no_id": "have no customer id",
        "no_start": f"have no readable start date in {col_start!r}",
        "bad_end": f"have an end date in {col_end!r} that cannot be read",
        "end_before_start": "end before they start",
        "bad_mrr": f"have an MRR in {col_mrr!r} that is not an amount (MRR left blank)",
    }
    for key, tally in tallies.items():
        if tally.count:
            left = "" if key == "bad_mrr" else "; left out"
            warnings.append(
                f"{t.display}: {plural(tally.count, 'customer row')} {messages[key]}{left} ({tally.where()})"
            )
    return col_end is not None, col_mrr is not None


def load_customers(request: CrmRequest, cut: int) -> Customers:
    """Read the customer file(s) as of day ``cut``: id, start, end, optional MRR and the segment columns;
    rows of the same id merged into spells (see the module's docstring)."""
    if not request.customers:
        raise UsageError(
            "no customer file given", "pass it as CUSTOMERS, or name inputs.customers in the config"
        )
    groups = GroupCodes()
    rows = _Rows()
    warnings: list[str] = []
    notes: list[str] = []
    has_end = has_mrr = False
    for src in request.customers:
        end_col, mrr_col = _read(request, src, groups, rows, warnings)
        has_end, has_mrr = has_end or end_col, has_mrr or mrr_col
        if not end_col:
            notes.append(
                f"{src.table.display}: no end (churn) date column; every customer is taken as active"
                + (
                    ", churn from inactivity"
                    if request.customers_map.inactive_after_days
                    else ", churn is not reported"
                )
            )
    ids = pa.concat_arrays(rows.ids) if rows.ids else pa.array([], type=pa.string())
    start = np.concatenate(rows.start) if rows.start else np.array([], dtype=np.int64)
    end = np.concatenate(rows.end) if rows.end else np.array([], dtype=np.int64)
    mrr = np.concatenate(rows.mrr) if rows.mrr else np.array([])
    group = np.concatenate(rows.group) if rows.group else np.array([], dtype=np.int64)
    future = start > cut
    if future.any():
        notes.append(
            f"{plural(int(future.sum()), 'customer row')} with a start after {day_date(cut)}: not counted yet"
        )
    start, end, mrr, group = (a[~future] for a in (start, end, mrr, group))
    ids = ids.filter(pa.array(~future))
    scheduled = (end > cut) & (end != NO_END)
    if scheduled.any():
        notes.append(
            f"{plural(int(scheduled.sum()), 'customer row')} with an end date after {day_date(cut)} (a scheduled "
            "cancellation, or later churn): active then, not churned"
        )
        end = np.where(scheduled, NO_END, end)
    if len(ids) == 0:
        raise DataError("no usable customers in the customer file", "check the id and start date columns")
    labels = groups.labels()
    order = sorted(range(len(labels)), key=lambda i: [(s == BLANK_LABEL, s) for s in labels[i]])
    remap = np.empty(len(labels), dtype=np.int64)
    remap[order] = np.arange(len(labels))
    customers = _spells(ids, start, end, mrr, remap[group], request.customers_map.reactivation_days, notes)
    customers.labels = [labels[i] for i in order]
    customers.has_end = has_end
    if not has_mrr:
        customers.mrr = None
    customers.warnings = warnings
    return customers


def _spells(ids: pa.Array, start: np.ndarray, end: np.ndarray, mrr: np.ndarray, group: np.ndarray,
            gap: int, notes: list[str]) -> Customers:  # fmt: skip
    """Merge rows of the same id whose intervals touch (within ``gap`` days) into spells."""
    text = ids.cast(pa.string())
    n = len(text)
    if n > 1 and text.null_count == 0 and pc.all(pc.less(text.slice(0, n - 1), text.slice(1))).as_py():
        # ids in increasing order (exports sorted by id): each one differs from the next, so they are
        # distinct as they are; hashing 1M ids for the same answer takes 0.24-0.45 s, this check 5 ms
        codes, uniques = np.arange(n, dtype=np.int64), text
    else:
        encoded = text.dictionary_encode()  # the distinct ids in order of first appearance
        codes = np.asarray(encoded.indices.to_numpy(zero_copy_only=False), dtype=np.int64)
        uniques = encoded.dictionary
    if len(uniques) == n:  # one row per customer (codes are 0, 1, 2, ...): every row is its own spell
        continues = np.zeros(n, dtype=bool)
    else:
        order = np.lexsort((start, codes))
        codes, start, end, mrr, group = codes[order], start[order], end[order], mrr[order], group[order]
        new_id = np.r_[True, codes[1:] != codes[:-1]]
        # running max of the end within each id: a row continues the spell when it starts by then (+ gap)
        reach = pd.Series(end).groupby(codes).cummax().to_numpy()
        prev_reach = np.r_[NO_END, reach[:-1]]
        continues = ~new_id & (start <= np.where(prev_reach == NO_END, NO_END, prev_reach + gap))
    spell_of_row = np.cumsum(~continues) - 1
    n_spells = int(spell_of_row[-1]) + 1 if n else 0
    first_row = np.flatnonzero(~continues)
    spell_start = start[first_row]
    spell_end = np.full(n_spells, np.int64(0))
    np.maximum.at(spell_end, spell_of_row, end)
    spell_id = codes[first_row]
    last_row = np.r_[first_row[1:] - 1, n - 1] if n else first_row
    spell_mrr = mrr[last_row]  # the plan in force at the spell's latest row
    merged = n - n_spells
    returned = n_spells - len(uniques)
    if merged:
        notes.append(
            f"{plural(merged, 'customer row')} merged into an earlier row of the same customer that it "
            "continues (a plan change or renewal): one customer, not a churn and a new one"
        )
    if returned:
        notes.append(
            f"{plural(returned, 'customer')} came back after a gap: churned at the end of one interval, "
            "new at the start of the next"
        )
    changes = np.zeros(n_spells, dtype=bool)
    np.logical_or.at(changes, spell_of_row, group != group[first_row][spell_of_row])
    seg_rows = None
    if changes.any():
        seg_rows = (spell_of_row.astype(np.int64), start.astype(np.int64), group.astype(np.int64))
    first_spell = np.full(len(uniques), -1, dtype=np.int64)
    first_spell[spell_id[::-1]] = np.arange(n_spells)[::-1]
    return Customers(
        ids=uniques,
        first_spell=first_spell,
        spell_id=spell_id.astype(np.int64),
        start=spell_start.astype(np.int64),
        end=spell_end,
        mrr=spell_mrr,
        group=group[first_row].astype(np.int64),
        labels=[],
        notes=notes,
        seg_rows=seg_rows,
    )
