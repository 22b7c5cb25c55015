"""CRM economics end to end on export-shaped fixtures, checked against hand calculations."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cxroi.errors import EXIT_DATA, EXIT_USAGE
from cxroi.metrics.churn import NO_END, churn_counts
from tests.conftest import ROOT, run

CRM = "tests/fixtures/crm"
SF = f"{CRM}/salesforce_accounts.csv"


@pytest.fixture(autouse=True)
def _in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


def records(args: list[str]) -> list[dict[str, object]]:
    r = run([*args, "-f", "json"])
    assert r.exit_code == 0, r.stderr
    return json.loads(r.stdout)  # type: ignore[no-any-return]


def test_churn_by_quarter_hand_computed() -> None:
    # Salesforce report: US dates, all cells quoted, footer lines. See the fixture for each customer's story.
    recs = records(["churn", SF, "--as-of", "2025-06-30"])
    got = [(r["period"], r["customers_start"], r["churned"], r["new"], r["customers_end"]) for r in recs]
    assert got == [
        ("2024-Q2", 0, 0, 1, 1),
        ("2024-Q3", 1, 0, 0, 1),
        ("2024-Q4", 1, 1, 3, 3),  # Soylent churns 2024-12-31; Acme, Globex, Stark are new
        ("2025-Q1", 3, 1, 3, 4),  # Globex ends on the first day: churned; Stark ends 04-01: not yet
        ("2025-Q2", 4, 1, 0, 3),  # Stark ends on Q2's first day
    ]
    q1 = recs[3]
    assert q1["value"] == pytest.approx(100 / 3) and q1["retention"] == pytest.approx(200 / 3)
    assert q1["annualized"] == pytest.approx((1 - (2 / 3) ** 4) * 100)  # 65/81 = 80.2469 %
    assert recs[0]["value"] is None and recs[0]["note"] == "no customers at the start"


def test_churn_by_segment_and_window() -> None:
    recs = records(
        ["churn", SF, "--as-of", "2025-06-30", "--by", "Plan", "--from", "2025-01-01", "--to", "2025-03-31"]
    )
    assert [(r["Plan"], r["customers_start"], r["churned"], r["new"], r["customers_end"]) for r in recs] == [
        ("Basic", 1, 1, 2, 1),
        ("Pro", 2, 0, 1, 3),
    ]


def test_churn_month_boundaries_and_partial_period() -> None:
    recs = records(["churn", SF, "--period", "month", "--as-of", "2025-03-15", "--from", "2025-01-01"])
    jan, feb, mar = recs
    assert (jan["period"], jan["churned"], jan["new"]) == (
        "2025-01",
        1,
        1,
    )  # Globex ends 01-01, Initech starts 01-01
    assert (feb["new"], feb["churned"]) == (1, 0)
    assert mar["partial"] is True and jan["partial"] is False


def test_economics_with_eu_invoices_and_zendesk() -> None:
    recs = records(
        [
            "economics",
            SF,
            "--transactions",
            f"{CRM}/invoices_eu.csv",
            "--tickets",
            f"{CRM}/zendesk_tickets.csv",
            "--cost-per-ticket",
            "20",
            "--as-of",
            "2025-06-30",
            "--from",
            "2025-01-01",
        ]
    )
    q1 = recs[0]
    # 1.250,00 + 1.250,00 + 99,90 - 49,95 (refund) + 300,00; unknown customer and "n/a" are left out
    assert q1["revenue"] == 2849.95  # summed exactly (in 1/10,000 units), not 2849.9500000000003
    assert q1["transactions"] == 4 and q1["avg_transaction"] == pytest.approx(2849.95 / 4)
    assert q1["tickets"] == 4 and q1["support_cost"] == 80.0
    # average active customers in Q1 = customer-days / 90: Acme 90, Globex 0, Initech 90, Umbrella 42,
    # Stark 90, Wayne 1 = 313
    assert q1["support_cost_per_customer"] == pytest.approx(80 / (313 / 90))
    assert q1["frt_mean_hours"] == pytest.approx((0.5 + 1.5 + 4.0) / 3)  # 30, 90, 240 minutes; one blank
    assert q1["frt_median_hours"] == 1.5


def test_economics_warns_about_unusable_rows() -> None:
    r = run(
        ["economics", SF, "--transactions", f"{CRM}/invoices_eu.csv", "--as-of", "2025-06-30", "-f", "csv"]
    )
    assert r.exit_code == 0
    assert "1 transaction for customers not in the customer file" in r.stderr and "'999Z'" in r.stderr
    assert "1 amount in 'Amount' is not a number; left out (row 8)" in r.stderr
    strict = run(
        ["economics", SF, "--transactions", f"{CRM}/invoices_eu.csv", "--as-of", "2025-06-30", "--strict"],
        ok=False,
    )
    assert strict.exit_code == EXIT_DATA and strict.stdout == ""


def test_stripe_payments_and_freshdesk_presets_are_recognised() -> None:
    recs = records(
        [
            "economics",
            SF,
            "--transactions",
            f"{CRM}/stripe_payments.csv",
            "--tickets",
            f"{CRM}/freshdesk_tickets.csv",
            "--as-of",
            "2025-06-30",
            "--from",
            "2025-01-01",
            "--to",
            "2025-03-31",
        ]
    )
    q1 = recs[0]
    assert q1["revenue"] == pytest.approx(120 + (1200 - 200) + 80)  # refund netted, failed payment left out
    assert q1["transactions"] == 3
    # Freshdesk: "01:30:00" text, an empty cell recomputed from the timestamps (4 h), and "0:15"
    assert q1["frt_mean_hours"] == pytest.approx((1.5 + 4.0 + 0.25) / 3)


def test_hubspot_and_stripe_subscription_customers() -> None:
    recs = records(["churn", f"{CRM}/hubspot_companies.csv", "--as-of", "2025-03-31", "--from", "2025-01-01"])
    assert [(r["customers_start"], r["churned"]) for r in recs] == [(2, 1)]
    recs = records(
        ["churn", f"{CRM}/stripe_subscriptions.csv", "--as-of", "2025-03-31", "--from", "2025-01-01"]
    )
    assert [(r["customers_start"], r["churned"]) for r in recs] == [(2, 1)]


def _write(path: Path, header: str, rows: list[str]) -> str:
    path.write_text(header + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return str(path)


def test_clv_from_data_hand_computed(tmp_path: Path) -> None:
    customers = _write(
        tmp_path / "c.csv",
        "Customer ID,Signup Date,Churn Date,Plan",
        ["a,2023-01-01,,X", "b,2023-01-01,,X", "c,2023-01-01,,X", "d,2023-01-01,2024-07-01,X"],
    )
    tx = _write(
        tmp_path / "t.csv",
        "Customer ID,Invoice Date,Amount",
        [
            "a,2024-03-01,1000",
            "b,2024-05-01,2000",
            "c,2024-12-31,500",
            "d,2024-06-30,400",
            "a,2023-12-31,9999",
        ],
    )
    tickets = _write(
        tmp_path / "k.csv",
        "Customer ID,Created at,First reply time in minutes",
        ["a,2024-02-01 10:00,60", "d,2024-06-01 10:00,30"],
    )
    recs = records(
        [
            "clv",
            customers,
            "--transactions",
            tx,
            "--tickets",
            tickets,
            "--cost-per-ticket",
            "10",
            "--as-of",
            "2024-12-31",
            "--gross-margin",
            "0.8",
            "--discount-rate",
            "0.1",
        ]
    )
    (r,) = recs
    years = (3 * 366 + (date(2024, 7, 1) - date(2024, 1, 1)).days) / 365.25  # 2024 is a leap year
    revenue = (1000 + 2000 + 500 + 400) / years
    cost = 20 / years
    margin = revenue * 0.8 - cost
    assert r["window_start"] == "2024-01-01" and r["window_end"] == "2024-12-31"
    assert r["customer_years"] == pytest.approx(years)
    assert r["annual_revenue"] == pytest.approx(revenue)
    assert r["annual_cost_to_serve"] == pytest.approx(cost)
    assert r["annual_margin"] == pytest.approx(margin)
    # 1 of 4 churned in the window; 2024 has 366 days and a year is 365.25: per year 1 - 0.75^(365.25/366)
    r_year = 0.75 ** (365.25 / 366)
    assert r["annual_churn"] == pytest.approx((1 - r_year) * 100) and r["retention"] == pytest.approx(
        r_year * 100
    )
    assert r["lifespan_years"] == pytest.approx(1 / (1 - r_year))
    assert r["clv_simple"] == pytest.approx(margin / (1 - r_year))
    assert r["clv"] == pytest.approx(margin * r_year / (1.1 - r_year))
    finite = records(["clv", customers, "--transactions", tx, "--as-of", "2024-12-31", "--horizon", "3"])[0]
    m = finite["annual_margin"]
    assert finite["clv"] == pytest.approx(sum(m * (r_year / 1.1) ** t for t in (1, 2, 3)))


def test_clv_overrides_reproduce_gupta_lehmann(tmp_path: Path) -> None:
    customers = _write(tmp_path / "c.csv", "Customer ID,Signup Date,Churn Date", ["a,2023-01-01,"])
    r = records(["clv", customers, "--annual-margin", "100", "--retention", "0.8", "--discount-rate", "0.1"])[
        0
    ]
    assert r["clv"] == pytest.approx(266.67, abs=0.005)
    assert r["annual_margin"] == 100.0 and r["retention"] == pytest.approx(80.0)
    r = records(["clv", customers, "--annual-margin", "100", "--retention", "0.8", "--horizon", "3"])[0]
    assert r["clv"] == pytest.approx(164.09, abs=0.005)


def test_clv_without_revenue_is_a_clear_error(tmp_path: Path) -> None:
    customers = _write(tmp_path / "c.csv", "Customer ID,Signup Date,Churn Date", ["a,2023-01-01,"])
    r = run(["clv", customers], ok=False)
    assert r.exit_code == EXIT_DATA and "CLV needs revenue" in r.stderr


def test_bad_customer_rows_are_counted_and_reported(tmp_path: Path) -> None:
    customers = _write(
        tmp_path / "c.csv",
        "Customer ID,Signup Date,Churn Date",
        ["a,2024-01-01,", "b,2024-05-01,2024-02-01", ",2024-01-01,", "c,someday,", "d,2024-01-01,2024-03-01"],
    )
    r = run(["churn", customers, "--as-of", "2024-06-30", "-f", "json"])
    assert r.exit_code == 0
    assert "1 customer row end before they start; left out (row 3)" in r.stderr
    assert "1 customer row have no customer id" in r.stderr
    assert "row 5" in r.stderr  # the unreadable start date
    strict = run(["churn", customers, "--strict"], ok=False)
    assert strict.exit_code == EXIT_DATA


def test_missing_role_column_names_the_config_key(tmp_path: Path) -> None:
    customers = _write(tmp_path / "c.csv", "Kunde,Beginn,Ende", ["a,2024-01-01,"])
    r = run(["churn", customers], ok=False)
    assert r.exit_code == EXIT_DATA and "crm.customers.id" in r.stderr
    r = run(["churn", customers, "--id", "Kunde", "--start", "Beginn", "--end", "Ende", "-f", "json"])
    assert r.exit_code == 0, r.stderr


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--as-of", "yesterday"], "--as-of must be a date"),
        (["--period", "decade"], "--period must be one of"),
        (["--from", "2025-01-01", "--to", "2024-01-01"], "before --from"),
    ],
)
def test_usage_errors(args: list[str], fragment: str) -> None:
    r = run(["churn", SF, *args], ok=False)
    assert r.exit_code == EXIT_USAGE and fragment in r.stderr


days = st.integers(min_value=0, max_value=400)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(days, st.one_of(st.none(), days)), min_size=1, max_size=60), days, st.integers(1, 120)
)
def test_churn_properties(spells: list[tuple[int, int | None]], ps: int, length: int) -> None:
    start = np.array([s for s, _ in spells])
    end = np.array([NO_END if e is None else max(e, s) for s, e in spells])
    c = churn_counts(start, end, ps, ps + length, np.zeros(len(spells), dtype=np.int64), 1)
    assert 0 <= c.churned[0] <= c.customers_start[0]
    assert c.customers_end[0] == c.customers_start[0] - c.churned[0] + c.new[0] - c.new_and_churned[0]
    if c.customers_start[0]:
        assert 0.0 <= c.churned[0] / c.customers_start[0] * 100 <= 100.0


@pytest.mark.parametrize(
    ("fixture", "kind", "preset"),
    [
        ("salesforce_accounts.csv", "customers", "salesforce"),
        ("hubspot_companies.csv", "customers", "hubspot"),
        ("stripe_subscriptions.csv", "customers", "stripe-subscriptions"),
        ("stripe_payments.csv", "transactions", "stripe-payments"),
        ("invoices_eu.csv", "transactions", None),
        ("hubspot_deals.csv", "contracts", "hubspot-deals"),
        ("zendesk_tickets.csv", "tickets", "zendesk"),
        ("freshdesk_tickets.csv", "tickets", "freshdesk"),
    ],
)
def test_init_recognises_crm_exports(tmp_path: Path, fixture: str, kind: str, preset: str | None) -> None:
    out = tmp_path / "c.yaml"
    r = run(["init", f"{CRM}/{fixture}", "-o", str(out)])
    assert r.exit_code == 0, r.stderr
    assert f"recognised as {kind}" in r.stderr
    text = out.read_text()
    assert (f"preset: {preset}" in text) == (preset is not None)
    check = run(["check", "-c", str(out)], ok=kind != "customers")
    assert f"crm.{kind}." in check.stdout
    if kind == "customers":
        assert check.exit_code == 0, check.stderr
    else:  # a transactions, contracts or tickets export alone computes nothing: run would stop, so check says so
        assert check.exit_code == 2 and "enables nothing" in check.stderr


def test_reread_after_multiline_does_not_double_count(tmp_path: Path) -> None:
    from cxroi.io import ReadOptions, open_source
    from cxroi.pipeline import crm

    customers = _write(tmp_path / "c.csv", "Customer ID,Signup Date,Churn Date", ["a,2024-01-01,"])
    rows = [f'{"a" if i % 2 else "zz"},2024-02-01,"1,0{i % 10}","note\nline"' for i in range(400)]
    tx = _write(tmp_path / "t.csv", "Customer ID,Invoice Date,Amount,Note", rows)
    request = crm.CrmRequest(
        customers=[crm.Source(open_source(customers))],
        transactions=[crm.Source(open_source(tx, ReadOptions(block_size=512)))],
        as_of=date(2024, 12, 31),
    )
    data = crm.load(request)
    assert request.transactions[0].table.multiline  # the file was read twice
    assert any("200 transactions for customers not in the customer file" in w for w in data.warnings)
    assert data.transactions is not None and data.transactions.frame["sales"].sum() == 200


def test_hubspot_deals_with_several_companies() -> None:
    r = run(
        [
            "economics",
            f"{CRM}/hubspot_companies.csv",
            "--contracts",
            f"{CRM}/hubspot_deals.csv",
            "--as-of",
            "2024-12-31",
            "--from",
            "2024-10-01",
            "-f",
            "json",
        ]
    )
    assert r.exit_code == 0, r.stderr
    assert (
        "1 deal associated with several companies; each is credited to its first company (row 3)" in r.stderr
    )
    q4 = json.loads(r.stdout)[0]
    assert q4["contract_value"] == 15500.0  # 12,000 + 3,500 (to 5002, its first company)
    assert q4["avg_contract_value"] == 15500.0 / 2  # two new customers in Q4 2024


def test_stripe_subscription_mrr_per_interval_and_quantity() -> None:
    # cus_A pays 99 a month; cus_C 1,200 a year for 2 seats = 200 a month; cus_B ended 2025-01-01
    r = records(["clv", f"{CRM}/stripe_subscriptions.csv", "--as-of", "2025-12-31", "--retention", "0.8"])
    assert r[0]["annual_revenue"] == pytest.approx(12 * (99 + 200) / 2)


@settings(max_examples=60, deadline=None)
@given(
    ids=st.lists(st.sampled_from(["C1", "C2", "C10", "C3", "c1", "Ç1", "C1 "]), min_size=1, max_size=12),
    sort=st.booleans(),
)
def test_customer_spells_are_the_same_whether_ids_come_sorted_or_not(ids: list[str], sort: bool) -> None:
    """Ids in increasing order skip the hashing (``_spells``): the spells, their ids and each id's first
    spell are those of the hashing path (ids given in reverse order, the same rows)."""
    from cxroi.pipeline.customers import _spells

    ids = sorted(ids) if sort else ids
    n = len(ids)
    start, end = np.arange(n, dtype=np.int64) * 100, np.full(n, NO_END, dtype=np.int64)
    mrr, group = np.zeros(n), np.zeros(n, dtype=np.int64)
    got = _spells(pa.array(ids), start, end, mrr, group, 0, [])
    back = _spells(pa.array(ids[::-1]), start[::-1].copy(), end, mrr, group, 0, [])
    assert sorted(got.ids.to_pylist()) == sorted(back.ids.to_pylist()) == sorted(set(ids))
    spells = {(got.ids[int(i)].as_py(), int(s)) for i, s in zip(got.spell_id, got.start, strict=True)}
    assert spells == {(back.ids[int(i)].as_py(), int(s)) for i, s in zip(back.spell_id, back.start, strict=True)}
    # each id's first spell is its earliest
    for k, name in enumerate(got.ids.to_pylist()):
        assert int(got.start[got.first_spell[k]]) == min(100 * j for j, x in enumerate(ids) if x == name)
