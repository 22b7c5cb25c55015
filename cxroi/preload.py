"""Import modules a command will need in a background thread, while the main thread waits on DuckDB.

A run of ``cxroi scores`` spends a fixed ~0.3 s importing pandas (which pyarrow's first ``to_numpy``
pulls in) and SciPy (the t quantiles), after its query, on one core. DuckDB releases the GIL while it
runs a query, so the same imports can happen during it instead. The main thread's own ``import`` then
finds the module loaded, or waits on Python's per-module import lock for the thread to finish it; a
failed import here is left for the main thread to raise (Python removes a half-imported module).

Signals go to the main thread only, so the thread needs no ``held()``; it is not a daemon: a run that
ends early waits the fraction of a second the imports take rather than tearing one down half-way.
"""

from __future__ import annotations

import importlib
import sys
import threading


def preload(*names: str) -> threading.Thread | None:
    """Start importing ``names`` (those not yet imported) in a background thread; the thread, or None."""
    wanted = [name for name in names if name not in sys.modules]
    if not wanted:
        return None

    def run() -> None:
        for name in wanted:
            try:
                importlib.import_module(name)
            except Exception:  # the main thread's own import raises it where it matters
                return

    thread = threading.Thread(target=run, name="cxroi-preload")
    thread.start()
    return thread
