"""``cxroi check`` reads what ``cxroi run`` will read: CRM date formats, presets, and nothing enabled."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import ROOT, run

X = Path(__file__).parent / "fixtures" / "exports"


def test_check_shows_date_formats_and_presets_of_crm_inputs(tmp_path: Path) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text(
        f"inputs:\n  customers: {{path: {X / 'salesforce_accounts.csv'}}}\n"
        f"  contracts: {{path: {X / 'salesforce_opportunities.csv'}}}\n"
    )
    r = run(["check", "-c", str(cfg)])
    assert r.exit_code == 0, r.stderr
    assert "salesforce-opportunities export (recognised from the header)" in r.stdout
    assert (
        "dates in 'Customer Since' read as %m/%d/%Y (month-first: a value in the first rows settles it)"
        in r.stdout
    )
    assert "crm.contracts.status: Stage found" in r.stdout
    assert r.stdout.rstrip().endswith("is valid")


def test_check_finds_unreadable_crm_dates_and_unrecognisable_formats(tmp_path: Path) -> None:
    good = "".join(f"K{i},2025-01-0{i},\n" for i in range(1, 6))
    (tmp_path / "c.csv").write_text(
        "Customer ID,Signup Date,Churn Date\n" + good + "B,2025-02-30,\nC,soon,\n"
    )
    cfg = tmp_path / "c.yaml"
    cfg.write_text("inputs:\n  customers: {path: c.csv}\n")
    r = run(["check", "-c", str(cfg)])
    assert r.exit_code == 0 and "2 values in 'Signup Date' cannot be read as %Y-%m-%d" in r.stdout
    (tmp_path / "c.csv").write_text("Customer ID,Signup Date,Churn Date\nA,early 2025,\nB,late 2025,\n")
    r = run(["check", "-c", str(cfg)], ok=False)
    assert r.exit_code == 4 and "cannot recognise the date format of column 'Signup Date'" in r.stderr


def test_check_says_when_a_config_enables_nothing(tmp_path: Path) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text(f"inputs:\n  survey: {{path: {X / 'intercom_ratings.csv'}}}\n")
    r = run(["check", "-c", str(cfg)], ok=False)
    assert r.exit_code == 2 and "enables nothing" in r.stderr


def test_messages_never_carry_pydantic_text_or_links(tmp_path: Path) -> None:
    r = run(["clv", str(ROOT / "sample_data/customers.csv"), "--transactions", str(ROOT / "sample_data/transactions.csv"),
             "--gross-margin", "5"], ok=False)  # fmt: skip
    assert r.exit_code == 2 and "--gross-margin: Input should be less than or equal to 1" in r.stderr
    assert "http" not in r.stderr and "pydantic" not in r.stderr
    cfg = tmp_path / "c.yaml"
    cfg.write_text("crm: {as_of: 2025-13-01}\n")
    r = run(["check", "-c", str(cfg)], ok=False)
    assert r.exit_code == 2 and "month must be in 1..12" in r.stderr and "internal error" not in r.stderr


def test_a_wrong_sheet_lists_the_sheets(tmp_path: Path) -> None:
    xlsx = tmp_path / "s.xlsx"
    assert (
        run(["scores", str(X / "intercom_ratings.csv"), "--csat", "Rating", "-o", str(xlsx)]).exit_code == 0
    )
    r = run(["scores", str(xlsx), "--sheet", "Data", "--csat", "n"], ok=False)
    assert r.exit_code == 3 and "no sheet named 'Data'" in r.stderr and "sheets: 'Scores'" in r.stderr
