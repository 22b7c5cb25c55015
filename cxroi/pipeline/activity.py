"""Transactions, contracts and tickets: linked to their customer's spell on their own day and reduced to
sums per (day, segment); rows dated after the as-of day do not exist yet (counted in a note). Plain
transactions and contracts are linked and summed by DuckDB (``activity_duck``); the others are streamed
by cxroi's reader.
Response times are kept per ticket for exact medians; money per customer is kept for the link and the ROI.
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

from cxroi.io import Batch, ColumnKind
from cxroi.io.presets import PRESET_UNITS
from cxroi.io.reader import scan
from cxroi.metrics.amounts import guess_decimal, parse_amounts, parse_durations
from cxroi.metrics.churn import NO_END
from cxroi.pipeline.common import Tally
from cxroi.pipeline.customers import Customers, amounts_of, days_of, plural
from cxroi.pipeline.rowrules import DEFAULT_PAID, DEFAULT_WON, PAID_VALUES, WON_VALUES, RowRules
from cxroi.pipeline.sources import CrmRequest, Source, customer_role, day_date, role

# Transactions, contracts and tickets are linked to customers a million rows at a time: pyarrow's
# ``index_in`` hashes every customer id on each call, which costs about as much as a 1M-row lookup.
LINKED_ROWS = 1_000_000


class _PerCustomer:
    """Money per customer (in 1/10,000 units): over all dates, and within each requested window."""

    def __init__(self, n: int, windows: Sequence[tuple[int, int]]) -> None:
        self.n = n
        self.windows = tuple(windows)
        self.reset()

    def reset(self) -> None:
        self.total = np.zeros(self.n)
        self.in_window = [np.zeros(self.n) for _ in self.windows]
        self.last = np.full(self.n, -1, dtype=np.int64)  # day of each customer's latest row (-1: none)

    def add(self, row: np.ndarray, day: np.ndarray, units: np.ndarray) -> None:
        self.total += np.bincount(row, weights=units, minlength=self.n)
        np.maximum.at(self.last, row, day)
        for i, (ws, we) in enumerate(self.windows):
            inside = (day >= ws) & (day < we)
            self.in_window[i] += np.bincount(row[inside], weights=units[inside], minlength=self.n)

    def add_from(self, other: _PerCustomer) -> None:
        self.total += other.total
        np.maximum(self.last, other.last, out=self.last)
        for mine, theirs in zip(self.in_window, other.in_window, strict=True):
            mine += theirs

    def money(self, window: int | None = None) -> np.ndarray:
        """Per-customer amounts in currency units (``window`` = index into the requested windows)."""
        values = self.total if window is None else self.in_window[window]
        return values / MONEY_SCALE


@dataclass
class Daily:
    """Sums per (day, group) of a streamed input, plus per-row values where medians are needed."""

    frame: pd.DataFrame  # columns: day, group, and one per measure
    rows: pd.DataFrame | None = None  # per-row values (tickets: day, group, hours)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    per_customer: _PerCustomer | None = None  # money per customer (revenue or support cost)
    # with ``CrmRequest.purchases``: every kept transaction's spell, day and amount (1/10,000 units)
    purchases: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    @property
    def last_day(self) -> np.ndarray | None:
        return self.per_customer.last if self.per_customer is not None else None


def _reduce(
    day: np.ndarray, group: np.ndarray, measures: dict[str, np.ndarray], k: int
) -> dict[tuple[int, int], np.ndarray]:
    key = day * k + group
    if len(key) == 0:
        return {}
    low = int(key.min())
    span = int(key.max()) - low + 1
    if span <= 1 << 22:  # a few years of days x segments: count straight into slots, no sort
        slot = key - low
        present = np.flatnonzero(np.bincount(slot, minlength=span))
        sums = np.stack(
            [np.bincount(slot, weights=v, minlength=span)[present] for v in measures.values()], axis=1
        )
        uniq = present + low
    else:
        uniq, inverse = np.unique(key, return_inverse=True)
        sums = np.stack(
            [np.bincount(inverse, weights=v, minlength=len(uniq)) for v in measures.values()], axis=1
        )
    return {(int(u) // k, int(u) % k): sums[i] for i, u in enumerate(uniq.tolist())}


# Money is summed in whole units of 1/10,000: every partial sum is an integer below 2**53, so float64 adds
# it exactly and the totals do not depend on block size or row order. Divided back once, in ``_sum_in``.
MONEY_SCALE = 10_000.0
MONEY = {"revenue", "cost", "value"}


def _units(amounts: np.ndarray) -> np.ndarray:
    return np.round(amounts * MONEY_SCALE)


def _daily_frame(parts: list[dict[tuple[int, int], np.ndarray]], names: list[str]) -> pd.DataFrame:
    total: dict[tuple[int, int], np.ndarray] = {}
    for part in parts:
        for key, values in part.items():
            total[key] = total[key] + values if key in total else values
    rows = [(d, g, *v.tolist()) for (d, g), v in sorted(total.items())]
    return pd.DataFrame(rows, columns=["day", "group", *names])


class _Linker:
    """Per batch: customer spell, segment group and day of each row; tallies of what cannot be linked.

    Rows dated after ``cut`` (the as-of day) do not exist yet: left out and counted in ``later``."""

    def __init__(self, customers: Customers, id_col: str, date_col: str, cut: int) -> None:
        self.customers = customers
        self.id_col = id_col
        self.date_col = date_col
        self.cut = cut
        self.unmatched = Tally()
        self.no_id = Tally()
        self.no_date = Tally()
        self.later = Tally()

    def reset(self) -> None:
        for tally in (self.unmatched, self.no_id, self.no_date, self.later):
            tally.reset()

    def link(self, batch: Batch) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        raw = batch.columns[self.id_col]
        text = pc.utf8_trim_whitespace(raw.cast(pa.string()))
        blank = np.asarray(pc.fill_null(pc.equal(text, ""), True).to_numpy(zero_copy_only=False), dtype=bool)
        day = days_of(batch.columns[self.date_col])
        no_date = day == NO_END
        row = self.customers.lookup(text, trimmed=True, days=day)
        unmatched = (row < 0) & ~blank
        later = ~no_date & (day > self.cut)
        self.no_id.add(batch, blank)
        self.later.add(batch, later & ~blank)
        unmatched &= ~later
        examples = pc.unique(pc.filter(text, pa.array(unmatched))).slice(0, 3).to_pylist() if unmatched.any() else []
        self.unmatched.add(batch, unmatched, [str(e) for e in examples])
        self.no_date.add(batch, no_date & ~blank & ~unmatched)
        keep = ~(blank | unmatched | no_date | later)
        group = np.zeros(batch.num_rows, dtype=np.int64)
        hit = row >= 0
        group[hit] = self.customers.group_at(day[hit], row[hit])
        return keep, group, day, row

    def warnings(self, display: str, what: str) -> list[str]:
        out = []
        if self.unmatched.count:
            out.append(
                f"{display}: {plural(self.unmatched.count, what)} for customers not in the customer file; "
                f"left out ({self.unmatched.where()})"
            )
        if self.no_id.count:
            out.append(f"{display}: {plural(self.no_id.count, what)} without a customer id; left out")
        if self.no_date.count:
            out.append(
                f"{display}: {plural(self.no_date.count, what)} without a readable date; left out "
                f"({self.no_date.where()})"
            )
        return out

    def report(self, table: Any, what: str, warnings: list[str], notes: list[str]) -> None:
        """The file's own warnings (from sniffing), then what could not be linked, then what is later."""
        warnings.extend(table.warnings)
        note = table.filter_note()
        if note:
            notes.append(note)
        warnings.extend(self.warnings(table.display, what))
        notes.extend(self.notes(table.display, what))

    def notes(self, display: str, what: str) -> list[str]:
        if not self.later.count:
            return []
        return [
            f"{display}: {plural(self.later.count, what)} dated after {day_date(self.cut)}; not counted yet"
        ]


def load_transactions(request: CrmRequest, customers: Customers, cut: int) -> Daily | None:
    """Revenue (refunds negative), number of sales (amount > 0) and cost per (day, segment)."""
    if not request.transactions:
        return None
    m = request.transactions_map
    parts: list[dict[tuple[int, int], np.ndarray]] = []
    warnings: list[str] = []
    notes: list[str] = []
    per_customer = _PerCustomer(len(customers.start), request.windows)
    bought: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []

    def one(src: Source) -> None:
        t = src.table
        mine: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []

        id_col, chosen = customer_role(src, "transactions", m, customers.ids)
        notes.extend([chosen] if chosen else [])
        date_col, amount_col = (role(src, "transactions", m, r) for r in ("date", "amount"))
        cost_col = role(src, "transactions", m, "cost", required=False)
        known = src.preset in PAID_VALUES
        refunded_col = role(src, "transactions", m, "refunded", required=False) if known else None
        status_col = (
            role(src, "transactions", m, "status", required=bool(m.status)) if m.status or known else None
        )
        row_id_col = role(src, "transactions", m, "id", required=bool(m.id)) if m.id or known else None
        paid_values = m.paid_values or PAID_VALUES.get(src.preset or "", DEFAULT_PAID)
        rules = RowRules(status_col, paid_values, row_id_col, "revenue")
        assert id_col and date_col and amount_col
        wanted = {id_col: ColumnKind.TEXT, date_col: ColumnKind.DATE, amount_col: ColumnKind.TEXT}
        for extra in (cost_col, refunded_col, *rules.columns):
            if extra:
                wanted[extra] = ColumnKind.TEXT
        decimal = m.decimal or guess_decimal(t.sample_values(amount_col))
        linker = _Linker(customers, id_col, date_col, cut)
        bad_amount = Tally()
        sums = _PerCustomer(len(customers.start), request.windows)

        def new() -> list[Any]:  # also on a re-read (see io.reader.scan): start every count afresh
            linker.reset()
            bad_amount.reset()
            rules.reset()
            sums.reset()
            mine.clear()
            return []

        def absorb(acc: list[Any], keep: np.ndarray, group: np.ndarray, day: np.ndarray, row: np.ndarray,
                   values: np.ndarray, cost: np.ndarray | None = None) -> None:  # fmt: skip
            revenue = _units(values[keep])
            measures = {
                "revenue": revenue,
                "sales": (values[keep] > 0).astype(float),
                "refunds": (values[keep] < 0).astype(float),
                "cost": _units(cost[keep]) if cost is not None else np.zeros(int(keep.sum())),
            }
            acc.append(_reduce(day[keep], group[keep], measures, customers.k))
            sums.add(row[keep], day[keep], revenue)
            if request.purchases:
                mine.append((row[keep], day[keep], revenue))

        def step(acc: list[Any], batch: Batch) -> None:
            keep, group, day, row = linker.link(batch)
            values, bad = amounts_of(batch.columns[amount_col], decimal)
            bad_amount.add(batch, bad & keep)
            keep = keep & ~np.isnan(values)
            if refunded_col:
                refunded, _ = parse_amounts(batch.columns[refunded_col], decimal)
                values = values - np.nan_to_num(
                    np.asarray(refunded.to_numpy(zero_copy_only=False), dtype=float)
                )
            keep = rules.apply(batch, keep)
            cost = None
            if cost_col:
                c, _bad = parse_amounts(batch.columns[cost_col], decimal)
                cost = np.nan_to_num(np.asarray(c.to_numpy(zero_copy_only=False), dtype=float))
            absorb(acc, keep, group, day, row, values, cost)

        found: list[Any] | None = None
        plain = not (cost_col or refunded_col or rules.columns or request.purchases) and decimal == "."
        if request.engine != "reader" and plain:
            new()
            found = _linked_by_duckdb(request, src, customers, cut, (id_col, date_col, amount_col), linker, sums)
        if found is None:
            found = scan(t, wanted, new, step, LINKED_ROWS)
        bought.extend(mine)
        parts.extend(found)
        per_customer.add_from(sums)
        linker.report(t, "transaction", warnings, notes)
        if bad_amount.count:
            warnings.append(
                f"{t.display}: {plural(bad_amount.count, 'amount')} in {amount_col!r} "
                f"{'is' if bad_amount.count == 1 else 'are'} not a number; left out ({bad_amount.where()})"
            )
        notes.extend(rules.notes(t.display))

    for src in request.transactions:
        one(src)
    return Daily(
        _daily_frame(parts, ["revenue", "sales", "refunds", "cost"]),
        warnings=warnings,
        notes=notes,
        # without request.per_customer the DuckDB path sums the last days only, where churn needs them
        per_customer=per_customer if request.per_customer or request.windows or not customers.has_end else None,
        purchases=_concat(bought) if request.purchases else None,
    )


def _linked_by_duckdb(request: CrmRequest, src: Source, customers: Customers, cut: int,
                      cols: tuple[str, str, str], linker: _Linker, sums: _PerCustomer | None,
                      measures: tuple[str, ...] = ("revenue", "sales", "refunds", "cost")) -> list[Any] | None:  # fmt: skip
    """The rows linked, checked and summed by DuckDB (``cxroi.pipeline.activity_duck``): the sums per
    (day, group), with ``sums`` (money per customer) and the linker's tallies filled in; None (and ``-v``
    says why) when cxroi's reader must read them."""
    from cxroi.pipeline.activity_duck import linked_sums, plain_case

    t = src.table
    resolved = dict(zip(("id", "date", "amount"), cols, strict=True))
    why = plain_case(customers, t, resolved)
    queries: list[str] = []
    if why is None:
        # money per customer: for the link and the ROI's windows, and the last day for churn by inactivity
        per_customer = sums is not None and (request.per_customer or bool(sums.windows) or not customers.has_end)
        windows = sums.windows if sums is not None else ()
        found = linked_sums(t, customers, cut, resolved, request.engine_settings, windows, queries, per_customer,
                            measures)  # fmt: skip
        if found is not None:
            linker.no_id, linker.unmatched = found.tallies["no_id"], found.tallies["unmatched"]
            linker.no_date, linker.later = found.tallies["no_date"], found.tallies["later"]
            if sums is not None:
                sums.total[found.spells] += found.total
                np.maximum.at(sums.last, found.spells, found.last)
                for mine, theirs in zip(sums.in_window, found.in_window, strict=True):
                    mine[found.spells] += theirs
            request.paths.append(f"{t.display}: linked and summed by DuckDB, {len(queries)} queries; "
                                 f"first: {queries[0]}")  # fmt: skip
            return [found.daily]
        why = "a value that might read otherwise with cxroi's reader, or rows DuckDB's strict mode refuses"
    request.paths.append(f"{t.display}: read by cxroi's reader ({why})")
    return None


def _concat(parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if not parts:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0)
    return tuple(np.concatenate([p[i] for p in parts]) for i in range(3))  # type: ignore[return-value]


def load_contracts(request: CrmRequest, customers: Customers, cut: int) -> Daily | None:
    """Value and number of contracts signed per (day, segment)."""
    if not request.contracts:
        return None
    m = request.contracts_map
    parts: list[dict[tuple[int, int], np.ndarray]] = []
    warnings: list[str] = []
    notes: list[str] = []

    def one(src: Source) -> None:
        t = src.table
        id_col, chosen = customer_role(src, "contracts", m, customers.ids)
        notes.extend([chosen] if chosen else [])
        date_col, value_col = (role(src, "contracts", m, r) for r in ("date", "value"))
        assert id_col and date_col and value_col
        known = src.preset in WON_VALUES
        status_col = (
            role(src, "contracts", m, "status", required=bool(m.status)) if m.status or known else None
        )
        won_values = m.won_values or WON_VALUES.get(src.preset or "", DEFAULT_WON)
        row_id_col = role(src, "contracts", m, "id", required=True) if m.id else None
        rules = RowRules(status_col, won_values, row_id_col, "contract value")
        decimal = m.decimal or guess_decimal(t.sample_values(value_col))
        linker = _Linker(customers, id_col, date_col, cut)
        bad_value = Tally()
        shared = Tally()  # HubSpot deals associated with several companies ("123;456")
        several_ids = src.preset == "hubspot-deals"

        def new() -> list[Any]:
            linker.reset()
            bad_value.reset()
            rules.reset()
            shared.reset()
            return []

        def step(acc: list[Any], batch: Batch) -> None:
            if several_ids:  # credit the deal to its first company, and say how many had several
                ids = batch.columns[id_col].cast(pa.string())
                many = pc.fill_null(pc.match_substring(ids, ";"), False)
                shared.add(batch, np.asarray(many.to_numpy(zero_copy_only=False), dtype=bool))
                batch.columns[id_col] = pc.list_element(pc.split_pattern(ids, ";"), 0)
            keep, group, day, _row = linker.link(batch)
            values, bad = amounts_of(batch.columns[value_col], decimal)
            bad_value.add(batch, bad & keep)
            keep = keep & ~np.isnan(values)
            keep = rules.apply(batch, keep)
            acc.append(
                _reduce(
                    day[keep],
                    group[keep],
                    {"value": _units(values[keep]), "contracts": np.ones(int(keep.sum()))},
                    customers.k,
                )
            )

        wanted = {id_col: ColumnKind.TEXT, date_col: ColumnKind.DATE, value_col: ColumnKind.TEXT}
        wanted.update({c: ColumnKind.TEXT for c in rules.columns})
        found: list[Any] | None = None
        if request.engine != "reader" and not (rules.columns or several_ids) and decimal == ".":
            new()
            found = _linked_by_duckdb(request, src, customers, cut, (id_col, date_col, value_col), linker, None,
                                      ("value", "contracts"))  # fmt: skip
        if found is None:
            found = scan(t, wanted, new, step, LINKED_ROWS)
        parts.extend(found)
        linker.report(t, "contract", warnings, notes)
        notes.extend(rules.notes(t.display))
        if shared.count:
            warnings.append(
                f"{t.display}: {plural(shared.count, 'deal')} associated with several companies; each is "
                f"credited to its first company ({shared.where()})"
            )
        if bad_value.count:
            warnings.append(
                f"{t.display}: {plural(bad_value.count, 'contract value')} not a number; left out "
                f"({bad_value.where()})"
            )

    for src in request.contracts:
        one(src)
    return Daily(_daily_frame(parts, ["value", "contracts"]), warnings=warnings, notes=notes)


def load_tickets(request: CrmRequest, customers: Customers, cut: int) -> Daily | None:
    """Tickets and support cost per (day, segment); first response time (hours) per ticket."""
    if not request.tickets:
        return None
    m = request.tickets_map
    parts: list[dict[tuple[int, int], np.ndarray]] = []
    rows: list[pd.DataFrame] = []
    per_customer = _PerCustomer(len(customers.start), request.windows)
    warnings: list[str] = []
    notes: list[str] = []

    def one(src: Source) -> None:
        t = src.table

        id_col, chosen = customer_role(src, "tickets", m, customers.ids)
        notes.extend([chosen] if chosen else [])
        created_col = role(src, "tickets", m, "created")
        at_col, dur_col, cost_col = (
            role(src, "tickets", m, r, required=False)
            for r in ("first_response_at", "first_response", "cost")
        )
        assert id_col and created_col
        unit = m.first_response_unit or PRESET_UNITS.get(src.preset or "", "minutes")
        wanted: dict[str, ColumnKind] = {id_col: ColumnKind.TEXT, created_col: ColumnKind.DATE}
        if dur_col:
            wanted[dur_col] = ColumnKind.TEXT
        if at_col:
            wanted[at_col] = ColumnKind.DATE
        if cost_col:
            wanted[cost_col] = ColumnKind.TEXT
        linker = _Linker(customers, id_col, created_col, cut)
        bad_frt = Tally()
        sums = _PerCustomer(len(customers.start), request.windows)

        def new() -> list[Any]:
            linker.reset()
            bad_frt.reset()
            sums.reset()
            return []

        def step(acc: list[Any], batch: Batch) -> None:
            keep, group, day, row = linker.link(batch)
            hours = np.full(batch.num_rows, math.nan)
            if dur_col:
                h, bad = parse_durations(batch.columns[dur_col], unit)
                hours = np.asarray(pc.fill_null(h, math.nan).to_numpy(zero_copy_only=False), dtype=np.float64)
                bad_frt.add(batch, bad & keep)
            if at_col and (not dur_col or np.isnan(hours).any()):
                created = batch.columns[created_col].cast(pa.timestamp("us")).cast(pa.int64())
                first = batch.columns[at_col].cast(pa.timestamp("us")).cast(pa.int64())
                diff = pc.divide(pc.subtract(first, created).cast(pa.float64()), 3_600_000_000.0)
                from_ts = np.array(
                    pc.fill_null(diff, math.nan).to_numpy(zero_copy_only=False), dtype=np.float64
                )
                negative = from_ts < 0
                bad_frt.add(batch, negative & keep)
                from_ts[negative] = math.nan
                hours = np.where(np.isnan(hours), from_ts, hours)
            # a response after the as-of day has not happened yet
            created_us = batch.columns[created_col].cast(pa.timestamp("us")).cast(pa.int64())
            created_h = (
                np.asarray(pc.fill_null(created_us, 0).to_numpy(zero_copy_only=False)) / 3_600_000_000.0
            )
            hours = np.where(created_h + hours >= (cut + 1) * 24.0, math.nan, hours)
            cost = np.full(batch.num_rows, m.cost_per_ticket if m.cost_per_ticket is not None else 0.0)
            if cost_col:
                c, _bad = parse_amounts(batch.columns[cost_col], m.decimal or ".")
                given = np.asarray(pc.fill_null(c, math.nan).to_numpy(zero_copy_only=False), dtype=np.float64)
                cost = np.where(np.isnan(given), cost, given)
            acc.append(
                (
                    _reduce(
                        day[keep],
                        group[keep],
                        {"tickets": np.ones(int(keep.sum())), "cost": _units(cost[keep])},
                        customers.k,
                    ),
                    pd.DataFrame(
                        {"day": day[keep], "group": group[keep], "row": row[keep], "hours": hours[keep]}
                    ),
                )
            )
            sums.add(row[keep], day[keep], _units(cost[keep]))

        for reduced, frame in scan(t, wanted, new, step, LINKED_ROWS):
            parts.append(reduced)
            rows.append(frame)
        per_customer.add_from(sums)
        linker.report(t, "ticket", warnings, notes)
        if bad_frt.count:
            warnings.append(
                f"{t.display}: {plural(bad_frt.count, 'first response time')} could not be read or "
                f"come before the ticket; left out of response times ({bad_frt.where()})"
            )
        if not cost_col and m.cost_per_ticket is None:
            warnings.append(
                f"{t.display}: no ticket cost column and no crm.tickets.cost_per_ticket; support cost is 0"
            )

    for src in request.tickets:
        one(src)
    return Daily(
        _daily_frame(parts, ["tickets", "cost"]),
        rows=pd.concat(rows, ignore_index=True) if rows else None,
        warnings=warnings,
        notes=notes,
        per_customer=per_customer,
    )
