"""``cxroi check``: validate a config and the inputs it names without computing anything."""

from __future__ import annotations

from cxroi.config import Config
from cxroi.errors import ConfigError
from cxroi.io import TableSource
from cxroi.pipeline.inputs import open_input
from cxroi.pipeline.scores import build_request, validate_request


def check_config(config: Config) -> list[str]:
    """Open every input, check every column the config names; return what was found, line by line."""
    lines: list[str] = []
    opened: dict[str, list[TableSource]] = {}
    for name in config.inputs:
        opened[name] = open_input(config, name)
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
    lines += _check_crm(config, opened)
    return lines


_ROLES = {
    "customers": (("id", True), ("start", True), ("end", True), ("mrr", False)),
    "transactions": (("customer", True), ("date", True), ("amount", True), ("cost", False)),
    "contracts": (("customer", True), ("date", True), ("value", True)),
    "tickets": (
        ("customer", True),
        ("created", True),
        ("first_response", False),
        ("first_response_at", False),
        ("cost", False),
    ),
}


def _check_crm(config: Config, opened: dict[str, list[TableSource]]) -> list[str]:
    """Find every CRM role's column in the inputs the ``crm:`` section points at."""
    from cxroi.io.presets import find_column, recognise_preset

    lines: list[str] = []
    for section, roles in _ROLES.items():
        mapping = getattr(config.crm, section)
        if mapping.input not in opened:
            continue
        spec = config.inputs[mapping.input]
        for source in opened[mapping.input]:
            preset = spec.preset or recognise_preset(source.columns)
            for role, required in roles:
                col = find_column(
                    source,
                    f"{section}.{role}",
                    getattr(mapping, role),
                    preset,
                    required=required,
                    key=f"crm.{section}.{role}",
                )
                if col:
                    lines.append(f"  crm.{section}.{role}: {col} found in {source.display}")
            for col in config.crm.by if section == "customers" else []:
                lines.append(f"  crm.by: {source.resolve(col)} found in {source.display}")
    return lines
