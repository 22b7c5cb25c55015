"""Counts pushed down to PostgreSQL against exporting the answers to CSV and reading the file.

    python benchmarks/bench_postgres.py [--rows 10000000]

A throwaway PostgreSQL server (as in the test suite) holds the survey of ``bench_scores.py`` as a typed
table (timestamp, text segments, integer answers), the way a survey tool's sync keeps it. The job: NPS +
CSAT + CES by region x plan x month (3,840 groups). Timed in one run, side by side:

- ``cxroi scores`` on ``{connection, table}``: the GROUP BY by day runs in PostgreSQL, counts come back;
- the same with ``pushdown: false``: the six columns are fetched (binary COPY through ADBC) and counted
  by DuckDB here;
- the export route: ``psql \\copy (SELECT ...) TO file.csv`` and then ``cxroi scores`` on that file;
- the same GROUP BY written by hand in psql (the database's own floor: no client work at all).

Both cxroi outputs are compared and must be identical. Loading the table is not timed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bench_scores import SCORES_YAML, ensure_file  # noqa: E402

from tests.warehouse import pg_server  # noqa: E402

CONFIG = """version: 1
inputs:
  survey: {source}
""" + SCORES_YAML + """engine:
  cache: false
"""
BY_HAND = (
    "SELECT date_trunc('month', date) AS m, region, plan, nps, count(*) FROM responses "
    "GROUP BY GROUPING SETS ((1, 2, 3, 4), (1, 2, 3, csat), (1, 2, 3, ces))"
)


def load(url: str, csv: Path) -> None:
    """The survey CSV into a typed table (DuckDB reads it, ADBC's COPY writes it)."""
    import adbc_driver_postgresql.dbapi as pg
    import duckdb

    con = duckdb.connect()
    reader = con.sql(
        f"SELECT CAST(date AS TIMESTAMP) AS date, region, plan, TRY_CAST(nps AS INTEGER) AS nps, "
        f"TRY_CAST(csat AS INTEGER) AS csat, TRY_CAST(ces AS INTEGER) AS ces "
        f"FROM read_csv('{csv}', all_varchar = true)"
    ).to_arrow_reader(1 << 20)
    with pg.connect(url) as pgc, pgc.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS responses")
        cur.adbc_ingest("responses", reader, mode="create")
        pgc.commit()
    with pg.connect(url, autocommit=True) as pgc, pgc.cursor() as cur:
        cur.execute("VACUUM ANALYZE responses")


def timed(cmd: list[str], env: dict[str, str], out: Path | None = None) -> float:
    start = time.perf_counter()
    with open(out or os.devnull, "wb") as fh:
        subprocess.run(cmd, check=True, stdout=fh, env=env)
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=10_000_000)
    args = ap.parse_args()
    csv = ensure_file(args.rows)
    psql = shutil.which("psql") or str(next(Path("/usr/lib/postgresql").glob("*/bin/psql")))
    work = Path(tempfile.mkdtemp(prefix="cxroi-bench-pg-"))
    gen = pg_server.start()
    server = next(gen)
    try:
        url = server.url()
        env = {**os.environ, "CX_DB": url}
        t0 = time.perf_counter()
        load(url, csv)
        print(f"loaded {args.rows:,} answers into PostgreSQL in {time.perf_counter() - t0:.1f} s (not timed)")
        db_cfg = work / "db.yaml"
        db_cfg.write_text(CONFIG.format(source="{connection: env:CX_DB, table: responses}"))
        fetch_cfg = work / "fetch.yaml"
        fetch_cfg.write_text(CONFIG.format(source="{connection: env:CX_DB, table: responses, pushdown: false}"))
        export = work / "export.csv"
        file_cfg = work / "file.yaml"
        file_cfg.write_text(CONFIG.format(source=f"{{path: {export}}}"))
        cxroi = [sys.executable, "-m", "cxroi", "scores", "--format", "csv", "-c"]
        pushed = timed([*cxroi, str(db_cfg)], env, work / "pushed.csv")
        fetched = timed([*cxroi, str(fetch_cfg)], env, work / "fetched.csv")
        copy = timed([psql, url, "-q", "-c", f"\\copy (SELECT date, region, plan, nps, csat, ces FROM responses) "
                      f"TO '{export}' CSV HEADER"], env)  # fmt: skip
        read = timed([*cxroi, str(file_cfg)], env, work / "exported.csv")
        by_hand = timed([psql, url, "-q", "-c", BY_HAND], env)
        same = (work / "pushed.csv").read_bytes() == (work / "exported.csv").read_bytes() \
            == (work / "fetched.csv").read_bytes()
        mib = export.stat().st_size / (1 << 20)
        print(f"\n{args.rows:,} answers, NPS + CSAT + CES by region x plan x month (3,840 groups)\n")
        print("| route | wall time |")
        print("|---|---|")
        print(f"| cxroi on `{{connection, table}}` (counts pushed down) | {pushed:.2f} s |")
        print(f"| cxroi with `pushdown: false` (columns fetched, counted here) | {fetched:.2f} s |")
        print(f"| export with psql `\\copy` ({mib:,.0f} MiB CSV) | {copy:.2f} s |")
        print(f"| then `cxroi scores` on the exported file | {read:.2f} s |")
        print(f"| export + read | {copy + read:.2f} s |")
        print(f"| the GROUP BY by hand in psql (the database alone) | {by_hand:.2f} s |")
        print(f"\nidentical results: {same}")
        if not same:
            raise SystemExit("the three routes' results differ")
    finally:
        gen.close()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
