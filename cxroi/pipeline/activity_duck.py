"""Transactions and contracts read, linked to their customer, checked and reduced inside DuckDB.

One ``read_csv`` (or ``read_parquet``) query, in one scan, trims each customer id, reads the date and the
amount, joins the id to the customers (a hash join against the ids loaded once) and sums the amounts (in
integer 1/10,000 units, exact in DuckDB's HUGEINT, as the reader's float64 sums are below 2**53) by GROUPING
SETS of (kind of row, day, segment group) and, only when they are needed, (kind, customer spell). The row
numbers of the rows that cannot be used are fetched by a targeted query only when there are any.

It serves the plain case, and ``-v`` says when it does not: no status, refund, cost or row-id column, a
point as the decimal mark, customers that keep one segment and one spell, no per-transaction rows kept for
the per-customer models. It gives way to cxroi's reader (returns None) whenever a value might read
otherwise there: an amount that is not a plain number (``1,250.00``, ``$12``, ``(3)``, or 10^11 and more),
an unknown id with a tab, a line break or another character at its edge that the reader's trim takes
off and DuckDB's does not (DuckDB's takes off the Unicode space separators only), or a file
DuckDB's strict CSV mode refuses (a row with the wrong number of fields, which the reader skips, or a quote
that never closes).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from cxroi.io.reader import TableSource
from cxroi.pipeline.common import MAX_ROWS_SHOWN, Tally
from cxroi.pipeline.customers import Customers

# the characters pyarrow's utf8_trim_whitespace (the reader's trim) removes from the ends of a text
UNICODE_SPACES = "".join(
    chr(c)
    for c in (9, 10, 11, 12, 13, 0x1C, 0x1D, 0x1E, 0x1F, 0x20, 0x85, 0xA0, 0x1680, *range(0x2000, 0x200B),
              0x2028, 0x2029, 0x202F, 0x205F, 0x3000)
)  # fmt: skip
# an amount both readers read to the same float: digits, an optional point and digits, an optional minus
PLAIN_AMOUNT = r"-?[0-9]+(\.[0-9]+)?"
# the kinds of rows, in the precedence of the reader's linker (``activity._Linker.link``); ODD: read there
KEPT, NO_ID, LATER, UNMATCHED, NO_DATE, NO_AMOUNT, ODD = range(7)
# the sums per (day, group): money in units of 1/10,000 (exact in a HUGEINT), counts of kept rows
MEASURES = {
    "revenue": "CAST(sum(units) AS DOUBLE)",
    "value": "CAST(sum(units) AS DOUBLE)",
    "sales": "count_if(value > 0)",
    "refunds": "count_if(value < 0)",
    "contracts": "count(*)",
    "cost": "0",
}


@dataclass
class Linked:
    """What the transactions add up to: sums per (day, group) as ``activity._reduce`` gives them, sums per
    customer spell, and the tallies of the rows left out."""

    daily: dict[tuple[int, int], np.ndarray]  # (day, group) -> the measures asked for
    spells: np.ndarray  # the spells with kept rows
    total: np.ndarray  # per spell in ``spells``: money units
    last: np.ndarray  # per spell in ``spells``: the day of its latest row
    in_window: list[np.ndarray]  # per requested window, per spell in ``spells``: money units
    tallies: dict[str, Tally]  # no_id, unmatched, no_date, later


def plain_case(customers: Customers, source: TableSource, resolved: dict[str, str]) -> str | None:
    """Why DuckDB cannot link this file's rows as the reader does (None: it can)."""
    from cxroi.engine.duckdb_scores import unsupported

    if len(customers.start) != len(customers.first_spell) or customers.seg_rows is not None:
        return "customers with several spells or segments"
    if getattr(source, "db", None) is not None:
        return "a database table"
    return unsupported(source, resolved)


def linked_sums(
    source: TableSource,
    customers: Customers,
    cut: int,
    resolved: dict[str, str],
    settings: Any,
    windows: tuple[tuple[int, int], ...],
    queries: list[str],
    per_customer: bool = True,
    measures: tuple[str, ...] = ("revenue", "sales", "refunds", "cost"),
) -> Linked | None:
    """The transactions of ``source`` (columns ``resolved`` by role: id, date, amount or value) linked to their
    customer and summed, with the tallies of the rows that cannot be used as the reader's linker counts
    them (rows dated after ``cut`` are later); the sums per spell only with ``per_customer``; ``measures``
    (names in ``MEASURES``) in the order ``activity._reduce`` gives them. None: the reader must read the
    file (module docstring)."""
    from cxroi.engine import duckdb_module
    from cxroi.engine.duckdb_scores import DuckScores

    duckdb = duckdb_module()
    duck = DuckScores(source, resolved, None, settings, strict=True)
    try:
        spell = customers.first_spell
        ids = pa.table({"id": customers.ids.cast(pa.string()), "r": pa.array(spell),
                        "g": pa.array(customers.group[spell])})  # fmt: skip
        duck.con.register("ids_arrow", ids)
        duck.con.execute("CREATE TABLE ids AS SELECT * FROM ids_arrow")
        duck.con.unregister("ids_arrow")
        # DuckDB cannot estimate a CSV's rows and would build the join's hash table on the 10M transactions
        # (a RIGHT join: 1.0 GB against 0.48 GB, and slower); the customers' ids are the build side
        duck.con.execute("SET disabled_optimizers = 'build_side_probe_side'")
        cid, camt = (duck.columns[resolved[r]] for r in ("id", "amount"))
        rows = _rows_sql(duck, duck.base, cid, camt, cut)
        queries.append(rows)
        sets = "(kind, day, g), (kind, r)" if per_customer else "(kind, day, g)"
        spans = "".join(
            f", CAST(sum(units) FILTER (WHERE day >= {ws} AND day < {we}) AS DOUBLE) AS w{i}"
            for i, (ws, we) in enumerate(windows if per_customer else ())
        )
        by_spell = "r, GROUPING(r)" if per_customer else "CAST(NULL AS BIGINT) AS r, 1"
        sums = ", ".join(f"{MEASURES[m]} AS {m}" for m in measures)
        sql = (
            f"SELECT kind, day, g, {by_spell} AS by_day, count(*) AS n, {sums}, "
            f"CAST(sum(units) AS DOUBLE) AS money, max(day) AS last{spans} "
            f"FROM ({rows}) GROUP BY GROUPING SETS ({sets})"
        )
        queries[-1] = sql
        try:
            table = duck.con.sql(sql).to_arrow_table()
        except duckdb.InvalidInputException:  # strict mode refused the file: the reader decides
            return None
        kinds = _column(table, "kind", np.int64)
        by_day = _column(table, "by_day", np.int64) == 1
        n = _column(table, "n", np.int64)
        counts = {int(k): int(n[by_day & (kinds == k)].sum()) for k in range(ODD + 1)}
        if counts[ODD]:
            return None
        return _sums(table, kinds == KEPT, by_day, measures, len(windows) if per_customer else 0,
                     _tallies(duck, cid, camt, cut, counts, queries))  # fmt: skip
    finally:
        duck.close()


def _rows_sql(duck: Any, base: str, cid: str, camt: str, cut: int) -> str:
    """Per row of ``base`` (and its ``_row`` where it has one): its kind, customer spell and segment
    group, day and amount (in units of 1/10,000). The day only where the date is readable (state 0): the
    reader's day of a timestamp is its date."""
    from cxroi.engine.sql_text import literal

    parsed, state = duck._date_sql()
    spaces = "(" + " || ".join(f"chr({ord(c)})" for c in UNICODE_SPACES) + ")"
    kind = (
        f"CASE WHEN (amt IS NOT NULL AND amt <> '' AND NOT regexp_full_match(amt, {literal(PLAIN_AMOUNT)})) "
        f"OR abs(value) >= 1e11 THEN {ODD} "
        f"WHEN coalesce(id, '') = '' THEN {NO_ID} WHEN day > {cut} THEN {LATER} "
        f"WHEN r IS NULL AND (contains({spaces}, left(id, 1)) OR contains({spaces}, right(id, 1))) THEN {ODD} "
        f"WHEN r IS NULL THEN {UNMATCHED} WHEN day IS NULL THEN {NO_DATE} WHEN value IS NULL THEN {NO_AMOUNT} "
        f"ELSE {KEPT} END"
    )
    return (
        f"WITH t AS (SELECT *, {parsed} AS _ts FROM ({base}) WHERE {duck.where}), "
        f"u AS (SELECT *, trim({cid}) AS id, CASE WHEN {state} = 0 THEN CAST(_ts AS DATE) - DATE '1970-01-01' "
        f"END AS day, {camt} AS amt, TRY_CAST({camt} AS DOUBLE) AS value FROM t), "
        "l AS (SELECT u.*, k.r, k.g FROM u LEFT JOIN ids k ON k.id = u.id) "
        f"SELECT *, {kind} AS kind, CAST(round_even(value * 10000.0, 0) AS BIGINT) AS units FROM l"
    )


def _column(table: pa.Table, name: str, dtype: Any) -> np.ndarray:
    return np.asarray(table.column(name).fill_null(0).to_numpy(zero_copy_only=False), dtype=dtype)


def _sums(table: pa.Table, kept: np.ndarray, by_day: np.ndarray, measures: tuple[str, ...], windows: int,
          tallies: dict[str, Tally]) -> Linked:  # fmt: skip
    """Sums per (day, group) and per spell of the kept rows."""
    daily = table.filter(pa.array(kept & by_day))
    per = table.filter(pa.array(kept & ~by_day))
    sums = np.zeros((daily.num_rows, len(measures)))
    for j, name in enumerate(measures):
        sums[:, j] = _column(daily, name, np.float64)
    keys = zip(_column(daily, "day", np.int64).tolist(), _column(daily, "g", np.int64).tolist(), strict=True)
    return Linked(
        daily={key: sums[i] for i, key in enumerate(keys)},
        spells=_column(per, "r", np.int64),
        total=_column(per, "money", np.float64),
        last=_column(per, "last", np.int64),
        in_window=[_column(per, f"w{i}", np.float64) for i in range(windows)],
        tallies=tallies,
    )


def _tallies(
    duck: Any, cid: str, camt: str, cut: int, counts: dict[int, int], queries: list[str]
) -> dict[str, Tally]:
    """Row numbers (and, for unknown customers, the first three ids) of the rows that cannot be linked:
    the same rows read in file order, numbered, by one targeted query run only when there are any."""
    out = {"later": Tally(counts.get(LATER, 0))}
    named = {"no_id": NO_ID, "unmatched": UNMATCHED, "no_date": NO_DATE}
    if not any(counts.get(k) for k in named.values()):
        return {**out, **{name: Tally() for name in named}}
    sql = (
        f"WITH k AS ({_rows_sql(duck, duck.numbered, cid, camt, cut)}), "
        "n AS (SELECT _row, kind, id, row_number() OVER (PARTITION BY kind ORDER BY _row) AS nth, "
        f"row_number() OVER (PARTITION BY kind, id ORDER BY _row) = 1 AND kind = {UNMATCHED} AS first "
        f"FROM k WHERE kind IN ({NO_ID}, {UNMATCHED}, {NO_DATE})), "
        "f AS (SELECT *, CASE WHEN first THEN row_number() OVER (PARTITION BY first ORDER BY _row) END AS nth_id "
        "FROM n) "
        f"SELECT kind, _row, id, coalesce(nth_id <= 3, FALSE) FROM f WHERE nth <= {MAX_ROWS_SHOWN} OR nth_id <= 3 "
        "ORDER BY _row"
    )
    queries.append(sql)
    found = duck.con.execute(sql).fetchall()
    for name, code in named.items():
        rows = [int(r) for k, r, _i, _e in found if k == code and r > 0][:MAX_ROWS_SHOWN]
        examples = [str(i) for k, _r, i, e in found if k == code and e]
        out[name] = Tally(counts.get(code, 0), rows, examples)
    return out
