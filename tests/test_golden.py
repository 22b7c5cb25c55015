"""Renderers compared byte for byte with reviewed golden files (CXROI_UPDATE_GOLDEN=1 rewrites them)."""

from __future__ import annotations

import os

import pytest

from tests.conftest import GOLDEN, ROOT, run

ARGS = [
    "scores",
    "tests/fixtures/qualtrics_legacy_utf16.tsv",
    "--nps",
    "Q5",
    "--by",
    "Segment",
    "--date",
    "RecordedDate",
    "--period",
    "month",
]


@pytest.mark.parametrize("fmt", ["csv", "json", "ndjson", "markdown", "table"])
def test_scores_golden(fmt: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    r = run([*ARGS, "--format", fmt])
    assert r.exit_code == 0, r.stderr
    golden = GOLDEN / f"scores.{fmt}"
    if os.environ.get("CXROI_UPDATE_GOLDEN"):
        golden.write_text(r.stdout, encoding="utf-8")
    assert r.stdout == golden.read_text(encoding="utf-8")


def test_csv_neutralises_formulas() -> None:
    from cxroi.report.formats import render_csv

    text = render_csv(
        [{"a": "=1+2", "b": "+SUM(A1)", "c": "-3 apples", "d": "@cmd", "e": -3.5, "f": "\tx"}], list("abcdef")
    )
    assert text.splitlines()[1] == "'=1+2,'+SUM(A1),'-3 apples,'@cmd,-3.5,'\tx"
