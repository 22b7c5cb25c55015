"""Config validation: unknown keys, wrong types, bad bands and YAML errors give `path.key: message`."""

from __future__ import annotations

from pathlib import Path

import pytest

from cxroi.config import load_config
from cxroi.errors import ConfigError
from tests.conftest import ROOT


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "c.yaml"
    p.write_text(text)
    return p


def test_default_config_loads() -> None:
    cfg = load_config(ROOT / "configs" / "default.yaml")
    assert cfg.scores.nps.column == "Q1" and cfg.scores.period == "quarter"
    assert Path(cfg.inputs["survey"].path[0]).resolve() == (ROOT / "sample_data" / "survey_qualtrics.csv")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("scores:\n  nps:\n    colum: Q1\n", "scores.nps.colum: unknown key"),
        (
            "scores:\n  period: fortnight\n",
            "scores.period: Input should be 'week', 'month', 'quarter' or 'year'",
        ),
        ("scores:\n  nps:\n    scale: [0, ten]\n", "scores.nps.scale[1]:"),
        ("scores:\n  nps:\n    passives: [6, 8]\n", "passives [6, 8] overlaps detractors at 6"),
        ("scores:\n  nps:\n    detractors: [0, 5]\n", "gap at 6"),
        ("scores:\n  csat:\n    satisfied: [4, 6]\n", "satisfied [4, 6] falls outside the scale [1, 5]"),
        ("scores:\n  ces:\n    neutral: null\n", "gap at 4"),
        ("inputs:\n  survey: {}\n", "inputs.survey: give path (a file), connection with table or query (a database)"),
        ("- just\n- a list\n", "the top level must be a mapping"),
        ("scores: [\n", "invalid YAML (line 2"),
        ("bogus: 1\n", "bogus: unknown key"),
    ],
)
def test_config_errors(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError) as exc:
        load_config(write(tmp_path, text))
    assert message in exc.value.message
    assert exc.value.exit_code == 2


def test_even_ces_scale_without_neutral(tmp_path: Path) -> None:
    cfg = load_config(
        write(
            tmp_path,
            "scores:\n  ces:\n    scale: [1, 6]\n    disagree: [1, 3]\n"
            "    neutral: null\n    agree: [4, 6]\n",
        )
    )
    assert cfg.scores.ces.neutral is None


def test_yaml_is_safe_loaded(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="invalid YAML"):
        load_config(write(tmp_path, "scores: !!python/object/apply:os.system ['echo pwned']\n"))


def test_relative_paths_follow_the_config_file(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    cfg = load_config(write(tmp_path, "inputs:\n  survey:\n    path: [data/a.csv, data/b.csv]\n"))
    assert [Path(p).resolve() for p in cfg.inputs["survey"].path] == [
        tmp_path / "data" / "a.csv",
        tmp_path / "data" / "b.csv",
    ]


@pytest.mark.parametrize(
    ("roi", "replacement"),
    [
        ({"value_per_customer": "clv"}, "benefits.retention.annual_margin"),
        ({"benefits": {"retention": {"value_per_customer": 1200}}}, "was replaced by annual_margin"),
        ({"benefits": {"referrals": {"promoters": 300}}}, "baseline_promoter_share / current_promoter_share"),
        ({"uncertainty": "monte-carlo"}, "was replaced by bootstrap"),
    ],
)
def test_keys_of_the_old_roi_model_name_their_replacement(roi: dict[str, object], replacement: str) -> None:
    from cxroi.config import Config

    with pytest.raises(ValueError, match=replacement):
        Config.model_validate({"roi": roi})
