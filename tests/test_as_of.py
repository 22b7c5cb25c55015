"""``--as-of D`` is the world as it was on D: every section computed with ``--as-of D`` on the full data
equals the same run on the data truncated at D (rows dated after D removed, end dates after D blank, first
replies after D not yet given). The truncation below is written independently of cxroi's readers."""

from __future__ import annotations

import csv
import math
import shutil
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cxroi.config import load_config
from cxroi.pipeline.linked import link_only
from cxroi.pipeline.run import run as run_all

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data"


def _day(text: str) -> date | None:
    text = text.strip()
    return datetime.fromisoformat(text[:10]).date() if text else None


def _rewrite(src: Path, dst: Path, header_rows: int, keep: Any) -> None:
    with open(src, newline="", encoding="utf-8-sig") as fh:
        rows = list(csv.reader(fh))
    head, body = rows[:header_rows], rows[header_rows:]
    names = head[0]
    out = [r for r in (keep(dict(zip(names, row, strict=True))) for row in body) if r is not None]
    with open(dst, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerows(head)
        w.writerows([[r[n] for n in names] for r in out])


def truncate(d: date, folder: Path) -> None:
    """The sample data as it was known on day ``d``."""
    (folder / "sample_data").mkdir(parents=True)
    (folder / "configs").mkdir()
    shutil.copy(ROOT / "configs/default.yaml", folder / "configs/default.yaml")

    def customers(r: dict[str, str]) -> dict[str, str] | None:
        start, end = _day(r["Signup Date"]), _day(r["Churn Date"])
        if start is None or start > d:
            return None
        if end is not None and end > d:
            r["Churn Date"] = ""
        return r

    def dated(column: str) -> Any:
        def keep(r: dict[str, str]) -> dict[str, str] | None:
            day = _day(r[column])
            return None if day is not None and day > d else r

        return keep

    def tickets(r: dict[str, str]) -> dict[str, str] | None:
        created = datetime.fromisoformat(r["Created at"])
        if created.date() > d:
            return None
        minutes = r["First reply time in minutes"].strip()
        if minutes and created + timedelta(minutes=float(minutes)) >= datetime.combine(
            d + timedelta(days=1), datetime.min.time()
        ):
            r["First reply time in minutes"] = ""
        return r

    out = folder / "sample_data"
    _rewrite(SAMPLE / "customers.csv", out / "customers.csv", 1, customers)
    _rewrite(SAMPLE / "transactions.csv", out / "transactions.csv", 1, dated("Invoice Date"))
    _rewrite(SAMPLE / "contracts.csv", out / "contracts.csv", 1, dated("Signed Date"))
    _rewrite(SAMPLE / "tickets.csv", out / "tickets.csv", 1, tickets)
    _rewrite(SAMPLE / "survey_qualtrics.csv", out / "survey_qualtrics.csv", 3, dated("RecordedDate"))


def _same(a: Any, b: Any, where: str = "") -> None:
    if isinstance(a, dict):
        assert isinstance(b, dict) and a.keys() == b.keys(), where
        for k in a:
            _same(a[k], b[k], f"{where}.{k}")
    elif isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _same(x, y, f"{where}[{i}]")
    elif isinstance(a, float) and isinstance(b, float) and math.isnan(a):
        assert math.isnan(b), where
    else:
        assert a == b, f"{where}: {a!r} != {b!r}"


def _sections(result: Any) -> dict[str, Any]:
    doc = result.to_dict()
    return {k: v for k, v in doc.items() if k not in {"warnings", "notes", "config"}}


def _quick(path: Path) -> Any:
    """The config with 200 bootstrap draws: the property is about the data, not the draws' number."""
    cfg = load_config(path)
    return cfg.model_copy(update={"roi": cfg.roi.model_copy(update={"draws": 200})})


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(days=st.integers(min_value=0, max_value=700))
def test_as_of_equals_truncated_data(days: int, tmp_path_factory: Any) -> None:
    d = date(2024, 3, 1) + timedelta(days=days)
    folder = tmp_path_factory.mktemp("cut")
    truncate(d, folder)
    full = run_all(_quick(ROOT / "configs/default.yaml"), "c", d)
    cut = run_all(_quick(folder / "configs/default.yaml"), "c", d)
    _same(_sections(full), _sections(cut))
    full_link, _ = link_only(load_config(ROOT / "configs/default.yaml"), d)
    cut_link, _ = link_only(load_config(folder / "configs/default.yaml"), d)
    _same(full_link.records, cut_link.records)
    assert full.to_dict()["as_of"] == d.isoformat()
    assert full.sections == ["scores", "why", "economics", "link", "survival", "roi"]


def test_run_as_of_changes_the_roi_windows() -> None:
    """The issue's case: ``--as-of 2025-06-30`` measures the 12 months ending then, not calendar 2025."""
    result = run_all(load_config(ROOT / "configs/default.yaml"), "c", date(2025, 6, 30))
    sources = [m["source"] for line in result.to_dict()["roi"]["lines"] for m in line["inputs"].values()]
    assert any("2024-07-01..2025-06-30" in s for s in sources)
    assert not any("2025-12-31" in s for s in sources)


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(days=st.integers(min_value=0, max_value=700), command=st.sampled_from(["churn", "clv", "economics"]))
def test_crm_commands_as_of_equal_truncated_data(days: int, command: str, tmp_path_factory: Any) -> None:
    """``cxroi churn|clv|economics --as-of D`` (the commands, with the config's inputs) on the full data
    print exactly what they print on the data truncated at D."""
    import json

    from tests.conftest import run

    d = date(2024, 3, 1) + timedelta(days=days)
    folder = tmp_path_factory.mktemp("cut")
    truncate(d, folder)
    outputs = []
    for root in (ROOT, folder):
        cfg = root / "configs/default.yaml"
        extra = (
            [
                "--transactions",
                str(root / "sample_data/transactions.csv"),
                "--tickets",
                str(root / "sample_data/tickets.csv"),
            ]
            if command != "churn"
            else []
        )
        if command == "economics":
            extra += ["--contracts", str(root / "sample_data/contracts.csv")]
        if command == "clv":
            extra += ["--model", "average"]  # the segment formula; the models have their own tests
        r = run([command, "-c", str(cfg), "--as-of", d.isoformat(), "-f", "json", *extra])
        assert r.exit_code == 0, r.stderr
        outputs.append(json.loads(r.stdout))
    assert outputs[0], "no records"
    _same(outputs[0], outputs[1])
