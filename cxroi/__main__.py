"""Allow ``python -m cxroi``; also the console script's entry point.

The signal handlers go in before the command-line modules (pandas, pyarrow, DuckDB: most of a second)
are imported, so a Ctrl-C or SIGTERM at start-up is one ``Error:`` line with its exit code too.
"""

from __future__ import annotations

import os
import signal
import sys
from typing import Any, NoReturn

from cxroi.errors import EXIT_INTERRUPTED, EXIT_TERMINATED, TERMINATED, Terminated


def on_sigterm(signum: int, frame: object) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # a second SIGTERM ends the process at once
    TERMINATED.append(True)
    raise Terminated()


def hold_signals_while_importing() -> None:
    """Every first import of a module runs with Ctrl-C and SIGTERM held back (then delivered at once).

    cxroi imports its heavy libraries lazily, so a signal can land inside a native module's set-up
    (DuckDB's nanobind enums abort the process with -6; a class body under construction turns the
    interrupt into a RuntimeError). Held back, it arrives a moment later in plain Python code, where it is
    exit 130 / 143 with every temporary file removed. Main thread only; modules already loaded cost a
    dictionary lookup."""
    import builtins

    from cxroi.signals import held

    original = builtins.__import__

    def guarded(name: str, globals: Any = None, locals: Any = None, fromlist: Any = (), level: int = 0) -> Any:
        if level == 0 and name in sys.modules and not fromlist:
            return original(name, globals, locals, fromlist, level)
        with held():  # a no-op off the main thread
            return original(name, globals, locals, fromlist, level)

    builtins.__import__ = guarded


def entry() -> NoReturn:
    signal.signal(signal.SIGTERM, on_sigterm)  # like Ctrl-C: temporary files removed, old report intact
    hold_signals_while_importing()
    try:
        from cxroi.cli import main
    except KeyboardInterrupt as exc:
        terminated = isinstance(exc, Terminated)
        sys.stderr.write("Error: terminated (SIGTERM)\n" if terminated else "Error: interrupted\n")
        os._exit(EXIT_TERMINATED if terminated else EXIT_INTERRUPTED)
    main()


if __name__ == "__main__":
    entry()
