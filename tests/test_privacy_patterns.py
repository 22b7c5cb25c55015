"""Redaction precise enough for reports: e-mails, phone numbers and IP addresses go; dates, timestamps,
periods, ISO weeks, amounts, percentages, ids and version numbers stay (issue 12's table)."""

from __future__ import annotations

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
