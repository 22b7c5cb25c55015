"""DuckDB reading a CSV itself (``read_csv``) against DuckDB reducing what cxroi's reader read
(``engine.csv: reader``; the streaming reader was the oracle while the engine moved, and its own tests fix
its values by hand): on every reader fixture the records, totals, trends and warnings are identical; where
``read_csv`` cannot express a file, -v says why and the reader feeds DuckDB. The whole suite also passes
with CXROI_ENGINE=reader."""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
import os
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cxroi.config import CesConfig, CsatConfig, NpsConfig
from cxroi.io import ReadOptions, TableSource
from cxroi.pipeline.scores import ScoresRequest, compute_scores
from tests.conftest import FIXTURES, mutated

CASES: list[tuple[str, dict[str, Any], str | None]] = [
    ("qualtrics_nps.csv", {"nps": "Q1", "csat": "Q2", "date": "RecordedDate", "period": "month", "by": ("Region",)}, None),
    ("surveymonkey.csv", {"nps": "How likely is it that you would recommend us to a friend or colleague?"}, None),
    ("typeform.csv", {"nps": "How likely are you to recommend Acme to a friend?", "date": "Submit Date (UTC)",
                      "period": "month"}, None),
    ("google_forms.csv", {"nps": "How likely are you to recommend us?", "date": "Timestamp", "period": "month"},
     "date format"),
    ("semicolon_eu.csv", {"nps": "Empfehlung", "csat": "Zufriedenheit", "date": "Datum", "period": "quarter"}, None),
    ("qualtrics_legacy_utf16.tsv", {"nps": "Q5", "date": "RecordedDate", "period": "month", "by": ("Segment",)},
     None),
    ("exports/hebrew_mtd.csv", {"nps": "ציון", "date": "תאריך (יום/חודש/שנה)", "period": "month", "by": ("סניף",)},
     None),
    ("exports/turkish_survey.csv", {"nps": "Tavsiye puanı", "csat": "Memnuniyet", "date": "Oluşturuldu",
                                    "period": "month", "by": ("Bölge",)}, None),
    ("exports/zendesk_satisfaction.csv", {"csat": "Satisfaction", "date": "Created at", "period": "month"}, None),
    ("exports/intercom_ratings.csv", {"csat": "Rating", "date": "Rated at", "period": "month"}, "date format"),
    ("exports/delighted_nps.csv", {"nps": "Score", "date": "Created At (UTC)", "period": "month",
                                   "by": ("Properties: Plan",)}, None),
    ("exports/medallia.csv", {"nps": "Likelihood to Recommend (0-10)", "csat": "Overall Satisfaction (1-5)",
                              "ces": "Ease of Doing Business (1-7)", "date": "Response Date", "period": "month",
                              "by": ("Unit",)}, None),
    ("../../sample_data/survey_qualtrics.csv", {"nps": "Q1", "csat": "Q2", "ces": "Q3", "date": "RecordedDate",
                                                "period": "quarter", "by": ("Region", "Plan")}, None),
]  # fmt: skip


def request_for(spec: dict[str, Any], engine: str) -> ScoresRequest:
    return ScoresRequest(
        nps=NpsConfig(column=spec["nps"]) if "nps" in spec else None,
        csat=CsatConfig(column=spec["csat"], labels={}) if "csat" in spec else None,
        ces=CesConfig(column=spec["ces"]) if "ces" in spec else None,
        date=spec.get("date"),
        by=spec.get("by", ()),
        period=spec.get("period"),
        until=dt.date(2026, 12, 1),
        totals=True,
        min_n=30,
        engine=engine,
        paths=[],
    )


def both(path: Path, spec: dict[str, Any]) -> tuple[Any, Any, ScoresRequest]:
    arrow = compute_scores([TableSource(str(path), ReadOptions())], request_for(spec, "reader"))
    req = request_for(spec, "duckdb")
    duck = compute_scores([TableSource(str(path), ReadOptions())], req)
    return arrow, duck, req


def same(a: Any, b: Any) -> None:
    """Equal, with NaN equal to NaN (a single answer's undefined margin)."""
    for name in ("records", "overall", "segments", "trend", "warnings", "answers", "distributions"):
        x, y = getattr(a, name), getattr(b, name)
        assert json.dumps(x, sort_keys=True, default=str) == json.dumps(y, sort_keys=True, default=str), name


@pytest.mark.parametrize(("name", "spec", "fallback"), CASES, ids=[c[0] for c in CASES])
def test_duckdb_gives_the_streaming_readers_results(
    name: str, spec: dict[str, Any], fallback: str | None
) -> None:
    arrow, duck, req = both(FIXTURES / name, spec)
    same(arrow, duck)
    assert req.paths is not None
    if fallback is None:
        assert "DuckDB read_csv" in req.paths[0], req.paths[0]
    else:
        assert "reader" in req.paths[0] and fallback in req.paths[0], req.paths[0]


def test_invalid_answers_dates_and_row_numbers(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text(
        "date,region,nps\n2025-01-05,EMEA,9\n2025-01-06,APAC,11\n,EMEA,3\nnot a date,EMEA,7\n"
        "2025-02-30,APAC,10\n2027-01-01,EMEA,8\n2025-03-01, EMEA ,abc\n2025-03-02,,\n",
        encoding="utf-8",
    )
    spec = {"nps": "nps", "date": "date", "period": "month", "by": ("region",)}
    arrow, duck, req = both(path, spec)
    same(arrow, duck)
    assert "DuckDB" in (req.paths or [""])[0]
    assert any("rows 3, 8" in w and "'11'" in w and "'abc'" in w for w in duck.warnings), duck.warnings
    assert any("2 dates" in w and "rows 5, 6" in w for w in duck.warnings)  # 'not a date' and 30 February
    assert any("no date" in w and "row 4" in w for w in duck.warnings)


def test_multiline_cells_and_answer_texts_give_hand_counts(tmp_path: Path) -> None:
    """Quoted cells holding new lines, delimiters and quotes, and answers written as labels, with spaces
    or a decimal comma, counted by DuckDB's read_csv: promoters 10 - Extremely likely, " 9 ", 10, "9,0";
    passive 7; detractors 3, 0 -> n 7, NPS (4 - 2) / 7."""
    path = tmp_path / "s.csv"
    path.write_text(
        'id,comment,nps\nR_1,"fine,\nreally ""fine""",10 - Extremely likely\nR_2,"two\n\nlines", 9 \n'
        'R_3,ok,10\nR_4,"a,b",7\nR_5,,3\nR_6,"x\ny",0\nR_7,z,"9,0"\n',
        encoding="utf-8",
    )
    arrow, duck, req = both(path, {"nps": "nps"})
    same(arrow, duck)
    assert "DuckDB read_csv" in (req.paths or [""])[0]
    (rec,) = [r for r in duck.records if r.get("metric") == "nps"]
    assert (rec["n"], rec["promoters"], rec["passives"], rec["detractors"]) == (7, 4, 1, 2)
    assert rec["value"] == pytest.approx(200 / 7, abs=1e-9)
    assert not duck.warnings


@pytest.mark.parametrize("kind", ["csv", "parquet"])
def test_empty_text_answers_are_blanks_counted_with_the_nulls(kind: str, tmp_path: Path) -> None:
    """'' (a quoted empty CSV cell, an empty Parquet string), a missing cell and a lone space are blanks to
    the answer rules; DuckDB counts '' with the NULLs. By hand: A has one answer (10), B one (9)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / f"s.{kind}"
    if kind == "csv":
        path.write_text('region,nps\nA,""\nA,\nB,9\nB," "\nA,10\n', encoding="utf-8")
    else:
        pq.write_table(
            pa.table({"region": ["A", "A", "B", "B", "A"], "nps": ["", None, "9", " ", "10"]}), path
        )
    arrow, duck, req = both(path, {"nps": "nps", "by": ("region",)})
    same(arrow, duck)
    assert "DuckDB read_" in (req.paths or [""])[0]
    by_region = {r["region"]: r for r in duck.records if r.get("metric") == "nps" and r.get("region")}
    assert [by_region[g]["n"] for g in ("A", "B")] == [1, 1] and not duck.warnings


def test_footer_rows_are_left_out_whatever_the_length_of_the_first_cell(tmp_path: Path) -> None:
    """DuckDB skips the footer test for first cells shorter than the shortest marker; a long id that is
    no footer, a marker behind spaces and a short cell ("Copy") are told apart as the reader does."""
    path = tmp_path / "s.csv"
    path.write_text(
        "id,region,nps\nR_1,EMEA,9\nR_2a3B4c5D6e7F8g,EMEA,10\nCopy,EMEA,3\nGrand Totals (3 records),,\n"
        "  Copyright (c) 2000-2026 salesforce.com,,\nConfidential Information - Do Not Distribute,,\n"
        "Copyright,APAC,0\n",
        encoding="utf-8",
    )
    arrow, duck, req = both(path, {"nps": "nps", "by": ("region",)})
    same(arrow, duck)
    assert "DuckDB read_csv" in (req.paths or [""])[0]
    by_region = {r["region"]: r for r in duck.records if r.get("metric") == "nps" and r.get("region")}
    # EMEA: 9, 10 (promoters), 3 (detractor) -> n 3, NPS (2 - 1) / 3; APAC: the 0 of "Copyright"
    assert by_region["EMEA"]["n"] == 3 and by_region["EMEA"]["value"] == pytest.approx(100 / 3, abs=1e-9)
    assert by_region["APAC"]["n"] == 1 and by_region["APAC"]["value"] == -100



def test_footer_prefilter_lets_through_every_first_character_re2_folds_to_a_marker() -> None:
    """The footer match runs only on cells starting with one of ``FOOTER_STARTS``: every code point that,
    put before a marker or in place of its first letter, makes one of the two RE2 patterns match (the
    reader's full-row ``_FOOTER_ROW`` and the padded short row's ``SHORT_FOOTER``) is among them, and each
    of them starts a match (none is there for nothing)."""
    import duckdb
    import pyarrow as pa

    from cxroi.engine.duckdb_scores import FOOTER_STARTS, SHORT_FOOTER
    from cxroi.io.reader import _FOOTER_MARKERS, _FOOTER_ROW

    literals = [*_FOOTER_MARKERS, "grand total", "total (12 records)", "generated by"]
    cells = [
        chr(o) + tail
        for o in range(1, 0x110000)
        if not 0xD800 <= o < 0xE000
        for m in literals
        for tail in (m[1:], m)
    ]
    con = duckdb.connect()
    con.register("cells", pa.table({"x": cells}))
    hits = con.execute(
        "SELECT DISTINCT ascii(x) FROM cells WHERE regexp_matches(x, ?) OR regexp_matches(x, ?) ORDER BY 1",
        [_FOOTER_ROW, SHORT_FOOTER],
    ).fetchall()
    assert tuple(h for (h,) in hits) == FOOTER_STARTS


def test_full_width_footer_rows_are_left_out_as_the_reader_leaves_them_out(tmp_path: Path) -> None:
    """Report footers written as full rows (``Total (3 records),,,8``, ``Generated By: ...,,,``, ``Grand
    Total,,,``) are no responses: the reader drops them by ``_FOOTER_ROW``; DuckDB by the same pattern.
    Before, DuckDB knew only the short-row markers and counted ``Total (3 records)``'s 8 as a passive."""
    path = tmp_path / "s.csv"
    path.write_text(
        "id,date,region,nps\n1,2025-01-02,EU,9\n2,2025-01-03,EU,10\n3,2025-01-04,US,3\nGrand Total,,,\n"
        '"Generated By: Jane Doe",,,\nTotal (3 records),,,8\n\t"Grand Totals",,,7\n',
        encoding="utf-8",
    )
    arrow, duck, req = both(path, {"nps": "nps", "by": ("region",), "date": "date"})
    same(arrow, duck)
    assert "DuckDB read_csv" in (req.paths or [""])[0]
    by_region = {r["region"]: r["n"] for r in duck.records if r.get("metric") == "nps" and "region" in r}
    assert by_region == {"EU": 2, "US": 1}  # by hand: no (blank) region, no passive from a footer


rows = st.lists(
    st.tuples(
        st.one_of(st.none(), st.dates(dt.date(2024, 1, 1), dt.date(2027, 1, 1))),
        st.sampled_from(["EMEA", "APAC", " EMEA", "", "Ünal, A.Ş."]),
        st.one_of(
            st.integers(-1, 12).map(str), st.sampled_from(["", " 9 ", "9,0", "10 - Extremely likely", "x"])
        ),
    ),
    min_size=1,
    max_size=60,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=rows, period=st.sampled_from(["week", "month", "quarter", "year"]))
def test_random_files_give_identical_results(
    data: list[tuple[Any, str, str]], period: str, tmp_path_factory: Any
) -> None:
    folder = tmp_path_factory.mktemp("oracle")
    path = folder / "s.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["date", "region", "nps"])
        w.writerow(["2024-01-01", "EMEA", "9"])  # one valid answer, so both sides have something to score
        for d, region, score in data:
            w.writerow(["" if d is None else d.isoformat(), region, score])
    spec = {"nps": "nps", "date": "date", "period": period, "by": ("region",)}
    try:
        arrow = compute_scores([TableSource(str(path))], request_for(spec, "reader"))
    except Exception as exc:
        with pytest.raises(type(exc)):
            compute_scores([TableSource(str(path))], request_for(spec, "duckdb"))
        return
    duck = compute_scores([TableSource(str(path))], request_for(spec, "duckdb"))
    same(arrow, duck)


def test_engine_settings_reach_duckdb_and_its_temp_folder_is_removed(
    tmp_path: Path, monkeypatch: Any
) -> None:
    import tempfile

    from cxroi.config import EngineConfig

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    spec = {"nps": "Q1", "date": "RecordedDate", "period": "month"}
    path = FIXTURES / "qualtrics_nps.csv"
    settings = EngineConfig(memory_limit="64MB", threads=1)
    req = replace(request_for(spec, "duckdb"), engine_settings=settings)
    arrow = compute_scores([TableSource(str(path))], request_for(spec, "reader"))
    duck = compute_scores([TableSource(str(path))], req)
    same(arrow, duck)
    assert list(tmp_path.glob("cxroi-duckdb-*")) == []  # made for the spills, removed after
    with pytest.raises(ValueError, match="not a size"):
        EngineConfig(memory_limit="lots")


def test_latin1_file_read_by_duckdb(tmp_path: Path) -> None:
    path = tmp_path / "l.csv"
    path.write_bytes(
        "date;région;nps\n05/01/2025;Türkiye;9\n06/01/2025;España;4\n07/01/2025;Türkiye;x\n".encode("latin-1")
    )
    spec = {"nps": "nps", "date": "date", "period": "month", "by": ("région",)}
    options = ReadOptions(encoding="latin-1")
    arrow = compute_scores([TableSource(str(path), options)], request_for(spec, "reader"))
    req = request_for(spec, "duckdb")
    duck = compute_scores([TableSource(str(path), options)], req)
    same(arrow, duck)
    assert "DuckDB" in (req.paths or [""])[0]
    assert {r["région"] for r in duck.records} == {"Türkiye", "España"}


parquet_rows = st.lists(
    st.tuples(
        st.one_of(st.none(), st.datetimes(dt.datetime(1899, 6, 1), dt.datetime(2027, 1, 1))),
        st.sampled_from(["EMEA", "APAC", " EMEA", "", None, "Ünal, A.Ş."]),
        st.one_of(st.none(), st.integers(-1, 12)),
        st.one_of(
            st.none(),
            st.floats(-20, 20).map(lambda x: round(x, 3)),
            st.sampled_from([1.0, 4.0, 5.0, 4.5, -0.0, math.nan, math.inf]),
        ),
        st.sampled_from(["2025-01-05", "", "30/02/2025", "2025-13-01", None, "2024-12-31 23:59:59"]),
    ),
    min_size=1,
    max_size=60,
)


@settings(max_examples=int(os.environ.get("CXROI_ORACLE", "30")), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(data=parquet_rows, period=st.sampled_from(["week", "month", "quarter", "year"]),
       typed=st.booleans(), as_date=st.booleans())  # fmt: skip
def test_parquet_read_by_duckdb_gives_the_readers_results(
    data: list[tuple[Any, Any, Any, Any, Any]], period: str, typed: bool, as_date: bool, tmp_path_factory: Any
) -> None:
    """Parquet files are read by DuckDB itself (typed DATE/TIMESTAMP, integer, float with NaN and null,
    text columns); the reader's results are the oracle. (Floats beyond 1e15 may be written differently in
    a warning's examples, as may those below 1e-4 — pyarrow's and DuckDB's text of a double differ there
    — never counted so.)"""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path_factory.mktemp("oracle") / "s.parquet"
    stamps = [dt.datetime(2024, 1, 1), *(d for d, *_ in data)]
    days = [None if d is None else d.date() for d in stamps]
    when = pa.array(days, pa.date32()) if as_date else pa.array(stamps, pa.timestamp("us"))
    table = pa.table({
        "when": when if typed else pa.array(["2024-01-01", *(t for *_, t in data)]),
        "region": pa.array(["EMEA", *(r for _, r, *_ in data)]),
        "nps": pa.array([9, *(n for _, _, n, *_ in data)], pa.int64()),
        "csat": pa.array([5.0, *(c for *_, c, _ in data)], pa.float64()),
    })  # fmt: skip
    pq.write_table(table, path)
    spec = {"nps": "nps", "csat": "csat", "date": "when", "period": period, "by": ("region",)}
    try:
        arrow = compute_scores([TableSource(str(path))], request_for(spec, "reader"))
    except Exception as exc:  # e.g. no date format fits the text: the same error either way
        with pytest.raises(type(exc), match=str(exc)[:40].replace("(", r"\(")):
            compute_scores([TableSource(str(path))], request_for(spec, "duckdb"))
        return
    req = request_for(spec, "duckdb")
    duck = compute_scores([TableSource(str(path))], req)
    same(arrow, duck)
    assert req.paths is not None and "DuckDB read_parquet" in req.paths[0], req.paths[0]


def _no_quote_pass(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Record every pass over a file for unpaired quotes (``cxroi.io.sniff.unterminated_quote``)."""
    import cxroi.io.sniff as sniff

    calls: list[Path] = []
    real = sniff.unterminated_quote

    def spy(path: Path) -> int | None:
        calls.append(path)
        return real(path)

    monkeypatch.setattr(sniff, "unterminated_quote", spy)
    return calls


@pytest.mark.parametrize(
    ("text", "mode", "passes"),
    [
        ('id,nps,comment\n1,9,"fine, really"\n2,3,"two\nlines"\n3,10,ok\n', "strict_mode=true", 1),
        ('id,nps,product\n1,9,Monitor 27" wide\n2,3,Laptop\n3,10,Phone\n', "strict_mode=true", 1),
        ("id,nps,comment\n1,9,ok\n2,3,ok\n3,10,ok\nGrand Totals (3 records)\n", "null_padding=true", 2),
    ],
    ids=["quoted line breaks", "a literal quote mid-cell", "a footer at the end"],
)
def test_strict_mode_first_and_the_pass_for_quotes(
    text: str, mode: str, passes: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file strict mode reads needs no pass for unpaired quotes (the one pass is the reader's); a file
    whose last lines look ragged (a footer) is read padding short rows at once, its quotes checked."""
    calls = _no_quote_pass(monkeypatch)
    path = tmp_path / "s.csv"
    path.write_text(text, encoding="utf-8")
    arrow, duck, req = both(path, {"nps": "nps"})
    same(arrow, duck)
    assert req.paths is not None and "1 queries" in req.paths[0] and mode in req.paths[0], req.paths[0]
    assert calls == [path] * passes


def test_a_short_row_mid_file_makes_strict_mode_give_way(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Strict mode refuses the file, so its quotes are checked and it is read padding the short row (the
    reader skips such a row and says so; DuckDB counts its answer: the difference the engine's docstring
    states)."""
    calls = _no_quote_pass(monkeypatch)
    path = tmp_path / "s.csv"
    path.write_text(
        "id,nps,comment\n1,9,ok\n2,3\n" + "".join(f"{i},9,ok\n" for i in range(3, 10)), encoding="utf-8"
    )
    req = request_for({"nps": "nps"}, "duckdb")
    duck = compute_scores([TableSource(str(path), ReadOptions())], req)
    assert req.paths is not None and "2 queries" in req.paths[0] and "strict_mode=true" in req.paths[0]
    (rec,) = [r for r in duck.records if r.get("metric") == "nps"]
    assert (rec["n"], rec["promoters"], rec["detractors"]) == (9, 8, 1)
    assert calls == [path]


_ISO_BASES = {"%Y-%m-%dT%H:%M:%S": "T", "%Y-%m-%d %H:%M:%S": " ", "%Y-%m-%d": ""}
iso_like = st.one_of(
    st.builds(
        lambda d, t, sep, zone, cut: (d.isoformat() + (sep + t.isoformat()[:cut] + zone if sep else "")),
        st.dates(dt.date(1890, 1, 1), dt.date(2030, 12, 31)),  # before 1900 and after the as-of day too
        st.times(),
        st.sampled_from(["", "T", " ", "t"]),
        st.sampled_from(["", "Z", "+02:00", "-0500", "+01", " UTC"]),
        st.sampled_from([2, 5, 8, 10, 15]),
    ),
    st.sampled_from(["2024-09-29 09:00: 1", "2024-9-29", "2024-09-29 24:00:00", "2024-02-30", "20240929",
                     " 2024-09-29 ", "2024-09-29 9:00", "2024-09-29T09:00:00,5", "n/a", ""]),
)  # fmt: skip


@settings(max_examples=int(os.environ.get("CXROI_ORACLE", "15")), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(odd=st.lists(iso_like, min_size=1, max_size=4), base=st.sampled_from(list(_ISO_BASES)))
def test_iso_dates_read_alike_in_both_engines_whatever_the_other_cells(
    odd: list[str], base: str, tmp_path: Path
) -> None:
    """In a column sniffed as ISO (or one of its spellings), a cell is read by its own form alone: the
    reader (pyarrow's ISO parser while reading, ``iso_cells`` on the text when that fails) and DuckDB
    (``ISO_CELL`` in SQL) count the same periods and warn the same, whatever the other cells hold."""
    path = tmp_path / "iso.csv"
    rows = [f"{k},{dt.datetime(2024, 10, k % 28 + 1, 10, k % 60).strftime(base)},{k % 11}" for k in range(40)]
    rows += [f"{90 + i},\"{v}\",{i % 11}" for i, v in enumerate(odd)]
    path.write_text("id,date,nps\n" + "\n".join(rows) + "\n", encoding="utf-8")
    arrow, duck, _req = both(path, {"nps": "nps", "date": "date", "period": "month"})
    same(arrow, duck)
    # and each odd cell is counted exactly when ISO_CELL matches it and its day is a real one between 1900
    # and the as-of day (2026-12-01, ``request_for``); the 40 others are all in October 2024
    import re

    from cxroi.io.dates import ISO_CELL

    readable = [v for v in odd if re.fullmatch(ISO_CELL, v, flags=re.ASCII) and _real_day(v)]
    assert sum(r["n"] for r in duck.records if r.get("period")) == 40 + len(readable)


def _real_day(cell: str) -> bool:
    try:
        day = dt.date.fromisoformat(cell.strip()[:10])
    except ValueError:
        return False
    return dt.date(1900, 1, 1) <= day <= dt.date(2026, 12, 1)


@settings(max_examples=400, deadline=None)
@given(
    stamp=st.datetimes(dt.datetime(1, 1, 1), dt.datetime(9999, 12, 31)),
    fmt=st.sampled_from(["%Y-%m-%d", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "ISO8601"]),
    form=st.sampled_from(["%Y-%m-%d", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S"]),
    edits=st.lists(st.tuples(st.integers(0, 2), st.integers(0, 25), st.sampled_from(list(" \t\n+-.:T0129x"))),
                   max_size=3),
)  # fmt: skip
def test_the_iso_fast_path_gives_the_patterns_day_or_nothing(
    stamp: dt.datetime, fmt: str, form: str, edits: list[tuple[int, int, str]]
) -> None:
    """The SQL of an ISO cell trusts DuckDB's cast only when the cell is written exactly as DuckDB writes
    the value back (``iso_parts``): on cells near the ISO forms (a character replaced, inserted or
    deleted: spaces inside fields, signs, 24:00, 2024-9-29), wherever the fast path gives a value it is
    the day the pattern path gives, and the pattern path agrees with the reader's ``iso_cells``."""
    import duckdb
    import pyarrow as pa

    from cxroi.engine.sql_text import iso_parts
    from cxroi.io.arrow_dates import iso_cells

    cell = mutated(stamp.strftime(form).rjust(10, "0"), edits)
    fast, slow = iso_parts("x", fmt)
    got = duckdb.execute(
        f"SELECT CAST({fast} AS DATE), CAST({slow} AS DATE) FROM (SELECT ?::VARCHAR AS x)", [cell]
    ).fetchone()
    assert got is not None
    reader = iso_cells(pa.array([cell])).to_pylist()[0]
    assert got[1] == (reader.date() if reader is not None else None)
    if got[0] is not None:
        assert got[0] == got[1]
