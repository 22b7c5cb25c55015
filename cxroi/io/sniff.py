"""Sniff a file's kind, text encoding and delimiter from its first bytes."""

from __future__ import annotations

import codecs
import csv
import io
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Literal

import numpy as np

from cxroi.errors import DataError, InputError

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
    for magic, what, hint in _COMPRESSED:
        if head.startswith(magic):
            raise InputError(f"{path}: this is {what}, not a CSV export", hint)
    if looks_binary(head):
        raise InputError(
            f"{path}: this is a binary file, not a text export (control bytes in the first "
            f"{min(len(head), _SAMPLE):,} bytes)",
            "give the CSV, TSV, XLSX or Parquet file the tool exported",
        )
    return "csv"


_SAMPLE = 1 << 16
_COMPRESSED = (
    (b"\x1f\x8b", "a gzip-compressed file", "decompress it first (gunzip -k FILE), or pipe it: zcat FILE | cxroi ... -"),
    (b"BZh", "a bzip2-compressed file", "decompress it first (bunzip2 -k FILE)"),
    (b"\xfd7zXZ\x00", "an xz-compressed file", "decompress it first (unxz -k FILE)"),
    (b"\x28\xb5\x2f\xfd", "a zstd-compressed file", "decompress it first (unzstd FILE)"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive", "extract the CSV from it first"),
    (b"%PDF-", "a PDF document", "export the data as CSV or XLSX instead"),
)  # fmt: skip
# Control bytes other than tab, LF, CR (and ESC, FF) never occur in a text export; UTF-16's zero bytes are
# recognised before this check.
_CONTROL = frozenset(range(32)) - {9, 10, 13} | {127}


def looks_binary(head: bytes) -> bool:
    """More than 5% control bytes in the first 64 KiB, and not UTF-16 (whose ASCII has zero bytes)."""
    sample = head[:_SAMPLE]
    if not sample or head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or utf16_without_bom(sample):
        return False
    control = sum(sample.count(bytes([b])) for b in _CONTROL)
    return control > 0.05 * len(sample)


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
    wide = utf16_without_bom(head)
    if wide:
        return wide
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        decoder.decode(head, final=False)
    except UnicodeDecodeError as exc:
        guess = single_byte_guess(head)
        if guess is None:
            raise InputError(
                f"{source}: the bytes are not UTF-8 (byte 0x{head[exc.start]:02x} at offset {exc.start})",
                "try --encoding latin-1 (or cp1252, cp1254, utf-16); Excel's 'CSV UTF-8' export avoids this",
            ) from exc
        return guess
    return "utf-8"


# Bytes 0xD0 0xDD 0xDE 0xF0 0xFD 0xFE are Ğ İ Ş ğ ı ş in Windows-1254 and Icelandic Ð Ý Þ ð ý þ in
# Windows-1252 / Latin-1: in a CX export they mean Turkish. 0x81 0x8D 0x8F 0x90 0x9D are unused in both.
_TURKISH = frozenset(b"\xd0\xdd\xde\xf0\xfd\xfe")
_UNUSED = frozenset(b"\x81\x8d\x8f\x90\x9d")
GUESSED = {"cp1254": "Windows-1254 (Turkish: the bytes hold ğ, ş or ı)",
           "cp1255": "Windows-1255 (Hebrew: the bytes are Hebrew words)",
           "cp1252": "Windows-1252 (Western European; Latin-1 text reads the same)",
           "utf-16-le": "UTF-16 little-endian without a byte-order mark",
           "utf-16-be": "UTF-16 big-endian without a byte-order mark"}  # fmt: skip


def utf16_without_bom(head: bytes) -> str | None:
    """UTF-16 without a BOM: text of mostly ASCII has a zero in every other byte (odd positions for
    little-endian, even for big-endian); a CSV never has zero bytes otherwise."""
    sample = head[: 1 << 16]
    if len(sample) < 8 or b"\x00" not in sample:
        return None
    even, odd = sample[0::2], sample[1::2]
    if odd.count(0) > 0.3 * len(odd) and even.count(0) < 0.05 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.3 * len(even) and odd.count(0) < 0.05 * len(odd):
        return "utf-16-be"
    return None


def single_byte_guess(head: bytes) -> str | None:
    """The Windows code page of a non-UTF-8 file: Windows-1255 when its high bytes are Hebrew words,
    Windows-1254 when it holds the Turkish letters' bytes, else Windows-1252 (which reads Latin-1 text the
    same); None when none fits."""
    high = set(head) - set(range(128))
    if not high:
        return None
    if hebrew_words(head):
        return "cp1255"
    if high & _UNUSED:
        return None
    return "cp1254" if high & _TURKISH else "cp1252"


_ASCII_LETTERS = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")


def hebrew_words(head: bytes) -> bool:
    """Windows-1255 Hebrew: the letters alef..tav are bytes 0xE0-0xFA, where Windows-1252 has the accented
    lower-case Latin letters. Latin text puts those letters inside words of ASCII letters (très, déçu);
    Hebrew words are runs of high bytes with no ASCII letter beside them. Hebrew when at least 90% of the
    high bytes are letters, fewer than 10% of them touch an ASCII letter, and they come in runs (words)."""
    sample = head[: 1 << 16]
    letters = [i for i, b in enumerate(sample) if 0xE0 <= b <= 0xFA]
    high = sum(1 for b in sample if b >= 0x80)
    if len(letters) < 3 or len(letters) < 0.9 * high:
        return False
    end = len(sample)

    def beside(i: int, test: Callable[[int], bool]) -> bool:
        return (i > 0 and test(sample[i - 1])) or (i + 1 < end and test(sample[i + 1]))

    touching = sum(1 for i in letters if beside(i, _ASCII_LETTERS.__contains__))
    in_runs = sum(1 for i in letters if beside(i, lambda b: b >= 0xE0))
    return touching < 0.1 * len(letters) and in_runs > 0.8 * len(letters)


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
    # Line ends may be LF, CRLF or CR alone (Excel for Mac's "CSV (Macintosh)"): newline="" lets the csv
    # module see every one of them.
    cut = max(text.rfind("\n"), text.rfind("\r"))
    sample = text[: cut + 1] if cut > 0 else text
    reader = csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter)
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


def unterminated_quote(path: Path) -> int | None:
    """The 1-based line of the file's last quote when the quotes do not pair up, else None.

    Properly quoted CSV has an even number of quote characters (an escaped quote is two); with an odd
    number the last quote may open a cell that swallows every row after it (``last_record_swallows_lines``
    tells that from a literal quote such as ``27" screen``). One vectorised pass over the file in 16 MB
    blocks read into one buffer (~0.3 s a GB from the page cache; memory stays at the buffer, where a
    map of the whole file would count every page it touched); for single-byte and UTF-8 files, where 0x22
    is always a quote. A second pass counts the lines only when the quotes are odd.
    """
    count, last_block, last_len = 0, -1, 0
    for offset, block in _blocks(path):  # pass 1: count the quotes (one comparison a byte)
        n = int(np.count_nonzero(block == 34))
        if n:
            count += n
            last_block, last_len = offset, len(block)
    if count % 2 == 0:
        return None
    last = -1
    lines = {10: 0, 13: 0}
    for offset, block in _blocks(path):
        if offset == last_block:
            quotes = block == 34
            last = offset + last_len - 1 - int(np.argmax(quotes[::-1]))
            block = block[: last - offset]
        for b in lines:
            lines[b] += int(np.count_nonzero(block == b))
        if offset == last_block:
            break
    return (lines[10] or lines[13]) + 1


def _blocks(path: Path, step: int = 1 << 24) -> Iterator[tuple[int, np.ndarray]]:
    buf = bytearray(step)
    view = memoryview(buf)
    offset = 0
    with path.open("rb", buffering=0) as fh:
        while True:
            n = fh.readinto(view)
            if not n:
                return
            yield offset, np.frombuffer(buf, dtype=np.uint8, count=n)
            offset += n


def refuse_swallowing_quote(path: Path, encoding: str, delimiter: str, display: str) -> None:
    """Refuse a file with a quote that opens a cell and never closes, so that the cell would swallow every
    row after it (UTF-16 files, where 0x22 is not always a quote, are not checked)."""
    if encoding.startswith("utf-16"):
        return
    line = unterminated_quote(path)
    if line is not None and last_record_swallows_lines(path, encoding, delimiter):
        raise DataError(
            f"{display}: line {line}: a quote opens a cell that never closes, so every row after it would "
            "be read into that one cell",
            "close or remove that quote in the export; cxroi will not drop the rows after it silently",
        )


def ragged_tail(path: Path, encoding: str, delimiter: str, fields: int, lines: int = 5) -> bool:
    """Whether one of the file's last ``lines`` non-empty lines has another number of fields than
    ``fields`` (a report footer such as ``Grand Totals``, or a cut row): read from the last 64 KB only.
    A guess (a quoted cell with line breaks can fool it either way), used to choose the first way to read."""
    with path.open("rb") as fh:
        size = fh.seek(0, 2)
        fh.seek(max(0, size - (1 << 16)))
        tail = fh.read().decode(encoding if not encoding.startswith("utf-8") else "utf-8", errors="replace")
    start = min((i for i in (tail.find("\n"), tail.find("\r")) if i >= 0), default=len(tail))
    try:  # from the first line break on (the first line may be cut), quoted line breaks and all
        records = [r for r in csv.reader(io.StringIO(tail[start + 1 :], newline=""), delimiter=delimiter) if r]
    except csv.Error:  # a cell that never closes: the quotes will be checked anyway
        return True
    return any(len(r) != fields for r in records[-lines:])


def last_record_swallows_lines(path: Path, encoding: str, delimiter: str) -> bool:
    """Whether the file's last record ends in a cell holding line breaks — what an unterminated quote does
    (a quote mid-cell, as in ``27" screen``, is literal and leaves the rows alone). A full parse with the
    csv module: run only when the quotes do not pair up."""
    last: list[str] = []
    with path.open(encoding=encoding, errors="replace", newline="") as fh:
        for row in csv.reader(fh, delimiter=delimiter):
            last = row
    return any("\n" in cell or "\r" in cell for cell in last)
