"""Output: atomic files, special files and standard output, each failure one clear error.

A regular file is written to a temporary file beside it, then renamed over it: a crash, a Ctrl-C, a
SIGTERM or a full disk leaves either the old file or the new one, never half of one, and no temporary
file. A symbolic link is followed (its target is replaced, the link stays). A device, FIFO or socket
(``/dev/stdout``, ``/dev/null``, a named pipe) is written in place — renaming over it would replace the
device with a file.
"""

from __future__ import annotations

import contextlib
import os
import stat
import sys
import tempfile
from pathlib import Path

from cxroi.errors import InputError
from cxroi.signals import held


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


def write_atomic(path: str | Path, data: str | bytes, encoding: str = "utf-8") -> None:
    target = Path(path)
    if target.is_symlink():
        target = Path(os.path.realpath(target))  # replace what the link points at, keep the link
    payload = data.encode(encoding) if isinstance(data, str) else data
    try:
        mode = target.stat().st_mode
    except FileNotFoundError:
        mode = None
    except OSError as exc:
        raise InputError(f"cannot write {path}: {_reason(exc)}", "check the path and its permissions") from exc
    if mode is not None and stat.S_ISDIR(mode):
        raise InputError(f"cannot write {path}: it is a folder", "give a file name, e.g. report.html")
    if mode is not None and not stat.S_ISREG(mode):
        _write_in_place(path, target, payload)
        return
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise InputError(f"cannot write {path}: folder {folder} does not exist", "create it first")
    try:
        with held():  # the temporary file exists only inside the try below that removes it
            fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
            return _replace(fd, tmp, target, path, payload, mode)
    except OSError as exc:
        raise InputError(
            f"cannot write {path}: {_reason(exc)} (folder {folder})", "check the folder's permissions and free space"
        ) from exc


def _replace(fd: int, tmp: str, target: Path, path: str | Path, payload: bytes, mode: int | None) -> None:
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        if mode is not None:
            with contextlib.suppress(OSError):
                os.chmod(tmp, mode & 0o777)
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise InputError(
                f"cannot write {path}: {_reason(exc)}; the previous file is unchanged",
                "check the free space and permissions of the folder",
            ) from exc
        raise


def _write_in_place(path: str | Path, target: Path, payload: bytes) -> None:
    try:
        with open(target, "wb") as fh:
            fh.write(payload)
            fh.flush()
    except OSError as exc:
        raise InputError(f"cannot write {path}: {_reason(exc)}", "check the device or pipe") from exc


def write_stdout(text: str) -> None:
    """Data to standard output; a full disk or a closed descriptor is an error (exit 3), not a traceback.
    A reader that stops early (``| head``) ends the process quietly through SIGPIPE's default."""
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        raise
    except (OSError, ValueError) as exc:
        reason = _reason(exc) if isinstance(exc, OSError) else str(exc)
        raise InputError(f"cannot write to standard output: {reason}", "check where the output goes") from exc
