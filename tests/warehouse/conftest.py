"""Fixtures for the database and Spark tests: a real PostgreSQL server with the sample data loaded, and
configs equal to ``configs/default.yaml`` except where the inputs live."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.warehouse import pg_server
from tests.warehouse.load import to_postgres

DEFAULT = (ROOT / "configs" / "default.yaml").read_text(encoding="utf-8")
ROLES = {"survey": "survey_responses", "customers": "customers", "transactions": "transactions",
         "contracts": "contracts", "tickets": "tickets"}  # fmt: skip


def config_with(inputs: dict[str, str], extra: str = "", engine: str | None = None) -> str:
    """The default config with its ``inputs:`` replaced (each value the YAML body of one input) and
    ``extra`` appended; ``engine`` holds ``  key: value`` lines that replace the engine section's own."""
    body = "inputs:\n" + "".join(
        f"  {name}:\n" + "".join(f"    {line}\n" for line in spec.splitlines())
        + ("    preset: zendesk\n" if name == "tickets" else "")
        for name, spec in inputs.items()
    )
    text = re.sub(r"(?ms)^inputs:\n.*?(?=^# `cxroi scores`)", body + "\n", DEFAULT, count=1)
    for line in (engine or "").splitlines():
        key = line.split(":", 1)[0].strip()
        text, n = re.subn(rf"(?m)^  {key}: .*$", line.replace("\\", "\\\\"), text, count=1)
        assert n == 1, key
    return text + ("\n" + extra if extra else "")


def file_config(folder: Path) -> Path:
    """The default config, its inputs made absolute (so it may sit in any folder)."""
    text = DEFAULT.replace("../sample_data/", str(ROOT / "sample_data") + "/")
    path = folder / "files.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def pg() -> Iterator[pg_server.Server]:
    gen = pg_server.start()
    server = next(gen)
    to_postgres(server.url())
    try:
        yield server
    finally:
        gen.close()


@pytest.fixture
def pg_env(pg: pg_server.Server, monkeypatch: pytest.MonkeyPatch) -> str:
    """``CX_DB`` holds the server's URL (with its password), as a cron job's environment would."""
    monkeypatch.setenv("CX_DB", pg.url())
    return pg.url()


def db_inputs(connection: str = "env:CX_DB") -> dict[str, str]:
    return {name: f"connection: {connection}\ntable: {'public.' if name == 'survey' else ''}{table}"
            for name, table in ROLES.items()}  # fmt: skip
