"""The evidence ROI (``cx_mix``) against a hand computation, and the customer bootstrap's behaviour."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from tests.conftest import ROOT, run

SURVEY_HEAD = (
    "StartDate,EndDate,Status,RecordedDate,ResponseId,ExternalReference,Q1\n"
    "Start Date,End Date,Response Type,Recorded Date,Response ID,External Data Reference,"
    "How likely are you to recommend us?\n"
    '"{""ImportId"":""startDate""}","{""ImportId"":""endDate""}","{""ImportId"":""status""}",'
    '"{""ImportId"":""recordedDate""}","{""ImportId"":""_recordId""}","{""ImportId"":""externalDataReference""}",'
    '"{""ImportId"":""QID1""}"\n'
)


def build(folder: Path, extra_roi: str = "") -> Path:
    """8 customers since 2023. Baseline (2024): P1-P4 answer 9, D1-D4 answer 2. Current (2025): P1-P4 10,
    D1-D2 9 (they became promoters), D3-D4 3; D3 churns 100 days after its 2025-03-01 answer. Each pays
    1,000 on 2024-01-15 and on 2025-01-15."""
    answers = []
    scores_2024 = {"P1": 9, "P2": 9, "P3": 9, "P4": 9, "D1": 2, "D2": 2, "D3": 2, "D4": 2}
    scores_2025 = {"P1": 10, "P2": 10, "P3": 10, "P4": 10, "D1": 9, "D2": 9, "D3": 3, "D4": 3}
    for year, scores in (("2024", scores_2024), ("2025", scores_2025)):
        for cid, s in scores.items():
            stamp = f"{year}-03-01 10:00:00"
            answers.append(f"{stamp},{stamp},0,{stamp},R_{cid}_{year},{cid},{s}")
    (folder / "survey.csv").write_text("\ufeff" + SURVEY_HEAD + "\n".join(answers) + "\n", encoding="utf-8")
    customers = ["Customer ID,Signup Date,Churn Date"]
    customers += [f"{c},2023-01-01,{'2025-06-09' if c == 'D3' else ''}" for c in scores_2024]
    (folder / "customers.csv").write_text("\n".join(customers) + "\n", encoding="utf-8")
    tx = ["Customer ID,Invoice Date,Amount"] + [
        f"{c},{y}-01-15,1000.00" for c in scores_2024 for y in ("2024", "2025")
    ]
    (folder / "transactions.csv").write_text("\n".join(tx) + "\n", encoding="utf-8")
    cfg = folder / "cxroi.yaml"
    cfg.write_text(
        "inputs:\n  survey: {path: survey.csv}\n  customers: {path: customers.csv}\n"
        "  transactions: {path: transactions.csv}\n"
        "scores:\n  nps: {column: Q1}\n  date: RecordedDate\n"
        "crm:\n  as_of: 2025-12-31\nclv:\n  gross_margin: 0.8\n"
        "link:\n  survey_key: ExternalReference\n"
        "roi:\n  cost: {one_off: 1000, recurring: 0}\n  horizon_years: 3\n  discount_rate: 0.10\n"
        "  uncertainty: none\n"
        "  benefits:\n    cost_to_serve: {enabled: false}\n    referrals: {enabled: false}\n" + extra_roi,
        encoding="utf-8",
    )
    return cfg


def test_cx_mix_matches_the_hand_computation(tmp_path: Path) -> None:
    r = run(["roi", "-c", str(build(tmp_path)), "-f", "json"])
    assert r.exit_code == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["summary"]["method"] == "evidence"  # the default when answers link to customers
    line = next(ln for ln in doc["lines"] if ln["line"] == "cx_mix")
    inputs = line["inputs"]
    # shares of answering customers: baseline 4/8 promoters, 4/8 detractors; current 6/8 and 2/8
    assert inputs["shift:promoters"]["value"] == pytest.approx(0.25)
    assert inputs["shift:detractors"]["value"] == pytest.approx(-0.25)
    assert inputs["shift:passives"]["value"] == 0.0
    assert inputs["customers"]["value"] == 8  # all at the start of 2025
    # margin per customer-year over the transactions' span 2024-01-15 .. 2025-12-31 (717 days):
    # promoters' group (P1-P4, D1, D2; latest answers): 12,000 over 6 x 717 days; detractors' (D3, D4):
    # 4,000 over 511 + 717 days (D3 ends 2025-06-09); x gross margin 0.8
    m_pro = 12_000 / (6 * 717 / 365.25) * 0.8
    m_det = 4_000 / (1228 / 365.25) * 0.8
    assert inputs["margin:promoters"]["value"] == pytest.approx(m_pro, rel=1e-12)
    assert inputs["margin:detractors"]["value"] == pytest.approx(m_det, rel=1e-12)
    # Kaplan-Meier from the 2025-03-01 answers: promoters never churn (S = 1); detractors: D3 at day 100,
    # D4 censored at day 305, so S = 1/2 from day 100; beyond day 305 the constant hazard 1 / (100 + 305)
    s_det = [0.5 * math.exp(-(365 * t - 305) / 405) for t in (1, 2, 3)]
    assert inputs["retention:promoters"]["value"] == pytest.approx([1.0, 1.0, 1.0])
    assert inputs["retention:detractors"]["value"] == pytest.approx(s_det, rel=1e-12)
    expected = [8 * (0.25 * m_pro * 1.0 - 0.25 * m_det * s) for s in s_det]
    assert line["by_year"] == pytest.approx(expected, rel=1e-12)
    assert line["attributed"] == pytest.approx(sum(expected), rel=1e-12)  # no attribution on cx_mix
    pv = sum(b / 1.1**t for t, b in enumerate(expected, start=1))
    assert doc["summary"]["roi_discounted"] == pytest.approx((pv - 1000) / 1000 * 100, rel=1e-12)
    assert doc["summary"]["cross_check"]["method"] == "pre-post"  # the other method beside the headline


def test_planned_mix_uses_the_same_valuation(tmp_path: Path) -> None:
    cfg = build(tmp_path, "  target_mix: {detractors: -0.10, promoters: 0.10}\n")
    doc = json.loads(run(["roi", "-c", str(cfg), "-f", "json"]).stdout)
    line = next(ln for ln in doc["lines"] if ln["line"] == "cx_mix")
    assert line["inputs"]["shift:promoters"] == {"value": 0.1, "source": "assumption (roi.target_mix)"}
    assert line["inputs"]["customers"]["value"] == 7  # active on the as-of date (D3 has left)


def test_target_mix_must_add_up_to_zero(tmp_path: Path) -> None:
    cfg = build(tmp_path, "  target_mix: {detractors: -0.10, promoters: 0.05}\n")
    r = run(["roi", "-c", str(cfg)])
    assert r.exit_code == 2 and "must add up to 0" in r.stderr


def test_bootstrap_range_on_the_sample_data(tmp_path: Path) -> None:
    text = (ROOT / "configs/default.yaml").read_text(encoding="utf-8").replace("draws: 2000", "draws: 300")
    text = text.replace("../sample_data/", str(ROOT / "sample_data") + "/")
    cfg = tmp_path / "cxroi.yaml"
    cfg.write_text(text, encoding="utf-8")
    first = json.loads(run(["roi", "-c", str(cfg), "-f", "json"]).stdout)
    again = json.loads(run(["roi", "-c", str(cfg), "-f", "json"]).stdout)
    s = first["summary"]
    assert s == again["summary"]  # seeded: the same range every run
    assert (
        s["roi_discounted_low"] < s["roi_discounted_low80"] < s["roi_discounted"] < s["roi_discounted_high80"]
    )
    assert s["roi_discounted_high80"] < s["roi_discounted_high"]
    assert 0.0 < s["prob_roi_positive"] < 1.0
    assert "Poisson bootstrap over customers, 300 draws" in s["range_method"]
    tornado = first["tornado"]
    assert tornado[0]["input"] == "roi.benefits.cx_mix.shift"  # the mix shift moves the ROI most
    assert all(t["roi_at_low"] <= t["roi_at_high"] for t in tornado)
    assert [t["swing"] for t in tornado] == sorted((t["swing"] for t in tornado), reverse=True)


def test_alerts_on_the_hazard_ratio_and_the_chance_of_a_positive_roi(tmp_path: Path) -> None:
    text = (ROOT / "configs/default.yaml").read_text(encoding="utf-8").replace("draws: 2000", "draws: 200")
    text = text.replace("../sample_data/", str(ROOT / "sample_data") + "/")
    text += "alerts:\n  - hazard_ratio > 1.2 and significant\n  - prob_roi_positive < 0.01\n"
    cfg = tmp_path / "cxroi.yaml"
    cfg.write_text(text, encoding="utf-8")
    r = run(["run", "-c", str(cfg), "-f", "json"], ok=False)
    assert r.exit_code == 5, r.stderr
    assert "Alert: alert 'hazard_ratio > 1.2 and significant' breached" in r.stderr
    assert "prob_roi_positive" not in r.stderr.replace("hazard_ratio", "")  # the chance is well above 1%


def test_assumption_ranges_are_drawn_and_in_the_tornado(tmp_path: Path) -> None:
    text = (ROOT / "tests/fixtures/link/assumptions.yaml").read_text(encoding="utf-8")
    text = text.replace("attribution: 0.5", "attribution: [0.3, 0.7]")
    text = text.replace("referral_rate: 0.05", "referral_rate: [0.02, 0.06]")
    cfg = tmp_path / "a.yaml"
    cfg.write_text(text, encoding="utf-8")
    doc = json.loads(run(["roi", "-c", str(cfg), "-f", "json"]).stdout)
    s = doc["summary"]
    # the estimate uses the midpoints: attribution 0.5, referral rate 0.04 -> referrals (0.35 - 0.30) x 1,000
    # x 0.04 x 400 = 800 a year; retention 60,000 / 111,000 / 154,350; cost to serve 10,000; expansion 80,000
    lines = [60_000 + 90_800, 111_000 + 90_800, 154_350 + 90_800]
    assert s["benefit_by_year"] == pytest.approx([0.5 * x for x in lines])
    assert "assumption ranges drawn uniformly" in s["range_method"]
    assert s["roi_discounted_low"] < s["roi_discounted"] < s["roi_discounted_high"]
    cost_pv = 50_000 + sum(20_000 / 1.1**t for t in (1, 2, 3))

    def disc(a: float, rate: float = 0.04) -> float:
        b = [a * (retention + 90_000 + 20_000 * rate) for retention in (60_000, 111_000, 154_350)]
        return (sum(x / 1.1**t for t, x in enumerate(b, start=1)) - cost_pv) / cost_pv * 100

    tornado = {t["input"]: t for t in doc["tornado"]}
    assert tornado["roi.attribution"]["roi_at_low"] == pytest.approx(disc(0.3), rel=1e-9)
    assert tornado["roi.attribution"]["roi_at_high"] == pytest.approx(disc(0.7), rel=1e-9)
    rate = tornado["roi.benefits.referrals.referral_rate"]
    assert (rate["low"], rate["high"]) == (0.02, 0.06)
    assert rate["roi_at_low"] == pytest.approx(disc(0.5, 0.02), rel=1e-9)


def test_expansion_credits_customers_buying_more_not_the_plan_mix(tmp_path: Path) -> None:
    """Basic customers pay 100 a year, Enterprise 1,000, in both windows; a second Enterprise customer joins
    on 2025-01-01. Revenue per customer-year rises (more Enterprise), but within each plan it only moves
    because 2024 has 366 days."""
    (tmp_path / "customers.csv").write_text(
        "Customer ID,Signup Date,Churn Date,Plan\nB1,2023-01-01,,Basic\nB2,2023-01-01,,Basic\n"
        "E1,2023-01-01,,Enterprise\nE2,2025-01-01,,Enterprise\n",
        encoding="utf-8",
    )
    tx = ["Customer ID,Invoice Date,Amount"]
    tx += [f"{c},{y}-06-01,{a}" for c, a in (("B1", 100), ("B2", 100), ("E1", 1000)) for y in (2024, 2025)]
    tx += ["E2,2025-06-01,1000"]
    (tmp_path / "transactions.csv").write_text("\n".join(tx) + "\n", encoding="utf-8")
    cfg = tmp_path / "cxroi.yaml"
    cfg.write_text(
        "inputs:\n  customers: {path: customers.csv}\n  transactions: {path: transactions.csv}\n"
        "crm:\n  by: [Plan]\n  as_of: 2025-12-31\nclv:\n  gross_margin: 0.8\n"
        "roi:\n  method: pre-post\n  cost: {one_off: 1000}\n  uncertainty: none\n  benefits:\n"
        "    retention: {enabled: false}\n    cost_to_serve: {enabled: false}\n    referrals: {enabled: false}\n",
        encoding="utf-8",
    )
    r = run(["roi", "-c", str(cfg), "-f", "json"])
    assert r.exit_code == 0, r.stderr
    line = next(ln for ln in json.loads(r.stdout)["lines"] if ln["line"] == "expansion")
    y = 365.25
    within = 0.5 * (100 * y / 365 - 100 * y / 366) + 0.5 * (1000 * y / 365 - 1000 * y / 366)  # equal weights
    total = 2200 / (4 * 365 / y) - 1200 / (3 * 366 / y)
    assert line["inputs"]["within_segment_change"]["value"] == pytest.approx(within, rel=1e-12)
    assert line["inputs"]["mix_change"]["value"] == pytest.approx(
        total - within, rel=1e-12
    )  # ~150: not credited
    assert line["inputs"]["customers"]["value"] == 3  # E2 was not there at the start of 2025
    assert line["by_year"] == pytest.approx([within * 3 * 0.8] * 3, rel=1e-12)
