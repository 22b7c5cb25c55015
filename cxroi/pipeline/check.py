"""``cxroi check``: validate a config and the inputs it names without computing anything."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from cxroi.config import Config
from cxroi.errors import ConfigError, UsageError
from cxroi.io import Batch, ColumnKind, TableSource
from cxroi.io.reader import scan
from cxroi.io.sql_source import SAMPLE
from cxroi.pipeline.inputs import open_input
from cxroi.pipeline.rowrules import PAID_VALUES, WON_VALUES
from cxroi.pipeline.scores import build_request, validate_request


def date_lines(source: TableSource, column: str) -> list[str]:
    """How the dates of ``column`` are read (format and why), and how many of them cannot be (one pass)."""
    types = getattr(source, "types", None)
    if types is not None:  # a database: typed dates are grouped by day there; text ones sniffed from a sample
        t = types[column]
        if pa.types.is_date(t) or pa.types.is_timestamp(t):
            return [f"    dates in {column!r}: a {t} column of the database (survey answers counted by day there)"]
        fmt = source.date_format(column)
        why = source.date_formats.get(column, (fmt, "given with --date-format or date_format"))[1]
        return [f"    dates in {column!r}: text read as {fmt} ({why}, from the first {SAMPLE} values)"]
    fmt = source.date_format(column)
    why = source.date_formats.get(column, (fmt, "given with --date-format or date_format"))[1]

    def step(acc: list[int], batch: Batch) -> None:
        acc[0] += int(np.count_nonzero(batch.bad_dates.get(column, np.zeros(0, dtype=bool))))

    bad: list[int] = scan(source, {column: ColumnKind.DATE}, lambda: [0], step)
    lines = [f"    dates in {column!r} read as {fmt} ({why})"]
    if bad[0]:
        lines.append(f"    warning: {bad[0]:,} values in {column!r} cannot be read as {fmt}")
    return lines


def _enables_something(config: Config) -> bool:
    request = build_request(config)
    scores = bool(request.metrics()) and config.scores.input in config.inputs
    return scores or config.crm.customers.input in config.inputs or config.roi is not None


def check_config(config: Config) -> list[str]:
    """Open every input, check every column the config names; return what was found, line by line."""
    lines: list[str] = []
    opened: dict[str, list[TableSource]] = {}
    for name in config.inputs:
        opened[name] = open_input(config, name)
        for s in opened[name]:
            if getattr(s, "db", None) is not None:
                dialect = getattr(s, "dialect", "")
                if dialect == "spark":
                    what, how = "engine spark", "counts run on Spark"
                else:
                    what = f"{dialect} database"
                    how = ("engine: counts pushed down to the database" if getattr(s, "pushdown", True) else
                           "engine: the needed columns fetched and counted by DuckDB (pushdown: false)")
                lines.append(f"input {name}: {s.display} - {what}, SQL dialect {dialect}, {len(s.columns)} "
                             f"columns ({how})")
                continue
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
            if request.date:
                lines += date_lines(source, source.resolve(request.date))
            lines += [f"    warning: {w}" for w in source.warnings]
    lines += _check_crm(config, opened)
    lines += _check_sql_reports(config)
    return lines


def _check_sql_reports(config: Config) -> list[str]:
    """Connect to each ``sql`` report's database and say whether its table is there or will be created."""
    from cxroi.io.connection import MISSING_TABLE, connect, resolve
    from cxroi.io.sql_source import table_expression
    from cxroi.report.long_form import SCHEMA

    lines = []
    for spec in config.reports:
        if spec.format != "sql":
            continue
        assert spec.connection is not None and spec.table is not None
        url = resolve(spec.connection, f"reports ({spec.table})")
        db = connect(url, f"reports ({spec.table})", write=spec.connection.startswith("sqlite"))
        try:
            from sqlglot import exp

            have = db.arrow(exp.select(exp.Star()).from_(table_expression(spec.table, db.dialect)).limit(0)
                            .sql(db.dialect)).schema.names  # fmt: skip
            missing = [c for c in SCHEMA.names if c not in have]
            if missing:
                raise ConfigError(
                    f"reports ({spec.table}): the table exists without the columns {', '.join(missing)}",
                    "name another table, or drop this one: the sql report creates its own",
                )
            state = "exists; a run replaces its own (config, as_of) rows"
        except ConfigError:
            raise
        except Exception as exc:
            if not MISSING_TABLE.search(str(exc)):
                raise
            state = "will be created by the first run"
        finally:
            db.close()
        lines.append(f"report sql: table {spec.table} in {db.display} ({db.dialect}) {state}")
    return lines


def require_something(config: Config) -> None:
    """``cxroi run`` would stop on a config that enables nothing: say so (after the findings)."""
    if not _enables_something(config):
        raise UsageError(
            "the config enables nothing to compute",
            "name score columns (scores:), a customer input (inputs.customers) or a roi: section",
        )


_ROLES = {
    "customers": (("id", True), ("start", True), ("end", False), ("mrr", False)),
    "transactions": (
        ("id", False),
        ("customer", True),
        ("date", True),
        ("amount", True),
        ("refunded", False),
        ("status", False),
        ("cost", False),
    ),
    "contracts": (("id", False), ("customer", True), ("date", True), ("value", True), ("status", False)),
    "tickets": (
        ("customer", True),
        ("created", True),
        ("first_response", False),
        ("first_response_at", False),
        ("cost", False),
    ),
}
_RULE_ROLES = {"id", "status", "refunded"}
_RULE_PRESETS = {*PAID_VALUES, *WON_VALUES}
_DATES = {"customers.start", "customers.end", "transactions.date", "contracts.date", "tickets.created",
          "tickets.first_response_at"}  # fmt: skip


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
            if preset:
                how = "given" if spec.preset else "recognised from the header"
                lines.append(f"  {source.display}: {preset} export ({how})")
            for role, required in roles:
                if role in _RULE_ROLES and not getattr(mapping, role) and preset not in _RULE_PRESETS:
                    continue  # ids and statuses are used only when configured or known from the preset
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
                    if f"{section}.{role}" in _DATES:
                        lines += date_lines(source, col)
            for col in config.crm.by if section == "customers" else []:
                lines.append(f"  crm.by: {source.resolve(col)} found in {source.display}")
            lines += [f"    warning: {w}" for w in dict.fromkeys(source.warnings)]
    return lines
