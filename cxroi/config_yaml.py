"""Read a YAML config file safely: ``yaml.safe_load`` only (tags such as ``!!python/object`` are never
run), errors as one ``ConfigError`` with the line and column, and alias bombs refused before anything
walks the document."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from cxroi.errors import ConfigError


def read_yaml(p: Path, path: str | Path) -> Any:
    """The parsed document of the config file ``p`` (named ``path`` in messages)."""
    try:
        text = p.read_text(encoding="utf-8-sig")
    except FileNotFoundError as exc:
        raise ConfigError(f"config {path}: no such file", "check the path given to -c/--config") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"config {path}: cannot read it ({exc})", "save it as UTF-8 text") from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        hint = "check the indentation"
        if "constructor for the tag" in problem:
            hint = "YAML tags such as !!python/object are never run; write plain values"
        raise ConfigError(f"config {path}: invalid YAML{where}: {problem}", hint) from exc
    except ValueError as exc:  # YAML's own types: a date such as 2025-13-01
        raise ConfigError(
            f"config {path}: a value is not what it looks like ({exc})",
            "dates are YYYY-MM-DD, e.g. 2025-12-31",
        ) from exc
    if expanded_size(data) > MAX_YAML_VALUES:
        raise ConfigError(
            f"config {path}: its anchors and aliases expand to more than {MAX_YAML_VALUES:,} values",
            "a config this large is an alias bomb, not a config; use each anchor a few times",
        )
    return data


MAX_YAML_VALUES = 100_000


def expanded_size(data: Any) -> int:
    """How many values the document has once every alias is expanded, counted in time proportional to
    the distinct nodes (an alias is the same Python object each time it is used)."""
    sizes: dict[int, int] = {}

    def size(node: Any) -> int:
        if not isinstance(node, (dict, list)):
            return 1
        key = id(node)
        if key not in sizes:
            sizes[key] = 0  # a recursive alias counts once; pydantic refuses the cycle afterwards
            items = [*node.keys(), *node.values()] if isinstance(node, dict) else node
            sizes[key] = min(1 + sum(size(x) for x in items), MAX_YAML_VALUES + 1)
        return sizes[key]

    return size(data)


