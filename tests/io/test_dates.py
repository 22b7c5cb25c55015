"""Day/month order, zones and Excel serials in date columns (see cxroi.io.dates)."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from cxroi.io import open_source
from cxroi.io.dates import EXCEL_SERIAL, guess_date_format, header_order
from tests.conftest import mutated
from tests.test_cli import run

X = Path(__file__).parent.parent / "fixtures" / "exports"


def test_hebrew_month_to_date_export_is_day_first() -> None:
    """Every day is <= 12, so both orders parse; the header (יום/חודש/שנה) says day first: months 2..7,
    six of them (read as US dates there would be nine, every one wrong)."""
    r = run(["scores", str(X / "hebrew_mtd.csv"), "--nps", "ציון", "--date", "תאריך (יום/חודש/שנה)",
             "--period", "month", "-f", "json"])  # fmt: skip
    assert r.exit_code == 0, r.stderr
    periods = [rec["period"] for rec in json.loads(r.stdout)]
    assert periods == ["2026-02", "2026-03", "2026-04", "2026-05", "2026-06", "2026-07"]
    assert "Warning" not in r.stderr


def test_ambiguous_dates_warn_and_strict_refuses(tmp_path: Path) -> None:
    f = tmp_path / "s.csv"
    f.write_text("id,when,score\n1,01/02/2026,9\n2,03/04/2026,5\n")
    r = run(["scores", str(f), "--nps", "score", "--date", "when", "--period", "month", "-f", "csv"])
    assert r.exit_code == 0
    assert "assumed month first (%m/%d/%Y)" in r.stderr and "--date-format" in r.stderr
    r = run(["scores", str(f), "--nps", "score", "--date", "when", "--period", "month", "--strict"], ok=False)
    assert r.exit_code == 4 and "reads both as month/day and as day/month" in r.stderr
    pinned = run(["scores", str(f), "--nps", "score", "--date", "when", "--period", "month",
                  "--date-format", "%d/%m/%Y", "-f", "csv", "--strict"])  # fmt: skip
    assert pinned.exit_code == 0 and "2026-02" in pinned.stdout and "2026-04" in pinned.stdout


def test_a_day_above_12_far_down_the_column_settles_the_order(tmp_path: Path) -> None:
    rows = [f"{i},{(i % 12) + 1:02d}/03/2026,9" for i in range(1000)] + ["1000,25/03/2026,9"]
    f = tmp_path / "s.csv"
    f.write_text("id,when,score\n" + "\n".join(rows) + "\n")
    src = open_source(str(f))
    assert src.date_format("when") == "%d/%m/%Y"
    assert "further down" in src.date_formats["when"][1] and not src.warnings


def test_semicolon_export_is_day_first(tmp_path: Path) -> None:
    f = tmp_path / "s.csv"
    f.write_text("id;when;score\n1;01/02/2026;9\n2;03/04/2026;5\n")
    src = open_source(str(f))
    assert src.date_format("when") == "%d/%m/%Y" and not src.warnings


def test_header_hints() -> None:
    assert header_order("Date (DD/MM/YYYY)") == "day-first"
    assert header_order("Tarih (gün/ay/yıl)") == "day-first"
    assert header_order("Datum") == "day-first"
    assert header_order("Order date (MM/DD/YYYY)") == "month-first"
    assert header_order("Created") is None


def test_zone_offsets_and_utc_suffix_are_read_as_wall_time(tmp_path: Path) -> None:
    f = tmp_path / "s.csv"
    f.write_text("id,when,score\n1,2025-06-30 23:13:05 -0400,9\n2,2025-07-01 00:10:00 -0400,5\n")
    r = run(["scores", str(f), "--nps", "score", "--date", "when", "--period", "month", "-f", "json"])
    assert [rec["period"] for rec in json.loads(r.stdout)] == ["2025-06", "2025-07"]
    fmt, share = guess_date_format(["2026-03-08 13:42:27 UTC"])
    assert fmt == "%Y-%m-%d %H:%M:%S [zone dropped]" and share == 1.0


def test_excel_serial_numbers(tmp_path: Path) -> None:
    """45658 is 2025-01-01 (days since 1899-12-30); 45689.75 is 2025-02-01 18:00."""
    assert guess_date_format(["45658", "45689.75"]) == (EXCEL_SERIAL, 1.0)
    f = tmp_path / "s.csv"
    f.write_text("id,when,score\n1,45658,9\n2,45689.75,5\n")
    r = run(["scores", str(f), "--nps", "score", "--date", "when", "--period", "month", "-f", "json"])
    assert r.exit_code == 0, r.stderr
    assert [rec["period"] for rec in json.loads(r.stdout)] == ["2025-01", "2025-02"]


def test_labels_zendesk_good_bad_and_intercom_emoji() -> None:
    """Zendesk: Good 3, Bad 2, Offered/Not Offered are no answer -> CSAT 3/5 = 60%. Intercom: 🤩 2, 😃 2,
    😐 1, 🙁 1, 😠 1 -> top two boxes 4/7 = 57.14%."""
    r = run(["scores", str(X / "zendesk_satisfaction.csv"), "--csat", "Satisfaction", "-f", "json"])
    assert r.exit_code == 0, r.stderr
    rec = json.loads(r.stdout)[0]
    assert (rec["n"], rec["satisfied"], rec["value"]) == (5, 3, 60.0)
    r = run(["scores", str(X / "intercom_ratings.csv"), "--csat", "Rating", "-f", "json"])
    rec = json.loads(r.stdout)[0]
    assert (rec["n"], rec["satisfied"]) == (7, 4) and abs(rec["value"] - 400 / 7) < 1e-12


def test_config_labels_and_turkish_likert(tmp_path: Path) -> None:
    f = tmp_path / "s.csv"
    f.write_text("id,memnuniyet,ces\n1,Çok memnunum,Very easy!\n2,Memnun değilim,Hard\n3,Kararsızım,Hard\n")
    cfg = tmp_path / "c.yaml"
    cfg.write_text("scores:\n  ces:\n    scale: [1, 5]\n    disagree: [1, 2]\n    neutral: [3, 3]\n    agree: [4, 5]\n"
                   "    labels: {'Very easy!': 5, Hard: 2}\n")  # fmt: skip
    r = run(["scores", str(f), "-c", str(cfg), "--csat", "memnuniyet", "--ces", "ces", "-f", "json"])
    assert r.exit_code == 0, r.stderr
    recs = {rec["metric"]: rec for rec in json.loads(r.stdout)}
    assert recs["csat"]["n"] == 3 and recs["csat"]["satisfied"] == 1
    assert recs["ces"]["n"] == 3 and recs["ces"]["value"] == 3.0


def test_several_questions_per_metric(tmp_path: Path) -> None:
    """Q5: 9, 10, 6, 8 -> NPS 25; Q12: 3, 7, 2, 10 -> 1 promoter, 2 detractors of 4 -> -25."""
    f = tmp_path / "s.csv"
    f.write_text("id,Q5,Q5_NPS_GROUP,Q12,Q12_NPS_GROUP\n1,9,3,3,1\n2,10,3,7,2\n3,6,1,2,1\n4,8,2,10,3\n")
    r = run(["scores", str(f), "--nps", "Q5", "--nps", "Q12", "-f", "json"])
    assert r.exit_code == 0, r.stderr
    got = {rec["question"]: rec["value"] for rec in json.loads(r.stdout)}
    assert got == {"Q5": 25.0, "Q12": -25.0}


def test_impossible_dates_are_unreadable_not_rolled_over(tmp_path: Path) -> None:
    """Arrow's strptime reads 30/02/2025 as 2 March; cxroi counts it as a date it cannot read."""
    f = tmp_path / "s.csv"
    f.write_text("id,when,score\n1,31/01/2025,9\n2,30/02/2025,9\n3,28/02/2025,9\n4,2025-13-01,9\n")
    r = run(["scores", str(f), "--nps", "score", "--date", "when", "--period", "month", "-f", "json",
             "--date-format", "%d/%m/%Y"])  # fmt: skip
    assert r.exit_code == 0, r.stderr
    assert [(rec["period"], rec["n"]) for rec in json.loads(r.stdout)] == [("2025-01", 1), ("2025-02", 1)]
    assert "2 dates in column 'when' could not be read" in r.stderr and "rows 3, 5" in r.stderr
    iso = tmp_path / "i.csv"
    iso.write_text("id,when,score\n1,2025-01-31,9\n2,2025-02-30,9\n3,2025-02-28,9\n")
    r = run(["scores", str(iso), "--nps", "score", "--date", "when", "--period", "month", "-f", "json"])
    assert [(rec["period"], rec["n"]) for rec in json.loads(r.stdout)] == [("2025-01", 1), ("2025-02", 1)]
    assert "1 date in column 'when' could not be read" in r.stderr


def test_several_questions_from_the_config(tmp_path: Path) -> None:
    f = tmp_path / "s.csv"
    f.write_text("id,Q5,Q12\n1,9,3\n2,10,7\n3,6,2\n4,8,10\n")
    cfg = tmp_path / "c.yaml"
    cfg.write_text("scores:\n  nps: {column: [Q5, Q12]}\n")
    r = run(["scores", str(f), "-c", str(cfg), "-f", "json"])
    assert r.exit_code == 0, r.stderr
    assert {rec["question"]: rec["value"] for rec in json.loads(r.stdout)} == {"Q5": 25.0, "Q12": -25.0}


def test_iso_cells_by_hand() -> None:
    """The ISO forms read in an ISO column (``ISO_CELL``), with the values written out by hand; the zone
    is dropped (wall-clock time), the fraction kept to the microsecond; everything else is unreadable."""
    from datetime import datetime

    import pyarrow as pa

    from cxroi.io.arrow_dates import iso_cells

    cells = {
        "2024-09-29": datetime(2024, 9, 29),
        " 2024-09-29\t": datetime(2024, 9, 29),
        "2024-09-29T09": datetime(2024, 9, 29, 9),
        "2024-09-29 09:05": datetime(2024, 9, 29, 9, 5),
        "2024-09-29T23:59:59.123456789": datetime(2024, 9, 29, 23, 59, 59, 123456),
        "2024-09-29T09:00:00.5Z": datetime(2024, 9, 29, 9, 0, 0, 500000),
        "2024-09-30T23:30:00-02:00": datetime(2024, 9, 30, 23, 30),
        "2024-09-29 09:00:00+0530": datetime(2024, 9, 29, 9),
        "2024-02-29": datetime(2024, 2, 29),
        "2000-02-29": datetime(2000, 2, 29),
        "1970-01-01": datetime(1970, 1, 1),
        "1969-12-31T23:59:59": datetime(1969, 12, 31, 23, 59, 59),
        "0001-01-01": datetime(1, 1, 1),
        "9999-12-31 23:59:59": datetime(9999, 12, 31, 23, 59, 59),
    }
    unreadable = ["2023-02-29", "1900-02-29", "2024-04-31", "2024-13-01", "2024-00-10", "2024-09-29 24:00",
                  "2024-09-29 23:60", "2024-09-29 23:59:60", "2024-9-29", "2024-09-29 9:00", "2024-09-29 09:00: 1",
                  "20240929", "2024-W39", "2024-09-29t09:00", "2024-09-29T09:00:00,5", "2024-09-29Z",
                  "2024-09-29T09:00:00.", "+2024-09-29", "29/09/2024", "", "soon"]  # fmt: skip
    got = iso_cells(pa.array([*cells, *unreadable, None], pa.string())).to_pylist()
    assert got == [*cells.values(), *[None] * (len(unreadable) + 1)]


_CANDIDATES = st.one_of(
    st.builds(
        lambda d, t, sep, zone, cut: d.isoformat() + (sep + t.isoformat()[:cut] + zone if sep else ""),
        st.dates(),
        st.times(),
        st.sampled_from(["", "T", " ", "t", "  "]),
        st.sampled_from(["", "Z", "+02:00", "-0500", "+01", " Z"]),
        st.sampled_from([2, 5, 8, 10, 12, 15]),
    ),
    st.text(alphabet="0123456789-:T .Z+", min_size=8, max_size=26),
)


@settings(max_examples=300, deadline=None)
@given(cell=_CANDIDATES)
def test_what_pyarrows_iso_parser_reads_iso_cells_reads_alike(cell: str) -> None:
    """The reader parses an ISO column with pyarrow's ISO-8601 parser while reading and falls back to
    ``iso_cells`` on the text only when that fails: so every cell pyarrow reads must be one ISO_CELL reads,
    with the same value, or a file's cells would be read differently depending on the others."""
    import io

    import pyarrow as pa
    import pyarrow.csv as pacsv

    from cxroi.io.arrow_dates import iso_cells

    options = pacsv.ConvertOptions(column_types={"d": pa.timestamp("us")}, timestamp_parsers=[pacsv.ISO8601])
    try:
        fast = pacsv.read_csv(io.BytesIO(f'd\n"{cell}"\n'.encode()), convert_options=options)["d"][0].as_py()
    except pa.ArrowInvalid:
        return
    if fast is not None:
        assert iso_cells(pa.array([cell])).to_pylist() == [fast]


def _cell(fmt: str, y: int, mo: int, d: int, h: int, mi: int, s: int, pad: bool, noise: str,
          edits: list[tuple[int, int, str]]) -> str:  # fmt: skip
    fields = {"%Y": f"{y:04d}", "%y": f"{y % 100:02d}", "%m": f"{mo:02d}" if pad else str(mo),
              "%d": f"{d:02d}" if pad else str(d), "%H": f"{h:02d}", "%I": f"{(h % 12) or 12:02d}",
              "%M": f"{mi:02d}", "%S": f"{s:02d}", "%p": "PM" if h >= 12 else "am"}  # fmt: skip
    text = fmt
    for k, v in fields.items():
        text = text.replace(k, v)
    return mutated(text + noise, edits)  # a character replaced, inserted or deleted


@settings(max_examples=300, deadline=None)
@given(
    fmt=st.sampled_from([f for f in __import__("cxroi.io.dates", fromlist=["FORMATS"]).FORMATS if f != "%Y%m%d"]),
    cells=st.lists(
        st.tuples(st.integers(1890, 2100), st.integers(0, 13), st.integers(0, 32), st.integers(0, 25),
                  st.integers(0, 61), st.integers(0, 62), st.booleans(),
                  st.sampled_from(["", "", "", " ", "x", ":00", "  PM"]),
                  st.lists(st.tuples(st.integers(0, 2), st.integers(0, 25), st.sampled_from(list(" \t0159/-:.+aPm"))),
                           max_size=2)),
        min_size=1, max_size=40),
)  # fmt: skip
def test_writing_back_only_the_cells_that_can_differ_refuses_what_writing_back_all_refuses(
    fmt: str, cells: list[tuple[int, int, int, int, int, int, bool, str, list[tuple[int, int, str]]]]
) -> None:
    """``_strict_strptime`` writes back only the cells whose parsed day is the 1st to 3rd (a rolled-over
    day) or second 0 or 1 (a rolled-over second), or whose separators are not the format's, for formats of
    separated numeric fields; on cells with impossible days, months, hours and seconds, unpadded fields,
    trailing noise and a character replaced, inserted or deleted (a space before a number, a run of
    digits) it gives exactly what writing every cell back gives."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from cxroi.io.arrow_dates import SEPARATED_NUMERIC, _strict_strptime, _written_back

    assert SEPARATED_NUMERIC.match(fmt)
    texts = pa.array([_cell(fmt, *c) for c in cells])
    every = _written_back(texts, pc.strptime(texts, format=fmt, unit="us", error_is_null=True), fmt)
    assert _strict_strptime(texts, fmt).to_pylist() == every.to_pylist()
