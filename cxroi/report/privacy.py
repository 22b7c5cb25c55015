"""Keep personal data out of reports.

Segment values come from customer files and survey exports. A field whose name looks personal (e-mail,
IP address, phone, names, recipient ...) has all its values redacted, and any text value that looks like
an e-mail address, an IP address or a phone number is redacted wherever it appears, unless the config
lists the field under ``privacy.allow``. Warnings copied into reports get the same treatment.
"""

from __future__ import annotations

import re
from typing import Any

REDACTED = "[redacted]"
_NAME = re.compile(
    r"e-?mail|\bip\b|ip ?address|ipaddress|phone|mobile|\bfirst ?name\b|\blast ?name\b|\bfull ?name\b|recipient|"
    r"^name$|customer ?name|contact ?name|requester$|^requester name",
    re.IGNORECASE,
)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
_IPV4 = re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b")
_IPV6 = re.compile(r"\b(?:[0-9a-f]{1,4}:){3,7}[0-9a-f]{1,4}\b", re.IGNORECASE)
_PHONE = re.compile(r"(?<![\w.,/:-])(?:\+|\(\d)?[\d ()./-]{7,}\d(?![\w%/:-]|[.,]\d)")
# shapes that are never phone numbers: dates and timestamps, amounts with thousands separators, plain
# digit runs (ids, yyyymmdd) without a leading + or a parenthesised area code
_NOT_PHONE = (
    re.compile(r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}"),
    re.compile(r"\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}$"),
    re.compile(r"^\d{1,3}(?:[.,]\d{3})+(?:[.,]\d+)?$"),
    re.compile(r"^\d+$"),
)
_DATE_LIKE = re.compile(r"^\d{4}-\d{2}-\d{2}")
# fields the reports themselves make: never personal
_SYSTEM = {"metric", "period", "group", "line", "scenario", "formula", "figure", "text", "window_start", "window_end",
           "note", "source", "measure", "input", "setting", "range_method", "policy", "as_of", "inputs"}  # fmt: skip


def looks_personal(name: str) -> bool:
    return bool(_NAME.search(name))


def scrub_text(text: str) -> str:
    """Redact e-mail addresses, IP addresses and phone numbers inside free text."""
    if _DATE_LIKE.match(text):
        return text
    text = _EMAIL.sub(REDACTED, text)
    text = _IPV4.sub(REDACTED, text)
    text = _IPV6.sub(REDACTED, text)
    return _PHONE.sub(_phone, text)


def _phone(m: re.Match[str]) -> str:
    """A phone number: 9 to 15 digits, written with a leading +, an area code in parentheses or
    separators, and not the shape of a date, an amount or a plain number."""
    found = m.group(0)
    core = found.strip()
    digits = sum(c.isdigit() for c in core)
    if not 9 <= digits <= 15 or any(p.search(core) for p in _NOT_PHONE):
        return found
    lead = found[: len(found) - len(found.lstrip())]
    trail = found[len(found.rstrip()) :]
    return lead + REDACTED + trail


def _record(rec: dict[str, Any], allow: set[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in rec.items():
        if key in allow or key in _SYSTEM or not isinstance(value, str):
            out[key] = value
        elif looks_personal(key):
            out[key] = REDACTED
        else:
            out[key] = scrub_text(value)
    return out


def redact(data: Any, allow: set[str] | None = None) -> Any:
    """A copy of a run's data with personal values redacted (records: by field; other text: by pattern)."""
    allow = allow or set()

    def walk(node: Any, key: str | None = None) -> Any:
        if isinstance(node, dict):
            if all(not isinstance(v, dict | list) for v in node.values()):
                return _record(node, allow)
            return {k: walk(v, k) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v, key) for v in node]
        if isinstance(node, str) and key not in _SYSTEM and key not in allow:
            return scrub_text(node)
        return node

    return walk(data)
