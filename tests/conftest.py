"""Shared fixtures: paths to real-shape export fixtures and a CLI runner with separate stdout/stderr."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from cxroi.cli import app

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
GOLDEN = Path(__file__).resolve().parent / "golden"

os.environ["_TYPER_FORCE_DISABLE_TERMINAL"] = "1"
os.environ["COLUMNS"] = "120"
os.environ.pop("CXROI_CONFIG", None)
os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="cxroi-test-cache-")  # never the user's cache
os.environ.pop("NO_COLOR", None)


def run(args: Sequence[str], input: str | bytes | None = None, ok: bool = True) -> Result:
    """Invoke the CLI in-process. ``ok=True`` re-raises unexpected exceptions (success paths)."""
    runner = CliRunner()
    return runner.invoke(app, list(args), input=input, catch_exceptions=not ok)


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES


def mutated(cell: str, edits: list[tuple[int, int, str]]) -> str:
    """``cell`` with each edit applied: (0, where, ch) replaces, (1, where, ch) inserts, (2, where, _)
    deletes the character at ``where`` (modulo the length): cells near a valid form for property tests."""
    chars = list(cell)
    for kind, where, ch in edits:
        i = where % (len(chars) + 1)
        if kind == 0 and chars:
            chars[min(i, len(chars) - 1)] = ch
        elif kind == 1:
            chars.insert(i, ch)
        elif chars:
            del chars[min(i, len(chars) - 1)]
    return "".join(chars)
