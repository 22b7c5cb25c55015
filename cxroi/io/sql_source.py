"""An input that lives in a database: ``{connection: URL, table: schema.table}`` or ``{connection: URL,
query: "SELECT ..."}`` instead of ``path:``.

It is a ``TableSource`` like a file, so every command reads it the same way. Counts that can be pushed
down are (``cxroi.engine.sql_scores``: the survey counts GROUP BY day, segments and answer run in the
database); a command that needs the rows themselves (the survey-CRM link, survival, themes, the CRM
measures) gets them streamed once, only when first asked for, into a Parquet file in a temporary folder
removed at exit, and reads that as it reads any Parquet file. Column names are sent as quoted identifiers
rendered by SQLGlot for the database's dialect; nothing from the data or the config is pasted unquoted
(a ``query:`` is the user's own SQL, run as a common table expression).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa

from cxroi.errors import CxroiError, DataError
from cxroi.io.batches import ReadOptions
from cxroi.io.layout import Layout
from cxroi.io.reader import SkippedRows, TableSource

CTE = "_cxroi_input"
SAMPLE = 400


def table_expression(table: str | None, dialect: str) -> Any:
    """The SQLGlot table expression of ``table`` (``schema.table``, each part a quoted identifier), or of
    the CTE that holds a ``query:``."""
    from sqlglot import exp

    if table is None:
        return exp.Table(this=exp.to_identifier(CTE, quoted=True))
    parts = [p.strip().strip('"') for p in table.split(".")]
    if len(parts) > 3 or not all(parts):
        raise DataError(f"table {table!r} is not a table name", "write it as table or schema.table")
    names = [exp.to_identifier(p, quoted=True) for p in parts]
    return exp.Table(this=names[-1], db=names[-2] if len(names) > 1 else None,
                     catalog=names[-3] if len(names) > 2 else None)  # fmt: skip


def plain_types(schema: pa.Schema) -> pa.Schema:
    """Arrow types as files carry them: a driver's extension type (PostgreSQL ``numeric`` is an opaque
    string, exact) becomes its storage type; field metadata dropped."""
    fields = []
    for f in schema:
        t = f.type.storage_type if isinstance(f.type, pa.ExtensionType) else f.type
        fields.append(pa.field(f.name, t))
    return pa.schema(fields)


def plain(batch: pa.RecordBatch, schema: pa.Schema) -> pa.RecordBatch:
    cols = [c.storage if isinstance(c, pa.ExtensionArray) else c for c in batch.columns]
    return pa.RecordBatch.from_arrays(cols, schema=schema)


class SqlSource(TableSource):
    """A table or query of a database, with the interface of a file source."""

    def __init__(
        self, db: Any, table: str | None, query: str | None, name: str, options: ReadOptions | None = None,
        pushdown: bool = True,
    ) -> None:
        """``db``: an open ``cxroi.io.connection.Database`` or a ``cxroi.engine.spark.SparkDatabase``;
        ``pushdown`` False: the survey counts too are computed here, from the columns fetched."""
        self.table = table
        self.pushdown = pushdown
        self.query = (query or "").strip().rstrip(";").strip() or None
        self.options = options or ReadOptions()
        if self.options.where:
            raise DataError(
                f"input {name}: where: filters apply to files; a database input filters in its query",
                "write query: \"SELECT * FROM responses WHERE Finished = 1\" instead",
            )
        what = table if table is not None else "query"
        self.display = f"{db.display} ({what})"
        self.name = name
        self.db = db
        self.dialect: str = db.dialect
        self.kind = "parquet"
        self.skipped = SkippedRows()
        self.excluded = 0
        self.multiline = False
        self.encoding = None
        self.delimiter = None
        self.warnings = []
        self.ambiguous_dates = []
        self.date_formats = {}
        self._sample = []
        self._block_size = 0
        self.size = 0
        self._file: Path | None = None
        self._pq: Any = None
        self.fetched: list[list[str]] = []  # the column sets fetched as rows (none: only counts left the database)
        schema = self.db.arrow(self.sql(self.select(limit=0))).schema
        self.types: dict[str, pa.DataType] = {f.name: f.type for f in plain_types(schema)}
        names = tuple(schema.names)
        if len(set(names)) != len(names):
            raise DataError(f"{self.display}: the result repeats a column name", "give each column its own name")
        self.layout = Layout("database", names, 0)

    # -- SQL -----------------------------------------------------------------------------------------
    def select(self, columns: list[str] | None = None, limit: int | None = None, where: Any = None) -> Any:
        """``SELECT columns FROM the input`` as a SQLGlot expression (columns quoted)."""
        from sqlglot import exp

        cols = [exp.column(c, quoted=True) for c in columns] if columns else [exp.Star()]
        q = exp.select(*cols).from_(self.relation())
        if where is not None:
            q = q.where(where)
        return q.limit(limit) if limit is not None else q

    def relation(self) -> Any:
        """The input as a SQLGlot table expression."""
        return table_expression(self.table, self.dialect)

    def sql(self, expression: Any) -> str:
        """``expression`` rendered in the database's dialect; a ``query:`` input wrapped in a CTE."""
        text = str(expression.sql(dialect=self.dialect))
        if self.query is None:
            return text
        from sqlglot import exp

        cte = exp.to_identifier(CTE, quoted=True).sql(dialect=self.dialect)
        return f"WITH {cte} AS ({self.query}) {text}"

    # -- what the reader asks of a source ------------------------------------------------------------
    def sample_values(self, column: str) -> list[str]:
        from sqlglot import exp

        if self._pq is not None and column in self._pq.schema_arrow.names:
            return super().sample_values(column)
        where = exp.column(column, quoted=True).is_(exp.null()).not_()
        table = self.db.arrow(self.sql(self.select([column], SAMPLE, where)))
        return [str(v) for v in table.column(0).to_pylist() if v is not None]

    @property  # type: ignore[override]
    def path(self) -> Path:
        """The rows, streamed once into a Parquet file (on first use)."""
        if self._file is None:
            self._file = self._materialize()
        return self._file

    @path.setter
    def path(self, value: Path) -> None:
        self._file = value

    @property  # type: ignore[override]
    def _parquet(self) -> Any:
        if self._pq is None:
            import pyarrow.parquet as pq

            self._pq = pq.ParquetFile(self.path)
        return self._pq

    @_parquet.setter
    def _parquet(self, value: Any) -> None:
        self._pq = value

    def _parquet_batches(self, wanted: dict[str, Any]) -> Any:
        """Batches of the fetched rows; row number 0 throughout: a database table has no row numbers, so
        warnings give counts and examples only."""
        import numpy as np

        self.fetch(list(wanted))
        for batch in super()._parquet_batches(wanted):
            batch.rows = np.zeros(batch.num_rows, dtype=np.int64)
            yield batch

    def fetch(self, wanted: list[str]) -> Path:
        """The local Parquet file holding at least the ``wanted`` columns. Only the columns a command reads
        leave the database: the rows are fetched once per new set of columns (together with those fetched
        before, so the next command finds them too)."""
        have = set(self._parquet.schema_arrow.names) if self._file is not None else set()
        if self._file is None or not set(wanted) <= have:
            columns = [c for c in self.columns if c in have or c in wanted]
            old = self._file
            self._file = self._materialize(columns)
            self._pq = None
            if old is not None:
                old.unlink(missing_ok=True)
        return self._file

    def _materialize(self, columns: list[str] | None = None) -> Path:
        """The rows (of ``columns``; default all) streamed into a Parquet file in a temporary folder."""
        import os

        import pyarrow.parquet as pq

        from cxroi.engine.duckdb_scores import temp_folder

        path = Path(os.path.join(temp_folder(), "rows.parquet"))
        self.fetched.append(list(columns or self.columns))
        reader = self.db.reader(self.sql(self.select(columns)))
        schema = plain_types(reader.schema)
        try:
            with pq.ParquetWriter(path, schema) as writer:
                for batch in reader:
                    writer.write_batch(plain(batch, schema))
        except Exception as exc:  # the connection lost mid-read, a value the driver cannot convert
            path.unlink(missing_ok=True)  # no half-fetched rows left behind
            if isinstance(exc, CxroiError):
                raise
            raise self.db.error(exc) from exc
        self.size = path.stat().st_size
        return path
