"""Command-line interface: parse options -> load config -> call the pipeline -> render -> write.

Errors raised below (``CxroiError``) become ``Error: ...`` + a hint on stderr and their exit code here,
and only here. Data goes to stdout (or ``-o``, written atomically); everything else goes to stderr.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import sys
from typing import NoReturn

from cxroi.__main__ import on_sigterm
from cxroi.cli import crm, evidence, job, survey, why  # noqa: F401 - each registers its commands on the app
from cxroi.cli.common import _err, app
from cxroi.errors import EXIT_INTERRUPTED, EXIT_TERMINATED, interrupted_by

__all__ = ["app", "main"]


def main() -> NoReturn:
    """Console-script entry point."""
    if hasattr(signal, "SIGPIPE"):
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # `cxroi ... | head` ends quietly
    signal.signal(signal.SIGTERM, on_sigterm)  # like Ctrl-C: temporary files removed, old report intact
    code: int = 0
    try:
        app()
    except SystemExit as exc:
        if isinstance(exc.code, str):
            _err(exc.code)
        code = 1 if isinstance(exc.code, str) else int(exc.code or 0)
        stop = getattr(exc.__context__, "__cause__", None)
        if isinstance(stop, KeyboardInterrupt):  # typer's own silent exit 130: the signal landed outside a
            code = interrupted_by(stop) or EXIT_INTERRUPTED  # command's _guard (its ``finally``, say)
            _err("Error: terminated (SIGTERM)" if code == EXIT_TERMINATED else "Error: interrupted")
    except KeyboardInterrupt as exc:
        code = interrupted_by(exc) or EXIT_INTERRUPTED
        _err("Error: terminated (SIGTERM)" if code == EXIT_TERMINATED else "Error: interrupted")
    _leave(code)




def _leave(code: int) -> NoReturn:
    """Flush, run the atexit callbacks, then end the process without interpreter finalisation.

    pyarrow's streaming CSV reader can be released on one of its IO threads after the last batch (its
    read-ahead finishing late); if that happens while Python finalises, releasing our invalid-row handler
    needs the GIL and the process aborts ("terminate called without an active exception", exit 134).
    A command-line process has nothing left to finalise once its output is flushed.
    """
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    atexit._run_exitfuncs()
    os._exit(code)
