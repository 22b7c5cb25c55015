"""Allow ``python -m cxroi``; also the console script's entry point.

The signal handlers go in before the command-line modules (pandas, pyarrow, DuckDB: most of a second)
are imported, so a Ctrl-C or SIGTERM at start-up is one ``Error:`` line with its exit code too.
"""

from __future__ import annotations

import os
import signal
import sys
from typing import NoReturn

from cxroi.errors import EXIT_INTERRUPTED, EXIT_TERMINATED, Terminated


def on_sigterm(signum: int, frame: object) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # a second SIGTERM ends the process at once
    raise Terminated()


def entry() -> NoReturn:
    signal.signal(signal.SIGTERM, on_sigterm)  # like Ctrl-C: temporary files removed, old report intact
    try:
        from cxroi.cli import main
    except KeyboardInterrupt as exc:
        terminated = isinstance(exc, Terminated)
        sys.stderr.write("Error: terminated (SIGTERM)\n" if terminated else "Error: interrupted\n")
        os._exit(EXIT_TERMINATED if terminated else EXIT_INTERRUPTED)
    main()


if __name__ == "__main__":
    entry()
