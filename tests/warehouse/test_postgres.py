"""cxroi on a real PostgreSQL server (started by the suite): the same numbers as on the files, counts
pushed down, the ``sql`` report written and rewritten, bad connections and queries answered in one line,
and the password never shown."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.conftest import run
from tests.warehouse import pg_server
from tests.warehouse.conftest import config_with, db_inputs, file_config

AS_OF = "2025-12-31"
REPORT = "reports:\n  - {format: sql, connection: env:CX_DB, table: public.cx_results}\n"


def _write(tmp_path: Path, text: str, name: str = "db.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _table(url: str, name: str, columns: str, values: str) -> None:
    """A fresh table ``name (columns)`` holding ``VALUES values`` on the test server."""
    import adbc_driver_postgresql.dbapi as pgdb

    with pgdb.connect(url) as con, con.cursor() as cur:
        cur.execute(f"DROP TABLE IF EXISTS {name}")
        cur.execute(f"CREATE TABLE {name} ({columns})")
        cur.execute(f"INSERT INTO {name} VALUES {values}")
        con.commit()


def _no_secret(*texts: str) -> None:
    for t in texts:
        assert pg_server.PASSWORD not in t


def test_run_on_the_database_equals_the_files_field_by_field(tmp_path: Path, pg_env: str) -> None:
    db = _write(tmp_path, config_with(db_inputs()))
    files = file_config(tmp_path)
    on_db = run(["run", "-c", str(db), "--as-of", AS_OF, "--format", "json", "--no-cache"])
    on_files = run(["run", "-c", str(files), "--as-of", AS_OF, "--format", "json", "--no-cache"])
    assert on_db.exit_code == 0, on_db.stderr
    a, b = json.loads(on_db.stdout), json.loads(on_files.stdout)
    a.pop("config"), b.pop("config")
    for section in b:  # section by section first, so a failure names the section
        assert a[section] == b[section], section
    assert a == b
    assert on_db.stderr == on_files.stderr  # the same warnings, word for word
    _no_secret(on_db.stdout, on_db.stderr)


def test_scores_are_pushed_down_and_only_counts_come_back(tmp_path: Path, pg_env: str) -> None:
    db = _write(tmp_path, config_with(db_inputs()))
    r = run(["scores", "-c", str(db), "--format", "csv", "-v", "--by", "Region", "--period", "month"])
    files = run(["scores", "-c", str(file_config(tmp_path)), "--format", "csv", "--by", "Region",
                 "--period", "month"])  # fmt: skip
    assert r.exit_code == 0, r.stderr
    assert r.stdout == files.stdout
    engine = [line for line in r.stderr.splitlines() if line.startswith("engine:")]
    assert len(engine) == 1 and "counts pushed down to postgres" in engine[0]
    query = engine[0].split("[postgres] ", 1)[1]
    # the day, never the period, is computed by the database; identifiers quoted
    assert 'CAST("RecordedDate" AS DATE) AS "_d"' in query and query.count("UNION ALL") == 2
    assert '"Region"' in query and "month" not in query.lower() and "week" not in query.lower()
    assert 'FROM "public"."survey_responses"' in query
    _no_secret(r.stdout, r.stderr)


def test_pushdown_false_fetches_the_columns_and_gives_the_same_numbers(tmp_path: Path, pg_env: str) -> None:
    inputs = db_inputs()
    inputs["survey"] += "\npushdown: false"
    db = _write(tmp_path, config_with(inputs))
    r = run(["scores", "-c", str(db), "--format", "csv", "-v", "--by", "Region"])
    files = run(["scores", "-c", str(file_config(tmp_path)), "--format", "csv", "--by", "Region"])
    assert r.exit_code == 0, r.stderr
    assert r.stdout == files.stdout
    assert "columns fetched from postgres (pushdown: false), counted by DuckDB read_parquet" in r.stderr


def test_a_query_input_and_its_filter(tmp_path: Path, pg_env: str) -> None:
    inputs = db_inputs()
    inputs["survey"] = ('connection: env:CX_DB\nquery: "SELECT * FROM survey_responses WHERE \\"Region\\" = '
                        "'EMEA'\"")  # fmt: skip
    db = _write(tmp_path, config_with(inputs))
    r = run(["scores", "-c", str(db), "--format", "json"])
    by_region = run(["scores", "-c", str(file_config(tmp_path)), "--format", "json", "--by", "Region"])
    assert r.exit_code == 0, r.stderr
    emea = [{k: v for k, v in rec.items() if k != "Region"} for rec in json.loads(by_region.stdout)
            if rec.get("Region") == "EMEA"]  # fmt: skip
    assert len(emea) > 10 and json.loads(r.stdout) == emea


def test_sql_report_writes_then_replaces_its_own_rows(tmp_path: Path, pg_env: str) -> None:
    import adbc_driver_postgresql.dbapi as pgdb

    db = _write(tmp_path, config_with(db_inputs(), REPORT))

    def rows() -> list[tuple[object, ...]]:
        with pgdb.connect(pg_env) as con, con.cursor() as cur:
            cur.execute("SELECT as_of::text, count(*), count(DISTINCT run_id) FROM cx_results "
                        "GROUP BY as_of ORDER BY as_of")  # fmt: skip
            return [tuple(r) for r in cur.fetchall()]

    with pgdb.connect(pg_env) as con, con.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS cx_results")
        con.commit()
    first = run(["run", "-c", str(db), "--as-of", AS_OF, "-o", str(tmp_path / "out.json")])
    assert first.exit_code == 0, first.stderr
    written = rows()
    assert len(written) == 1 and written[0][0] == AS_OF and written[0][2] == 1
    n = written[0][1]
    assert f"Wrote {n:,} rows to public.cx_results (env:CX_DB)" in first.stderr
    again = run(["run", "-c", str(db), "--as-of", AS_OF, "-o", str(tmp_path / "out.json")])
    assert again.exit_code == 0
    assert rows() == [(AS_OF, n, 1)]  # replaced, never duplicated
    other = run(["run", "-c", str(db), "--as-of", "2025-09-30", "-o", str(tmp_path / "out.json")])
    assert other.exit_code == 0
    assert [r[0] for r in rows()] == ["2025-09-30", AS_OF]
    # the long form: one row per number, segments as JSON, full precision
    data = json.loads((tmp_path / "out.json").read_text())
    nps = next(r for r in data["scores"]["overall"] if r["metric"] == "nps")
    with pgdb.connect(pg_env) as con, con.cursor() as cur:
        cur.execute("SELECT value FROM cx_results WHERE as_of = DATE '2025-09-30' AND section = 'scores_overall' "
                    "AND metric = 'nps' AND field = 'value'")  # fmt: skip
        assert cur.fetchall() == [(nps["value"],)]
        cur.execute("SELECT DISTINCT segments FROM cx_results WHERE section = 'economics' ORDER BY 1 LIMIT 1")
        assert json.loads(cur.fetchone()[0]).keys() == {"Plan"}


def test_a_failed_sql_report_leaves_the_old_rows(tmp_path: Path, pg_env: str) -> None:
    import adbc_driver_postgresql.dbapi as pgdb

    db = _write(tmp_path, config_with(db_inputs(), REPORT.replace("cx_results", "cx_broken")))
    with pgdb.connect(pg_env) as con, con.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS cx_broken")
        # an existing table whose value column cannot take the numbers: the insert fails mid-transaction
        cur.execute("CREATE TABLE cx_broken (run_id text, config text, as_of date, run_at timestamp, section text, "
                    "metric text, period text, segments text, field text, value integer CHECK (value < 0))")  # fmt: skip
        cur.execute(f"INSERT INTO cx_broken (config, as_of, value) VALUES ('{db.resolve()}', DATE '{AS_OF}', -1)")
        con.commit()
    r = run(["run", "-c", str(db), "--as-of", AS_OF, "-o", str(tmp_path / "out.json")], ok=False)
    assert r.exit_code == 3, r.stderr
    assert r.stderr.count("Error:") == 1 and "Traceback" not in r.stderr
    _no_secret(r.stderr)
    with pgdb.connect(pg_env) as con, con.cursor() as cur:
        cur.execute("SELECT count(*), min(value) FROM cx_broken")
        assert cur.fetchone() == (1, -1)  # the delete was rolled back with the failed insert


def test_check_connects_and_names_the_dialect(tmp_path: Path, pg_env: str) -> None:
    db = _write(tmp_path, config_with(db_inputs(), REPORT))
    r = run(["check", "-c", str(db)])
    assert r.exit_code == 0, r.stderr
    assert "input survey: postgresql://cx:***@127.0.0.1:" in r.stdout
    assert "postgres database, SQL dialect postgres, 27 columns" in r.stdout
    assert "scores.nps: Q1 found in" in r.stdout and "crm.transactions.amount: Amount found" in r.stdout
    assert "report sql: table public.cx_results" in r.stdout
    _no_secret(r.stdout, r.stderr)
    wrong = config_with(db_inputs()).replace("column: Q1 ", "column: Q99 ", 1)
    r = run(["check", "-c", str(_write(tmp_path, wrong, "c.yaml"))], ok=False)
    assert r.exit_code == 4 and "column 'Q99' not found" in r.stderr


@pytest.mark.parametrize(
    ("case", "exit_code", "words"),
    [
        ("unreachable", 3, "cannot connect"),
        ("password", 3, "password authentication failed"),
        ("table", 3, 'relation "public.no_such_table" does not exist'),
        ("column", 4, "column 'NoSuchColumn' not found"),
        ("query", 3, "syntax error"),
        ("query_column", 4, 'column "nosuch" does not exist'),
        ("lost", 3, "terminating connection"),
    ],
)
def test_bad_connections_and_queries(
    tmp_path: Path, pg: pg_server.Server, monkeypatch: pytest.MonkeyPatch, case: str, exit_code: int, words: str
) -> None:
    url = pg.url()
    inputs = db_inputs()
    args = ["run", "-c", "", "--as-of", AS_OF, "-o", str(tmp_path / "out.json")]
    if case == "unreachable":
        url = f"postgresql://cx:{pg_server.PASSWORD}@127.0.0.1:{pg_server._free_port()}/postgres"
    elif case == "password":
        url = pg.url(password="wrong-" + pg_server.PASSWORD)
    elif case == "table":
        inputs["survey"] = "connection: env:CX_DB\ntable: public.no_such_table"
    elif case == "column":
        inputs["survey"] = "connection: env:CX_DB\ntable: public.survey_responses"
        args = ["scores", "-c", "", "--nps", "NoSuchColumn"]
    elif case == "query":
        inputs["survey"] = 'connection: env:CX_DB\nquery: "SELECT * FROM survey_responses WHERE"'
    elif case == "query_column":
        inputs["survey"] = 'connection: env:CX_DB\nquery: "SELECT * FROM survey_responses WHERE nosuch = 1"'
    else:  # the server ends the connection while the rows are read
        inputs["customers"] = ('connection: env:CX_DB\nquery: "SELECT c.*, CASE WHEN g = 900 THEN '
                               'pg_terminate_backend(pg_backend_pid()) END AS k FROM customers c, '
                               'generate_series(1, 1000) g"')  # fmt: skip
    monkeypatch.setenv("CX_DB", url)
    cfg = _write(tmp_path, config_with(inputs, REPORT))
    args[2] = str(cfg)
    r = run(args, ok=False)
    assert r.exit_code == exit_code, r.stderr
    assert words in r.stderr, r.stderr
    assert r.stderr.startswith("Error: ") and r.stderr.count("Error:") == 1 and "Traceback" not in r.stderr
    assert not (tmp_path / "out.json").exists()  # no partial report
    _no_secret(r.stdout, r.stderr)
    verbose = run([*args, "--verbose"], ok=False)
    _no_secret(verbose.stdout, verbose.stderr)


def test_passwords_stay_out_of_configs_and_output(tmp_path: Path, pg: pg_server.Server,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    literal = _write(tmp_path, config_with(db_inputs(pg.url())))
    r = run(["check", "-c", str(literal)], ok=False)
    assert r.exit_code == 2 and "holds a password" in r.stderr and "env:NAME" in r.stderr
    _no_secret(r.stderr)
    monkeypatch.delenv("CX_DB", raising=False)
    r = run(["scores", "-c", str(_write(tmp_path, config_with(db_inputs()), "env.yaml"))], ok=False)
    assert r.exit_code == 2 and "environment variable CX_DB" in r.stderr
    monkeypatch.setenv("CX_DB", pg.url())
    cfg = _write(tmp_path, config_with(db_inputs()), "ok.yaml")
    for args in (["run", "--explain", "--format", "table"], ["run", "--format", "json", "-v"],
                 ["run", "--report", "html", "-o", str(tmp_path / "r.html")]):  # fmt: skip
        r = run([*args[:1], "-c", str(cfg), "--as-of", AS_OF, *args[1:]])
        assert r.exit_code == 0, r.stderr
        _no_secret(r.stdout, r.stderr)
    _no_secret((tmp_path / "r.html").read_text())


def test_float_and_numeric_answers_read_as_in_a_file(tmp_path: Path, pg_env: str) -> None:
    """A float column's NaN is a blank and 9.0 is 9 (as a Parquet float column reads); numeric 10.0 is 10."""
    _table(pg_env, "typed_answers", "d timestamptz, nps double precision, csat numeric(3, 1)",
           "('2025-03-01 23:30:00-02', 9.0, 5.0), ('2025-03-02 10:00:00+00', 'NaN', 4.0), "
           "('2025-03-02 11:00:00+00', 3.0, NULL), ('2025-03-03 12:00:00+00', NULL, 2.5), "
           "('2025-03-03 12:00:00+00', 10.0, 1.0)")  # fmt: skip
    cfg = _write(tmp_path, "inputs:\n  survey: {connection: env:CX_DB, table: typed_answers}\n"
                 "scores:\n  nps: {column: nps}\n  csat: {column: csat}\n  date: d\n  period: month\n")  # fmt: skip
    r = run(["scores", "-c", str(cfg), "--format", "json"])
    assert r.exit_code == 0, r.stderr
    recs = {rec["metric"]: rec for rec in json.loads(r.stdout)}
    # NPS: 9, 3, 10 -> 2 promoters, 1 detractor of 3 (NaN and NULL are blanks, not invalid answers)
    assert (recs["nps"]["n"], recs["nps"]["promoters"], recs["nps"]["detractors"]) == (3, 2, 1)
    assert recs["nps"]["period"] == "2025-03"  # 23:30 at -02 is 01:30 UTC on 2 March: still March
    # CSAT: 5, 4, 1 valid; 2.5 is not a whole number on the scale: counted and reported
    assert (recs["csat"]["n"], recs["csat"]["satisfied"]) == (3, 2)
    assert "not a whole number on the scale [1, 5] and left out (e.g. '2.5')" in r.stderr


def test_only_the_columns_a_run_reads_leave_the_database(pg_env: str) -> None:
    """The survey's names and e-mail addresses stay in the database when no measure reads them."""
    import sys
    import tempfile

    import cxroi.pipeline.inputs as inputs_module
    from cxroi.config import load_config
    from cxroi.pipeline.inputs import open_input
    from cxroi.pipeline.run import run as run_job

    folder = Path(tempfile.mkdtemp())
    cfg = load_config(_write(folder, config_with(db_inputs())))
    opened: list[object] = []

    def spy(*args: object, **kwargs: object) -> list[object]:
        found = open_input(*args, **kwargs)  # type: ignore[arg-type]
        opened.extend(found)
        return found  # type: ignore[return-value]

    mp = pytest.MonkeyPatch()
    try:
        for mod in list(sys.modules.values()):
            if getattr(mod, "open_input", None) is open_input and mod is not inputs_module:
                mp.setattr(mod, "open_input", spy)
        run_job(cfg, "db.yaml", None, cache=False)
    finally:
        mp.undo()
    survey = [s for s in opened if getattr(s, "table", None) == "public.survey_responses"]
    assert survey
    fetched = {c for s in survey for cols in s.fetched for c in cols}  # type: ignore[attr-defined]
    # the name columns are read to redact the names from the example comments (cxroi.pipeline.themes)
    assert {"Q1", "Q4", "ExternalReference", "RecordedDate"} <= fetched
    assert not fetched & {"RecipientEmail", "IPAddress", "LocationLatitude", "LocationLongitude", "StartDate"}


def test_text_dates_in_a_database_are_sniffed_and_counted(tmp_path: Path, pg_env: str) -> None:
    """A text date column: its format sniffed from a sample (day first: 15/03), grouped by its text in
    the database, parsed here; blank and unreadable dates counted, without row numbers."""
    _table(pg_env, "text_dates", "d text, nps text", "('15/03/2025 10:00', '9'), ('02/04/2025 11:00', "
           "'10 - Extremely likely'), ('28/02/2025 09:00', '3'), ('', '7'), ('nonsense', '8')")  # fmt: skip
    cfg = _write(tmp_path, "inputs:\n  survey: {connection: env:CX_DB, table: text_dates}\n"
                 "scores:\n  nps: {column: nps}\n  date: d\n  period: month\n")  # fmt: skip
    r = run(["scores", "-c", str(cfg), "--format", "csv"])
    assert r.exit_code == 0, r.stderr
    rows = [line.split(",")[:3] for line in r.stdout.splitlines()[1:]]
    assert rows == [["nps", "2025-02", "1"], ["nps", "2025-03", "1"], ["nps", "2025-04", "1"]]
    assert "1 date in column 'd' could not be read" in r.stderr and "1 row has no date in column 'd'" in r.stderr
    assert r.stderr.count("(no row numbers in a database)") == 2


def test_a_url_without_password_uses_libpq_pgpassword(tmp_path: Path, pg: pg_server.Server,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    """The URL may sit in the config when it holds no password; libpq reads PGPASSWORD itself."""
    monkeypatch.setenv("PGPASSWORD", pg_server.PASSWORD)
    url = f"postgresql://{pg_server.USER}@{pg.host}:{pg.port}/postgres"
    cfg = _write(tmp_path, config_with(db_inputs(url)))
    r = run(["scores", "-c", str(cfg), "--format", "csv"])
    assert r.exit_code == 0, r.stderr
    assert r.stdout == run(["scores", "-c", str(file_config(tmp_path)), "--format", "csv"]).stdout


def test_warnings_on_fetched_rows_give_no_row_numbers(tmp_path: Path, pg_env: str) -> None:
    """Rows fetched from a database (pushdown: false, or a CRM table) have no row numbers to show: the
    warnings give counts and examples, never the position in an unordered result."""
    _table(pg_env, "odd_answers", "nps text", "('9'), ('ten'), ('3'), ('42')")
    for pushdown in ("true", "false"):
        cfg = _write(tmp_path, f"inputs:\n  survey: {{connection: env:CX_DB, table: odd_answers, pushdown: {pushdown}}}\n"
                     "scores:\n  nps: {column: nps}\n", f"{pushdown}.yaml")  # fmt: skip
        r = run(["scores", "-c", str(cfg), "--format", "json"])
        assert r.exit_code == 0, r.stderr
        assert "2 NPS answers in column 'nps'" in r.stderr, r.stderr
        assert not re.search(r"\brows? \d", r.stderr), r.stderr
        assert "e.g. 'ten', '42'" in r.stderr or "e.g. '42', 'ten'" in r.stderr


def test_check_refuses_a_report_table_of_another_shape(tmp_path: Path, pg_env: str) -> None:
    _table(pg_env, "not_results", "a integer", "(1)")
    cfg = _write(tmp_path, config_with(db_inputs(), REPORT.replace("public.cx_results", "not_results")))
    r = run(["check", "-c", str(cfg)], ok=False)
    assert r.exit_code == 2 and "the table exists without the columns run_id, config, as_of" in r.stderr
