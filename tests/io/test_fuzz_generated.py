"""Generated exports and configs, every command (issue 12).

Hypothesis builds survey files (random delimiters, quoting, encodings, BOMs, Qualtrics header rows, line
ends, ragged rows, NUL bytes, huge cells, hostile values), XLSX workbooks, CRM customer/transaction
files and YAML configs (random keys and types, tags, anchors and aliases), and runs the commands on them.
Each run must give an answer or one ``Error:`` line with a documented exit code — never a traceback or
exit 1 — and leave no temporary file and no partial output.

``make test`` runs a quick profile; ``make fuzz`` (``CXROI_FUZZ=10000``) runs 10,000 examples per test.
"""

from __future__ import annotations

import codecs
import contextlib
import datetime as dt
import io
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import run

EXAMPLES = int(os.environ.get("CXROI_FUZZ", "40"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=not os.environ.get("CXROI_FUZZ"),  # make test: the same examples every run
)
DOCUMENTED = {0, 2, 3, 4, 5}

SCORES = ["9", "10", "0", " 7 ", "10 - Extremely likely", "", "NaN", "inf", "1e309", "abc", "9,0", "-1", "٩",
          "９", "11", "5.5", "😃", "Very satisfied", "n/a", '"', "=1+1", "\x00"]
DATES = ["2025-01-03", "03/01/2025", "1/3/25", "2025-01-03T10:00:00Z", "2025-01-03 10:00:00+03:00", "", "garbage",
         "45000", "2025-02-30", "0001-01-01", "31.12.2024", "2024-12-31 23:59:59.999", "9999-12-31"]
WORDS = ["EMEA", "APAC", "Çok kötü", "משלוח איטי", "fast delivery", "billing, wrong", 'said "wow"', "a\nb", "x;y",
         "İstanbul", "ğşı", "", "   ", "=HYPERLINK(\"x\")", "jane@example.com", "+1 555 0100"]
AMOUNTS = ["12.50", "1.234,56", "$1,000.00", "-5", "", "abc", "1e400", "0", "€12", "(12.00)", "12.345.678,9"]
ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "cp1254", "cp1252", "cp1255"]
HEADERS = ["nps", "csat", "date", "seg", "text", "id"]  # the columns the commands ask for


@contextlib.contextmanager
def sandbox() -> Iterator[Path]:
    """A folder for the example's files, with TMPDIR inside it: anything cxroi leaves in TMPDIR is seen."""
    root = Path(tempfile.mkdtemp(prefix="cxroi-fuzz-"))
    tmp = root / "tmp"
    tmp.mkdir()
    saved = os.environ.get("TMPDIR"), tempfile.tempdir
    os.environ["TMPDIR"] = str(tmp)
    tempfile.tempdir = str(tmp)
    try:
        yield root
        # the per-config run lock stays by design (removing a flock'd file races with the next run)
        leftovers = sorted(p.name for p in tmp.iterdir() if not (p.name.startswith("cxroi-") and p.suffix == ".lock"))
        assert leftovers == [], f"temporary files left behind: {leftovers}"
    finally:
        if saved[0] is None:
            os.environ.pop("TMPDIR", None)
        else:
            os.environ["TMPDIR"] = saved[0]
        tempfile.tempdir = saved[1]
        shutil.rmtree(root, ignore_errors=True)


def check(args: list[str], out: Path | None = None) -> int:
    r = run(args, ok=False)
    assert r.exit_code in DOCUMENTED, (args, r.exit_code, r.output[-2000:])
    assert "Traceback" not in r.output, r.output[-2000:]
    if r.exit_code not in (0, 5):
        errors = [ln for ln in r.stderr.splitlines() if ln.startswith("Error: ")]
        assert len(errors) == 1, r.stderr[-2000:]
        if out is not None:
            assert not out.exists(), "a failed command left its output file"
    if out is not None:
        stray = [p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}.")]
        assert stray == [], stray
    return int(r.exit_code)


def _encode(text: str, encoding: str) -> bytes:
    if encoding == "utf-16-le":
        return text.encode("utf-16-le")
    return text.encode(encoding, errors="replace")


@st.composite
def survey_file(draw: st.DrawFn) -> bytes:
    extra = draw(st.lists(st.sampled_from(["Q9", "Region", "", "nps", "Duration (in seconds)"]), max_size=3))
    header = draw(st.permutations(HEADERS + extra))
    delimiter = draw(st.sampled_from([",", ";", "\t", "|"]))
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    quote_all = draw(st.booleans())
    cells = {"nps": st.sampled_from(SCORES), "csat": st.sampled_from(["1", "5", "4", "", "x", "3.0", "6"]),
             "date": st.sampled_from(DATES), "seg": st.sampled_from(WORDS), "text": st.sampled_from(WORDS),
             "id": st.sampled_from(["C-1", "C-2", "", "R_a268a717b41bcf7"])}  # fmt: skip
    rows = []
    for _ in range(draw(st.integers(0, 12))):
        row = [draw(cells.get(h, st.sampled_from(WORDS))) for h in header]
        if draw(st.integers(0, 9)) == 0:  # ragged
            row = row[: draw(st.integers(0, len(row)))] if draw(st.booleans()) else [*row, "extra"]
        rows.append(row)
    if draw(st.integers(0, 14)) == 0:
        rows.append(["x" * draw(st.integers(100_000, 600_000))] * 2)  # a huge cell
    out = io.StringIO()

    def line(cells: list[str]) -> str:
        def q(c: str) -> str:
            needs = quote_all or any(ch in c for ch in (delimiter, '"', "\n", "\r"))
            return '"' + c.replace('"', '""') + '"' if needs else c

        return delimiter.join(q(c) for c in cells) + newline

    out.write(line(list(header)))
    if draw(st.booleans()):  # Qualtrics' question-text and ImportId rows
        out.write(line([f"Question {h}?" for h in header]))
        out.write(line([f'{{"ImportId":"{h}"}}' for h in header]))
    for row in rows:
        out.write(line(row))
    if draw(st.integers(0, 5)) == 0:
        out.write("Grand Totals (3 records)" + delimiter * 3 + newline)
    encoding = draw(st.sampled_from(ENCODINGS))
    data = _encode(out.getvalue(), encoding)
    if draw(st.integers(0, 6)) == 0:
        at = draw(st.integers(0, len(data)))
        data = data[:at] + b"\x00" * draw(st.integers(1, 4)) + data[at:]
    if draw(st.integers(0, 8)) == 0:
        data = data[: draw(st.integers(0, len(data)))]  # cut anywhere
    return data


def _commands(path: str, out: Path) -> list[tuple[list[str], Path | None]]:
    return [
        (["scores", path, "--nps", "nps", "--csat", "csat", "--date", "date", "--period", "month", "--by", "seg",
          "--format", "json"], None),
        (["scores", path, "--nps", "nps", "-o", str(out)], out),
        (["themes", path, "--text", "text", "--nps", "nps", "--format", "json"], None),
        (["drivers", path, "--nps", "nps", "--driver", "csat", "--draws", "5", "--format", "json"], None),
        (["init", path], None),
    ]  # fmt: skip


@FUZZ
@given(data=survey_file(), which=st.integers(0, 4))
def test_generated_survey_files_every_command(data: bytes, which: int) -> None:
    with sandbox() as root:
        f = root / "export.csv"
        f.write_bytes(data)
        args, out = _commands(str(f), root / "scores.json")[which]
        check(args, out)


@st.composite
def workbook(draw: st.DrawFn) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    value = st.one_of(
        st.none(), st.integers(-5, 15), st.floats(allow_nan=True, allow_infinity=False),
        st.sampled_from(SCORES[:-1]), st.sampled_from(WORDS), st.datetimes(dt.datetime(1900, 3, 1), dt.datetime(2100, 1, 1)),
    )  # fmt: skip
    if draw(st.booleans()):
        ws.append(draw(st.permutations(["nps", "date", "seg", "csat"])))
    for _ in range(draw(st.integers(0, 10))):
        ws.append(draw(st.lists(value, min_size=0, max_size=6)))
    if draw(st.booleans()):
        wb.create_sheet("Other").append(["nps", "x"])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@FUZZ
@given(data=workbook(), sheet=st.sampled_from([None, "Other", "Missing"]))
def test_generated_workbooks(data: bytes, sheet: str | None) -> None:
    with sandbox() as root:
        f = root / "export.xlsx"
        f.write_bytes(data)
        extra = ["--sheet", sheet] if sheet else []
        check(["scores", str(f), "--nps", "nps", "--date", "date", "--period", "quarter", "--format", "json", *extra])


@st.composite
def crm_files(draw: st.DrawFn) -> tuple[bytes, bytes]:
    ids = ["C-1", "C-2", "C-3", "", "c-1", " C-2 "]
    cust = ["customer_id,signup_date,churn_date,segment"]
    for _ in range(draw(st.integers(0, 8))):
        cust.append(",".join([draw(st.sampled_from(ids)), draw(st.sampled_from(DATES)),
                              draw(st.sampled_from(["", *DATES])), draw(st.sampled_from(["SMB", "Ent", ""]))]))  # fmt: skip
    tx = ["customer_id,date,amount"]
    for _ in range(draw(st.integers(0, 12))):
        amount = draw(st.sampled_from(AMOUNTS))
        tx.append(",".join([draw(st.sampled_from(ids)), draw(st.sampled_from(DATES)), f'"{amount}"']))
    enc = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]))
    return ("\n".join(cust) + "\n").encode(enc), ("\n".join(tx) + "\n").encode(enc)


@FUZZ
@given(files=crm_files(), command=st.sampled_from(["economics", "churn", "clv"]))
def test_generated_crm_files(files: tuple[bytes, bytes], command: str) -> None:
    with sandbox() as root:
        c, t = root / "customers.csv", root / "transactions.csv"
        c.write_bytes(files[0])
        t.write_bytes(files[1])
        args = [command, str(c)]
        if command != "churn":
            args += ["--transactions", str(t)]
        check([*args, "--as-of", "2025-06-30", "--format", "json"])


KEYS = ["version", "inputs", "scores", "crm", "clv", "roi", "link", "alerts", "reports", "privacy", "engine",
        "why", "drivers", "survival", "unknown_key", "nps", "period"]  # fmt: skip
scalar = st.one_of(st.none(), st.booleans(), st.integers(-3, 1000), st.floats(allow_nan=False, width=32),
                   st.sampled_from(["survey", "month", "Q1", "../x.csv", "{as_of:%Y}.md", "-", "env:X", "", "~"]),
                   st.dates(dt.date(1990, 1, 1), dt.date(2030, 1, 1)))  # fmt: skip
NESTED_KEYS = [*KEYS, "path", "column", "format", "scale", "by", "input"]


def nested(kids: st.SearchStrategy[object]) -> st.SearchStrategy[object]:
    return st.one_of(st.lists(kids, max_size=4), st.dictionaries(st.sampled_from(NESTED_KEYS), kids, max_size=4))


values = st.recursive(scalar, nested, max_leaves=12)


@st.composite
def config_text(draw: st.DrawFn) -> str:
    import yaml

    doc = draw(st.dictionaries(st.sampled_from(KEYS), values, max_size=6))
    text = yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)
    trick = draw(st.sampled_from(["", "tag", "anchor", "bomb", "tab", "bom", "dup"]))
    if trick == "tag":
        text += draw(st.sampled_from(["x: !!python/object/apply:os.getcwd []\n", "x: !!binary aGVsbG8=\n",
                                      "x: !custom 1\n", "x: !!set {a, b}\n", "x: !!timestamp 2025-13-01\n"]))  # fmt: skip
    elif trick == "anchor":
        text = "base: &b {column: Q1, scale: [0, 10]}\n" + text + "scores:\n  nps: *b\n"
    elif trick == "bomb":
        text = "a: &a [x, x, x, x, x, x, x, x]\n" + "".join(
            f"{k}: &{k} [{', '.join([f'*{p}'] * 8)}]\n" for p, k in zip("abcdefg", "bcdefgh", strict=True)
        ) + "scores:\n  by: *h\n"
    elif trick == "tab":
        text = "\t" + text
    elif trick == "bom":
        text = "\ufeff" + text
    elif trick == "dup":
        text += "version: 1\nversion: 2\n"
    return text


@FUZZ
@given(text=config_text(), command=st.sampled_from(["check", "run"]))
def test_generated_configs(text: str, command: str) -> None:
    with sandbox() as root:
        cfg = root / "cxroi.yaml"
        cfg.write_text(text, encoding="utf-8")
        check([command, "--config", str(cfg), "--format", "json"] if command == "run" else [command, "-c", str(cfg)])


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_every_generated_encoding_is_readable(encoding: str) -> None:
    """The generator's encodings themselves: a clean file in each reads with the same counts."""
    text = "id,nps\nC-1,9\nC-2,3\nC-3,10\n"
    with sandbox() as root:
        f = root / "e.csv"
        data = _encode(text, encoding)
        if encoding == "utf-16-le":
            assert not data.startswith(codecs.BOM_UTF16_LE)
        f.write_bytes(data)
        r = run(["scores", str(f), "--nps", "nps", "--format", "csv"])
        assert r.exit_code == 0, r.stderr
        assert r.stdout.splitlines()[1].startswith("nps,3,33.3"), r.stdout



DEFAULT = Path(__file__).resolve().parents[2] / "configs" / "default.yaml"


@st.composite
def mutated_default(draw: st.DrawFn) -> dict[str, object]:
    """The default config (every real key, the sample inputs) with one to three values replaced, keys
    deleted or unknown keys added anywhere in the tree."""
    import yaml

    doc = yaml.safe_load(DEFAULT.read_text(encoding="utf-8"))
    base = DEFAULT.parent
    for spec in doc["inputs"].values():
        spec["path"] = str((base / spec["path"]).resolve())
    doc["reports"] = []
    for _ in range(draw(st.integers(1, 3))):
        node: Any = doc
        while isinstance(node, dict) and node and draw(st.integers(0, 2)):
            key = draw(st.sampled_from(sorted(node, key=str)))
            if not isinstance(node[key], dict):
                break
            node = node[key]
        if not isinstance(node, dict) or not node:
            continue
        key = draw(st.sampled_from(sorted(node, key=str)))
        action = draw(st.sampled_from(["replace", "delete", "add"]))
        if action == "replace":
            node[key] = draw(values)
        elif action == "delete":
            del node[key]
        else:
            node[draw(st.sampled_from(KEYS))] = draw(values)
    return doc


@FUZZ
@given(doc=mutated_default())
def test_mutated_default_config(doc: dict[str, object]) -> None:
    import yaml

    with sandbox() as root:
        cfg = root / "cxroi.yaml"
        cfg.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
        check(["check", "-c", str(cfg)])
