from __future__ import annotations

from cxroi.report.privacy import REDACTED, looks_personal, redact, scrub_text


def test_personal_field_names() -> None:
    for name in ("RecipientEmail", "Email Address", "IPAddress", "IP Address", "Phone Number", "First Name",
                 "RecipientLastName", "Customer Name"):  # fmt: skip
        assert looks_personal(name), name
    for name in ("Region", "Plan", "Segment", "Country/Region", "period", "Company size"):
        assert not looks_personal(name), name


def test_values_that_look_personal() -> None:
    assert scrub_text("ana.silva@example.com") == REDACTED
    assert scrub_text("from 130.92.34.66 today") == f"from {REDACTED} today"
    assert scrub_text("call +90 (212) 555-0101") == f"call {REDACTED}"
    assert scrub_text("2025-01-05") == "2025-01-05"
    assert scrub_text("EMEA") == "EMEA" and scrub_text("İstanbul") == "İstanbul"


def test_redact_records_unless_allowed() -> None:
    data = {"scores": {"segments": [{"metric": "nps", "RecipientEmail": "a@x.io", "Region": "EMEA", "n": 3},
                                    {"metric": "nps", "Owner": "b@y.io", "Region": "10.0.0.1", "n": 2}]},
            "warnings": ["keys e.g. 'c@z.io'"]}  # fmt: skip
    out = redact(data)
    seg = out["scores"]["segments"]
    assert seg[0]["RecipientEmail"] == REDACTED and seg[0]["Region"] == "EMEA" and seg[0]["n"] == 3
    assert seg[1]["Owner"] == REDACTED and seg[1]["Region"] == REDACTED
    assert out["warnings"] == [f"keys e.g. '{REDACTED}'"]
    kept = redact(data, {"RecipientEmail"})
    assert kept["scores"]["segments"][0]["RecipientEmail"] == "a@x.io"
    assert data["scores"]["segments"][0]["RecipientEmail"] == "a@x.io"  # the input is not changed
