"""A lock per config file, so two overlapping scheduled runs do not interleave their writes."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from cxroi.errors import LockedError


def lock_path(config: Path) -> Path:
    digest = hashlib.sha1(str(config.resolve()).encode("utf-8")).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"cxroi-{digest}.lock"


@contextlib.contextmanager
def run_lock(config: Path, wait: float) -> Iterator[Path]:
    """Hold an exclusive lock for ``config``; wait up to ``wait`` seconds for another run to finish."""
    path = lock_path(config)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise LockedError(
                        f"another cxroi run on {config} still holds its lock ({path})",
                        "wait for it to finish, or raise --wait",
                    ) from None
                time.sleep(0.2)
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        yield path
    finally:
        with contextlib.suppress(OSError):
            fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
