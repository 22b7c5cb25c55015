"""The reader layer on fixtures in the real export shapes (../shared/formats.md)."""

from __future__ import annotations

import io
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from openpyxl import Workbook

from cxroi.errors import DataError, InputError
from cxroi.io import ColumnKind, ReadOptions, open_source
from cxroi.io.sniff import sniff_delimiter


def read_column(
    path: Path | str, col: str, kind: ColumnKind = ColumnKind.TEXT, **opts: object
) -> list[object]:
    src = open_source(str(path), ReadOptions(**opts))  # type: ignore[arg-type]
    name = src.resolve(col)
    out: list[object] = []
    for b in src.batches({name: kind}):
        out.extend(b.columns[name].to_pylist())
    return out


def test_qualtrics_three_header_rows(fixtures: Path) -> None:
    src = open_source(str(fixtures / "qualtrics_nps.csv"))
    assert src.layout.kind == "qualtrics"
    assert src.encoding == "utf-8-sig" and src.delimiter == ","
    assert src.columns[0] == "StartDate"  # BOM stripped
    assert read_column(fixtures / "qualtrics_nps.csv", "Q1") == ["0", "7", "7", "9", "9", "9", None, "11"]


def test_column_by_import_id_and_question_text(fixtures: Path) -> None:
    src = open_source(str(fixtures / "qualtrics_nps.csv"))
    assert src.resolve("QID1") == "Q1"
    assert src.resolve("qid2") == "Q2"
    assert src.resolve("How likely are you to recommend Acme to a friend or colleague?") == "Q1"
    assert src.resolve("  overall, how satisfied are you with Acme? ") == "Q2"


def test_missing_column_suggests_closest(fixtures: Path) -> None:
    src = open_source(str(fixtures / "qualtrics_nps.csv"))
    with pytest.raises(DataError) as exc:
        src.resolve("Regoin")
    assert "Regoin" in exc.value.message and exc.value.hint and "'Region'" in exc.value.hint


def test_embedded_newlines_and_non_latin_text_kept(fixtures: Path) -> None:
    comments = read_column(fixtures / "qualtrics_nps.csv", "Q4")
    assert comments[0] == "Çok kötü, gerçekten.\nHiç memnun değilim"
    assert comments[1] == 'סביר, "בסדר"'
    regions = read_column(fixtures / "qualtrics_nps.csv", "Region", ColumnKind.CATEGORY)
    assert regions[:3] == ["İstanbul", "תל אביב", "São Paulo"]


def test_old_single_quoted_import_ids_in_utf16_tsv(fixtures: Path) -> None:
    src = open_source(str(fixtures / "qualtrics_legacy_utf16.tsv"))
    assert (src.layout.kind, src.encoding, src.delimiter) == ("qualtrics", "utf-16", "\t")
    assert src.resolve("QID5") == "Q5"
    assert len(read_column(fixtures / "qualtrics_legacy_utf16.tsv", "Q5")) == 200


def test_surveymonkey_two_header_rows(fixtures: Path) -> None:
    src = open_source(str(fixtures / "surveymonkey.csv"))
    assert src.layout.kind == "surveymonkey"
    assert "Which products do you use? - Product B" in src.columns
    q = "How likely is it that you would recommend us to a friend or colleague?"
    assert read_column(fixtures / "surveymonkey.csv", q)[:3] == ["10", "9", "9"]
    dates = read_column(fixtures / "surveymonkey.csv", "Start Date", ColumnKind.DATE)
    assert str(dates[0]) == "2025-01-10 13:15:00"  # US date, 01:15 PM


def test_semicolon_and_blank_line(fixtures: Path) -> None:
    src = open_source(str(fixtures / "semicolon_eu.csv"))
    assert src.delimiter == ";" and src.layout.kind == "plain"
    assert read_column(fixtures / "semicolon_eu.csv", "Zufriedenheit") == ["5", "4,0", "3", "2", "1"]
    assert read_column(fixtures / "semicolon_eu.csv", "Kommentar")[-1] == 'Ärger mit "Support"'
    dates = read_column(fixtures / "semicolon_eu.csv", "Datum", ColumnKind.DATE)
    assert str(dates[3]) == "2025-02-08 00:00:00"  # day-first


def test_delimiter_override_and_sniffing() -> None:
    assert sniff_delimiter("a|b|c\n1|2|3\n") == "|"
    assert sniff_delimiter("a\tb\n1\t2\n") == "\t"
    assert sniff_delimiter('a,b\n"x;y",2\n') == ","
    assert sniff_delimiter("a;b", "tab") == "\t"


def test_undecodable_bytes_give_a_hint(tmp_path: Path) -> None:
    """Latin-1 text is read (as Windows-1252, with a warning: tests/io/test_broken_files.py); bytes that no
    Windows code page uses (0x81) are refused with the hint."""
    path = tmp_path / "latin1.csv"
    path.write_bytes("Name,Score\nJosé,9\n".encode("latin-1"))
    source = open_source(str(path))
    assert source.encoding == "cp1252" and any("read as Windows-1252" in w for w in source.warnings)
    assert read_column(path, "Name", encoding="latin-1") == ["José"]
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"Name,Score\nJos\x81\xe9,9\n")
    with pytest.raises(InputError) as exc:
        open_source(str(bad))
    assert "not UTF-8" in exc.value.message and "--encoding" in (exc.value.hint or "")


def test_bad_bytes_late_in_the_file(tmp_path: Path) -> None:
    path = tmp_path / "late.csv"
    body = b"Name,Score\n" + b"Ana,9\n" * 200_000 + "José,9\n".encode("latin-1")
    path.write_bytes(body)
    src = open_source(str(path), ReadOptions(block_size=1 << 16))
    with pytest.raises(InputError) as exc:
        for _ in src.batches({"Name": ColumnKind.TEXT}):
            pass
    assert "--encoding" in (exc.value.hint or "")


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        open_source(str(tmp_path / "nope.csv"))
    with pytest.raises(InputError, match="directory"):
        open_source(str(tmp_path))
    (tmp_path / "empty.csv").write_bytes(b"")
    with pytest.raises(InputError, match="empty"):
        open_source(str(tmp_path / "empty.csv"))


def test_footer_lines_are_skipped_and_counted(tmp_path: Path) -> None:
    path = tmp_path / "report.csv"
    path.write_text(
        '"Customer","Score"\n"A","9"\n"B","3"\n\n"Grand Totals (2 records)"\n\n'
        '"Confidential Information - Do Not Distribute"\n'
        '"Copyright (c) 2000-2026 salesforce.com, inc. All rights reserved."\n'
    )
    src = open_source(str(path))
    values = [v for b in src.batches({"Score": ColumnKind.TEXT}) for v in b.columns["Score"].to_pylist()]
    assert values == ["9", "3"]
    assert src.skipped.count == 3 and src.skipped.footer == 3


def test_xlsx(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws.append(["Respondent", "NPS", "When", "Region"])
    from datetime import datetime

    ws.append(["r1", 9, datetime(2025, 1, 2, 3, 4, 5), "Kadıköy"])
    ws.append(["r2", 3, datetime(2025, 2, 2), "Lisboa"])
    path = tmp_path / "export.xlsx"
    wb.save(path)
    src = open_source(str(path))
    assert src.kind == "xlsx"
    batch = next(
        src.batches({"NPS": ColumnKind.CATEGORY, "When": ColumnKind.DATE, "Region": ColumnKind.CATEGORY})
    )
    assert batch.columns["NPS"].to_pylist() == [9.0, 3.0]
    assert str(batch.columns["When"][0]) == "2025-01-02 03:04:05"
    assert batch.columns["Region"].to_pylist() == ["Kadıköy", "Lisboa"]
    with pytest.raises(InputError, match="no sheet"):
        open_source(str(path), ReadOptions(sheet="Nope"))


def test_parquet(tmp_path: Path) -> None:
    path = tmp_path / "s.parquet"
    pq.write_table(pa.table({"nps": [9, 10, None], "seg": ["a", "b", "a"]}), path)
    src = open_source(str(path))
    assert src.kind == "parquet" and src.columns == ("nps", "seg")
    b = next(src.batches({"nps": ColumnKind.CATEGORY, "seg": ColumnKind.CATEGORY}))
    assert b.columns["nps"].to_pylist() == [9, 10, None]


def test_stdin(monkeypatch: pytest.MonkeyPatch, fixtures: Path) -> None:
    import cxroi.io.reader as reader

    data = (fixtures / "qualtrics_nps.csv").read_bytes()

    class FakeStdin:
        buffer = io.BytesIO(data)

    monkeypatch.setattr(reader, "_stdin_copy", None)
    monkeypatch.setattr(reader.sys, "stdin", FakeStdin())
    src = open_source("-")
    assert src.display == "<stdin>" and src.layout.kind == "qualtrics"
    assert src.resolve("QID1") == "Q1"


def test_bad_dates_are_flagged_not_fatal(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text("when,score\n2025-01-01,9\nyesterday,3\n2025-02-01,7\n,5\n")
    src = open_source(str(path))
    batches = list(src.batches({"when": ColumnKind.DATE}, text_dates=True))
    assert batches[0].bad_dates["when"].tolist() == [False, True, False, False]


def test_quoted_newlines_across_block_edges_are_reparsed(tmp_path: Path) -> None:
    from cxroi.io.reader import scan

    path = tmp_path / "multi.csv"
    rows = ["id,comment,score"] + [f'{i},"line one\nline two, with comma",{i % 11}' for i in range(3000)]
    path.write_text("\n".join(rows) + "\n")
    src = open_source(str(path), ReadOptions(block_size=1 << 10))
    wanted = {"comment": ColumnKind.TEXT, "score": ColumnKind.TEXT}

    def step(acc: list[tuple[str, str]], b: object) -> None:
        cols = b.columns  # type: ignore[attr-defined]
        acc.extend(zip(cols["comment"].to_pylist(), cols["score"].to_pylist(), strict=True))

    result = scan(src, wanted, list, step)
    assert src.multiline  # the fast path hit a block edge inside a quoted cell and re-read the file
    assert len(result) == 3000 and result[0] == ("line one\nline two, with comma", "0")
    assert src.skipped.count == 0


def test_google_forms_timestamps_with_gmt_offset(fixtures: Path) -> None:
    dates = read_column(fixtures / "google_forms.csv", "Timestamp", ColumnKind.DATE)
    assert [str(d) for d in dates] == ["2026-09-27 15:00:00", "2026-10-01 09:10:00", "2026-10-02 09:10:00"]
