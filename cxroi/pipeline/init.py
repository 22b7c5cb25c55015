"""``cxroi init``: look at an export and write a commented starter config."""

from __future__ import annotations

import os
import re
from pathlib import Path

from cxroi.io import ReadOptions, TableSource, open_source
from cxroi.io.dates import guess_date_format
from cxroi.io.presets import recognise_survey
from cxroi.metrics.answers import builtin_labels, parse_answer, parse_labelled

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
    "created at (utc)",
    "created at",
    "created_at",
    "created",
    "submitted at",
    "response date",
    "rated at",
    "timestamp",
    "startdate",
    "date",
)
# Score questions by their words, in English, Turkish, Hebrew and German
NPS_WORDS = r"recommend|\bnps\b|\bltr\b|tavsiye|öner|ממליץ|להמליץ|המלצה|empfehl"
CSAT_WORDS = r"satisf|csat|memnun|מרוצה|שביעות|zufrieden"
CES_WORDS = r"\beas(y|ier|e)\b|effort|\bces\b|kolay|קל\b|קלות|einfach"
SCORE_WORDS = r"\bscore\b|\brating\b|puan|ציון|דירוג|bewertung|\bnote\b"
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


def _find(source: TableSource, pattern: str, low: float, high: float, taken: set[str | None]) -> str | None:
    """The first column whose header, ImportId or question matches ``pattern`` and whose sampled answers
    (numbers or known labels) lie on the scale ``low..high``."""
    for col in source.columns:
        text = _labels(source, col)
        if col in taken or not re.search(pattern, text, re.IGNORECASE) or _not_a_score(col, text):
            continue
        labels = builtin_labels(int(low), int(high))
        values = [parse_labelled(v, labels) for v in source.sample_values(col)]
        nums = [v for v in values if v is not None]
        inside = [v for v in nums if v == v and low <= v <= high]
        if nums and len(inside) >= 0.8 * len(nums):
            return col
    return None


def _not_a_score(col: str, text: str) -> bool:
    folded = col.casefold()
    return "nps_group" in text or folded.endswith(("_text", "_nps_group")) or "comment" in folded


def _free_text(values: list[str]) -> bool:
    """Comments, not categories: long or many-worded answers."""
    return bool(values) and sum(len(v) > 40 or len(v.split()) > 5 for v in values) >= 0.2 * len(values)


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
    known = recognise_survey(source.columns)
    roles = known[1] if known else {}
    if known:
        found.append(f"  recognised as {known[0]}")
    taken: set[str | None] = set(roles.values())
    nps = roles.get("nps") or _find(source, NPS_WORDS, 0, 10, taken)
    taken.add(nps)
    csat = roles.get("csat") or _find(source, CSAT_WORDS, 1, 10, taken)
    taken.add(csat)
    ces = roles.get("ces") or _find(source, CES_WORDS, 1, 7, taken)
    taken.add(ces)
    if nps is None:  # a generic "Score" / "Puan" / "ציון" column on 0-10 is likely to recommend
        nps = _find(source, SCORE_WORDS, 0, 10, taken)
        if nps is not None and not any(parse_answer(v) == 10 for v in source.sample_values(nps)):
            nps = None  # no 10 in the sample: a 1-5 rating, not a likelihood to recommend
        taken.add(nps)
    if csat is None:
        csat = _find(source, SCORE_WORDS, 1, 5, taken)
    lowered = {c.casefold(): c for c in source.columns}
    date: str | None = roles.get("date") or next((lowered[d] for d in _DATE_PREFERENCE if d in lowered), None)
    if date is None:
        # created before updated: the day the answer was given, not the day the record last changed
        def rank(col: str) -> int:
            name = col.casefold()
            if re.search(r"creat|oluştur|erstellt|נוצר|submit|gönder", name):
                return 0
            if re.search(r"updat|modif|güncel|geändert|עודכן", name):
                return 2
            return 1

        for col in sorted(source.columns, key=rank):
            if col in {nps, csat, ces} or _numeric_range(source.sample_values(col)) is not None:
                continue  # scores and plain numbers are no dates (serial numbers need --date)
            fmt, share = guess_date_format(source.sample_values(col))
            if fmt and share >= 0.9:
                date = col
                break
    customer = next((lowered[c] for c in _ID_PREFERENCE if c in lowered), None)
    segments = []
    for col in source.columns:
        if col.casefold() in _META or col in {nps, csat, ces, date, customer}:
            continue
        if _not_a_score(col, _labels(source, col)):
            continue  # Qualtrics' own NPS group, comments and text answers are no segments
        values = [v.strip() for v in source.sample_values(col) if v.strip()]
        distinct = set(values)
        if (
            2 <= len(distinct) <= 12
            and len(values) >= 10
            and _numeric_range(values) is None
            and not _free_text(values)
            and guess_date_format(values)[1] < 0.9  # dates are no segments
        ):
            segments.append(col)
    shown = (("NPS", nps), ("CSAT", csat), ("CES", ces), ("date", date), ("customer id", customer))
    found.extend(f"  {role}: {name or 'not found'}" for role, name in shown)
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
