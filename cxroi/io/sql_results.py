"""The ``sql`` report: a run's results appended to a database table in long form
(``cxroi.report.long_form``), idempotent per (config, as_of).

In one transaction: the table is created when missing, the rows of an earlier run of the same config
and as-of date are deleted and this run's rows inserted (ADBC bulk ingest; COPY on PostgreSQL). A failure
anywhere rolls the whole transaction back, so the table holds the old run or the new one, never half.
SQL is built with SQLGlot (identifiers quoted, values as escaped literals) for the target's dialect.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pyarrow as pa

from cxroi.io.connection import connect, resolve
from cxroi.io.sql_source import table_expression
from cxroi.report.long_form import SCHEMA

SQL_TYPES = {"run_id": "TEXT", "config": "TEXT", "as_of": "DATE", "run_at": "TIMESTAMP", "section": "TEXT",
             "metric": "TEXT", "period": "TEXT", "segments": "TEXT", "field": "TEXT", "value": "DOUBLE"}  # fmt: skip


def create_sql(table: str, dialect: str) -> str:
    from sqlglot import exp

    columns = [exp.ColumnDef(this=exp.to_identifier(name, quoted=True), kind=exp.DataType.build(SQL_TYPES[name]))
               for name in SCHEMA.names]  # fmt: skip
    schema = exp.Schema(this=table_expression(table, dialect), expressions=columns)
    return str(exp.Create(this=schema, kind="TABLE", exists=True).sql(dialect=dialect))


def delete_sql(table: str, dialect: str, config: str, as_of: dt.date | None) -> str:
    from sqlglot import exp

    cond: Any = exp.column("config", quoted=True).eq(exp.Literal.string(config))
    day = exp.column("as_of", quoted=True)
    if as_of is None:
        cond = cond.and_(day.is_(exp.null()))
    else:
        cond = cond.and_(day.eq(exp.Cast(this=exp.Literal.string(as_of.isoformat()), to=exp.DataType.build("DATE"))))
    return str(exp.delete(table_expression(table, dialect), where=cond).sql(dialect=dialect))


def write_results(connection: str, table: str, rows: pa.Table, where: str) -> int:
    """Replace this (config, as_of)'s rows of ``table`` with ``rows``; returns the rows written."""
    url = resolve(connection, where)
    db = connect(url, where, write=True)
    config = rows.column("config")[0].as_py() if rows.num_rows else None
    as_of = rows.column("as_of")[0].as_py() if rows.num_rows else None
    try:
        _transaction(db, table, rows, config, as_of)
    finally:
        db.close()
    return int(rows.num_rows)


def _transaction(db: Any, table: str, rows: pa.Table, config: str | None, as_of: dt.date | None) -> None:
    d = db.dialect
    parts = [p.strip().strip('"') for p in table.split(".")]
    try:
        if d == "duckdb":
            con = db.handle
            con.execute("BEGIN TRANSACTION")
            con.execute(create_sql(table, d))
            if config is not None:
                con.execute(delete_sql(table, d, config, as_of))
                con.register("_cxroi_rows", rows)
                con.execute(f"INSERT INTO {table_expression(table, d).sql(dialect=d)} SELECT * FROM _cxroi_rows")
            con.execute("COMMIT")
            return
        with db.handle.cursor() as cur:
            cur.execute(create_sql(table, d))
            if config is not None:
                cur.execute(delete_sql(table, d, config, as_of))
                cur.adbc_ingest(parts[-1], rows, mode="append", db_schema_name=parts[-2] if len(parts) > 1 else None)
        db.handle.commit()
    except BaseException as exc:
        try:
            if d == "duckdb":
                db.handle.execute("ROLLBACK")
            else:
                db.handle.rollback()
        except Exception:  # the connection is gone: the server rolls back on its own
            pass
        if isinstance(exc, Exception):
            raise db.error(exc) from exc
        raise
