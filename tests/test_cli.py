"""The CLI as a user meets it: formats, stdout/stderr split, exit codes, atomic output."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cxroi.errors import EXIT_DATA, EXIT_INPUT, EXIT_INTERNAL, EXIT_USAGE
from tests.conftest import ROOT, run

Q = "tests/fixtures/qualtrics_nps.csv"
LEGACY = "tests/fixtures/qualtrics_legacy_utf16.tsv"


@pytest.fixture(autouse=True)
def _in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


def test_json_records_have_full_precision() -> None:
    r = run(["scores", Q, "--nps", "Q1", "--format", "json"])
    assert r.exit_code == 0, r.stderr
    records = json.loads(r.stdout)
    assert records == [
        {
            "metric": "nps",
            "n": 6,
            "value": 100 / 3,
            # adjusted Wald (the default): 3.75 / 3.5 / 1.75 of 9 -> NPS' = 2/9,
            # var' = 5.5/9 - (2/9)^2, half-width 1.959964 x sqrt(var' / 9)
            "moe": pytest.approx(1.959964 * ((5.5 / 9 - (2 / 9) ** 2) / 9) ** 0.5 * 100, rel=1e-12),
            "ci_low": pytest.approx(
                200 / 9 - 1.959964 * ((5.5 / 9 - (2 / 9) ** 2) / 9) ** 0.5 * 100, rel=1e-12
            ),
            "ci_high": pytest.approx(
                200 / 9 + 1.959964 * ((5.5 / 9 - (2 / 9) ** 2) / 9) ** 0.5 * 100, rel=1e-12
            ),
            "promoters": 3,
            "passives": 2,
            "detractors": 1,
            "small": True,  # 6 answers < scores.min_n (30)
        }
    ]
    assert records[0]["value"] == 200 / 6  # (promoters - detractors) * 100 / n
    assert "1 NPS answer" in r.stderr and "row 11" in r.stderr and "'11'" in r.stderr


def test_csv_is_default_when_piped_and_keeps_precision() -> None:
    r = run(["scores", LEGACY, "--nps", "QID5"])
    assert r.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert rows[0]["value"] == "30.0" and rows[0]["n"] == "200"
    # adjusted Wald, as in tests/metrics/test_nps.py: 18.82 .. 40.30
    assert float(rows[0]["ci_low"]) == pytest.approx(18.82, abs=0.005)
    assert float(rows[0]["ci_high"]) == pytest.approx(40.30, abs=0.005)
    assert r.stderr == ""


def test_ndjson_and_markdown() -> None:
    r = run(["scores", LEGACY, "--nps", "Q5", "--by", "Segment", "-f", "ndjson"])
    lines = [json.loads(x) for x in r.stdout.splitlines()]
    assert [(x["Segment"], x["value"]) for x in lines] == [("A", 50.0), ("B", 10.0)]
    md = run(["scores", LEGACY, "--nps", "Q5", "--by", "Segment", "-f", "markdown"]).stdout
    assert md.splitlines()[0].startswith("| metric | Segment | n | value |")
    assert "| nps | A | 100 | 50.0 |" in md


def test_table_rounds_for_display() -> None:
    r = run(["scores", LEGACY, "--nps", "Q5", "-f", "table"])
    assert "30.0" in r.stdout and "18.8" in r.stdout and "18.82" not in r.stdout and "40.3" in r.stdout
    assert "±moe" not in r.stdout  # the interval is shown, not a half-width that is not the interval
    assert "NPS" in r.stdout


def test_period_delta_and_p_value() -> None:
    r = run(["scores", LEGACY, "--nps", "Q5", "--date", "RecordedDate", "--period", "month", "-f", "json"])
    recs = json.loads(r.stdout)
    assert [x["period"] for x in recs] == ["2024-01", "2024-02", "2024-03"]
    assert recs[0]["delta"] is None and recs[0]["p_value"] is None
    assert recs[1]["delta"] == pytest.approx(recs[1]["value"] - recs[0]["value"])
    assert 0 <= recs[1]["p_value"] <= 1


@pytest.mark.parametrize(
    ("period", "labels"),
    [("quarter", ["2025-Q1"]), ("year", ["2025"]), ("week", ["2025-W01", "2025-W04", "2025-W06"])],
)
def test_period_labels(period: str, labels: list[str]) -> None:
    r = run(["scores", Q, "--nps", "Q1", "--date", "RecordedDate", "--period", period, "-f", "json"])
    got = [x["period"] for x in json.loads(r.stdout)]
    assert got[: len(labels)] == labels


def test_several_paths_are_one_data_set() -> None:
    one = json.loads(run(["scores", LEGACY, "--nps", "Q5", "-f", "json"]).stdout)[0]
    two = json.loads(run(["scores", LEGACY, LEGACY, "--nps", "Q5", "-f", "json"]).stdout)[0]
    assert two["n"] == 2 * one["n"] and two["value"] == one["value"]


def test_stdin_dash() -> None:
    data = Path(Q).read_bytes()
    r = run(["scores", "-", "--nps", "QID1", "-f", "json"], input=data)
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout)[0]["n"] == 6


def test_strict_turns_invalid_answers_into_an_error() -> None:
    r = run(["scores", Q, "--nps", "Q1", "--strict"])
    assert r.exit_code == EXIT_DATA
    assert r.stdout == ""
    assert r.stderr.startswith("Error: ") and "row 11" in r.stderr and "Traceback" not in r.stderr


@pytest.mark.parametrize(
    ("args", "code", "fragment"),
    [
        (["scores", Q], EXIT_USAGE, "no score column"),
        (["scores", Q, "--nps", "Q1", "--period", "month"], EXIT_USAGE, "--period needs a date column"),
        (["scores", Q, "--nps", "Q1", "--period", "decade"], EXIT_USAGE, "--period must be one of"),
        (["scores", Q, "--nps", "Q1", "--format", "yaml"], EXIT_USAGE, "yaml"),
        (["scores", Q, "--nps", "Q1", "-c", "nope.yaml"], EXIT_USAGE, "no such file"),
        (["scores", "missing.csv", "--nps", "Q1"], EXIT_INPUT, "no such file"),
        (["scores", Q, "--nps", "Q99"], EXIT_DATA, "column 'Q99' not found"),
        (["scores", Q, "--nps", "Q4"], EXIT_DATA, "no valid NPS answers"),
    ],
)
def test_exit_codes(args: list[str], code: int, fragment: str) -> None:
    r = run(args, ok=False)
    assert r.exit_code == code, r.stderr
    assert fragment in r.stderr
    assert "Traceback" not in r.stderr
    assert r.stdout == ""


def test_error_has_hint_and_verbose_shows_traceback() -> None:
    r = run(["scores", Q, "--nps", "Q9"], ok=False)
    lines = r.stderr.splitlines()
    assert lines[0] == "Error: column 'Q9' not found in tests/fixtures/qualtrics_nps.csv"
    assert lines[1].startswith("  hint: closest columns:")
    r = run(["scores", Q, "--nps", "Q99", "--verbose"], ok=False)
    assert "Traceback" in r.stderr and r.exit_code == EXIT_DATA


def test_internal_errors_exit_1(monkeypatch: pytest.MonkeyPatch) -> None:
    import cxroi.pipeline.survey as survey

    def boom(*_a: object, **_k: object) -> None:
        raise RuntimeError("kaboom")

    monkeypatch.setattr(survey, "compute_scores", boom)  # what `cxroi scores` calls
    r = run(["scores", Q, "--nps", "Q1"], ok=False)
    assert r.exit_code == EXIT_INTERNAL and "internal error" in r.stderr and "kaboom" in r.stderr


def test_output_file_written_atomically_and_format_from_extension(tmp_path: Path) -> None:
    out = tmp_path / "scores.json"
    r = run(["scores", LEGACY, "--nps", "Q5", "-o", str(out)])
    assert r.exit_code == 0 and r.stdout == ""
    assert json.loads(out.read_text())[0]["n"] == 200
    assert [p.name for p in tmp_path.iterdir()] == ["scores.json"]  # no temp files left


def test_failed_run_leaves_no_output_file(tmp_path: Path) -> None:
    out = tmp_path / "scores.csv"
    r = run(["scores", Q, "--nps", "Q99", "-o", str(out)], ok=False)
    assert r.exit_code == EXIT_DATA
    assert list(tmp_path.iterdir()) == []
    out.write_text("previous good report\n")
    run(["scores", Q, "--nps", "Q1", "--strict", "-o", str(out)], ok=False)
    assert out.read_text() == "previous good report\n"


def test_interrupted_write_leaves_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from cxroi.io import atomic

    out = tmp_path / "r.csv"
    out.write_text("old\n")

    def interrupted(*_a: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(atomic.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        atomic.write_atomic(out, "new\n")
    assert out.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["r.csv"]


def test_config_drives_scores_and_flags_override(tmp_path: Path) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text(
        f"inputs:\n  survey:\n    path: {ROOT / LEGACY}\nscores:\n  nps:\n    column: Q5\n  by: [Segment]\n"
    )
    r = run(["scores", "-c", str(cfg), "-f", "json"])
    assert [x["Segment"] for x in json.loads(r.stdout)] == ["A", "B"]
    r = run(["scores", "-c", str(cfg), "-f", "json", "--by", "ResponseId", "--interval", "adjusted-wald"])
    assert len(json.loads(r.stdout)) == 200


def test_check_and_init(tmp_path: Path) -> None:
    r = run(["check", "-c", "configs/default.yaml"])
    assert r.exit_code == 0, r.stderr
    assert (
        "qualtrics layout" in r.stdout
        and "scores.nps: Q1 found" in r.stdout
        and r.stdout.endswith("is valid\n")
    )
    out = tmp_path / "starter.yaml"
    r = run(["init", Q, "-o", str(out)])
    assert r.exit_code == 0, r.stderr
    assert "qualtrics export" in r.stderr and "NPS: Q1" in r.stderr
    r2 = run(["check", "-c", str(out)])
    assert r2.exit_code == 0, r2.stderr
    assert run(["init", Q, "-o", str(out)], ok=False).exit_code == EXIT_USAGE  # no overwrite without --force
    r3 = run(["scores", "-c", str(out), "-f", "json"])
    assert r3.exit_code == 0, r3.stderr
    assert {x["metric"] for x in json.loads(r3.stdout)} == {"nps", "csat", "ces"}


def test_check_reports_missing_columns(tmp_path: Path) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text(f"inputs:\n  survey:\n    path: {ROOT / Q}\nscores:\n  nps:\n    column: NPS_SCORE\n")
    r = run(["check", "-c", str(cfg)], ok=False)
    assert r.exit_code == EXIT_DATA and "NPS_SCORE" in r.stderr


def test_every_command_has_help() -> None:
    for cmd in ("scores", "check", "init"):
        r = run([cmd, "--help"])
        assert r.exit_code == 0 and "Usage:" in r.stdout


def test_python_dash_m_and_sigpipe() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-m", "cxroi", "--version"], capture_output=True, text=True, env=env, check=True
    )
    assert out.stdout.startswith("cxroi ")
    # `cxroi ... | head -1` ends quietly: no BrokenPipe traceback
    proc = subprocess.run(
        f"{sys.executable} -m cxroi scores {LEGACY} --nps Q5 --by ResponseId | head -1",
        shell=True,
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        check=True,
    )
    assert proc.stdout.startswith("metric,") and "Traceback" not in proc.stderr


def test_table_is_default_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    import cxroi.cli.common as cli

    monkeypatch.setattr(cli, "_stdout_is_tty", lambda: True)
    r = run(["scores", LEGACY, "--nps", "Q5", "--no-color"])
    assert r.stdout.startswith("NPS (points") and "\x1b[" not in r.stdout


def test_undecodable_input_exits_3_with_encoding_hint(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes("Name;NPS\nJosé;9\nInês;3\n".encode("latin-1"))
    r = run(["scores", str(path), "--nps", "NPS", "-f", "json"])  # Latin-1: read, and said
    assert r.exit_code == 0 and "read as Windows-1252" in r.stderr and json.loads(r.stdout)[0]["value"] == 0.0
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"Name;NPS\nJos\x81;9\n")  # 0x81: no Windows code page uses it
    r = run(["scores", str(bad), "--nps", "NPS"], ok=False)
    assert r.exit_code == 3 and "not UTF-8" in r.stderr and "--encoding latin-1" in r.stderr
    r = run(["scores", str(path), "--nps", "NPS", "--encoding", "latin-1", "-f", "json"])
    assert json.loads(r.stdout)[0]["value"] == 0.0 and "read as" not in r.stderr


def test_xlsx_and_parquet_inputs(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["NPS", "Plan"])
    for score, plan in [(10, "Pro"), (9, "Pro"), (3, "Basic"), (7, "Basic")]:
        ws.append([score, plan])
    wb.save(tmp_path / "e.xlsx")
    r = run(["scores", str(tmp_path / "e.xlsx"), "--nps", "NPS", "--by", "Plan", "-f", "json"])
    assert [(x["Plan"], x["value"]) for x in json.loads(r.stdout)] == [("Basic", -50.0), ("Pro", 100.0)]
    pq.write_table(pa.table({"NPS": [10, 9, 3, 7, None]}), tmp_path / "e.parquet")
    r = run(["scores", str(tmp_path / "e.parquet"), "--nps", "NPS", "-f", "json"])
    assert json.loads(r.stdout)[0]["value"] == 25.0 and json.loads(r.stdout)[0]["n"] == 4


def test_qualtrics_nps_group_is_only_a_cross_check(tmp_path: Path) -> None:
    # The fixture's Q1_NPS_GROUP agrees with the default bands: no warning.
    r = run(["scores", Q, "--nps", "Q1", "-f", "json"])
    assert "NPS_GROUP" not in r.stderr
    # With promoters at 10 only, the two 9s exported as "Promoter" are passives now: counted from the score,
    # reported as a mismatch, and not fatal even with --strict (the invalid '11' is what --strict rejects).
    cfg = tmp_path / "c.yaml"
    cfg.write_text("scores:\n  nps: {column: Q1, passives: [7, 9], promoters: [10, 10]}\n")
    r = run(["scores", Q, "-c", str(cfg), "-f", "json"])
    rec = json.loads(r.stdout)[0]
    assert (rec["promoters"], rec["passives"], rec["detractors"]) == (0, 5, 1)
    assert "3 answers in 'Q1_NPS_GROUP' name another NPS group than the score does" in r.stderr


def test_process_exits_cleanly_after_reading_several_csv_files() -> None:
    """pyarrow can release a streaming CSV reader on an IO thread during interpreter shutdown, which
    aborted `cxroi check` about one run in three (exit 134); the console script now leaves without
    finalising. Several runs, each reading seven date columns from five files, all exit 0."""
    import subprocess
    import sys

    for _ in range(6):
        done = subprocess.run(
            [sys.executable, "-m", "cxroi", "check", "-c", "configs/default.yaml"],
            capture_output=True, text=True, cwd=ROOT, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert done.stdout.rstrip().endswith("is valid")
