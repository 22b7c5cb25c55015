"""A count cache for scheduled runs: the reduced survey counts of each input, kept between runs.

Key: the file's resolved path, size, modification time (ns) and a SHA-256 of sampled blocks (the first,
middle and last 64 KiB), plus every parameter of the reduction (columns, scales, labels, bands, date,
segments, period, as-of, engine). A rerun on an unchanged input reads the counts instead of the file;
any change recomputes. Entries are JSON (never pickle: a cache file is data, not code) with a SHA-256 of
their body inside; an entry that cannot be read, does not match its checksum or its key, is ignored and
rewritten — never trusted. Writes are atomic.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from cxroi.pipeline.common import Note, Tally
from cxroi.pipeline.group_counts import GroupCounts

VERSION = 3  # 3: counts as columns (labels, codes, histograms)
BLOCK = 64 * 1024


def default_dir() -> Path:
    """``$XDG_CACHE_HOME/cxroi`` (default ``~/.cache/cxroi``)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "cxroi" / "counts"


def fingerprint(path: Path) -> dict[str, Any]:
    st = path.stat()
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for offset in sorted({0, max(st.st_size // 2 - BLOCK // 2, 0), max(st.st_size - BLOCK, 0)}):
            fh.seek(offset)
            digest.update(fh.read(BLOCK))
    return {
        "path": str(path.resolve()),
        "size": st.st_size,
        "mtime_ns": st.st_mtime_ns,
        "blocks": digest.hexdigest(),
    }


def cache_key(path: Path, params: dict[str, Any]) -> str:
    body = json.dumps(
        {"v": VERSION, "file": fingerprint(path), "params": params}, sort_keys=True, default=str
    )
    return hashlib.sha256(body.encode()).hexdigest()


def _tally(t: Tally) -> dict[str, Any]:
    return {"count": t.count, "rows": t.rows, "examples": t.examples}


def _counts(groups: Any) -> dict[str, Any]:
    """A ``GroupCounts`` as JSON: its labels per key column, codes and histograms."""
    return {"labels": [list(lab) for lab in groups.labels], "codes": groups.codes.tolist(),
            "hist": groups.hist.tolist()}  # fmt: skip


def save(folder: Path, key: str, acc: Any, warnings: list[str], checks: list[str]) -> None:
    body = {
        "key": key,
        "rows": acc.rows,
        "counts": {m: _counts(g) for m, g in acc.counts.items()},
        "undated": {m: _counts(g) for m, g in acc.undated.items()},
        "invalid": {m: _tally(t) for m, t in acc.invalid.items()},
        "foreign_digits": {m: [n, list(texts)] for m, (n, texts) in acc.foreign_digits.items()},
        "bad_dates": _tally(acc.bad_dates),
        "no_date": _tally(acc.no_date),
        "group_mismatch": _tally(acc.group_mismatch),
        "warnings": [[w, isinstance(w, Note)] for w in warnings],
        "checks": [[w, isinstance(w, Note)] for w in checks],
    }
    write_entry(folder, key, json.dumps(body, sort_keys=True, ensure_ascii=False))


def write_entry(folder: Path, key: str, body: str) -> None:
    """One cache entry, ``folder/key.json``: the JSON text ``body`` with its SHA-256, written atomically
    and readable by the user only (0600 in a 0700 folder: it holds their data)."""
    entry = json.dumps({"sha256": hashlib.sha256(body.encode()).hexdigest(), "body": body})
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = folder / f".{key}.{os.getpid()}.tmp"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(entry)
        os.replace(tmp, folder / f"{key}.json")
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def read_entry(folder: Path, key: str) -> Any:
    """The parsed body of ``folder/key.json``; ValueError when its checksum or key does not match, OSError
    or ValueError when it cannot be read (callers ignore the entry then, never trust it)."""
    entry = json.loads((folder / f"{key}.json").read_text(encoding="utf-8"))
    text = entry["body"]
    if hashlib.sha256(text.encode()).hexdigest() != entry["sha256"]:
        raise ValueError("checksum")
    body = json.loads(text)
    if body["key"] != key:
        raise ValueError("another key's entry")
    return body


def load(folder: Path, key: str, new_acc: Any) -> tuple[Any, list[str], list[str]] | None:
    """The cached accumulator and warnings, or None (missing, unreadable, corrupt or another key's)."""
    try:
        body = read_entry(folder, key)
        acc = new_acc()
        acc.rows = int(body["rows"])
        for name in ("counts", "undated"):
            target = getattr(acc, name)
            for metric, groups in body[name].items():
                labels = [list(lab) for lab in groups["labels"]]
                codes = np.asarray(groups["codes"], dtype=np.int64).reshape(-1, len(labels))
                hist = np.asarray(groups["hist"], dtype=np.int64)
                sizes = np.asarray([len(lab) for lab in labels], dtype=np.int64)
                if len(codes) != len(hist) or (codes < 0).any() or (codes >= sizes).any():
                    raise ValueError("codes out of range")
                target[metric] = GroupCounts.build(labels, codes, hist)
        acc.invalid = {m: Tally(**t) for m, t in body["invalid"].items()}
        acc.foreign_digits = {m: (int(n), list(texts)) for m, (n, texts) in body["foreign_digits"].items()}
        for name in ("bad_dates", "no_date", "group_mismatch"):
            setattr(acc, name, Tally(**body[name]))
        warnings = [Note(w) if note else w for w, note in body["warnings"]]
        checks = [Note(w) if note else w for w, note in body["checks"]]
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    return acc, warnings, checks
