"""Sniff a file's kind, text encoding and delimiter from its first bytes."""

from __future__ import annotations

import codecs
import csv
import io
from collections import Counter
from pathlib import Path
from typing import Literal

from cxroi.errors import InputError

FileKind = Literal["csv", "xlsx", "parquet"]

DELIMITERS = (",", ";", "\t", "|")
_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}


def delimiter_name(delimiter: str) -> str:
    return _DELIMITER_NAMES.get(delimiter, repr(delimiter))


def detect_kind(path: Path, head: bytes) -> FileKind:
    """XLSX and Parquet are recognised by their magic bytes, everything else is delimited text."""
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(b"PK\x03\x04"):
        if path.suffix.lower() in {".xls"}:
            raise InputError(f"{path}: legacy .xls files are not supported", "save it as .xlsx or CSV")
        return "xlsx"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise InputError(
            f"{path}: this is a legacy Excel (.xls) file", "save it as .xlsx or CSV and try again"
        )
    return "csv"


def normalize_encoding(name: str) -> str:
    """Return Python's canonical codec name, or raise a usage-friendly error for unknown ones."""
    try:
        return codecs.lookup(name).name
    except LookupError as exc:
        raise InputError(
            f"unknown encoding {name!r}", "use a Python codec name such as utf-8, utf-16, latin-1 or cp1252"
        ) from exc


def detect_encoding(head: bytes, override: str | None, source: str) -> str:
    """Pick the text encoding: an explicit ``override`` wins, then a BOM, then UTF-8 if the bytes decode.

    Returns a Python codec name: ``utf-8-sig`` (UTF-8 with BOM), ``utf-16`` (UTF-16 with BOM), ``utf-8``
    or the normalised override.
    """
    if override:
        return normalize_encoding(override)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        decoder.decode(head, final=False)
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{source}: the bytes are not UTF-8 (byte 0x{head[exc.start]:02x} at offset {exc.start})",
            "try --encoding latin-1 (or cp1252, utf-16); Excel's 'CSV UTF-8' export avoids this",
        ) from exc
    return "utf-8"


def decode_head(head: bytes, encoding: str) -> str:
    """Decode the first bytes of a file, tolerating a character cut in half at the end."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    try:
        return decoder.decode(head, final=False)
    except UnicodeDecodeError as exc:
        raise InputError(
            f"the bytes do not decode as {encoding} (offset {exc.start})",
            "try another --encoding, e.g. latin-1, cp1252 or utf-16",
        ) from exc


def _records(text: str, delimiter: str, limit: int) -> list[list[str]]:
    # Drop the last (possibly cut) line of the sample so a partial record does not skew the count.
    cut = text.rfind("\n")
    sample = text[: cut + 1] if cut > 0 else text
    reader = csv.reader(io.StringIO(sample), delimiter=delimiter)
    rows: list[list[str]] = []
    try:
        for row in reader:
            if row:
                rows.append(row)
            if len(rows) >= limit:
                break
    except csv.Error:
        pass
    return rows


def sniff_delimiter(text: str, override: str | None = None) -> str:
    """Choose the delimiter among , ; tab | that splits the sample into the most consistent, widest rows.

    Each candidate parses up to 50 records (quote-aware); its score is the share of records whose field count
    equals the most common count, times that count. A single-column file falls back to ``,``.
    """
    if override:
        return {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}.get(override, override)
    best, best_score = ",", 0.0
    for delim in DELIMITERS:
        rows = _records(text, delim, 50)
        if not rows:
            continue
        counts = Counter(len(r) for r in rows)
        width, freq = counts.most_common(1)[0]
        if width < 2:
            continue
        score = (freq / len(rows)) * width
        if score > best_score:
            best, best_score = delim, score
    return best


def head_records(text: str, delimiter: str, limit: int = 400) -> list[list[str]]:
    """Parse the first ``limit`` records of the decoded sample (used for layout and date sniffing)."""
    return _records(text, delimiter, limit)
