"""Real export shapes (tests/fixtures/exports, built by hand after ../shared/formats.md) give the figures
computed by hand in each test's docstring, with what was left out counted and reported."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from tests.test_cli import run

X = Path(__file__).parent / "fixtures" / "exports"


def _json(args: list[str]) -> tuple[list[dict[str, object]], str]:
    r = run([*args, "-f", "json"])
    assert r.exit_code == 0, r.stderr
    return json.loads(r.stdout), r.stderr


def test_shopify_orders_count_each_paid_order_once() -> None:
    """Orders #1001 150 (3 lines), #1002 95 (2 lines), #1003 150 refunded 150 -> 0, #1004 pending (2 lines),
    #1005 200 refunded 50 -> 150, #1006 voided: revenue 150 + 95 + 0 + 150 = 395 from 3 sales (summing every
    row's Total would give 1,190); 3 line-item rows repeat an order; 3 rows not paid. Customers have no end
    column: churn is not reported (null), not 0."""
    recs, err = _json(
        ["economics", str(X / "shopify_customers.csv"), "--transactions", str(X / "shopify_orders.csv"),
         "--period", "year", "--as-of", "2025-12-31"]
    )  # fmt: skip
    assert len(recs) == 1
    assert recs[0]["revenue"] == 395.0 and recs[0]["transactions"] == 3
    assert recs[0]["churned"] is None and recs[0]["churn"] is None and recs[0]["new"] == 3
    assert "recognised as a shopify-orders export" in err
    assert "3 rows repeat an id in 'Name'" in err
    assert "3 rows with a status in 'Financial Status'" in err


def test_stripe_invoices_count_amount_paid_of_paid_invoices() -> None:
    """Paid: in_1 trial 0.00, in_2 120.00, in_4 300.00 -> 420 (Total of every invoice: 1,260); open, void,
    uncollectible and draft (4) are reported, not revenue."""
    recs, err = _json(
        ["economics", str(X / "stripe_customers.csv"), "--transactions", str(X / "stripe_invoices.csv"),
         "--period", "year", "--as-of", "2025-12-31"]
    )  # fmt: skip
    assert recs[0]["revenue"] == 420.0 and recs[0]["transactions"] == 2
    assert "4 rows with a status in 'Status' other than paid" in err


def test_stripe_customers_without_end_date_refuse_clv() -> None:
    r = run(
        ["clv", str(X / "stripe_customers.csv"), "--transactions", str(X / "stripe_invoices.csv")], ok=False
    )
    assert r.exit_code == 4 and "no end (churn) dates" in r.stderr


def test_salesforce_opportunities_closed_won_only_and_trailing_comma_footer() -> None:
    """Q1 2025 contract value: Closed Won 12,500 (Acme, Retail) + 30,000 (Beta, Software) = 42,500; the
    lost 5,000 and the open 8,000 are not contract value. The ``Grand Totals (2 records),,,,`` footer is no
    customer: --strict passes and --by Industry has no (blank) segment."""
    recs, err = _json(
        ["economics", str(X / "salesforce_accounts.csv"), "--contracts", str(X / "salesforce_opportunities.csv"),
         "--by", "Industry", "--from", "2025-01-01", "--as-of", "2025-06-30", "--strict"]
    )  # fmt: skip
    q1 = {r["Industry"]: r["contract_value"] for r in recs if r["period"] == "2025-Q1"}
    assert q1 == {"Retail": 12500.0, "Software": 30000.0}
    assert sum(float(r["contract_value"]) for r in recs if r["period"] == "2025-Q2") == 0.0  # type: ignore[arg-type]
    assert {r["Industry"] for r in recs} == {"Retail", "Software"}
    assert "2 rows with a status in 'Stage' other than closed won" in err


def test_chargebee_plan_change_is_one_customer_and_future_cancel_is_scheduled() -> None:
    """cb_1 moves from basic to pro on 2025-04-10 (two rows, one customer); cb_2 is non_renewing with a
    cancel date in 2027 (scheduled, not churn); cb_3 churns on 2025-05-20. Per quarter of 2025: Q1 4 new;
    Q2 4 at the start, 1 churned (25%); Q3, Q4 3 at the start, none churned. By plan at each period's start:
    Q2 basic 3 (cb_1 still basic on 1 April) with 1 churned, pro 1; Q3 basic 1, pro 2."""
    recs, err = _json(
        ["churn", str(X / "chargebee_subscriptions.csv"), "--from", "2025-01-01", "--as-of", "2025-12-31"]
    )
    got = [(r["period"], r["customers_start"], r["churned"], r["new"]) for r in recs]
    assert got == [("2025-Q1", 0, 0, 4), ("2025-Q2", 4, 1, 0), ("2025-Q3", 3, 0, 0), ("2025-Q4", 3, 0, 0)]
    assert "1 customer row merged" in err and "1 customer row with an end date after 2025-12-31" in err
    by, _ = _json(
        ["churn", str(X / "chargebee_subscriptions.csv"), "--from", "2025-04-01", "--to", "2025-09-30",
         "--as-of", "2025-12-31", "--by", "subscriptions.plan_id"]
    )  # fmt: skip
    got2 = {(r["period"], r["subscriptions.plan_id"]): (r["customers_start"], r["churned"]) for r in by}
    assert got2 == {
        ("2025-Q2", "basic-monthly"): (3, 1),
        ("2025-Q2", "pro-monthly"): (1, 0),
        ("2025-Q3", "basic-monthly"): (1, 0),
        ("2025-Q3", "pro-monthly"): (2, 0),
    }


def test_chargebee_mrr_is_in_cents() -> None:
    """MRR at the end of 2025: cb_1 pro 99.00, cb_2 basic 29.00, cb_4 pro 99.00 -> 12 x 227 / 3 = 908 a year."""
    recs, _ = _json(["clv", str(X / "chargebee_subscriptions.csv"), "--as-of", "2025-12-31"])
    assert abs(float(recs[0]["annual_revenue"]) - 908.0) < 1e-9  # type: ignore[arg-type]


def test_default_as_of_is_not_in_the_future(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without --as-of, "now" is the latest date not after the run's own date: cb_2's 2027 cancel date is
    scheduled, the last real date is cb_3's end on 2025-05-20."""
    monkeypatch.setattr("cxroi.pipeline.crm.run_date", lambda: date(2026, 12, 1))
    recs, err = _json(["churn", str(X / "chargebee_subscriptions.csv"), "--from", "2025-01-01"])
    assert "with an end date after 2026-12-01" in err
    assert recs[-1]["period"] == "2025-Q2" and recs[-1]["partial"] is True
    assert sum(int(r["churned"]) for r in recs) == 1  # type: ignore[call-overload]


def test_rates_are_percent_everywhere(tmp_path: Path) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text("alerts: ['match_rate < 0.9']\n")
    r = run(["check", "-c", str(cfg)], ok=False)
    assert r.exit_code == 2 and "write 90, not 0.9" in r.stderr
    cfg.write_text("link: {min_match_rate: 0.5}\n")
    r = run(["check", "-c", str(cfg)], ok=False)
    assert r.exit_code == 2 and "write 50 for 0.5" in r.stderr


def test_unknown_output_extension_is_an_error(tmp_path: Path) -> None:
    out = tmp_path / "scores.pdf"
    r = run(["scores", str(X / "intercom_ratings.csv"), "--csat", "Rating", "-o", str(out)], ok=False)
    assert r.exit_code == 2 and "cannot tell the output format" in r.stderr and not out.exists()


def test_no_silent_packaged_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CXROI_CONFIG", raising=False)
    r = run(["run"], ok=False)
    assert r.exit_code == 2 and "cxroi init" in r.stderr


def test_where_filters_rows_and_counts_them() -> None:
    """Haifa rows (2, 4, 6, 8): 10, 8, 6, 10 -> 2 promoters, 1 passive, 1 detractor: NPS 25 on 4 answers; the
    five Tel Aviv rows are counted as left out."""
    r = run(["scores", str(X / "hebrew_mtd.csv"), "--nps", "ציון", "--where", "סניף=חיפה", "-f", "json"])
    assert r.exit_code == 0, r.stderr
    rec = json.loads(r.stdout)[0]
    assert (rec["n"], rec["value"], rec["promoters"], rec["detractors"]) == (4, 25.0, 2, 1)
    assert "5 rows left out by the row filter" in r.stderr


def test_where_keeps_spreadsheet_row_numbers(tmp_path: Path) -> None:
    f = tmp_path / "s.csv"
    f.write_text("id,keep,score\n1,no,x\n2,yes,9\n3,no,1\n4,yes,oops\n")
    r = run(["scores", str(f), "--nps", "score", "--where", "keep=yes", "-f", "csv"])
    assert r.exit_code == 0 and "row 5" in r.stderr and "'oops'" in r.stderr  # header is row 1
    assert ",1,100.0," in r.stdout  # only the 9 of row 3


def test_where_in_config_applies_to_crm_inputs(tmp_path: Path) -> None:
    """Only ``Financial Status`` = paid: #1001 150 + #1002 95 = 245."""
    cfg = tmp_path / "c.yaml"
    cfg.write_text("inputs:\n  transactions:\n    path: x.csv\n    where: {Financial Status: paid}\n")
    recs, err = _json(
        ["economics", str(X / "shopify_customers.csv"), "--transactions", str(X / "shopify_orders.csv"),
         "-c", str(cfg), "--period", "year", "--as-of", "2025-12-31"]
    )  # fmt: skip
    assert recs[0]["revenue"] == 245.0 and "5 rows left out by the row filter" in err


def test_min_n_flags_small_records(tmp_path: Path) -> None:
    f = tmp_path / "s.csv"
    f.write_text("seg,score\n" + "a,9\n" * 29 + "b,9\n" * 30)
    recs, _ = _json(["scores", str(f), "--nps", "score", "--by", "seg"])
    assert [(r["seg"], r["n"], r["small"]) for r in recs] == [("a", 29, True), ("b", 30, False)]
    off, _ = _json(["scores", str(f), "--nps", "score", "--by", "seg", "--min-n", "0"])
    assert all("small" not in r for r in off)


def test_scores_write_xlsx_and_html_by_extension(tmp_path: Path) -> None:
    """Intercom: 4 of 7 satisfied -> 57.14%, stored as a number; CES means keep two decimals."""
    from openpyxl import load_workbook

    xlsx = tmp_path / "s.xlsx"
    r = run(["scores", str(X / "intercom_ratings.csv"), "--csat", "Rating", "-o", str(xlsx)])
    assert r.exit_code == 0, r.stderr
    ws = load_workbook(xlsx).active
    header = [c.value for c in ws[1]]
    row = dict(zip(header, [c.value for c in ws[2]], strict=True))
    assert row["metric"] == "csat" and row["n"] == 7 and abs(row["value"] - 400 / 7) < 1e-12
    page = tmp_path / "s.html"
    r = run(["scores", str(X / "intercom_ratings.csv"), "--csat", "Rating", "-o", str(page)])
    text = page.read_text(encoding="utf-8")
    assert r.exit_code == 0 and text.startswith("<!DOCTYPE html>") and "<td" in text and "57.1" in text
    assert "Content-Security-Policy" in text and "<script" not in text


def test_xlsx_on_stdin(tmp_path: Path) -> None:
    xlsx = tmp_path / "s.xlsx"
    assert (
        run(["scores", str(X / "intercom_ratings.csv"), "--csat", "Rating", "-o", str(xlsx)]).exit_code == 0
    )
    r = run(["scores", "-", "--csat", "satisfied", "--min-n", "0", "-f", "csv"], input=xlsx.read_bytes())
    assert r.exit_code == 0, r.stderr  # the workbook's "satisfied" column (4) read as a 1-5 answer
    assert r.stdout.splitlines()[1].startswith("csat,1,100.0")


def test_survey_presets_name_their_columns() -> None:
    """Delighted: 10, 9, 7, 3, 6 -> 2 promoters, 2 detractors of 5: NPS 0. Medallia: LTR 10, 8, N/A, 4 -> NPS
    (1 - 1) / 3 = 0 on 3 answers; satisfaction 5, 4, 2, N/A -> 2 of 3 = 66.7%; ease 7, 6, N/A, 3 -> mean
    16/3 on 3; N/A is no answer, not an invalid one; M/D/YYYY dates settle month first (3/15, 3/20)."""
    recs, err = _json(["scores", str(X / "delighted_nps.csv")])
    assert [(r["metric"], r["n"], r["value"]) for r in recs] == [("nps", 5, 0.0)]
    assert "recognised as delighted (--nps 'Score', --date 'Created At (UTC)')" in err
    recs, err = _json(["scores", str(X / "medallia.csv"), "--period", "month", "--min-n", "0"])
    got = {(r["metric"], r["period"]): (r["n"], r["value"]) for r in recs}
    assert got[("nps", "2026-03")] == (2, 50.0) and got[("nps", "2026-04")] == (1, -100.0)
    overall, _ = _json(["scores", str(X / "medallia.csv")])
    by = {r["metric"]: r for r in overall}
    assert (by["nps"]["n"], by["nps"]["value"]) == (3, 0.0)
    assert by["csat"]["n"] == 3 and abs(by["csat"]["value"] - 200 / 3) < 1e-12
    assert by["ces"]["n"] == 3 and abs(by["ces"]["value"] - 16 / 3) < 1e-12
    assert "not a whole number" not in err


def test_churn_from_inactivity_without_an_end_column(tmp_path: Path) -> None:
    """inactive_after_days 90, as of 2025-12-31: Ada's last paid order 2025-10-20 (+90 = 2026-01-18, later:
    active); Alan's last paid order 2025-07-02 (+90 = 2025-09-30: churned in Q3); Grace never paid: her
    start 2025-03-01 + 90 = 2025-05-30, churned in Q2."""
    cfg = tmp_path / "c.yaml"
    cfg.write_text(
        f"inputs:\n  transactions: {{path: {X / 'shopify_orders.csv'}}}\n"
        "crm:\n  customers: {inactive_after_days: 90}\n"
    )
    recs, err = _json(
        [
            "churn",
            str(X / "shopify_customers.csv"),
            "-c",
            str(cfg),
            "--from",
            "2025-01-01",
            "--as-of",
            "2025-12-31",
        ]
    )
    assert [(r["period"], r["churned"]) for r in recs] == [
        ("2025-Q1", 0),
        ("2025-Q2", 1),
        ("2025-Q3", 1),
        ("2025-Q4", 0),
    ]
    assert "churn from inactivity" in err
