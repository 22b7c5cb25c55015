"""Open a named input of the config: command-line paths and read flags win over ``inputs.NAME``."""

from __future__ import annotations

from collections.abc import Sequence

from cxroi.config import Config
from cxroi.io import ReadOptions, TableSource, open_sources


def open_input(
    config: Config, name: str, paths: Sequence[str] | None = None, flags: ReadOptions | None = None
) -> list[TableSource]:
    """The sources of input ``name`` (empty when neither the config nor ``paths`` names a file)."""
    spec = config.inputs.get(name)
    flags = flags or ReadOptions()
    if spec is not None and spec.connection is not None and not paths:
        from cxroi.io.connection import connect, resolve
        from cxroi.io.sql_source import SqlSource

        where = f"inputs.{name}.connection"
        options = ReadOptions(date_format=flags.date_format or spec.date_format, where=flags.where)
        db = connect(resolve(spec.connection, where), where)
        return [SqlSource(db, spec.table, spec.query, name, options, pushdown=spec.pushdown)]
    if config.engine.name == "spark" and (spec is not None or paths):
        from cxroi.engine.spark import spark_input

        options = ReadOptions(date_format=flags.date_format or (spec.date_format if spec else None),
                              where=flags.where)  # fmt: skip
        files = list(paths) if paths else (list(spec.path) if spec else [])
        return [spark_input(config.engine, name, files, spec.table if spec and not paths else None,
                            spec.query if spec and not paths else None, options)]  # fmt: skip
    files = list(paths) if paths else (list(spec.path) if spec else [])
    if not files:
        return []
    options = ReadOptions(
        encoding=flags.encoding or (spec.encoding if spec else None),
        delimiter=flags.delimiter or (spec.delimiter if spec else None),
        sheet=flags.sheet or (spec.sheet if spec else None),
        date_format=flags.date_format or (spec.date_format if spec else None),
        block_size=flags.block_size,
        where=flags.where
        + tuple((col, tuple(values)) for col, values in (spec.where if spec else {}).items()),
    )
    return open_sources(files, options)
