"""Report path templates hold only the documented fields: attribute or index access, conversions, other
names and `..` (unless reports_dir_escape) are config errors (exit 2, found by `cxroi check`)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from cxroi.config import parse_config
from cxroi.config_outputs import expand_template
from cxroi.errors import ConfigError
from tests.conftest import run

BAD = ["out/{as_of.__class__.__mro__}.csv", "out/{as_of[0]}.md", "out/{period!r}.md", "out/{x}.md",
       "out/{period:>10}.md", "out/{as_of:{date}}.md", "out/{0}.md", "out/{}.md", "../up/{date}.md"]  # fmt: skip


@pytest.mark.parametrize("path", BAD)
def test_refused(path: str) -> None:
    with pytest.raises(ConfigError):
        parse_config({"reports": [{"format": "markdown", "path": path}]})


def test_documented_fields_expand() -> None:
    values = {"as_of": date(2025, 12, 31), "date": date(2026, 1, 2), "period": "2025-Q4", "table": "churn"}
    assert (
        expand_template("r/{as_of:%Y-%m}/{date}-{period}-{table}.csv", values)
        == "r/2025-12/2026-01-02-2025-Q4-churn.csv"
    )
    assert parse_config({"reports": [{"format": "markdown", "path": "../x.md"}], "reports_dir_escape": True})


def test_check_finds_it(tmp_path: Path) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text(
        "reports:\n  - format: csv\n    path: 'out/{as_of.__class__.__mro__}.csv'\n", encoding="utf-8"
    )
    r = run(["check", "-c", str(cfg)], ok=False)
    assert r.exit_code == 2 and "as_of.__class__" in r.stderr and "Traceback" not in r.stderr
