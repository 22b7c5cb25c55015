"""The inputs of a config (``inputs.NAME``): a file, several read as one, or a database table or query,
and how to read it. Unknown keys and wrong types are rejected like the rest of the config."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, field_validator, model_validator


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


Preset = Literal[
    "salesforce",
    "salesforce-opportunities",
    "hubspot",
    "hubspot-deals",
    "stripe-payments",
    "stripe-invoices",
    "stripe-customers",
    "stripe-subscriptions",
    "chargebee",
    "shopify-orders",
    "shopify-customers",
    "zendesk",
    "freshdesk",
]


class InputConfig(_Model):
    """One input file (or several read as one data set) and how to read it; or a database table or query
    (``connection`` with ``table`` or ``query``) instead of ``path``."""

    path: list[str] = []
    connection: str | None = None  # a URL or env:NAME (the URL read from that environment variable)
    table: str | None = None  # schema.table
    query: str | None = None  # SELECT ...
    # a database input's survey counts: true, GROUP BY in the database (only counts travel); false, the
    # needed columns are fetched and counted here (faster when the database is the slower machine)
    pushdown: bool = True
    preset: Preset | None = None
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    date_format: str | None = None
    where: dict[str, list[str]] = {}  # keep rows whose column holds one of the values, e.g. {Finished: 1}

    @field_validator("where", mode="before")
    @classmethod
    def _values(cls, v: Any) -> Any:
        if not isinstance(v, dict):
            return v

        def text(x: Any) -> Any:
            return str(x).lower() if isinstance(x, bool) else str(x) if isinstance(x, int | float) else x

        return {k: [text(x) for x in (vals if isinstance(vals, list) else [vals])] for k, vals in v.items()}

    @field_validator("path", mode="before")
    @classmethod
    def _one_or_many(cls, v: Any) -> Any:
        return [v] if isinstance(v, str) else v

    @model_validator(mode="after")
    def _file_or_database(self) -> InputConfig:
        from cxroi.io.connection import literal_secret

        if self.connection is None:
            if not self.path and self.table is None:
                raise ValueError("give path (a file), connection with table or query (a database), or "
                                 "table (a Spark catalog table, with engine: {name: spark})")  # fmt: skip
            if self.path and self.table is not None:
                raise ValueError("give path or table, not both")
            if self.query is not None:
                raise ValueError("query needs a connection")
            return self
        if self.path:
            raise ValueError("give path or connection, not both")
        if (self.table is None) == (self.query is None):
            raise ValueError("a connection needs exactly one of table (schema.table) or query (SELECT ...)")
        if literal_secret(self.connection):
            raise ValueError(
                "the connection URL holds a password: put the URL in an environment variable and write "
                "connection: env:NAME (passwords never sit in config files)"
            )
        return self


def database_file(connection: str | None, base: Path) -> str | None:
    """A ``sqlite:///`` or ``duckdb:///`` URL with a relative file: relative to the config's folder."""
    if connection is None or not connection.startswith(("sqlite:///", "duckdb:///")):
        return connection
    from cxroi.io.connection import file_of, with_file

    path = file_of(connection)
    return connection if Path(path).is_absolute() else with_file(connection, os.path.relpath(base / path))
