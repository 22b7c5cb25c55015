"""Broken and unusual files, one by one (issue 12): each is read right or refused with one clear line,
never counted wrong with exit 0. Every case runs on both readers (DuckDB's and cxroi's own)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import run

ENGINES = ["duckdb", "reader"]


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("CXROI_ENGINE", request.param)
    return str(request.param)


def nps(path: Path, *extra: str) -> tuple[int, str, str]:
    r = run(["scores", str(path), "--nps", "nps", *extra, "--format", "json"])
    return r.exit_code, r.stdout, r.stderr


def test_unterminated_quote_is_refused_with_its_line(tmp_path: Path, engine: str) -> None:
    f = tmp_path / "q.csv"
    f.write_bytes(b'id,nps,comment\n1,9,"fine"\n2,9,"oops\n3,3,fine\n4,10,ok\n')
    code, _out, err = nps(f)
    assert code == 4
    assert "line 3: a quote opens a cell that never closes" in err and "Traceback" not in err


def test_a_literal_quote_mid_cell_is_not_an_error(tmp_path: Path, engine: str) -> None:
    f = tmp_path / "inch.csv"
    f.write_bytes(b'id,nps,product\n1,9,Monitor 27" wide\n2,3,Laptop\n3,10,Phone\n')
    code, out, err = nps(f)
    assert code == 0, err
    assert json.loads(out)[0]["n"] == 3


def test_cr_only_line_ends(tmp_path: Path, engine: str) -> None:
    """Excel for Mac's "CSV (Macintosh)": CR alone ends each line."""
    f = tmp_path / "mac.csv"
    f.write_bytes(b"id,nps\r1,9\r2,3\r3,10\r4,7\r")
    code, out, err = nps(f)
    assert code == 0, err
    rec = json.loads(out)[0]
    assert (rec["n"], rec["promoters"], rec["passives"], rec["detractors"]) == (4, 2, 1, 1)


def test_a_20_mb_cell(tmp_path: Path, engine: str) -> None:
    f = tmp_path / "big.csv"
    f.write_text('id,nps,comment\n1,9,"' + "x" * 20_000_000 + '"\n2,3,ok\n3,10,ok\n')
    code, out, err = nps(f)
    assert code == 0, err
    assert json.loads(out)[0]["n"] == 3


def test_turkish_windows_1254_is_detected_and_said(tmp_path: Path, engine: str) -> None:
    f = tmp_path / "tr.csv"
    f.write_bytes("id;nps;şehir\n1;9;İstanbul\n2;3;Muğla\n3;10;İstanbul\n".encode("cp1254"))
    code, out, err = nps(f, "--by", "şehir")
    assert code == 0, err
    assert "read as Windows-1254 (Turkish" in err
    assert {r["şehir"]: r["n"] for r in json.loads(out)} == {"İstanbul": 2, "Muğla": 1}


def test_latin1_is_read_as_windows_1252_and_said(tmp_path: Path, engine: str) -> None:
    f = tmp_path / "fr.csv"
    f.write_bytes("id,nps,ville\n1,9,Genève\n2,3,Besançon\n".encode("latin-1"))
    code, out, err = nps(f, "--by", "ville")
    assert code == 0, err
    assert "read as Windows-1252" in err
    assert {r["ville"] for r in json.loads(out)} == {"Genève", "Besançon"}


def test_hebrew_windows_1255_is_detected_and_said(tmp_path: Path, engine: str) -> None:
    f = tmp_path / "he.csv"
    f.write_bytes("מזהה,nps,עיר\n1,9,תל אביב\n2,3,חיפה\n3,10,תל אביב\n".encode("cp1255"))
    code, out, err = nps(f, "--by", "עיר")
    assert code == 0, err
    assert "read as Windows-1255 (Hebrew" in err
    assert {r["עיר"]: r["n"] for r in json.loads(out)} == {"תל אביב": 2, "חיפה": 1}


LATIN = ["Très bien, livraison rapide", "Déçu à cause du délai", "Génial ça marche", "Schön, aber zu spät geöffnet",
         "Atención rápida, muy útil", "Não gostei da situação", "Ótimo serviço, obrigado", "Für Sie, Müller Straße",
         "Señor Núñez, año", "Ça va? à bientôt"]  # fmt: skip
HEBREW = ["משלוח מהיר מאוד", "שירות לקוחות גרוע", "מעולה, תודה רבה!", "המחיר גבוה מדי (יקר)", "אפליקציה: לא עובדת",
          "ok, אבל איטי"]  # fmt: skip


@pytest.mark.parametrize("text", LATIN)
def test_latin_text_is_never_taken_for_hebrew(text: str) -> None:
    from cxroi.io.sniff import single_byte_guess

    assert single_byte_guess(f"id,comment\n1,{text}\n".encode("cp1252")) == "cp1252"


@pytest.mark.parametrize("text", HEBREW)
def test_hebrew_text_is_windows_1255(text: str) -> None:
    from cxroi.io.sniff import single_byte_guess

    assert single_byte_guess(f"id,comment\n1,{text}\n".encode("cp1255")) == "cp1255"


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_without_bom(tmp_path: Path, engine: str, codec: str) -> None:
    f = tmp_path / "u16.csv"
    f.write_bytes("id,nps,city\n1,9,Zürich\n2,3,Köln\n3,10,Zürich\n".encode(codec))
    code, out, err = nps(f, "--by", "city")
    assert code == 0, err
    assert "without a byte-order mark" in err
    assert {r["city"]: r["n"] for r in json.loads(out)} == {"Zürich": 2, "Köln": 1}


def test_two_columns_with_the_same_name(tmp_path: Path, engine: str) -> None:
    f = tmp_path / "dup.csv"
    f.write_bytes(b"id,nps,nps\n1,9,3\n2,3,4\n")
    code, _out, err = nps(f)
    assert code == 4
    assert "2 columns are named 'nps' (columns 2, 3)" in err and "'nps_2' (column 3)" in err
    r = run(["scores", str(f), "--nps", "nps_2", "--format", "json"])  # the user picks one: fine
    assert r.exit_code == 0 and json.loads(r.stdout)[0]["detractors"] == 2


def test_found_by_fuzzing_a_character_cut_at_the_end(tmp_path: Path, engine: str) -> None:
    """A file ending in half a UTF-8 character (cut short): one clear error on both readers (DuckDB's raised
    an internal error, pyarrow's a decoding error inside its row handler). Bytes DuckDB finds invalid
    elsewhere are an input error too."""
    f = tmp_path / "cut.csv"
    f.write_bytes(b"id,nps,comment\n1,9,ok\n2,3,fine\n3,\xc3")
    code, _out, err = nps(f)
    assert code == 3 and "ends in the middle of a UTF-8 character" in err
    assert err.count("Error: ") == 1 and "Traceback" not in err
