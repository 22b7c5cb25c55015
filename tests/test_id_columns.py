"""Exports with several id columns: the customer id is the one that matches the customer file (issue 12:
a real Zendesk export has Zendesk's own user id in "Requester id" and the CRM id in "Requester external
id")."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import ROOT, run

CUSTOMERS = ROOT / "sample_data" / "customers.csv"


def tickets(path: Path, external: bool, blank_external: bool = False) -> Path:
    rows = ["Id,Requester,Requester id,Requester external id,Created at,First reply time in minutes"]
    for i in range(900):
        crm = f"C-{10001 + i % 1500}"
        ext = "" if blank_external else crm
        own = str(36_512_000_000 + i) if external else crm
        rows.append(f"{5000 + i},Person {i},{own},{ext},2025-{1 + i % 12:02d}-15 10:00,{30 + i % 90}")
    path.write_text("\n".join(rows) + "\n")
    return path


def economics(t: Path) -> tuple[dict[str, object], str]:
    r = run(["economics", str(CUSTOMERS), "--tickets", str(t), "--as-of", "2025-12-31", "--period", "year",
             "--cost-per-ticket", "10", "-f", "json"])  # fmt: skip
    assert r.exit_code == 0, r.stderr
    rows = [x for x in json.loads(r.stdout) if x["period"] == "2025"]
    return rows[0], r.stderr


def test_zendesk_external_id_links_every_ticket(tmp_path: Path) -> None:
    rec, err = economics(tickets(tmp_path / "z.csv", external=True))
    assert rec["tickets"] == 900
    assert "not in the customer file" not in err
    assert rec["frt_median_hours"] is not None


def test_the_matching_column_wins_and_is_named(tmp_path: Path) -> None:
    """External ids left blank, Zendesk's "Requester id" holding the CRM id (as in the sample): that one is
    used, and the note says why."""
    rec, err = economics(tickets(tmp_path / "z.csv", external=False, blank_external=True))
    assert rec["tickets"] == 900
    assert "customer ids taken from 'Requester id' (100% of the first rows match" in err
