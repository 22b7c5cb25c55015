"""CRM economics: churn, retention, CLV, transaction and contract value, support cost and response time.

Customers are loaded whole (only the needed columns: id, start, end, MRR, segments) as numpy arrays, since
every churn figure needs the joint (start, end) of each customer. Transactions, contracts and tickets are
streamed and reduced to sums per (day, segment); response times are kept per ticket for exact medians.
Every metric is then computed from those arrays (see ``cxroi.metrics.churn`` and ``cxroi.metrics.clv``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from cxroi.config import ClvConfig, Config, ContractsMap, CustomersMap, Period, TicketsMap, TransactionsMap
from cxroi.errors import DataError, UsageError
from cxroi.io import Batch, ColumnKind, ReadOptions, TableSource
from cxroi.io.presets import PRESET_UNITS, find_column, recognise_preset
from cxroi.io.reader import scan
from cxroi.metrics.amounts import guess_decimal, parse_amounts, parse_durations
from cxroi.metrics.churn import NO_END, active_days, annualize, churn_counts, churn_rate
from cxroi.metrics.clv import clv_discounted, clv_simple, margin_per_year
from cxroi.metrics.periods import PERIODS_PER_YEAR, period_label, period_range
from cxroi.pipeline.common import Note, Tally
from cxroi.pipeline.customers import Customers, amounts_of, days_of, load_customers, plural
from cxroi.pipeline.inputs import open_input
from cxroi.pipeline.rowrules import DEFAULT_PAID, DEFAULT_WON, PAID_VALUES, WON_VALUES, FirstOfId, status_ok

EPOCH = date(1970, 1, 1)
_US_PER_DAY = 86_400_000_000
DAYS_PER_YEAR = 365.25


def day_number(d: date) -> int:
    return (d - EPOCH).days


def day_date(n: int) -> date:
    return EPOCH + timedelta(days=int(n))


@dataclass
class Source:
    """An input file and the preset that names its columns."""

    table: TableSource
    preset: str | None = None


@dataclass(frozen=True)
class CrmRequest:
    customers: Sequence[Source]
    customers_map: CustomersMap = field(default_factory=CustomersMap)
    transactions: Sequence[Source] = ()
    transactions_map: TransactionsMap = field(default_factory=TransactionsMap)
    contracts: Sequence[Source] = ()
    contracts_map: ContractsMap = field(default_factory=ContractsMap)
    tickets: Sequence[Source] = ()
    tickets_map: TicketsMap = field(default_factory=TicketsMap)
    period: Period = "quarter"
    by: tuple[str, ...] = ()
    from_: date | None = None
    to: date | None = None
    as_of: date | None = None
    strict: bool = False
    windows: tuple[tuple[int, int], ...] = ()  # [first day, day after last) to sum money per customer in
    latest_elsewhere: date | None = (
        None  # the latest date of the other inputs (survey), for the default as-of
    )


def role(src: Source, section: str, mapping: Any, role: str, required: bool = True) -> str | None:
    """The column of ``section.role`` in ``src``: the configured name, else recognised (preset, common names)."""
    return find_column(
        src.table,
        f"{section}.{role}",
        getattr(mapping, role, None),
        src.preset,
        required=required,
        key=f"crm.{section}.{role}",
    )


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


def _examples(column: pa.Array, mask: np.ndarray) -> list[str]:
    if not mask.any():
        return []
    values = pc.filter(column.cast(pa.string()), pa.array(mask)).unique().slice(0, 3).to_pylist()
    return [str(v) for v in values]


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
        examples = pc.filter(text, pa.array(unmatched)).slice(0, 3).to_pylist() if unmatched.any() else []
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

    def one(src: Source) -> None:
        t = src.table

        id_col, date_col, amount_col = (
            role(src, "transactions", m, r) for r in ("customer", "date", "amount")
        )
        cost_col = role(src, "transactions", m, "cost", required=False)
        known = src.preset in PAID_VALUES
        refunded_col = role(src, "transactions", m, "refunded", required=False) if known else None
        status_col = (
            role(src, "transactions", m, "status", required=bool(m.status)) if m.status or known else None
        )
        paid_values = m.paid_values or PAID_VALUES.get(src.preset or "", DEFAULT_PAID)
        row_id_col = role(src, "transactions", m, "id", required=bool(m.id)) if m.id or known else None
        assert id_col and date_col and amount_col
        wanted = {id_col: ColumnKind.TEXT, date_col: ColumnKind.DATE, amount_col: ColumnKind.TEXT}
        for extra in (cost_col, refunded_col, row_id_col):
            if extra:
                wanted[extra] = ColumnKind.TEXT
        if status_col:
            wanted[status_col] = ColumnKind.CATEGORY
        decimal = m.decimal or guess_decimal(t.sample_values(amount_col))
        linker = _Linker(customers, id_col, date_col, cut)
        bad_amount = Tally()
        not_paid = Tally()
        once = FirstOfId()
        sums = _PerCustomer(len(customers.start), request.windows)

        def new() -> list[Any]:  # also on a re-read (see io.reader.scan): start every count afresh
            linker.reset()
            bad_amount.reset()
            not_paid.reset()
            once.reset()
            sums.reset()
            return []

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
            if status_col:
                paid = status_ok(batch.columns[status_col], paid_values)
                not_paid.add(batch, keep & ~paid, _examples(batch.columns[status_col], keep & ~paid))
                keep = keep & paid
            if row_id_col:
                keep = once.first(batch.columns[row_id_col], keep)
            cost = np.zeros(batch.num_rows)
            if cost_col:
                c, _bad = parse_amounts(batch.columns[cost_col], decimal)
                cost = np.nan_to_num(np.asarray(c.to_numpy(zero_copy_only=False), dtype=float))
            revenue = _units(values[keep])
            measures = {
                "revenue": revenue,
                "sales": (values[keep] > 0).astype(float),
                "refunds": (values[keep] < 0).astype(float),
                "cost": _units(cost[keep]) if cost_col else np.zeros(int(keep.sum())),
            }
            acc.append(_reduce(day[keep], group[keep], measures, customers.k))
            sums.add(row[keep], day[keep], revenue)

        found: list[Any] = scan(t, wanted, new, step, LINKED_ROWS)
        parts.extend(found)
        per_customer.add_from(sums)
        warnings.extend(t.warnings)
        warnings.extend(linker.warnings(t.display, "transaction"))
        notes.extend(linker.notes(t.display, "transaction"))
        if bad_amount.count:
            warnings.append(
                f"{t.display}: {plural(bad_amount.count, 'amount')} in {amount_col!r} "
                f"{'is' if bad_amount.count == 1 else 'are'} not a number; left out ({bad_amount.where()})"
            )
        if not_paid.count:
            notes.append(
                f"{t.display}: {plural(not_paid.count, 'row')} with a status in {status_col!r} other than "
                f"{', '.join(paid_values)} (not paid; {not_paid.where()}); not revenue"
            )
        if once.duplicates:
            notes.append(
                f"{t.display}: {plural(once.duplicates, 'row')} repeat an id in {row_id_col!r} (line items or "
                "duplicates of one order or invoice); each id counted once"
            )

    for src in request.transactions:
        one(src)
    return Daily(
        _daily_frame(parts, ["revenue", "sales", "refunds", "cost"]),
        warnings=warnings,
        notes=notes,
        per_customer=per_customer,
    )


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
        id_col, date_col, value_col = (role(src, "contracts", m, r) for r in ("customer", "date", "value"))
        assert id_col and date_col and value_col
        known = src.preset in WON_VALUES
        status_col = (
            role(src, "contracts", m, "status", required=bool(m.status)) if m.status or known else None
        )
        won_values = m.won_values or WON_VALUES.get(src.preset or "", DEFAULT_WON)
        row_id_col = role(src, "contracts", m, "id", required=True) if m.id else None
        decimal = m.decimal or guess_decimal(t.sample_values(value_col))
        linker = _Linker(customers, id_col, date_col, cut)
        bad_value = Tally()
        not_won = Tally()
        once = FirstOfId()
        shared = Tally()  # HubSpot deals associated with several companies ("123;456")
        several_ids = src.preset == "hubspot-deals"

        def new() -> list[Any]:
            linker.reset()
            bad_value.reset()
            not_won.reset()
            once.reset()
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
            if status_col:
                won = status_ok(batch.columns[status_col], won_values)
                not_won.add(batch, keep & ~won, _examples(batch.columns[status_col], keep & ~won))
                keep = keep & won
            if row_id_col:
                keep = once.first(batch.columns[row_id_col], keep)
            acc.append(
                _reduce(
                    day[keep],
                    group[keep],
                    {"value": _units(values[keep]), "contracts": np.ones(int(keep.sum()))},
                    customers.k,
                )
            )

        wanted = {id_col: ColumnKind.TEXT, date_col: ColumnKind.DATE, value_col: ColumnKind.TEXT}
        for extra in (status_col, row_id_col):
            if extra:
                wanted[extra] = ColumnKind.TEXT
        found: list[Any] = scan(t, wanted, new, step, LINKED_ROWS)
        parts.extend(found)
        warnings.extend(t.warnings)
        warnings.extend(linker.warnings(t.display, "contract"))
        notes.extend(linker.notes(t.display, "contract"))
        if not_won.count:
            notes.append(
                f"{t.display}: {plural(not_won.count, 'contract row')} with a status in {status_col!r} other "
                f"than {', '.join(won_values)} (lost or open; {not_won.where()}); not contract value"
            )
        if once.duplicates:
            notes.append(
                f"{t.display}: {plural(once.duplicates, 'row')} repeat an id in {row_id_col!r}; counted once"
            )
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

        id_col, created_col = (role(src, "tickets", m, r) for r in ("customer", "created"))
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
        warnings.extend(t.warnings)
        warnings.extend(linker.warnings(t.display, "ticket"))
        notes.extend(linker.notes(t.display, "ticket"))
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


@dataclass
class CrmData:
    customers: Customers
    transactions: Daily | None
    contracts: Daily | None
    tickets: Daily | None
    as_of: date
    warnings: list[str]


def run_date() -> date:
    """The run's own date: the latest possible default "now" (tests pin it)."""
    return date.today()


def load(request: CrmRequest) -> CrmData:
    """Load every CRM input as of ``request.as_of`` (default: the latest date in the data that is not
    after the run's own date). Rows dated after it do not exist; ends after it are scheduled, not churn."""
    cut = day_number(request.as_of or run_date())
    customers = load_customers(request, cut)
    transactions = load_transactions(request, customers, cut)
    contracts = load_contracts(request, customers, cut)
    tickets = load_tickets(request, customers, cut)
    warnings = list(customers.warnings)
    for daily in (transactions, contracts, tickets):
        if daily is not None:
            warnings += daily.warnings
    problems = [w for w in warnings if not isinstance(w, Note)]
    if request.strict and problems:
        raise DataError(problems[0], "fix the data, or drop --strict to leave such rows out with a warning")
    if request.as_of is not None:
        as_of = request.as_of
    else:
        last = int(customers.start.max())
        ended = customers.end[customers.end != NO_END]
        if len(ended):
            last = max(last, int(ended.max()))
        for daily in (transactions, contracts, tickets):
            if daily is not None and len(daily.frame):
                last = max(last, int(daily.frame["day"].max()))
        if request.latest_elsewhere is not None:
            last = max(last, day_number(request.latest_elsewhere))
        as_of = day_date(min(last, cut))
    notes = list(customers.notes)
    for daily in (transactions, contracts, tickets):
        if daily is not None:
            notes += daily.notes
    inactive = request.customers_map.inactive_after_days
    if not customers.has_end and inactive and transactions is not None and transactions.last_day is not None:
        _churn_from_inactivity(customers, transactions.last_day, inactive, day_number(as_of), notes)
    return CrmData(customers, transactions, contracts, tickets, as_of, warnings + [Note(n) for n in notes])


def _churn_from_inactivity(
    customers: Customers, last_day: np.ndarray, days: int, as_of: int, notes: list[str]
) -> None:
    """Without end dates: a customer with no purchase for ``days`` days churned ``days`` after the last
    one (or after the start, when they never bought), if that is on or before the as-of day."""
    last = np.where(last_day >= 0, np.maximum(last_day, customers.start), customers.start)
    end = last + days
    churned = end <= as_of
    customers.end = np.where(churned, end, NO_END)
    customers.has_end = True
    notes.append(
        f"churn from inactivity: {plural(int(churned.sum()), 'customer')} without a purchase for {days} days "
        "count as churned that many days after their last purchase"
    )


def _segment_fields(by: Sequence[str], labels: tuple[str, ...]) -> dict[str, str]:
    return dict(zip(by, labels, strict=True))


def _sum_in(daily: Daily | None, column: str, ws: int, we: int, k: int) -> np.ndarray:
    """Per-group sum of ``column`` over days in [ws, we) (money back in currency units)."""
    if daily is None or daily.frame.empty:
        return np.zeros(k)
    f = daily.frame
    sel = f[(f["day"] >= ws) & (f["day"] < we)]
    total = np.bincount(
        sel["group"].to_numpy(dtype=np.int64), weights=sel[column].to_numpy(dtype=float), minlength=k
    )
    return total / MONEY_SCALE if column in MONEY else total


def _periods(data: CrmData, request: CrmRequest) -> list[tuple[int, int, int]]:
    first = request.from_ or day_date(int(data.customers.start.min()))
    last = request.to or data.as_of
    if last < first:
        raise UsageError(f"--to {last} is before --from {first}", "swap them")
    return period_range(day_number(first), day_number(last), request.period)


def _pct(x: float) -> float:
    return x * 100.0 if not math.isnan(x) else math.nan


def _div(a: float, b: float) -> float:
    return a / b if b else math.nan


NO_CHURN_NOTE = "no end dates: churn not known"


def _churn_base(
    request: CrmRequest, key: int, labels: tuple[str, ...], counts: Any, g: int, known: bool = True
) -> tuple[dict[str, Any], float]:
    """Period, segment fields and the four customer counts of group ``g``, and its churn rate."""
    rec: dict[str, Any] = {"period": period_label(key, request.period)}
    rec.update(_segment_fields(request.by, labels))
    rec.update(
        customers_start=int(counts.customers_start[g]),
        churned=int(counts.churned[g]) if known else None,
        new=int(counts.new[g]),
        customers_end=int(counts.customers_end[g]),
    )
    return rec, churn_rate(int(counts.churned[g]), int(counts.customers_start[g])) if known else math.nan


def churn_records(data: CrmData, request: CrmRequest) -> list[dict[str, Any]]:
    """One record per (period, segment): customers at start, churned, new, at end, churn %, retention %,
    annualised churn % (see ``cxroi.metrics.churn`` for the exact definitions)."""
    c = data.customers
    per_year = PERIODS_PER_YEAR[request.period]
    as_of_day = day_number(data.as_of)
    records: list[dict[str, Any]] = []
    for key, ps, pe in _periods(data, request):
        counts = churn_counts(c.start, c.end, ps, pe, c.group_at(ps), c.k)
        for g, labels in enumerate(c.labels):
            rec, rate = _churn_base(request, key, labels, counts, g, c.has_end)
            note = "no customers at the start" if counts.customers_start[g] == 0 else None
            rec.update(
                value=_pct(rate),
                retention=_pct(1.0 - rate),
                annualized=_pct(annualize(rate, per_year)),
                partial=pe - 1 > as_of_day,
                note=note if c.has_end else NO_CHURN_NOTE,
            )
            records.append(rec)
    return records


CHURN_FIELDS = [
    "customers_start",
    "churned",
    "new",
    "customers_end",
    "value",
    "retention",
    "annualized",
    "partial",
    "note",
]


@dataclass(frozen=True)
class ClvInputs:
    """Per segment, the inputs a CLV is computed from (annual, per customer)."""

    customers: np.ndarray  # active at the end of the window
    customer_years: np.ndarray
    annual_revenue: np.ndarray
    annual_cost_to_serve: np.ndarray
    annual_churn: np.ndarray  # fraction


def clv_inputs(data: CrmData, ws: int, we: int, years: float, overall: bool = False) -> ClvInputs:
    """Derive CLV inputs over [ws, we) (``years`` long): revenue and support cost per customer-year,
    and the churn of the customers there at the start of the window; per segment, or for all
    customers together with ``overall``."""
    c = data.customers
    groups, k = (np.zeros(len(c.start), dtype=np.int64), 1) if overall else (c.group_at(ws), c.k)

    def total(daily: Daily | None, column: str) -> np.ndarray:
        sums = _sum_in(daily, column, ws, we, c.k)
        return np.array([sums.sum()]) if overall else sums

    exposure = active_days(c.start, c.end, ws, we, groups, k) / DAYS_PER_YEAR
    counts = churn_counts(c.start, c.end, ws, we, groups, k)
    with np.errstate(divide="ignore", invalid="ignore"):
        churn = np.where(counts.customers_start > 0, counts.churned / counts.customers_start, np.nan)
        churn = 1.0 - (1.0 - churn) ** (1.0 / years)  # window churn -> per year
        if data.transactions is not None:
            revenue = total(data.transactions, "revenue") / exposure
        elif c.mrr is not None:
            active = (c.start < we) & (c.end >= we) & ~np.isnan(c.mrr)
            mrr_sum = np.bincount(groups[active], weights=c.mrr[active], minlength=k)
            revenue = 12.0 * mrr_sum / np.bincount(groups[active], minlength=k)
        else:
            revenue = np.full(k, np.nan)
        cost = total(data.tickets, "cost") / exposure
    return ClvInputs(counts.customers_end, exposure, revenue, np.nan_to_num(cost), churn)


def clv_fields(cfg: ClvConfig, revenue: float, cost: float, churn: float) -> dict[str, Any]:
    revenue = cfg.annual_revenue if cfg.annual_revenue is not None else revenue
    cost = cfg.annual_cost_to_serve if cfg.annual_cost_to_serve is not None else cost
    retention = cfg.retention if cfg.retention is not None else 1.0 - churn
    churn = 1.0 - retention
    margin = (
        cfg.annual_margin
        if cfg.annual_margin is not None
        else margin_per_year(revenue, cfg.gross_margin, cost)
    )
    return {
        "annual_revenue": revenue,
        "gross_margin": cfg.gross_margin,
        "annual_cost_to_serve": cost,
        "annual_margin": margin,
        "annual_churn": _pct(churn),
        "retention": _pct(retention),
        "discount_rate": cfg.discount_rate,
        "horizon_years": cfg.horizon,
        "lifespan_years": _div(1.0, churn) if churn > 0 else math.nan,
        "clv_simple": clv_simple(margin, churn),
        "clv": clv_discounted(margin, retention, cfg.discount_rate, cfg.horizon),
    }


def clv_records(
    data: CrmData, request: CrmRequest, cfg: ClvConfig, overall: bool = False
) -> list[dict[str, Any]]:
    """CLV per segment (or for all customers with ``overall``) from the 12 months ending ``as_of``
    (inputs overridable in ``cfg``)."""
    we = day_number(data.as_of) + 1
    ws = day_number(_year_before(data.as_of)) + 1
    inputs = clv_inputs(data, ws, we, 1.0, overall=overall)
    if not data.customers.has_end and cfg.retention is None:
        raise DataError(
            "CLV needs churn, and the customer file has no end (churn) dates",
            "set clv.retention (e.g. --retention 0.85), or crm.customers.inactive_after_days to count churn "
            "from inactivity",
        )
    if cfg.annual_margin is None and cfg.annual_revenue is None and np.isnan(inputs.annual_revenue).all():
        raise DataError(
            "CLV needs revenue: give a transactions file, an MRR column, or clv.annual_revenue/annual_margin",
            "e.g. --transactions invoices.csv, or --annual-margin 1200",
        )
    records: list[dict[str, Any]] = []
    for g, labels in enumerate([()] if overall else data.customers.labels):
        rec: dict[str, Any] = _segment_fields(() if overall else request.by, labels)
        rec.update(
            window_start=day_date(ws).isoformat(),
            window_end=data.as_of.isoformat(),
            customers=int(inputs.customers[g]),
            customer_years=float(inputs.customer_years[g]),
        )
        rec.update(
            clv_fields(
                cfg,
                float(inputs.annual_revenue[g]),
                float(inputs.annual_cost_to_serve[g]),
                float(inputs.annual_churn[g]),
            )
        )
        records.append(rec)
    return records


CLV_FIELDS = [
    "window_start",
    "window_end",
    "customers",
    "customer_years",
    "annual_revenue",
    "gross_margin",
    "annual_cost_to_serve",
    "annual_margin",
    "annual_churn",
    "retention",
    "discount_rate",
    "horizon_years",
    "lifespan_years",
    "clv_simple",
    "clv",
]


def _year_before(d: date) -> date:
    try:
        return d.replace(year=d.year - 1)
    except ValueError:  # 29 February
        return d.replace(year=d.year - 1, day=28)


def economics_records(data: CrmData, request: CrmRequest, cfg: ClvConfig) -> list[dict[str, Any]]:
    """The segment profile per (period, segment): churn, CLV, transaction and contract value, support
    cost and first response time. The segment with the highest churn in each period is flagged."""
    c = data.customers
    per_year = PERIODS_PER_YEAR[request.period]
    records: list[dict[str, Any]] = []
    tickets_rows = data.tickets.rows if data.tickets is not None else None
    for key, ps, pe in _periods(data, request):
        counts = churn_counts(c.start, c.end, ps, pe, c.group_at(ps), c.k)
        years = (pe - ps) / DAYS_PER_YEAR
        inputs = clv_inputs(data, ps, pe, years)
        revenue = _sum_in(data.transactions, "revenue", ps, pe, c.k)
        sales = _sum_in(data.transactions, "sales", ps, pe, c.k)
        signed = _sum_in(data.contracts, "value", ps, pe, c.k)
        tickets = _sum_in(data.tickets, "tickets", ps, pe, c.k)
        support = _sum_in(data.tickets, "cost", ps, pe, c.k)
        avg_customers = inputs.customer_years / years
        period_records = []
        for g, labels in enumerate(c.labels):
            rec, rate = _churn_base(request, key, labels, counts, g, c.has_end)
            rec.update(
                churn=_pct(rate),
                retention=_pct(1.0 - rate),
                annualized_churn=_pct(annualize(rate, per_year)),
            )
            if (c.has_end or cfg.retention is not None) and (
                data.transactions is not None or c.mrr is not None or cfg.annual_margin is not None
            ):
                fields = clv_fields(
                    cfg,
                    float(inputs.annual_revenue[g]),
                    float(inputs.annual_cost_to_serve[g]),
                    annualize(rate, per_year),
                )
                rec["clv"] = fields["clv"]
                rec["annual_margin"] = fields["annual_margin"]
            if data.transactions is not None:
                rec.update(
                    revenue=float(revenue[g]),
                    transactions=int(sales[g]),
                    avg_transaction=_div(float(revenue[g]), float(sales[g])),
                )
            if data.contracts is not None:
                rec.update(
                    contract_value=float(signed[g]),
                    avg_contract_value=_div(float(signed[g]), float(counts.new[g])),
                )
            if data.tickets is not None:
                frt = _frt(tickets_rows, ps, pe, g)
                rec.update(
                    tickets=int(tickets[g]),
                    support_cost=float(support[g]),
                    support_cost_per_customer=_div(float(support[g]), float(avg_customers[g])),
                    support_cost_per_ticket=_div(float(support[g]), float(tickets[g])),
                    frt_mean_hours=float(np.mean(frt)) if len(frt) else math.nan,
                    frt_median_hours=float(np.median(frt)) if len(frt) else math.nan,
                )
            period_records.append(rec)
        churns = [r["churn"] for r in period_records if not math.isnan(r["churn"])]
        top = max(churns) if churns and len(period_records) > 1 else None
        for rec in period_records:
            rec["highest_churn"] = top is not None and rec["churn"] == top
        records.extend(period_records)
    return records


def _frt(rows: pd.DataFrame | None, ps: int, pe: int, group: int) -> np.ndarray:
    if rows is None or rows.empty:
        return np.array([])
    chosen = rows[(rows["day"] >= ps) & (rows["day"] < pe) & (rows["group"] == group)]
    sel = np.asarray(chosen["hours"].to_numpy(), dtype=np.float64)
    out: np.ndarray = sel[~np.isnan(sel)]
    return out


ECONOMICS_FIELDS = [
    "customers_start",
    "churned",
    "new",
    "customers_end",
    "churn",
    "retention",
    "annualized_churn",
    "clv",
    "annual_margin",
    "revenue",
    "transactions",
    "avg_transaction",
    "contract_value",
    "avg_contract_value",
    "tickets",
    "support_cost",
    "support_cost_per_customer",
    "support_cost_per_ticket",
    "frt_mean_hours",
    "frt_median_hours",
    "highest_churn",
]


def fields_for(records: list[dict[str, Any]], lead: list[str], rest: list[str]) -> list[str]:
    present = {k for r in records for k in r}
    return [f for f in lead if f in present or not records] + [f for f in rest if f in present]


def _sources(
    config: Any, name: str, paths: Sequence[str] | None, flags: Any, preset: str | None
) -> list[Source]:
    """Open one CRM input (see ``pipeline.inputs``); each file gets the given preset, the config's, or the
    one its header row is recognised as."""
    spec = config.inputs.get(name)
    chosen = preset or (spec.preset if spec else None)
    sources = []
    for t in open_input(config, name, paths, flags):
        found = chosen or recognise_preset(t.columns)
        if found and not chosen:
            t.warnings.append(
                Note(f"{t.display}: recognised as a {found} export (--preset to choose another)")
            )
        sources.append(Source(t, found))
    return sources


def build_crm_request(
    config: Config,
    options: ReadOptions,
    *,
    customers: Sequence[str] | None = None,
    transactions: Sequence[str] | None = None,
    contracts: Sequence[str] | None = None,
    tickets: Sequence[str] | None = None,
    preset: str | None = None,
    period: str | None = None,
    by: Sequence[str] | None = None,
    start: str | None = None,
    end: str | None = None,
    id_col: str | None = None,
    from_: date | None = None,
    to: date | None = None,
    as_of: date | None = None,
    strict: bool | None = None,
    cost_per_ticket: float | None = None,
    need: tuple[str, ...] = ("customers",),
) -> CrmRequest:
    """Merge flags over the config's ``crm:`` section and open the inputs (flags win)."""
    crm = config.crm
    cmap = crm.customers.model_copy(
        update={k: v for k, v in {"id": id_col, "start": start, "end": end}.items() if v is not None}
    )
    tmap = crm.tickets
    if cost_per_ticket is not None:
        tmap = tmap.model_copy(update={"cost_per_ticket": cost_per_ticket})
    wanted = set(need)
    return CrmRequest(
        customers=_sources(config, cmap.input, customers, options, preset),
        customers_map=cmap,
        transactions=_sources(config, crm.transactions.input, transactions, options, None)
        if "transactions" in wanted
        else (),
        transactions_map=crm.transactions,
        contracts=_sources(config, crm.contracts.input, contracts, options, None)
        if "contracts" in wanted
        else (),
        contracts_map=crm.contracts,
        tickets=_sources(config, tmap.input, tickets, options, None) if "tickets" in wanted else (),
        tickets_map=tmap,
        period=period or crm.period,  # type: ignore[arg-type]
        by=tuple(by) if by else tuple(crm.by),
        from_=from_ or crm.from_,
        to=to or crm.to,
        as_of=as_of or crm.as_of,
        strict=crm.strict if strict is None else strict,
    )
