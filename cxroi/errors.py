"""Error hierarchy. Each error carries its exit code and a hint; only ``cli.py`` turns them into output.

Exit codes (documented in README):

====  =========================================================================
0     success
1     unexpected internal error (a bug: please report it with ``--verbose``)
2     usage or configuration error (bad option, bad YAML, invalid bands ...)
3     input not found or unreadable (missing file, undecodable bytes, bad sheet); output not writable
4     input data problem (column not found, no valid answers, ``--strict`` hits)
5     an alert threshold was breached (``cxroi run``; reports are written first)
6     another ``cxroi run`` on the same config holds the lock past ``--wait``
130   interrupted (Ctrl-C, SIGINT)
143   terminated (SIGTERM, e.g. ``kill`` or a scheduler's timeout)
====  =========================================================================
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_USAGE = 2
EXIT_INPUT = 3
EXIT_DATA = 4
EXIT_ALERT = 5
EXIT_LOCKED = 6
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread like Ctrl-C so every ``finally`` and temporary-file cleanup runs."""


TERMINATED: list[bool] = []  # set by the SIGTERM handler: an engine may turn the signal into its own error


def interrupted_by(exc: BaseException) -> int | None:
    """The exit code of an error that is really a signal (DuckDB turns Ctrl-C or SIGTERM arriving during a
    query into ``RuntimeError: Query interrupted``), else None."""
    if isinstance(exc, KeyboardInterrupt):
        return EXIT_TERMINATED if isinstance(exc, Terminated) or TERMINATED else EXIT_INTERRUPTED
    if "Query interrupted" in str(exc):
        return EXIT_TERMINATED if TERMINATED else EXIT_INTERRUPTED
    return None


class CxroiError(Exception):
    """Base class of every error a user can cause. ``message`` is one line; ``hint`` says how to fix it."""

    exit_code = EXIT_INTERNAL

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


class UsageError(CxroiError):
    """A bad option combination on the command line."""

    exit_code = EXIT_USAGE


class ConfigError(CxroiError):
    """The YAML config cannot be read or does not validate."""

    exit_code = EXIT_USAGE


class InputError(CxroiError):
    """An input file is missing, unreadable, or its bytes do not decode."""

    exit_code = EXIT_INPUT


class DataError(CxroiError):
    """The input was read but its content cannot give an answer (missing column, no valid rows ...)."""

    exit_code = EXIT_DATA


class LockedError(CxroiError):
    """Another run on the same config is still writing."""

    exit_code = EXIT_LOCKED
