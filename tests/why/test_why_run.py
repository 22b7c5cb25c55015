"""The Why section in `cxroi run`: themes and drivers in the JSON, the scorecard, the Markdown and HTML
reports (escaped, formula-safe examples), and the theme_share alert."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cxroi.config import parse_config
from cxroi.errors import ConfigError
from tests.conftest import ROOT, run


def _config(tmp_path: Path, extra: str = "") -> Path:
    text = (ROOT / "configs/default.yaml").read_text(encoding="utf-8").replace("draws: 2000", "draws: 100")
    text = text.replace("../sample_data/", str(ROOT / "sample_data") + "/") + extra
    cfg = tmp_path / "cxroi.yaml"
    cfg.write_text(text, encoding="utf-8")
    return cfg


def test_run_has_the_why_section_and_the_theme_alert(tmp_path: Path) -> None:
    cfg = _config(tmp_path, "alerts:\n  - theme_share[delivery] > 5\n  - theme_share[nonexistent] > 5\n")
    r = run(["run", "-c", str(cfg), "-f", "json"], ok=False)
    assert r.exit_code == 5, r.stderr
    assert "alert 'theme_share[delivery] > 5' breached (delivery)" in r.stderr
    assert "this run has no theme_share[nonexistent]; not checked" in r.stderr
    doc = json.loads(r.stdout)
    assert "why" in doc["sections"]
    themes = {t["theme"]: t for t in doc["why"]["themes"]}
    assert themes["delivery"]["share"] > 5 and doc["why"]["drivers"][0]["driver"] == "Q5_1"
    card = run(["run", "-c", str(cfg), "-f", "table"], ok=False)
    assert "Why: Top detractor theme:" in card.stdout and "importance (% of R²)" in card.stdout


def test_reports_carry_the_why_tables_escaped(tmp_path: Path) -> None:
    cfg = _config(tmp_path)
    md = tmp_path / "r.md"
    html = tmp_path / "r.html"
    assert run(["run", "-c", str(cfg), "--report", "markdown", "-o", str(md)]).exit_code == 0
    assert run(["run", "-c", str(cfg), "--report", "html", "-o", str(html)]).exit_code == 0
    text = md.read_text(encoding="utf-8")
    assert "## Why: themes of the reasons" in text and "## Why: key drivers" in text
    page = html.read_text(encoding="utf-8")
    assert 'id="chart-themes"' in page and 'id="chart-drivers"' in page
    assert "<script" not in page and "<li>=HYPERLINK" not in page


def test_theme_config_errors() -> None:
    with pytest.raises(ConfigError, match="not a valid regular expression"):
        parse_config({"themes": {"x": ["re:(unclosed"]}})
    with pytest.raises(ConfigError, match=r"unknown key|Input should be"):
        parse_config({"themes": {"x": {"fr": ["prix"]}}})
    with pytest.raises(ConfigError, match="theme_share names its theme"):
        parse_config({"alerts": ["theme_share > 5"]})
