"""The file path is the oracle of the pushed-down counts: random survey tables written as a CSV file, a
SQLite file and a DuckDB file give the same scores, byte for byte, with and without pushdown (answers as
integers, floats, labels, junk and blanks; text and typed dates, some unreadable; blank segments)."""

from __future__ import annotations

import csv
import datetime as dt
import os
import tempfile
from pathlib import Path

import duckdb
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import run

ANSWER = st.one_of(st.none(), st.integers(-1, 11), st.sampled_from(["9", " 7 ", "10 - Extremely likely", "x", "8.0"]))
SEGMENT = st.sampled_from(["EMEA", "APAC", "", None, "Ünïcode"])
DAY = st.one_of(st.none(), st.dates(dt.date(2024, 1, 1), dt.date(2025, 12, 31)))


@st.composite
def table(draw: st.DrawFn) -> list[tuple[object, ...]]:
    n = draw(st.integers(1, 40))
    return [(draw(DAY), draw(SEGMENT), draw(ANSWER), draw(st.one_of(st.none(), st.integers(0, 6)))) for _ in range(n)]


def _text(v: object) -> str:
    return "" if v is None else str(v)


@settings(max_examples=int(os.environ.get("CXROI_FUZZ", "25")), deadline=None,
          derandomize=not os.environ.get("CXROI_FUZZ"))  # fmt: skip
@given(rows=table(), typed=st.booleans())
def test_pushed_down_counts_equal_the_file(rows: list[tuple[object, ...]], typed: bool) -> None:
    with tempfile.TemporaryDirectory(prefix="cxroi-oracle-") as tmp:
        _same_scores(Path(tmp), rows, typed)


def _same_scores(folder: Path, rows: list[tuple[object, ...]], typed: bool) -> None:
    with open(folder / "s.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["d", "seg", "nps", "csat"])
        w.writerows([[_text(d), _text(s), _text(a), _text(c)] for d, s, a, c in rows])
    days = [d for d, *_ in rows]
    arrow = pa.table({
        "d": pa.array(days, pa.date32()) if typed else pa.array([d and d.isoformat() for d in days], pa.string()),
        "seg": pa.array([s for _d, s, *_ in rows], pa.string()),
        "nps": pa.array([None if a is None else str(a) for _d, _s, a, _c in rows], pa.string()),
        "csat": pa.array([c for *_x, c in rows], pa.int64()),
    })  # fmt: skip
    con = duckdb.connect(str(folder / "s.duckdb"))
    con.register("t", arrow)
    con.execute("CREATE TABLE s AS SELECT * FROM t")
    con.close()
    import adbc_driver_sqlite.dbapi as sq

    with sq.connect(str(folder / "s.sqlite")) as lite, lite.cursor() as cur:
        cur.adbc_ingest("s", arrow.set_column(0, "d", arrow.column("d").cast(pa.string())), mode="create")
        lite.commit()
    scores = "scores:\n  nps: {column: nps}\n  csat: {column: csat}\n  date: d\n  period: month\n  by: [seg]\n"
    outputs = {}
    for name, source in (("file", "{path: s.csv}"), ("duckdb", "{connection: 'duckdb:///s.duckdb', table: s}"),
                         ("sqlite", "{connection: 'sqlite:///s.sqlite', table: s}"),
                         ("fetched", "{connection: 'duckdb:///s.duckdb', table: s, pushdown: false}")):  # fmt: skip
        cfg = folder / f"{name}.yaml"
        cfg.write_text(f"inputs:\n  survey: {source}\n{scores}engine:\n  cache: false\n", encoding="utf-8")
        r = run(["scores", "-c", str(cfg), "--format", "csv"], ok=False)
        outputs[name] = (r.exit_code, r.stdout)
    assert outputs["duckdb"] == outputs["file"]
    assert outputs["sqlite"] == outputs["file"]
    assert outputs["fetched"] == outputs["file"]
