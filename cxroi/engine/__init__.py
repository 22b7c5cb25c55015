"""The engines that reduce inputs to counts (DuckDB), and the caches of their results."""

from __future__ import annotations

import sys
from types import ModuleType


def duckdb_module() -> ModuleType:
    """``import duckdb`` with Ctrl-C and SIGTERM held back until it is done: a KeyboardInterrupt raised
    inside DuckDB's native module set-up aborts the process (exit -6, no cleanup); held back, the signal
    arrives right after, where cxroi turns it into exit 130 / 143 with every temporary file removed."""
    loaded = sys.modules.get("duckdb")
    if loaded is not None:
        return loaded
    from cxroi.signals import held

    with held():
        import duckdb
    return duckdb
