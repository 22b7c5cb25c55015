"""Database connections for SQL inputs and the ``sql`` report: one URL form, secrets only from the
environment, passwords never shown.

``connection`` in the config is a URL or ``env:NAME`` (the URL is read from that environment variable).
PostgreSQL (``postgresql://user@host:5432/db``) is reached through ADBC's libpq driver, which ships in its
wheel (no download at run time) and returns Arrow; SQLite files (``sqlite:///relative.db``,
``sqlite:////absolute.db``) through ADBC's SQLite driver; DuckDB database files (``duckdb:///file.duckdb``)
through DuckDB itself, read-only. A password written in the config itself is refused: it belongs in the
environment variable. Every URL shown anywhere goes through ``redact``.
"""

from __future__ import annotations

import contextlib
import os
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pyarrow as pa

from cxroi.errors import ConfigError, CxroiError, DataError, InputError

# dialect names as SQLGlot spells them
SCHEMES = {"postgresql": "postgres", "postgres": "postgres", "sqlite": "sqlite", "duckdb": "duckdb"}
SECRET_KEYS = ("password", "pass", "pwd", "token", "secret", "sslpassword", "api_key", "apikey", "access_token")
_MASK = "***"


def is_env(connection: str) -> bool:
    return connection.startswith("env:")


def literal_secret(connection: str) -> bool:
    """Whether a connection URL written in the config itself holds a password or token."""
    if is_env(connection):
        return False
    parts = urlsplit(connection)
    if parts.password:
        return True
    return any(k.lower() in SECRET_KEYS for k, _v in parse_qsl(parts.query, keep_blank_values=True))


def resolve(connection: str, where: str) -> str:
    """The URL of ``connection`` (``env:NAME`` read from the environment)."""
    if not is_env(connection):
        return connection
    name = connection[4:].strip()
    value = os.environ.get(name)
    if not value:
        raise ConfigError(
            f"{where}: the environment variable {name} (connection: env:{name}) is not set",
            f"export {name}='postgresql://user:password@host:5432/database' before running cxroi",
        )
    return value.strip()


def redact(url: str) -> str:
    """``url`` with its password and secret query values replaced by ``***``."""
    if url.startswith(("sqlite:", "duckdb:")):  # a file: no password to hide, and the slashes matter
        return url
    try:
        parts = urlsplit(url)
    except ValueError:
        return _MASK
    netloc = parts.netloc
    if parts.password is not None:
        user = parts.username or ""
        host = netloc.rsplit("@", 1)[1]
        netloc = f"{user}:{_MASK}@{host}"
    query = urlencode(
        [(k, _MASK if k.lower() in SECRET_KEYS else v) for k, v in parse_qsl(parts.query, keep_blank_values=True)],
        safe="*",
    )
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def scrub(text: str, url: str) -> str:
    """``text`` (a driver's message) with the URL's password and secret values removed wherever they occur."""
    parts = urlsplit(url)
    secrets = [parts.password] if parts.password else []
    secrets += [v for k, v in parse_qsl(parts.query) if k.lower() in SECRET_KEYS and v]
    for s in secrets:
        text = text.replace(s, _MASK)
    return text.replace(url, redact(url))


def dialect_of(url: str, where: str) -> str:
    scheme = urlsplit(url).scheme.lower().split("+", 1)[0]
    if scheme not in SCHEMES:
        raise ConfigError(
            f"{where}: {redact(url)!r} is not a connection URL cxroi reads (postgresql://, sqlite:///, duckdb:///)",
            "e.g. connection: env:CX_DATABASE_URL with CX_DATABASE_URL=postgresql://user:password@host:5432/db",
        )
    return SCHEMES[scheme]


def file_of(url: str) -> str:
    """The file of a ``sqlite:///`` or ``duckdb:///`` URL (three slashes: relative, four: absolute)."""
    rest = url.split("://", 1)[1]
    return rest[1:] if rest.startswith("/") else rest


def with_file(url: str, path: str) -> str:
    scheme = url.split("://", 1)[0]
    return f"{scheme}:///{path}"


def _message(exc: BaseException, url: str) -> str:
    """The driver's own words in one line: no driver prefixes, no echo of the query, no password."""
    text = str(exc).strip()
    text = re.sub(r"^(?:[A-Z_]+: )?(?:\[[A-Za-z]+\] )?", "", text)
    text = re.sub(r"^(?:Failed to (?:prepare query|execute query|connect|fetch row)[^:]*: )+", "", text)
    text = re.sub(r"^Execution error \[[A-Z_]+\]: ", "", text)
    text = re.sub(r"^(?:ERROR|FATAL):\s+", "", text)
    text = re.split(r"\n\s*LINE \d+:|\s*Query was:|\s*\. SQLSTATE:|\s*SQLSTATE:", text)[0]
    first = " ".join(line.strip() for line in text.splitlines() if line.strip())
    return scrub(first or type(exc).__name__, url)


MISSING_TABLE = re.compile(r"relation .* does not exist|no such table|Table with name .* does not exist", re.I)
MISSING_COLUMN = re.compile(r"column .* does not exist|no such column|Referenced column .* not found", re.I)


@dataclass
class Database:
    """One open connection: ``arrow(sql)`` runs a query and returns its result as Arrow."""

    url: str
    dialect: str
    handle: Any

    @property
    def display(self) -> str:
        return redact(self.url)

    def arrow(self, sql: str) -> pa.Table:
        """A small result (counts, a schema, a sample) as one Arrow table."""
        try:
            if self.dialect == "duckdb":
                return self.handle.sql(sql).to_arrow_table()
            with self.handle.cursor() as cur:
                if self.dialect == "postgres":  # COPY pays off for many rows only: 1.2 s more on 0.7M counts
                    cur.adbc_statement.set_options(**{"adbc.postgresql.use_copy": "false"})
                cur.execute(sql)
                return cur.fetch_arrow_table()
        except Exception as exc:
            raise self.error(exc) from exc

    def reader(self, sql: str) -> pa.RecordBatchReader:
        """The result streamed in batches (the cursor is kept open until the last one is read)."""
        try:
            if self.dialect == "duckdb":
                return self.handle.sql(sql).to_arrow_reader()
            cur = self.handle.cursor()
            cur.execute(sql)
            stream = cur.fetch_record_batch()
        except Exception as exc:
            raise self.error(exc) from exc

        def batches() -> Any:
            try:
                yield from stream
            finally:
                cur.close()

        return pa.RecordBatchReader.from_batches(stream.schema, batches())

    def error(self, exc: BaseException) -> CxroiError:
        """A driver's error as cxroi's: unreachable, refused, missing table (exit 3) or a missing column
        (exit 4), with the password scrubbed from the driver's words."""
        text = _message(exc, self.url)
        if MISSING_COLUMN.search(text):
            return DataError(f"{self.display}: {text}", "check the column names in the config (cxroi check)")
        if MISSING_TABLE.search(text):
            return InputError(f"{self.display}: {text}", "check the table name (schema.table) in the config")
        return InputError(f"{self.display}: {text}", "check the server, the query and the connection URL")

    def close(self) -> None:
        with contextlib.suppress(Exception):  # a connection already lost has nothing left to close
            self.handle.close()


_OPEN: dict[str, Database] = {}  # read connections, shared by the inputs of one URL until the command ends
SECRETS: set[str] = set()  # every password and token seen: scrubbed from whatever cxroi prints


def close_all() -> None:
    """Close the shared read connections (at the end of every command)."""
    while _OPEN:
        _OPEN.popitem()[1].close()


def scrub_secrets(text: str) -> str:
    for secret in SECRETS:
        text = text.replace(secret, _MASK)
    return text


def connect(url: str, where: str = "connection", write: bool = False) -> Database:
    """Open ``url`` (already resolved; read connections are shared per URL); an unreachable server, a
    refused login or a missing file is an ``InputError`` (exit 3) naming the redacted URL."""
    parts = urlsplit(url)
    if parts.password:
        SECRETS.add(parts.password)
    SECRETS.update(v for k, v in parse_qsl(parts.query) if k.lower() in SECRET_KEYS and len(v) > 2)
    if not write and url in _OPEN:
        return _OPEN[url]
    db = _connect(url, where, write)
    if not write:
        _OPEN[url] = db
    return db


def _connect(url: str, where: str, write: bool) -> Database:
    dialect = dialect_of(url, where)
    shown = redact(url)
    try:
        if dialect == "postgres":
            import adbc_driver_postgresql.dbapi as pg

            uri = "postgresql://" + url.split("://", 1)[1]
            handle: Any = pg.connect(uri, autocommit=not write)
            cur = handle.cursor()
            cur.execute("SET TIME ZONE 'UTC'")  # a timestamptz becomes a UTC date, on every server alike
            cur.close()
        elif dialect == "sqlite":
            path = file_of(url)
            if not write and not os.path.isfile(path):
                raise InputError(f"{shown}: no such database file", "check the path after sqlite:///")
            import adbc_driver_sqlite.dbapi as sq

            handle = sq.connect(path, autocommit=not write)
        else:
            path = file_of(url)
            if not write and not os.path.isfile(path):
                raise InputError(f"{shown}: no such database file", "check the path after duckdb:///")
            import duckdb

            handle = duckdb.connect(path, read_only=not write)
    except InputError:
        raise
    except ImportError as exc:  # pragma: no cover - the drivers are dependencies
        raise InputError(f"{shown}: the {dialect} driver is not installed ({exc})") from exc
    except Exception as exc:
        raise InputError(
            f"{shown}: cannot connect ({_message(exc, url)})",
            "check that the server is running, the host and port, the user and the password",
        ) from exc
    return Database(url, dialect, handle)
