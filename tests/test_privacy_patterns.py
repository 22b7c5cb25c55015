"""Redaction precise enough for reports: e-mails, phone numbers and IP addresses go; dates, timestamps,
periods, ISO weeks, amounts, percentages, ids and version numbers stay (issue 12's table)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cxroi.report.privacy import REDACTED, scrub_text

KEPT = ["365 days before 2025-12-31 …", "2025-12-31 10:00:00", "2025-12-31T10:00:00+03:00", "31/12/2025",
        "31.12.2025 10:00", "period 2025-Q4", "week 2025-W07", "2024-01-01..2025-12-31", "1,250,000.00",
        "1.250.000,00", "12.5%", "C-10970", "R_a268a717b41bcf7", "version 2.14.1", "20251231",
        "order 123456789", "-1,868", "2025-12-31."]  # fmt: skip
GONE = [("call +1 415 555 0100", "call " + REDACTED), ("(212) 555-0199", REDACTED),
        ("+90 532 123 45 67", REDACTED), ("0532 123 45 67", REDACTED), ("tel: 212-555-0199.", f"tel: {REDACTED}."),
        ("call (212) 555-0199, thanks", f"call {REDACTED}, thanks"), ("from 10.0.0.1", f"from {REDACTED}"),
        ("mail ana.silva@example.com!", f"mail {REDACTED}!")]  # fmt: skip


@pytest.mark.parametrize("text", KEPT)
def test_never_redacted(text: str) -> None:
    assert scrub_text(text) == text


@pytest.mark.parametrize(("text", "expected"), GONE)
def test_redacted(text: str, expected: str) -> None:
    assert scrub_text(text) == expected


def test_cxroi_messages_are_never_redacted() -> None:
    """Every warning and note of the sample run, on stderr and in the JSON, is cxroi's own words with
    dates, periods, counts and column names: redaction leaves all of them as they are."""
    import json

    from tests.conftest import run

    r = run(["run", "--as-of", "2025-12-31", "--format", "json"])
    assert r.exit_code == 0
    data = json.loads(r.stdout)
    assert data["warnings"] and all(REDACTED not in w for w in data["warnings"])
    assert REDACTED not in r.stderr and "365 days before 2025-12-31" in r.stderr


def test_a_customer_value_quoted_in_a_warning_is_redacted(tmp_path: Path) -> None:
    """Only the customer's value goes; the rest of the message (file, column, rows, scale) stays."""
    from tests.conftest import run

    f = tmp_path / "answers.csv"
    f.write_text("id,nps\n1,9\n2,ana.silva@example.com\n3,+1 415 555 0100\n")
    r = run(["scores", str(f), "--nps", "nps", "--format", "json"])
    assert r.exit_code == 0
    assert "@example.com" not in r.stderr and "555 0100" not in r.stderr
    assert (f"answers.csv: 2 NPS answers in column 'nps' are not a whole number on the scale [0, 10] and left "
            f"out (rows 3, 4; e.g. '{REDACTED}', '{REDACTED}')") in r.stderr  # fmt: skip
