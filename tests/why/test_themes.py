"""Themes counted by hand on a small export, the language work in Turkish, Hebrew and English, the BH
q-values and the log-odds terms from worked numbers, and the three views on the sample data."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import yaml

from cxroi.config import NpsConfig
from cxroi.io import TableSource
from cxroi.metrics.text import detect, fold, terms
from cxroi.metrics.themes import Dictionary, bh_qvalues, log_odds
from cxroi.pipeline.why import WhyRequest, compute_themes
from tests.conftest import ROOT, run

THEMES = {"delivery": {"en": ["delivery", "shipping"], "tr": ["kargo"], "he": ["משלוח"]},
          "price": {"any": ["price", "expensive"]}, "refund": {"tr": ["iade"], "en": ["re:refund(ed)?\\b"]}}  # fmt: skip

EXPORT = """id,nps,reason,First Name
1,0,Kargo çok geç geldi,Ayşe
2,3,Delivery was late and the price is too high,John
3,6,"too expensive, ask Mary",Mary
4,7,,Bob
5,8,Shipping ok,Ann
6,9,great price,Ali
7,10,"   ",Noa
8,10,👍,Eve
9,10,"Love it, contact me at eve@example.com or call +1 415 555 0100",Eve
10,,late delivery,Zed
"""


def _p(x1: int, n1: int, x2: int, n2: int) -> float:
    pooled = (x1 + x2) / (n1 + n2)
    z = (x2 / n2 - x1 / n1) / math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    return math.erfc(abs(z) / math.sqrt(2))


def test_every_field_of_a_hand_counted_export(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text(EXPORT, encoding="utf-8")
    req = WhyRequest(text="reason", nps=NpsConfig(column="nps"), themes=THEMES, examples=3)
    result = compute_themes([TableSource(str(path))], req)
    by = {r["theme"]: r for r in result.records}
    assert list(by) == ["delivery", "price", "refund", "(no theme)"]
    # answers with text: rows 1 2 3 5 6 8 9 10 (4 blank, 7 only spaces); detractors 1 2 3, passive 5,
    # promoters 6 8 9, row 10 has no score
    assert result.summary["with_text"] == 8 and result.summary["blank"] == 2
    d = by["delivery"]  # rows 1 (kargo), 2 (delivery), 5 (shipping), 10 (delivery)
    assert (d["mentions"], d["detractors"], d["passives"], d["promoters"]) == (4, 2, 1, 0)
    assert d["share"] == 50.0 and d["share_detractors"] == pytest.approx(200 / 3, abs=1e-12)
    assert d["share_passives"] == 100.0 and d["share_promoters"] == 0.0 and d["lift"] is None
    assert d["nps_with"] == pytest.approx(-200 / 3) and d["nps_without"] == 50.0  # D D P | D Pr Pr Pr
    assert d["p_value"] == pytest.approx(_p(2, 3, 0, 3), rel=1e-12) == pytest.approx(0.0832645, abs=1e-6)
    p = by["price"]  # rows 2, 3, 6
    assert (p["mentions"], p["detractors"], p["passives"], p["promoters"]) == (3, 2, 0, 1)
    assert p["share"] == 37.5 and p["lift"] == pytest.approx(2.0)
    assert p["nps_with"] == pytest.approx(-100 / 3) and p["nps_without"] == 25.0
    assert p["p_value"] == pytest.approx(_p(2, 3, 1, 3), rel=1e-12) == pytest.approx(0.4142162, abs=1e-6)
    assert (
        by["refund"]["mentions"] == 0 and by["refund"]["p_value"] is None and by["refund"]["q_value"] is None
    )
    n = by["(no theme)"]  # rows 8 (emoji only: an answer with text, no theme) and 9
    assert (n["mentions"], n["promoters"], n["lift"], n["nps_with"], n["nps_without"]) == (
        2,
        2,
        0.0,
        100.0,
        -40.0,
    )
    # BH over the three p-values: 0.0833 (x2) and 0.4142 -> 0.125, 0.125, 0.4142
    assert d["q_value"] == pytest.approx(1.5 * d["p_value"]) == pytest.approx(n["q_value"])
    assert p["q_value"] == pytest.approx(p["p_value"])
    assert n["examples_promoters"] == ["👍", "Love it, contact me at [redacted] or call [redacted]"]
    assert p["examples_detractors"] == [
        "Delivery was late and the price is too high",
        "too expensive, ask [redacted]",
    ]
    assert d["examples_detractors"] == ["Kargo çok geç geldi", "Delivery was late and the price is too high"]


def test_turkish_hebrew_and_english_normalisation() -> None:
    assert fold("İADE", "tr") == "iade" and fold("IŞIK", "tr") == "ışık" and fold("IŞIK", "en") == "işik"
    d = Dictionary(THEMES)
    assert d.match("İADE istiyorum", "tr") == ["refund"]
    assert d.match("Kargolar gelmedi", "tr") == d.match("KARGONUN takibi yok", "tr") == ["delivery"]
    assert d.match("והמשלוח הגיע מאוחר", "he") == ["delivery"]  # ו + ה before משלוח
    assert d.match("Deliveries were slow, and it got refunded", "en") == ["delivery", "refund"]
    assert d.match("pahalı", "tr") == [] and d.match("too EXPENSIVE", "en") == ["price"]
    assert terms("Kargolar ve kargonun", "tr") == ["kargo", "kargo"]  # "ve" is a stop word
    assert (
        detect("והמשלוח הגיע") == "he" and detect("Kargo çok geç") == "tr" and detect("fiyat yüksek") == "tr"
    )
    assert (
        detect("The delivery was late") == "en"
        and detect("😡😡") is None
        and detect("Atenção ótima") == "other"
    )
    assert detect("kargo geç", forced="en") == "en"


def test_mixed_languages_blank_and_emoji(tmp_path: Path) -> None:
    path = tmp_path / "m.csv"
    rows = ["nps,reason", "0,Kargo geç geldi", "1,המשלוח לא הגיע", "2,The shipping was slow", "3,", "4,\t ",
            "9,😀🎉", "10,Fiyat uygun"]  # fmt: skip
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    req = WhyRequest(text="reason", nps=NpsConfig(column="nps"), themes=THEMES, examples=0)
    result = compute_themes([TableSource(str(path))], req)
    assert result.summary["languages"] == {"tr": 2, "he": 1, "en": 1, "none": 1}
    by = {r["theme"]: r for r in result.records}
    assert by["delivery"]["mentions"] == 3 and by["delivery"]["detractors"] == 3
    assert by["(no theme)"]["mentions"] == 2  # the emoji and "Fiyat uygun" (price has no Turkish keyword)
    assert "examples_detractors" not in result.fields


def test_benjamini_hochberg_by_hand() -> None:
    # sorted 0.005, 0.01, 0.03, 0.04 -> 0.02, 0.02, 0.04, 0.04 (m p / rank, then running minimum)
    assert bh_qvalues([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.02, 0.04, 0.04, 0.02])
    assert bh_qvalues([None, 0.5]) == [None, 0.5]


def test_log_odds_with_an_informative_dirichlet_prior() -> None:
    # prior: corpus counts a=10 (late), 30 (great) scaled to a0 = 40 -> a_late = 10, a_great = 30
    det, pro, prior = {"late": 8, "great": 2}, {"late": 2, "great": 28}, {"late": 10, "great": 30}
    out = dict((t, (d, z)) for t, d, z in log_odds(det, pro, prior, 40))
    d_late = math.log(18 / (10 + 40 - 18)) - math.log(12 / (30 + 40 - 12))
    assert out["late"][0] == pytest.approx(d_late, rel=1e-12)
    assert out["late"][1] == pytest.approx(d_late / math.sqrt(1 / 18 + 1 / 12), rel=1e-12)
    assert out["great"][1] < 0 < out["late"][1]


def test_views_on_the_sample_data() -> None:
    cfg = str(ROOT / "configs/default.yaml")
    res = run(["themes", "-c", cfg, "--format", "json"])
    assert res.exit_code == 0, res.stderr
    records = json.loads(res.stdout)
    top = {r["theme"]: r for r in records}
    assert top["delivery"]["lift"] > 2 and top["delivery"]["q_value"] < 0.001  # the story in the sample data
    assert top["billing"]["share_detractors"] > top["billing"]["share_promoters"]
    assert all(len(r["examples_detractors"]) <= 3 for r in records)
    assert "answers have text" in res.stderr
    terms_out = run(["themes", "-c", cfg, "--terms", "--top", "5", "--format", "json"])
    got = json.loads(terms_out.stdout)
    assert len(got) == 10 and got[0]["leans"] == "detractors" and got[-1]["leans"] == "promoters"
    found = run(["themes", "-c", cfg, "--discover", "--topics", "3"])
    assert found.exit_code == 0, found.stderr
    block = yaml.safe_load(found.stdout)
    assert block["themes"] and all(isinstance(v, dict) and v for v in block["themes"].values())
    by_period = run(
        ["themes", "-c", cfg, "--period", "year", "--by", "Region", "--format", "json", "--examples", "0"]
    )
    recs = json.loads(by_period.stdout)
    assert {r["period"] for r in recs} >= {"(all)", "2024", "2025"} and "examples_detractors" not in recs[0]
