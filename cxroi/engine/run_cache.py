"""The result cache of ``cxroi run``: a rerun on unchanged inputs and config reads its result instead of
computing it again (cron's "nothing changed since yesterday" costs a start-up and the rendering).

A run is a pure function of its inputs' bytes, the validated config, the as-of day (the run's own date
when none is pinned: "now" moves every day) and the cxroi version: the bootstrap and every sample are
seeded. Key: a SHA-256 of all of them, each input named by ``cxroi.engine.cache.fingerprint`` (resolved
path, size, modification time in ns, SHA-256 of its first, middle and last 64 KiB). Standard input is
never cached. The entry is JSON (never pickle) holding the run's data as the reports see it (personal
data redacted; ``privacy.allow`` is part of the config, so of the key), its warnings and notes
and its engine lines, with a SHA-256 of its body; an entry that is unreadable, fails its checksum or
holds another key is ignored, recomputed and rewritten. Written atomically, readable by the user only
(0600 in a 0700 folder); the 20 newest entries are kept.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from cxroi import __version__
from cxroi.config import Config
from cxroi.engine.cache import fingerprint, read_entry, write_entry
from cxroi.pipeline.common import Note

VERSION = 1
KEEP = 20  # entries kept per cache folder (a daily cron run without --as-of makes one a day)


@dataclass
class CachedRun:
    """What ``cxroi run`` renders, as the first run stored it (same interface as ``RunResult``)."""

    data: dict[str, Any]
    warnings: list[str] = field(default_factory=list)
    engine: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return self.data


def run_key(config: Config, config_name: str, as_of: date | None, today: date) -> str | None:
    """The key of this run, or None when it cannot be cached (standard input, a database input, an input
    that is missing: the run itself will say so)."""
    files = []
    for spec in config.inputs.values():
        if spec.connection is not None or spec.table is not None:
            return None  # a database or catalog table has no fingerprint: it may change between runs
        for p in spec.path:
            if p == "-":
                return None
            try:
                files.append(fingerprint(Path(p)))
            except OSError:
                return None
    body = {
        "v": VERSION,
        "cxroi": __version__,
        "config_name": config_name,
        "config": config.model_dump(mode="json", by_alias=True),
        "as_of": as_of.isoformat() if as_of else None,
        "today": None if as_of else today.isoformat(),
        "files": files,
    }
    text = json.dumps(body, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def save(folder: Path, key: str, data: dict[str, Any], warnings: list[str], engine: list[str]) -> None:
    body = json.dumps(
        {"key": key, "data": data, "warnings": [[w, isinstance(w, Note)] for w in warnings], "engine": engine},
        ensure_ascii=False,
        allow_nan=False,
    )
    write_entry(folder, key, body)
    _prune(folder)


def _prune(folder: Path) -> None:
    """Keep the ``KEEP`` newest entries."""
    entries = []
    for p in folder.glob("*.json"):
        try:
            entries.append((p.stat().st_mtime_ns, p))
        except OSError:
            continue
    for _, old in sorted(entries, reverse=True)[KEEP:]:
        old.unlink(missing_ok=True)


def load(folder: Path, key: str) -> CachedRun | None:
    """The stored run, or None (missing, unreadable, corrupt, or another key's)."""
    try:
        doc = read_entry(folder, key)
        if not isinstance(doc["data"], dict):
            return None
        warnings = [Note(w) if note else str(w) for w, note in doc["warnings"]]
        engine = [str(x) for x in doc["engine"]]
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    return CachedRun(doc["data"], warnings, engine)
