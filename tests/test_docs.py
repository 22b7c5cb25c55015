"""README stays true to the code: every command and option is documented, exit codes match errors.py."""

from __future__ import annotations

import re

import typer.main

from cxroi import errors
from cxroi.cli import app
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_command_and_option_is_in_the_readme() -> None:
    group = typer.main.get_command(app)
    for name, command in group.commands.items():  # type: ignore[attr-defined]
        assert f"cxroi {name}" in README, name
        for param in command.params:
            for opt in param.opts:
                if opt.startswith("--") and opt != "--help":
                    assert opt in README, f"{name} {opt}"


def test_exit_code_table_matches_errors_module() -> None:
    for code in (
        errors.EXIT_OK,
        errors.EXIT_INTERNAL,
        errors.EXIT_USAGE,
        errors.EXIT_INPUT,
        errors.EXIT_DATA,
    ):
        assert re.search(rf"^\| {code} +\|", README, re.M), code


def test_quick_start_has_exactly_two_commands() -> None:
    quick = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```(?:sh|bash|console)?\n(.*?)```", quick, re.S)
    assert block is not None
    commands = [ln for ln in block.group(1).splitlines() if ln.strip() and not ln.startswith("#")]
    assert commands == ["make demo", "make test"]
