"""``cxroi init``: look at an export and write a commented starter config."""

from __future__ import annotations

import os
import re
from pathlib import Path

from cxroi.io import ReadOptions, TableSource, open_source
from cxroi.io.dates import guess_date_format
from cxroi.metrics.answers import parse_answer

_META = {
    "startdate",
    "enddate",
    "status",
    "ipaddress",
    "progress",
    "duration (in seconds)",
    "finished",
    "recordeddate",
    "responseid",
    "recipientlastname",
    "recipientfirstname",
    "recipientemail",
    "externalreference",
    "locationlatitude",
    "locationlongitude",
    "distributionchannel",
    "userlanguage",
    "respondent id",
    "collector id",
    "start date",
    "end date",
    "ip address",
    "email address",
    "first name",
    "last name",
}
_DATE_PREFERENCE = (
    "recordeddate",
    "enddate",
    "submit date (utc)",
    "end date",
    "timestamp",
    "startdate",
    "date",
)
_ID_PREFERENCE = ("externalreference", "customer id", "customer_id", "customerid", "account id", "record id")


def _labels(source: TableSource, col: str) -> str:
    parts = [col, source.layout.import_ids.get(col, ""), source.layout.questions.get(col, "")]
    return " ".join(parts).casefold()


def _numeric_range(values: list[str]) -> tuple[float, float] | None:
    nums = [parse_answer(v) for v in values if v.strip()]
    clean = [n for n in nums if n is not None and n == n]
    if not clean or len(clean) < 0.8 * len(nums):
        return None
    return min(clean), max(clean)


def _find(source: TableSource, pattern: str, low: float, high: float) -> str | None:
    for col in source.columns:
        text = _labels(source, col)
        if not re.search(pattern, text) or "nps_group" in text or col.casefold().endswith("_text"):
            continue
        values = [parse_answer(v) for v in source.sample_values(col)]
        nums = [v for v in values if v is not None]
        inside = [v for v in nums if v == v and low <= v <= high]
        if nums and len(inside) >= 0.8 * len(nums):
            return col
    return None


_CRM_KINDS = {
    "tickets": ("customer", "created"),
    "customers": ("id", "start", "end"),
    "transactions": ("customer", "date", "amount"),
    "contracts": ("customer", "date", "value"),
}
_CRM_OPTIONAL = {
    "tickets": ("first_response", "first_response_at", "cost"),
    "customers": ("mrr",),
    "transactions": ("cost",),
    "contracts": (),
}


def _q(v: str | None) -> str:
    return "null" if v is None else '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _crm_kind(source: TableSource) -> tuple[str, str | None, dict[str, str | None]] | None:
    """Which CRM export this is (and its preset and role columns), or None for a survey."""
    from cxroi.io.presets import find_column, recognise_preset

    preset = recognise_preset(source.columns)
    for kind, required in _CRM_KINDS.items():
        cols = {r: find_column(source, f"{kind}.{r}", None, preset, required=False, key="") for r in required}
        if all(cols.values()):
            if kind == "tickets" and not any(
                find_column(source, f"tickets.{r}", None, preset, required=False, key="")
                for r in ("first_response", "first_response_at")
            ):
                continue
            for r in _CRM_OPTIONAL[kind]:
                cols[r] = find_column(source, f"{kind}.{r}", None, preset, required=False, key="")
            return kind, preset, cols
    return None


def _crm_starter(
    source: TableSource,
    rel: str,
    kind: str,
    preset: str | None,
    cols: dict[str, str | None],
    found: list[str],
) -> str:
    found.append(f"  recognised as {kind}" + (f" ({preset} export)" if preset else ""))
    found.extend(f"  {role}: {col or 'not found'}" for role, col in cols.items())
    lines = [
        f"# cxroi starter config, written by `cxroi init` from {source.display}",
        f"# recognised: {kind}" + (f", {preset} export" if preset else "") + ". Check each column.",
        "version: 1",
        "inputs:",
        f"  {kind}:",
        f"    path: {_q(rel)}",
    ]
    if preset:
        lines.append(f"    preset: {preset}")
    lines += ["crm:", f"  {kind}:", f"    input: {kind}"]
    lines += [f"    {role}: {_q(col)}" for role, col in cols.items()]
    lines += ["  period: quarter          # week | month | quarter | year", "  by: []"]
    return "\n".join(lines) + "\n"


def starter_config(path: str, options: ReadOptions, base: Path) -> tuple[str, list[str]]:
    """Return the YAML text of a starter config and lines describing what was recognised."""
    source = open_source(path, options)
    found = [f"{source.display}: {source.layout.kind} export ({source.kind}), {len(source.columns)} columns"]
    rel = os.path.relpath(Path(source.display).resolve(), base) if path != "-" else "-"
    crm = _crm_kind(source) if source.layout.kind in ("plain", "parquet") else None
    if crm is not None:
        return _crm_starter(source, rel, *crm, found), found
    nps = _find(source, r"recommend|\bnps\b|\bltr\b", 0, 10)
    csat = _find(source, r"satisf|csat", 1, 10)
    ces = _find(source, r"\beas(y|ier|e)\b|effort|\bces\b", 1, 7)
    lowered = {c.casefold(): c for c in source.columns}
    date: str | None = next((lowered[d] for d in _DATE_PREFERENCE if d in lowered), None)
    if date is None:
        for col in source.columns:
            if "date" not in col.casefold() and "time" not in col.casefold():
                continue
            fmt, share = guess_date_format(source.sample_values(col))
            if fmt and share >= 0.9:
                date = col
                break
    customer = next((lowered[c] for c in _ID_PREFERENCE if c in lowered), None)
    segments = []
    for col in source.columns:
        if col.casefold() in _META or col in {nps, csat, ces, date, customer}:
            continue
        values = [v.strip() for v in source.sample_values(col) if v.strip()]
        distinct = set(values)
        if 2 <= len(distinct) <= 12 and len(values) >= 10 and _numeric_range(values) is None:
            segments.append(col)
    roles = (("NPS", nps), ("CSAT", csat), ("CES", ces), ("date", date), ("customer id", customer))
    found.extend(f"  {role}: {name or 'not found'}" for role, name in roles)
    if segments:
        found.append(f"  possible segments: {', '.join(segments)}")
    q = _q

    lines = [
        f"# cxroi starter config, written by `cxroi init` from {source.display}",
        f"# recognised: {source.layout.kind} export. Check each column, then run: cxroi scores -c THIS_FILE",
        "version: 1",
        "inputs:",
        "  survey:",
        f"    path: {q(rel)}",
    ]
    if source.kind == "csv" and source.delimiter not in (",", None):
        lines.append(f"    delimiter: {q(source.delimiter if source.delimiter != chr(9) else 'tab')}")
    if source.kind == "csv" and source.encoding not in ("utf-8", "utf-8-sig"):
        lines.append(f"    encoding: {q(source.encoding)}")
    lines += [
        "scores:",
        "  input: survey",
        "  nps:",
        f"    column: {q(nps)}",
        "    scale: [0, 10]        # detractors 0-6, passives 7-8, promoters 9-10",
        "  csat:",
        f"    column: {q(csat)}",
        "    scale: [1, 5]",
        "    satisfied: [4, 5]",
        "  ces:",
        f"    column: {q(ces)}",
        "    scale: [1, 7]",
        "    value: mean            # mean | agree | net",
        f"  date: {q(date)}",
        "  period: " + ("month" if date else "null") + "          # week | month | quarter | year",
        "  by: [" + ", ".join(q(s) for s in segments[:2]) + "]",
        f"# customer key for linking to CRM data (later): {q(customer)}",
    ]
    return "\n".join(lines) + "\n", found
