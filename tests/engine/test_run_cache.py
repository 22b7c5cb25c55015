"""The run cache (issue 10): ``cxroi run`` on unchanged inputs and config gives its stored result, the
same bytes in every format; a change of an input's content, the config or the as-of day recomputes; a
corrupt or foreign entry is ignored and rewritten; standard input and ``--no-cache`` are never cached."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import ROOT, run

HIT = "engine: run cache: unchanged inputs and config"


@pytest.fixture
def job(tmp_path: Path) -> Path:
    """The default config on copies of the sample files, with its own cache folder."""
    data = tmp_path / "data"
    shutil.copytree(ROOT / "sample_data", data, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    text = (ROOT / "configs" / "default.yaml").read_text(encoding="utf-8").replace("../sample_data/", "data/")
    cfg = tmp_path / "cxroi.yaml"
    cfg.write_text(text + f"\nengine:\n  cache: {tmp_path / 'cache'}\n", encoding="utf-8")
    return cfg


def cx(cfg: Path, *args: str) -> tuple[str, str]:
    r = run(["run", "-c", str(cfg), "-v", *args])
    assert r.exit_code == 0, r.stderr
    return r.stdout, r.stderr


def test_a_rerun_is_served_with_the_same_bytes_in_every_format(job: Path, tmp_path: Path) -> None:
    first, err1 = cx(job, "-f", "json")
    second, err2 = cx(job, "-f", "json")
    assert HIT not in err1 and HIT in err2
    assert first == second
    # the warnings and notes of the first run are said again, in the same words and order
    said = [ln for ln in err1.splitlines() if ln.startswith(("Warning:", "Note:"))]
    assert said and said == [ln for ln in err2.splitlines() if ln.startswith(("Warning:", "Note:"))]
    for fmt in ("markdown", "html", "csv"):
        out = tmp_path / f"r.{fmt}"
        fresh = tmp_path / f"fresh.{fmt}"
        assert HIT in cx(job, "--report", fmt, "-o", str(out))[1]
        assert HIT not in cx(job, "--report", fmt, "-o", str(fresh), "--no-cache")[1]
        for a in sorted(tmp_path.glob(f"r*.{fmt}")) if fmt == "csv" else [out]:
            b = a.with_name(a.name.replace("r", "fresh", 1))
            assert a.read_bytes() == b.read_bytes(), a.name


def test_a_changed_input_config_or_as_of_recomputes(job: Path) -> None:
    cx(job, "-f", "json")
    assert HIT in cx(job, "-f", "json")[1]
    # the same size, the same modification time, one digit of one answer changed
    survey = job.parent / "data" / "survey_qualtrics.csv"
    before = survey.stat()
    text = survey.read_bytes()
    at = text.index(b",Passive,") - 1
    assert text[at : at + 1] == b"8"
    survey.write_bytes(text[:at] + b"7" + text[at + 1 :])
    os.utime(survey, ns=(before.st_atime_ns, before.st_mtime_ns))
    out, err = cx(job, "-f", "json")
    assert HIT not in err
    assert HIT in cx(job, "-f", "json")[1]
    job.write_text(job.read_text(encoding="utf-8") + "privacy:\n  allow: [Region]\n", encoding="utf-8")
    assert HIT not in cx(job, "-f", "json")[1]
    assert HIT not in cx(job, "-f", "json", "--as-of", "2025-11-30")[1]
    assert HIT in cx(job, "-f", "json", "--as-of", "2025-11-30")[1]
    assert json.loads(out)["scores"]["overall"][0]["n"] > 0


@pytest.mark.parametrize("damage", ["garbage", "checksum", "foreign", "empty"])
def test_a_corrupt_entry_is_recomputed_and_rewritten(job: Path, tmp_path: Path, damage: str) -> None:
    first, _ = cx(job, "-f", "json")
    [entry] = (tmp_path / "cache" / "runs").glob("*.json")
    doc = json.loads(entry.read_text(encoding="utf-8"))
    if damage == "garbage":
        entry.write_bytes(b"\x00\xff not json")
    elif damage == "checksum":
        entry.write_text(json.dumps({**doc, "body": doc["body"].replace('"as_of"', '"as_of" ', 1)}))
    elif damage == "foreign":
        body = json.loads(doc["body"])
        body["key"] = "0" * 64
        text = json.dumps(body)
        import hashlib

        entry.write_text(json.dumps({"sha256": hashlib.sha256(text.encode()).hexdigest(), "body": text}))
    else:
        entry.write_text("")
    again, err = cx(job, "-f", "json")
    assert HIT not in err and again == first
    assert HIT in cx(job, "-f", "json")[1]  # rewritten


def test_standard_input_and_no_cache_are_never_cached(job: Path, tmp_path: Path) -> None:
    cx(job, "-f", "json", "--no-cache")
    assert not (tmp_path / "cache" / "runs").exists()
    text = job.read_text(encoding="utf-8").replace("path: data/survey_qualtrics.csv", "path: '-'")
    job.write_text(text, encoding="utf-8")
    survey = (ROOT / "sample_data" / "survey_qualtrics.csv").read_bytes()
    for _ in range(2):
        r = run(["run", "-c", str(job), "-v", "-f", "json"], input=survey)
        assert r.exit_code == 0 and HIT not in r.stderr
    assert not list((tmp_path / "cache" / "runs").glob("*.json"))


def test_entries_are_private_and_redacted(job: Path, tmp_path: Path) -> None:
    """The cache holds what the reports hold: no e-mail address of the sample's respondents, and only the
    user may read it."""
    cx(job, "-f", "json")
    [entry] = (tmp_path / "cache" / "runs").glob("*.json")
    assert entry.stat().st_mode & 0o777 == 0o600
    survey = (job.parent / "data" / "survey_qualtrics.csv").read_text(encoding="utf-8-sig")
    assert "@example.com" in survey
    assert "@example.com" not in entry.read_text(encoding="utf-8")
