"""``cxroi check``: validate a config and the inputs it names without computing anything."""

from __future__ import annotations

from cxroi.config import Config
from cxroi.errors import ConfigError
from cxroi.io import ReadOptions, TableSource, open_source
from cxroi.pipeline.scores import build_request, validate_request


def _open(config: Config, name: str) -> list[TableSource]:
    spec = config.inputs[name]
    opts = ReadOptions(spec.encoding, spec.delimiter, spec.sheet, spec.date_format)
    return [open_source(p, opts) for p in spec.path]


def check_config(config: Config) -> list[str]:
    """Open every input, check every column the config names; return what was found, line by line."""
    lines: list[str] = []
    opened: dict[str, list[TableSource]] = {}
    for name in config.inputs:
        opened[name] = _open(config, name)
        for s in opened[name]:
            lines.append(
                f"input {name}: {s.display} - {s.kind}, {s.layout.kind} layout, {len(s.columns)} columns"
                + (f", delimiter {s.delimiter!r}, {s.encoding}" if s.kind == "csv" else "")
            )
    request = build_request(config)
    if request.metrics():
        validate_request(request)
        name = config.scores.input
        if name not in opened:
            raise ConfigError(
                f"scores.input: no input named {name!r}",
                "inputs: " + (", ".join(opened) or "none defined") + " (define it under inputs:)",
            )
        for source in opened[name]:
            roles: list[tuple[str, str]] = [(m, c.column) for m, c in request.metrics().items() if c.column]
            roles += [("by", col) for col in request.by]
            if request.date:
                roles.append(("date", request.date))
            for role, col in roles:
                actual = source.resolve(col)
                shown = col if actual == col else f"{col} -> {actual}"
                lines.append(f"  scores.{role}: {shown} found in {source.display}")
            if request.date and request.period:
                lines.append(
                    f"  dates in {request.date!r} read as {source.date_format(source.resolve(request.date))}"
                )
    return lines
