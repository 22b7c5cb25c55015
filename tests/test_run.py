"""The link, the ROI and `cxroi run`, against cases computed by hand."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cxroi.errors import EXIT_DATA, EXIT_USAGE
from tests.conftest import ROOT, run

LINK = "tests/fixtures/link"


@pytest.fixture(autouse=True)
def _in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


def outcomes(args: list[str]) -> dict[tuple[str, str], dict[str, object]]:
    r = run([*args, "-f", "json"])
    assert r.exit_code == 0, r.stderr
    return {(x["metric"], x["group"]): x for x in json.loads(r.stdout)}


def test_join_match_rate_and_churn_by_nps_group() -> None:
    # 10 answers with a valid score: 8 match a customer (80%), 1 unknown key (K9), 1 blank key.
    # K1's answer after its churn date and K4's answer from 2025-10-01 (less than 365 days before as_of)
    # are left out; the latest eligible answer per customer is used:
    #   K1 detractor (churned 2024-06-01, within 365 days), K2 passive (its 2024-06-01 answer), K3 passive
    #   (ends 2025-03-01, after the window), K4 promoter (2024-03-01), K5 detractor (churned 2024-02-01).
    r = run(["link", "-c", f"{LINK}/config.yaml", "-f", "json"])
    assert r.exit_code == 0, r.stderr
    assert "8 of 10 answers matched a customer (80.0%); 1 customers without an answer" in r.stderr
    assert "1 linked answers were given while the customer was not active" in r.stderr
    assert "1 linked answers are less than 365 days before 2025-12-31" in r.stderr
    got = {(x["metric"], x["group"]): x for x in json.loads(r.stdout)}
    assert [
        (got["nps", g]["customers"], got["nps", g]["churned"])
        for g in ("promoters", "passives", "detractors")
    ] == [
        (1, 0),
        (2, 0),
        (2, 2),
    ]
    assert got["nps", "detractors"]["churn"] == 100.0
    diff = got["nps", "promoters - detractors"]
    assert diff["churn"] == -100.0
    # pooled two-proportion test: p = 2/3, se = sqrt(2/3 * 1/3 * (1/2 + 1/1)) = 0.57735, z = 1.7321
    assert diff["p_value"] == pytest.approx(0.0833, abs=5e-5)
    # detractors' revenue per customer-year: (100 + 50) / ((152 + 31) days / 365.25), from the first
    # transaction (2024-01-01) to their end dates
    assert got["nps", "detractors"]["revenue_per_customer"] == pytest.approx(150 / (183 / 365.25))
    assert got["nps", "promoters"]["revenue_per_customer"] == 0.0  # K4 bought nothing
    # Wilson interval for 2 of 2
    assert got["nps", "detractors"]["churn_low"] == pytest.approx(34.24, abs=0.005)


def test_answer_policy_first(tmp_path: Path) -> None:
    cfg = tmp_path / "c.yaml"
    text = (
        (ROOT / LINK / "config.yaml")
        .read_text()
        .replace("survey_key: ExternalReference", "survey_key: ExternalReference\n  answers: first")
    )
    text = text.replace("path: ", f"path: {ROOT / LINK}/")
    cfg.write_text(text)
    got = outcomes(["link", "-c", str(cfg)])
    # K2's first answer (2024-01-15) is a promoter
    assert got["nps", "promoters"]["customers"] == 2 and got["nps", "passives"]["customers"] == 1


def test_no_matching_customer_is_an_error(tmp_path: Path) -> None:
    customers = tmp_path / "customers.csv"
    customers.write_text("Customer ID,Signup Date,Churn Date\nZ1,2023-01-01,\n")
    cfg = tmp_path / "c.yaml"
    cfg.write_text(
        f"inputs:\n  survey: {{path: {ROOT / LINK / 'survey.csv'}}}\n  customers: {{path: {customers}}}\n"
        "scores:\n  nps: {column: Q1}\n  date: RecordedDate\nlink:\n  survey_key: ExternalReference\n"
    )
    r = run(["link", "-c", str(cfg)], ok=False)
    assert r.exit_code == EXIT_DATA and "no survey answer matches a CRM customer" in r.stderr


def test_assumption_only_roi_to_the_cent() -> None:
    r = run(["roi", "-c", f"{LINK}/assumptions.yaml", "-f", "json"])
    assert r.exit_code == 0, r.stderr
    data = json.loads(r.stdout)
    lines = {x["line"]: x for x in data["lines"]}
    # retention: saved customers S_t = 0.85 S_(t-1) + (0.20 - 0.15) x 1,000 = 50, 92.5, 128.625, x 1,200
    assert lines["retention"]["by_year"] == pytest.approx([60_000, 111_000, 154_350], abs=1e-6)
    assert lines["cost_to_serve"]["by_year"] == pytest.approx([10_000] * 3)  # (50 - 40) x 1,000
    assert lines["expansion"]["by_year"] == pytest.approx([80_000] * 3)  # (1,300 - 1,200) x 1,000 x 0.8
    assert lines["referrals"]["by_year"] == pytest.approx([1_000] * 3)  # (0.35 - 0.30) x 1,000 x 0.05 x 400
    assert all(v["source"] == "assumption" for x in data["lines"] for v in x["inputs"].values())
    s = data["summary"]
    assert s["method"] == "pre-post"  # no answers to follow: the evidence method cannot run
    benefits = [0.5 * 151_000, 0.5 * 202_000, 0.5 * 245_350]
    assert s["benefit_by_year"] == pytest.approx(benefits, abs=1e-6)
    assert s["total_cost"] == 110_000.00  # 50,000 + 3 x 20,000
    assert s["roi"] == pytest.approx((sum(benefits) - 110_000) / 110_000 * 100, rel=1e-12)  # 171.98 %
    pv = sum(b / 1.1**t for t, b in enumerate(benefits, start=1))
    cost_pv = 50_000 + sum(20_000 / 1.1**t for t in (1, 2, 3))
    assert round(s["npv"], 2) == round(pv - cost_pv, 2) == 144_537.94
    assert s["roi_discounted"] == pytest.approx((pv - cost_pv) / cost_pv * 100, rel=1e-12)  # 144.92 %
    assert s["payback_months"] == pytest.approx(50_000 / ((75_500 - 20_000) / 12), rel=1e-12)  # 10.81
    # after the horizon, apart: S_3 m r / (1 + d - r) / 1.1^3, attributed
    assert s["terminal_value"] == pytest.approx(128.625 * 1200 * 0.85 / 0.25 / 1.1**3 * 0.5, rel=1e-12)
    assert s["roi_low"] is None and "assumption" in s["range_method"]
    assert s["cross_check"]["method"] == "evidence" and s["cross_check"]["unavailable"]


def test_zero_cost_is_a_clear_error(tmp_path: Path) -> None:
    cfg = tmp_path / "a.yaml"
    cfg.write_text(
        (ROOT / LINK / "assumptions.yaml")
        .read_text()
        .replace("{one_off: 50000, recurring: 20000}", "{one_off: 0, recurring: 0}")
    )
    r = run(["roi", "-c", str(cfg)], ok=False)
    assert r.exit_code == EXIT_USAGE and "costs nothing" in r.stderr and "Traceback" not in r.stderr


def test_negative_benefit_gives_negative_roi(tmp_path: Path) -> None:
    cfg = tmp_path / "a.yaml"
    text = (ROOT / LINK / "assumptions.yaml").read_text()
    text = text.replace(
        "baseline_churn: 0.20, current_churn: 0.15", "baseline_churn: 0.15, current_churn: 0.30"
    )
    cfg.write_text(text)
    s = json.loads(run(["roi", "-c", str(cfg), "-f", "json"]).stdout)["summary"]
    # retention now S_1 = (0.15 - 0.30) x 1,000 = -150, x 1,200 = -180,000; year 1 -89,000, -44,500 attributed
    assert s["benefit_by_year"][0] == pytest.approx(-44_500.00)
    assert s["roi"] < 0 and s["payback_months"] is None and s["npv"] < 0


def test_missing_assumption_without_data_names_the_key(tmp_path: Path) -> None:
    cfg = tmp_path / "a.yaml"
    cfg.write_text((ROOT / LINK / "assumptions.yaml").read_text().replace("baseline_churn: 0.20, ", ""))
    r = run(["roi", "-c", str(cfg)], ok=False)
    assert r.exit_code == EXIT_USAGE
    assert "roi.benefits.retention.baseline_churn: not set, and there is no customer data" in r.stderr


def test_run_default_config_json_and_reproducible() -> None:
    a = run(["run", "--as-of", "2025-12-31", "-f", "json"])
    assert a.exit_code == 0, a.stderr
    data = json.loads(a.stdout)
    assert data["schema_version"] == 1 and data["as_of"] == "2025-12-31"
    assert data["sections"] == ["scores", "why", "economics", "link", "survival", "roi"]
    assert {x["metric"] for x in data["scores"]["overall"]} == {"nps", "csat", "ces"}
    assert data["link"]["summary"]["match_rate"] > 90
    groups = {x["group"]: x for x in data["link"]["outcomes"] if x["metric"] == "nps"}
    assert groups["detractors"]["churn"] > groups["promoters"]["churn"]  # the sample's story
    roi = data["roi"]["summary"]
    assert roi["method"] == "evidence" and roi["cross_check"]["method"] == "pre-post"
    assert roi["roi_discounted_low"] < roi["roi_discounted"] < roi["roi_discounted_high"]
    assert [x["line"] for x in data["roi"]["lines"]] == ["cx_mix", "cost_to_serve", "referrals"]
    hr = {h["term"]: h for h in data["survival"]["hazard_ratios"] if h["metric"] == "nps"}
    assert hr["detractors vs promoters"]["ci_low"] > 1  # the sample's story, with its noise
    # no answer is left out for being recent: every linked NPS answer of an active customer is followed
    linked = sum(g["customers"] for g in groups.values() if g["customers"] is not None)
    followed = data["survival"]["summary"]["follow_ups"]["nps"]
    assert followed > linked  # link leaves out the customers whose latest answer is recent; survival does not
    assert [w["scenario"] for w in data["roi"]["what_if"]][-1].startswith("one NPS point")
    figures = [e["figure"] for e in data["explain"]]
    assert {"NPS", "CLV", "discounted ROI %", "ROI %", "NPV", "payback (months)"} <= set(figures)
    b = run(["run", "--as-of", "2025-12-31", "-f", "json"])
    assert a.stdout == b.stdout  # seeded: the same numbers every run


def test_run_scorecard_and_explain() -> None:
    r = run(["run", "--as-of", "2025-12-31", "--format", "table", "--explain"])
    assert r.exit_code == 0, r.stderr
    out = r.stdout
    assert out.startswith("CX scorecard — as of 2025-12-31")
    for fragment in (
        "NPS",
        "Churn 2025-Q4",
        "CLV",
        "promoters - detractors",
        "ROI ",
        "95% range",
        "retention",
        "What if",
        "How each figure was computed",
        "ROI % =",
    ):
        assert fragment in out, fragment


def test_run_without_anything_to_do(tmp_path: Path) -> None:
    cfg = tmp_path / "empty.yaml"
    cfg.write_text("version: 1\n")
    r = run(["run", "-c", str(cfg)], ok=False)
    assert r.exit_code == EXIT_USAGE and "enables nothing" in r.stderr


def test_run_output_file(tmp_path: Path) -> None:
    out = tmp_path / "run.json"
    r = run(["run", "-c", f"{LINK}/config.yaml", "-o", str(out)])
    assert r.exit_code == 0, r.stderr
    data = json.loads(out.read_text())
    assert data["sections"] == ["scores", "economics", "link", "survival"] and data["roi"] is None


def test_run_output_suffix_picks_the_report(tmp_path: Path) -> None:
    """``-o cx.html`` writes the HTML report (not the scorecard's text under an .html name), ``-o cx.md``
    the Markdown one; ``--format`` still wins."""
    html = tmp_path / "cx.html"
    r = run(["run", "-c", f"{LINK}/config.yaml", "-o", str(html)])
    assert r.exit_code == 0, r.stderr
    assert html.read_text(encoding="utf-8").lstrip().lower().startswith("<!doctype html")
    md = tmp_path / "cx.md"
    assert run(["run", "-c", f"{LINK}/config.yaml", "-o", str(md)]).exit_code == 0
    assert md.read_text(encoding="utf-8").startswith("# CX report")
    text = tmp_path / "cx2.html"
    assert run(["run", "-c", f"{LINK}/config.yaml", "-o", str(text), "--format", "table"]).exit_code == 0
    assert text.read_text(encoding="utf-8").startswith("CX scorecard")


def test_empty_group_is_reported_not_divided_by_zero(tmp_path: Path) -> None:
    text = (ROOT / LINK / "config.yaml").read_text().replace("path: ", f"path: {ROOT / LINK}/")
    # promoters only at 10: nobody in the fixture's chosen answers is a promoter any more
    text = text.replace("nps: {column: Q1}", "nps: {column: Q1, passives: [7, 9], promoters: [10, 10]}")
    cfg = tmp_path / "c.yaml"
    cfg.write_text(text)
    got = outcomes(["link", "-c", str(cfg)])
    assert got["nps", "promoters"]["customers"] == 0
    assert got["nps", "promoters"]["churn"] is None and got["nps", "promoters"]["churn_low"] is None
    diff = got["nps", "promoters - detractors"]
    assert diff["churn"] is None and diff["p_value"] is None


def test_run_scores_in_one_pass_equal_separate_commands(tmp_path: Path) -> None:
    survey = ROOT / "tests/fixtures/qualtrics_legacy_utf16.tsv"
    cfg = tmp_path / "c.yaml"
    cfg.write_text(
        f"inputs:\n  survey: {{path: {survey}}}\nscores:\n  nps: {{column: Q5}}\n  date: RecordedDate\n"
        "  period: month\n  by: [Segment]\n"
    )
    data = json.loads(run(["run", "-c", str(cfg), "-f", "json"]).stdout)["scores"]

    def separate(*extra: str) -> list[dict[str, object]]:
        return json.loads(run(["scores", str(survey), "--nps", "Q5", "-f", "json", *extra]).stdout)  # type: ignore[no-any-return]

    assert data["overall"] == separate()
    assert data["trend"] == separate("--date", "RecordedDate", "--period", "month")
    assert data["segments"] == separate("--by", "Segment")


def test_run_totals_keep_answers_without_a_date(tmp_path: Path) -> None:
    survey = tmp_path / "s.csv"
    survey.write_text("when,nps,seg\n2025-01-05,10,A\n2025-02-05,0,B\n,9,A\nsoon,8,B\n")
    cfg = tmp_path / "c.yaml"
    cfg.write_text(
        f"inputs:\n  survey: {{path: {survey}}}\nscores:\n  nps: {{column: nps}}\n  date: when\n"
        "  period: month\n  by: [seg]\n"
    )
    r = run(["run", "-c", str(cfg), "-f", "json"])
    data = json.loads(r.stdout)["scores"]
    assert data["overall"][0]["n"] == 4  # every answer, dated or not
    assert [x["n"] for x in data["trend"]] == [1, 1]  # only the dated ones have a period
    assert {x["seg"]: x["n"] for x in data["segments"]} == {"A": 2, "B": 2}
    assert "no date" in r.stderr and "could not be read" in r.stderr


def test_scorecard_names_the_churn_period_and_an_inconclusive_range() -> None:
    r = run(["run", "-c", "configs/default.yaml", "--format", "table"])
    assert r.exit_code == 0, r.stderr
    text = " ".join(r.stdout.split())
    # counted independently from the customer file: at the start of 2025-Q4 and ended within it
    import pandas as pd

    c = pd.read_csv(ROOT / "sample_data/customers.csv", parse_dates=["Signup Date", "Churn Date"])
    q4, q1 = pd.Timestamp("2025-10-01"), pd.Timestamp("2026-01-01")
    start = (c["Signup Date"] < q4) & (c["Churn Date"].isna() | (c["Churn Date"] >= q4))
    churned = start & (c["Churn Date"] < q1)
    n, k = int(start.sum()), int(churned.sum())
    assert f"Churn 2025-Q4 (quarterly): {k / n * 100:.2f}% ({k:,} of {n:,} customers)" in text
    assert f"quarterly retention {100 - k / n * 100:.2f}%" in text
    assert "Discounted ROI" in text and "80% range" in text and "P(ROI > 0)" in text
    assert "cross-check pre-post" in text and "inconclusive" in text
    assert "detractors churn" in text and "1-year retention promoters" in text
