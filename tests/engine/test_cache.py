"""The count cache: a rerun on an unchanged input reads the counts; a change of content, size or
parameters recomputes; a corrupt or foreign entry is ignored and rewritten, never trusted."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import replace
from pathlib import Path

import pytest

from cxroi.config import NpsConfig
from cxroi.io import TableSource
from cxroi.pipeline.scores import ScoresRequest, compute_scores
from tests.conftest import ROOT, run

BODY = "date,region,nps\n2025-01-05,EMEA,9\n2025-01-06,APAC,3\n2025-02-01,EMEA,11\n"


def scores(
    path: Path, folder: Path, **changes: object
) -> tuple[list[dict[str, object]], list[str], list[str]]:
    req = ScoresRequest(nps=NpsConfig(column="nps"), date="date", by=("region",), period="month",
                        cache=str(folder), paths=[])  # fmt: skip
    req = replace(req, **changes)  # type: ignore[arg-type]
    result = compute_scores([TableSource(str(path))], req)
    assert req.paths is not None
    return result.records, result.warnings, req.paths


@pytest.fixture
def survey(tmp_path: Path) -> Path:
    path = tmp_path / "s.csv"
    path.write_text(BODY, encoding="utf-8")
    return path


def test_second_read_is_served_by_the_cache_with_the_same_results(survey: Path, tmp_path: Path) -> None:
    first = scores(survey, tmp_path / "c")
    again = scores(survey, tmp_path / "c")
    assert "DuckDB" in first[2][0] and "count cache" in again[2][0]
    assert first[:2] == again[:2]
    assert any("'11'" in w for w in again[1])  # the warnings come back from the cache too


def test_a_change_of_content_size_or_parameters_recomputes(survey: Path, tmp_path: Path) -> None:
    folder = tmp_path / "c"
    scores(survey, folder)
    stat = survey.stat()
    survey.write_text(BODY.replace("APAC,3", "APAC,4"), encoding="utf-8")  # same size
    os.utime(survey, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # and the same modification time
    records, _w, paths = scores(survey, folder)
    assert "DuckDB" in paths[0]  # the sampled blocks differ
    assert next(r for r in records if r["region"] == "APAC")["detractors"] == 1
    survey.write_text(BODY + "2025-02-02,APAC,10\n", encoding="utf-8")
    assert "DuckDB" in scores(survey, folder)[2][0]  # size
    assert "count cache" in scores(survey, folder)[2][0]
    assert "DuckDB" in scores(survey, folder, period="quarter")[2][0]  # parameters
    assert "DuckDB" in scores(survey, folder, until=__import__("datetime").date(2025, 1, 31))[2][0]


@pytest.mark.parametrize("damage", ["truncate", "checksum", "garbage", "codes"])
def test_a_corrupt_entry_is_recomputed(survey: Path, tmp_path: Path, damage: str) -> None:
    folder = tmp_path / "c"
    expected = scores(survey, folder)[:2]
    (entry,) = folder.glob("*.json")
    text = entry.read_text(encoding="utf-8")
    if damage == "truncate":
        entry.write_text(text[: len(text) // 2], encoding="utf-8")
    elif damage == "checksum":
        doc = json.loads(text)
        doc["body"] = doc["body"].replace('"rows": 3', '"rows": 4')
        entry.write_text(json.dumps(doc), encoding="utf-8")
    elif damage == "codes":  # a well-signed entry whose key codes point past their labels
        doc = json.loads(text)
        body = json.loads(doc["body"])
        body["counts"]["nps"]["codes"][0][-1] = 99
        doc["body"] = json.dumps(body, sort_keys=True)
        doc["sha256"] = hashlib.sha256(doc["body"].encode()).hexdigest()
        entry.write_text(json.dumps(doc), encoding="utf-8")
    else:
        entry.write_bytes(b"\x00\xff not json")
    records, warnings, paths = scores(survey, folder)
    assert "DuckDB" in paths[0] and (records, warnings) == expected
    assert "count cache" in scores(survey, folder)[2][0]  # rewritten


def test_run_uses_the_cache_unless_no_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The second run is the run cache's (nothing changed); another config naming the same files (by
    absolute paths) misses the run cache but reads the survey's counts from the count cache;
    ``--no-cache`` reads everything."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.chdir(ROOT)
    first = run(["run", "-f", "json", "-v"])
    second = run(["run", "-f", "json", "-v"])
    cfg = tmp_path / "other.yaml"
    text = (ROOT / "configs" / "default.yaml").read_text(encoding="utf-8")
    cfg.write_text(text.replace("../sample_data/", f"{ROOT}/sample_data/"), encoding="utf-8")  # same files
    changed = run(["run", "-c", str(cfg), "-f", "json", "-v"])
    again = run(["run", "-c", str(cfg), "-f", "json", "-v", "--no-cache"])
    fresh = run(["run", "-f", "json", "-v", "--no-cache"])
    assert "engine: sample_data/survey_qualtrics.csv:" in first.stderr and "cache" not in first.stderr
    assert "engine: run cache: unchanged inputs and config" in second.stderr
    assert "count cache" in changed.stderr and "run cache" not in changed.stderr
    assert "cache" not in fresh.stderr and "cache" not in again.stderr
    assert first.stdout == second.stdout == fresh.stdout
    assert json.loads(changed.stdout)["scores"] == json.loads(again.stdout)["scores"]
    assert list((tmp_path / "cxroi" / "counts").glob("*.json"))
