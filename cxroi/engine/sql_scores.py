"""Survey counts pushed down to where the data lives: a database (PostgreSQL, SQLite, a DuckDB file) or
Apache Spark runs the GROUP BY, and only counts come back.

The count query is written once as a SQLGlot expression and rendered per dialect (``postgres``,
``sqlite``, ``duckdb``, ``spark``); column names are quoted identifiers. It groups by the answer's calendar
day (``CAST(date AS DATE)`` for a DATE or TIMESTAMP column; the text itself for a text column, parsed here
with the same sniffed format as a file), the segment columns and each metric's answer, one grouping set per
metric (``GROUPING SETS`` in DuckDB and Spark, a ``UNION ALL`` of one GROUP BY per metric in PostgreSQL,
where that is twice as fast, and in SQLite), so only counts come back: a few hundred thousand rows for
10M answers over three years by day and 24 segments, however many answers there are. Periods (ISO
weeks, quarters) are computed here from the days, never by the database, so every engine gives the same
periods. The returned counts are then reduced by the local DuckDB
exactly as a file's rows are (``DuckScores`` with weighted rows): the answer labels, date states, ``until``
and invalid-value tallies follow one set of rules. A database has no row numbers, so warnings give counts
and example values without rows.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pyarrow as pa

from cxroi.engine.duckdb_scores import DuckScores, column_text

# one scan computing every metric's grouping set: DuckDB and Spark. PostgreSQL has GROUPING SETS, but its
# hash aggregate then runs on one core: 34 s for 10M answers against 16 s for a UNION ALL of one GROUP BY
# per metric (branches run in parallel, Parallel Append); SQLite has none
GROUPING_SETS = ("duckdb", "spark")


def is_typed_date(t: pa.DataType) -> bool:
    return bool(pa.types.is_date(t) or pa.types.is_timestamp(t))


def count_query(
    relation: Any,
    columns: dict[str, str],
    date_col: str | None,
    typed_date: bool,
    segment_cols: list[str],
    answer_cols: dict[str, str],
    group_col: str | None,
    dialect: str,
    floats: frozenset[str] = frozenset(),
) -> Any:
    """The pushed-down count query as a SQLGlot expression: per metric ``m`` the counts per (day,
    segments, answer[, NPS group]) with the flag ``_w_m`` = 0 on its rows, and ``_n`` the count.

    ``columns`` maps each used column to its alias (``c0`` ...); the date's alias is ``_d``. In the
    ``UNION ALL`` form the answer and group columns are sent as text (``floats``: NaN as NULL, as a file's
    float column reads), so every branch has the same types where others hold NULL (not in SQLite)."""
    from sqlglot import exp

    def col(name: str) -> Any:
        return exp.column(name, quoted=True)

    def alias(e: Any, name: str) -> Any:
        return exp.alias_(e, name, quoted=True)

    date_expr = None
    if date_col is not None:
        date_expr = exp.Cast(this=col(date_col), to=exp.DataType.build("DATE")) if typed_date else col(date_col)
    keys: list[tuple[Any, str]] = [(date_expr, "_d")] if date_expr is not None else []
    keys += [(col(c), columns[c]) for c in segment_cols]
    metrics = list(answer_cols)
    answer_of = {m: (col(c), columns[c]) for m, c in answer_cols.items()}
    group = (col(group_col), columns[group_col]) if group_col else None
    sets: list[list[str]] = []  # the aliases each metric's set groups by
    for m in metrics:
        s = [a for _e, a in keys] + [answer_of[m][1]]
        if m == "nps" and group is not None:
            s.append(group[1])
        sets.append(s)
    outputs = list(dict.fromkeys([a for _e, a in keys] + [a for _e, a in answer_of.values()]
                                 + ([group[1]] if group else [])))  # fmt: skip
    exprs = dict([(a, e) for e, a in keys] + [(a, e) for e, a in answer_of.values()] + ([group[::-1]] if group else []))
    # GROUPING() tells the sets apart by their answer column: two metrics on one column need the UNION form
    if dialect in GROUPING_SETS and len(set(answer_cols.values())) == len(metrics):
        select = [alias(exprs[a], a) for a in outputs]
        select += [alias(exp.Anonymous(this="GROUPING", expressions=[answer_of[m][0]]), f"_w_{m}") for m in metrics]
        select.append(alias(exp.Count(this=exp.Star()), "_n"))
        gsets = exp.GroupingSets(expressions=[exp.Tuple(expressions=[exprs[a] for a in s]) for s in sets])
        return exp.select(*select).from_(relation).group_by(gsets)
    text = exp.DataType.build("TEXT")
    # SQLite has no column types to match (and ADBC infers a column's type from its first values)
    varying = set() if dialect == "sqlite" else {a for _e, a in answer_of.values()} | ({group[1]} if group else set())
    names = {a: c for c, a in columns.items()}

    def as_text(e: Any, a: str) -> Any:
        if a not in varying:
            return e
        if names.get(a) in floats:
            e = exp.Nullif(this=e, expression=exp.Cast(this=exp.Literal.string("NaN"), to=exp.DataType.build("DOUBLE")))
        return exp.Cast(this=e, to=text)

    parts = []
    for m, s in zip(metrics, sets, strict=True):
        select = [alias(as_text(exprs[a], a) if a in s else exp.Cast(this=exp.Null(), to=text), a)
                  if a in varying else alias(exprs[a] if a in s else exp.Null(), a)
                  for a in outputs]  # fmt: skip
        select += [alias(exp.Literal.number(0 if k == m else 1), f"_w_{k}") for k in metrics]
        select.append(alias(exp.Count(this=exp.Star()), "_n"))
        parts.append(exp.select(*select).from_(relation).group_by(*[exprs[a] for a in dict.fromkeys(s)]))
    query: Any = parts[0]
    for p in parts[1:]:
        query = exp.union(query, p, distinct=False)
    return query


class SqlScores(DuckScores):
    """The counts of a database input (``cxroi.io.sql_source.SqlSource``) or a Spark table: the GROUP BY
    runs there, the local DuckDB reduces the returned counts."""

    def __init__(self, source: Any, resolved: dict[str, str], until: dt.date | None, settings: Any = None,
                 runner: Any = None) -> None:  # fmt: skip
        """``runner(expression) -> (sql text, Arrow table)`` runs the count query where the data is
        (default: the source's database)."""
        self._runner = runner
        super().__init__(source, resolved, until, settings)

    def _init_elsewhere(self) -> bool:
        self.weighted = True
        self.typed_date = False
        self.where = "TRUE"
        return True

    def _prepare(self, metrics: list[str], segments: list[str]) -> None:
        """Push the count query down and register what it returns as the weighted rows to reduce."""
        src: Any = self.source
        date_col = self.resolved.get("date")
        types: dict[str, pa.DataType] = src.types
        self.typed_date = date_col is not None and is_typed_date(types[date_col])
        used = list(dict.fromkeys(c for role, c in self.resolved.items() if role != "date"))
        aliases = {c: f"c{i}" for i, c in enumerate(used)}
        seg_cols = [self.resolved[s] for s in segments]
        answer_cols = {m: self.resolved[m] for m in metrics}
        group_col = self.resolved.get("nps_group")
        floats = frozenset(c for c in used if pa.types.is_floating(types[c]))
        expression = count_query(src.relation(), aliases, date_col, self.typed_date, seg_cols, answer_cols,
                                 group_col, src.dialect, floats)  # fmt: skip
        if self._runner is not None:
            sql, table = self._runner(expression)
        else:
            sql = src.sql(expression)
            table = src.db.arrow(sql)
        self.queries.append(f"[{src.dialect}] {sql}")
        from cxroi.io.sql_source import plain, plain_types

        schema = plain_types(table.schema)
        table = pa.Table.from_batches([plain(b, schema) for b in table.to_batches()], schema=schema)
        self.con.register("_counts", table)
        self.columns = dict(aliases)
        texts = []
        for name in schema.names:
            if name == "_d" and self.typed_date:
                texts.append('"_d"')
            elif name == "_d":
                texts.append('CAST("_d" AS VARCHAR) AS "_d"')
            elif name.startswith("_"):
                texts.append(f'"{name}"')
            else:
                texts.append(_text(name, schema.field(name).type))
        if date_col is not None:
            self.columns[date_col] = "_d"
        self.read = f"(SELECT {', '.join(texts)} FROM _counts)"
        self._sequential = self.read
        self.base = f"SELECT * FROM {self.read}"
        self.numbered = f"SELECT *, 0 AS _row FROM {self.read}"


def _text(name: str, t: pa.DataType) -> str:
    """A returned column as text, the way a Parquet file's column is read (a float 9.0 is "9", NaN blank)."""
    x = f'"{name}"'
    return f"{column_text(x, t)} AS {x}"
