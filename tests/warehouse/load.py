"""The sample data as a database would hold it: typed columns (timestamps, integers, numeric money), the
Qualtrics survey without its two extra header rows, as a survey tool's sync or a CRM's warehouse table
looks; written to PostgreSQL through ADBC's bulk ingest, or to Parquet for Spark."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data"
TABLES = {
    "survey_responses": "survey_qualtrics.csv",
    "customers": "customers.csv",
    "transactions": "transactions.csv",
    "contracts": "contracts.csv",
    "tickets": "tickets.csv",
}
MONEY = {"MRR", "Amount", "Value"}  # exact decimals, as a finance table keeps them


def typed(name: str) -> pa.Table:
    path = SAMPLE / TABLES[name]
    first = pacsv.read_csv(path, read_options=pacsv.ReadOptions(block_size=1 << 20))
    names = [n.lstrip("\ufeff") for n in first.column_names]
    skip = 3 if name == "survey_responses" else 1
    types = {n: pa.decimal128(12, 2) for n in names if n in MONEY}
    table = pacsv.read_csv(
        path,
        read_options=pacsv.ReadOptions(column_names=names, skip_rows=skip),
        convert_options=pacsv.ConvertOptions(
            column_types=types,
            strings_can_be_null=True,
            timestamp_parsers=["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
        ),
    )
    return table


def to_postgres(url: str, tables: list[str] | None = None) -> None:
    import adbc_driver_postgresql.dbapi as pg

    with pg.connect(url) as con, con.cursor() as cur:
        for name in tables or list(TABLES):
            cur.adbc_ingest(name, typed(name), mode="replace")
        con.commit()


def to_parquet(folder: Path) -> dict[str, Path]:
    out = {}
    for name in TABLES:
        out[name] = folder / f"{name}.parquet"
        pq.write_table(typed(name), out[name])
    return out
