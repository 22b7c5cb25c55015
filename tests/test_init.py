"""``cxroi init`` on exports in several languages and shapes: what it proposes, and what it never does."""

from __future__ import annotations

from pathlib import Path

import yaml

from tests.conftest import run

X = Path(__file__).parent / "fixtures" / "exports"


def _init(tmp_path: Path, name: str) -> tuple[dict[str, object], str]:
    out = tmp_path / name / "configs" / "c.yaml"
    out.parent.mkdir(parents=True)
    r = run(["init", str(X / name), "-o", str(out)])
    assert r.exit_code == 0, r.stderr
    return yaml.safe_load(out.read_text(encoding="utf-8")), r.stderr


def test_turkish_survey_columns_by_their_words(tmp_path: Path) -> None:
    cfg, _ = _init(tmp_path, "turkish_survey.csv")
    scores = cfg["scores"]
    assert isinstance(scores, dict)
    assert scores["nps"]["column"] == "Tavsiye puanı" and scores["csat"]["column"] == "Memnuniyet"
    assert scores["date"] == "Oluşturuldu"  # created, not updated (Güncellendi)
    assert scores["by"] == ["Bölge"]  # never the comment (Yorum) or Qualtrics-style *_NPS_GROUP


def test_paths_are_relative_to_the_config_file(tmp_path: Path) -> None:
    cfg, _ = _init(tmp_path, "medallia.csv")
    inputs = cfg["inputs"]
    assert isinstance(inputs, dict)
    path = Path(inputs["survey"]["path"])
    folder = tmp_path / "medallia.csv" / "configs"
    assert not path.is_absolute() and (folder / path).resolve() == (X / "medallia.csv").resolve()


def test_survey_and_crm_presets(tmp_path: Path) -> None:
    cfg, err = _init(tmp_path, "medallia.csv")
    assert "recognised as medallia" in err
    assert cfg["scores"]["ces"]["column"] == "Ease of Doing Business (1-7)"  # type: ignore[index]
    cfg, err = _init(tmp_path, "shopify_orders.csv")
    assert "shopify-orders export" in err
    assert cfg["inputs"]["transactions"]["preset"] == "shopify-orders"  # type: ignore[index]
    cfg, err = _init(tmp_path, "zendesk_satisfaction.csv")
    assert cfg["scores"]["csat"]["column"] == "Satisfaction"  # type: ignore[index]
