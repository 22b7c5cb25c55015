"""Ctrl-C and SIGTERM held back for a few statements that must not be cut in half (a temporary file made
and registered for removal, a native module's set-up). A held signal arrives as soon as they are done."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator

HELD = {signal.SIGINT, signal.SIGTERM}


@contextlib.contextmanager
def held() -> Iterator[None]:
    if not hasattr(signal, "pthread_sigmask") or threading.current_thread() is not threading.main_thread():
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, HELD)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)
