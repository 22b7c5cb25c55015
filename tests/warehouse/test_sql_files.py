"""SQL inputs without a server: SQLite and DuckDB database files (SQLite has no GROUPING SETS, so its
count query is a UNION ALL, and keeps dates as text); the SQL itself, rendered per dialect, with quoted
identifiers whatever a column is called; connection URLs redacted."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
import sqlglot

from cxroi.engine.sql_scores import count_query
from cxroi.io.connection import literal_secret, redact, scrub
from cxroi.io.sql_source import table_expression
from tests.conftest import run
from tests.warehouse.conftest import ROLES, config_with, file_config
from tests.warehouse.load import TABLES, typed


def _sqlite(path: Path) -> None:
    import adbc_driver_sqlite.dbapi as sq

    with sq.connect(str(path)) as con, con.cursor() as cur:
        for name in TABLES:
            t = typed(name)
            cols = [c.cast(pa.string()) if pa.types.is_timestamp(c.type) or pa.types.is_date(c.type)
                    or pa.types.is_decimal(c.type) else c for c in t.columns]  # fmt: skip
            cur.adbc_ingest(name, pa.table(cols, names=t.column_names), mode="create")
        con.commit()


def _duckdb(path: Path) -> None:
    con = duckdb.connect(str(path))
    for name in TABLES:
        con.register("t", typed(name))
        con.execute(f'CREATE TABLE "{name}" AS SELECT * FROM t')
        con.unregister("t")
    con.close()


@pytest.fixture(scope="module")
def databases(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("sqlfiles")
    _sqlite(folder / "cx.sqlite")
    _duckdb(folder / "cx.duckdb")
    return folder


@pytest.mark.parametrize("kind", ["sqlite", "duckdb"])
def test_a_database_file_gives_the_numbers_of_the_files(databases: Path, kind: str) -> None:
    inputs = {name: f"connection: {kind}:///cx.{kind}\ntable: {table}" for name, table in ROLES.items()}
    report = f'reports:\n  - {{format: sql, connection: "{kind}:///results.{kind}", table: cx_results}}\n'
    cfg = databases / f"{kind}.yaml"
    cfg.write_text(config_with(inputs, report), encoding="utf-8")
    files = file_config(databases)
    on_db = run(["run", "-c", str(cfg), "--as-of", "2025-12-31", "--format", "json", "-v"])
    on_files = run(["run", "-c", str(files), "--as-of", "2025-12-31", "--format", "json", "--no-cache"])
    assert on_db.exit_code == 0, on_db.stderr
    a, b = json.loads(on_db.stdout), json.loads(on_files.stdout)
    a.pop("config"), b.pop("config")
    assert a == b
    assert f"counts pushed down to {kind}" in on_db.stderr
    assert ("UNION ALL" in on_db.stderr) == (kind == "sqlite")
    assert f"Wrote {len(_rows(databases / f'results.{kind}', kind)):,} rows to cx_results" in on_db.stderr
    run(["run", "-c", str(cfg), "--as-of", "2025-12-31", "-q", "-o", str(databases / "x.json")])
    rows = _rows(databases / f"results.{kind}", kind)
    assert len({r[0] for r in rows}) == 1  # one run id: the rerun replaced its rows


def _rows(path: Path, kind: str) -> list[tuple[object, ...]]:
    if kind == "duckdb":
        con = duckdb.connect(str(path), read_only=True)
        try:
            return [tuple(r) for r in con.execute("SELECT run_id, field, value FROM cx_results").fetchall()]
        finally:
            con.close()
    import sqlite3

    with sqlite3.connect(path) as con:
        return list(con.execute("SELECT run_id, field, value FROM cx_results"))


HOSTILE = 'Q1"; DROP TABLE survey; --'


@pytest.mark.parametrize("dialect", ["postgres", "duckdb", "sqlite", "spark"])
def test_the_count_query_quotes_every_name_and_parses_back(dialect: str) -> None:
    cols = {HOSTILE: "c0", "Region": "c1", "Q2": "c2"}
    q = count_query(table_expression('cx."my table"', dialect), cols, "Recorded Date", True, ["Region"],
                    {"nps": HOSTILE, "csat": "Q2"}, None, dialect)  # fmt: skip
    sql = q.sql(dialect=dialect)
    parsed = sqlglot.parse(sql, read=dialect)
    assert len(parsed) == 1  # one statement: the hostile name stayed a name
    names = {c.name for c in parsed[0].find_all(sqlglot.exp.Column)}
    assert HOSTILE in names and "Recorded Date" in names
    assert ("GROUPING SETS" in sql) == (dialect in ("duckdb", "spark"))
    assert "CAST(" in sql or 'DATE("Recorded Date")' in sql  # grouped by the day (SQLite: DATE())


def test_the_count_query_runs_in_duckdb_and_sqlite_with_the_same_counts() -> None:
    import sqlite3

    rows = [("2025-01-0" + str(i % 3 + 1), "EMEA" if i % 2 else "APAC", i % 11, i % 5 + 1) for i in range(200)]
    con = duckdb.connect()
    con.execute('CREATE TABLE t ("d" VARCHAR, "Region" VARCHAR, "Q1" INTEGER, "Q2" INTEGER)')
    con.executemany("INSERT INTO t VALUES (?, ?, ?, ?)", rows)
    lite = sqlite3.connect(":memory:")
    lite.execute('CREATE TABLE t ("d" TEXT, "Region" TEXT, "Q1" INTEGER, "Q2" INTEGER)')
    lite.executemany("INSERT INTO t VALUES (?, ?, ?, ?)", rows)
    out = {}
    for dialect in ("duckdb", "sqlite"):
        q = count_query(table_expression("t", dialect), {"Region": "c0", "Q1": "c1", "Q2": "c2"}, "d", False,
                        ["Region"], {"nps": "Q1", "csat": "Q2"}, None, dialect).sql(dialect=dialect)  # fmt: skip
        got = con.execute(q).fetchall() if dialect == "duckdb" else lite.execute(q).fetchall()
        out[dialect] = sorted((tuple(r) for r in got), key=repr)
    assert out["duckdb"] == out["sqlite"]
    nps = [r for r in out["duckdb"] if r[4] == 0]
    assert sum(r[-1] for r in nps) == 200
    expect = sum(1 for r in rows if r[0] == "2025-01-02" and r[1] == "EMEA" and r[2] == 1)
    assert [r[-1] for r in nps if r[:3] == ("2025-01-02", "EMEA", 1)] == [expect]


def test_urls_are_redacted_and_literal_passwords_found() -> None:
    url = "postgresql://cx:p%40ss@db.example.com:5432/cx?sslmode=require&password=x2&token=abc"
    shown = redact(url)
    assert "p%40ss" not in shown and "x2" not in shown and "abc" not in shown
    assert shown.startswith("postgresql://cx:***@db.example.com:5432/cx?sslmode=require")
    assert literal_secret("postgresql://cx:pw@h/db") and literal_secret("postgresql://h/db?password=pw")
    assert not literal_secret("postgresql://cx@h/db") and not literal_secret("env:CX_DB")
    assert scrub("login for p%40ss failed", url) == "login for *** failed"
    assert redact("sqlite:///data/cx.sqlite") == "sqlite:///data/cx.sqlite"


def test_two_metrics_on_one_column_are_counted_once_each(databases: Path) -> None:
    """NPS and CES read from the same column (a 0-10 scale) in a DuckDB file: each metric counts every
    answer once (GROUPING() cannot tell two sets on one column apart, so the query is a UNION ALL)."""
    cfg = databases / "same.yaml"
    cfg.write_text("inputs:\n  survey: {connection: 'duckdb:///cx.duckdb', table: survey_responses}\n"
                   "scores:\n  nps: {column: Q1}\n  ces: {column: Q1, scale: [0, 10], disagree: [0, 3], "
                   "neutral: [4, 6], agree: [7, 10]}\n")  # fmt: skip
    r = run(["scores", "-c", str(cfg), "--format", "json", "-v"])
    assert r.exit_code == 0, r.stderr
    n = {rec["metric"]: rec["n"] for rec in json.loads(r.stdout)}
    assert n["nps"] == n["ces"] == 3077  # the sample's valid NPS answers (README's quick start)
    assert "UNION ALL" in r.stderr


def test_pushed_down_counts_send_no_sample_query_for_the_answers(
    databases: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The expected answer texts (a sample of each answer column) serve only counts made from rows; the
    database's counts are reduced as weighted rows, so no sample query is sent for the answer columns."""
    from cxroi.io.sql_source import SqlSource

    asked: list[str] = []
    original = SqlSource.sample_values

    def spy(self: SqlSource, column: str) -> list[str]:
        asked.append(column)
        return original(self, column)

    monkeypatch.setattr(SqlSource, "sample_values", spy)
    cfg = databases / "answers.yaml"
    cfg.write_text("inputs:\n  survey: {connection: 'duckdb:///cx.duckdb', table: survey_responses}\n"
                   "scores:\n  nps: {column: Q1}\n")  # fmt: skip
    r = run(["scores", "-c", str(cfg), "--format", "json"])
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout)[0]["n"] == 3077  # the sample's valid NPS answers (README's quick start)
    assert "Q1" not in asked
