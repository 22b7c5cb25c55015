"""Seeded generator of large CRM exports for the economics benchmark.

    python benchmarks/generate_crm.py CUSTOMERS TRANSACTIONS OUT_DIR

Writes customers.csv (Customer ID, Signup Date, Churn Date, Plan, Region) and transactions.csv
(Invoice ID, Customer ID, Invoice Date, Amount): ~36 and ~45 bytes a row.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

PLANS = np.array(["Basic", "Pro", "Enterprise"])
REGIONS = np.array(["North America", "EMEA", "APAC", "LATAM"])
CHUNK = 1_000_000
DAY0 = np.datetime64("2021-01-01")
SPAN = 5 * 365


def _dates(days: np.ndarray) -> pa.Array:
    return pa.array((DAY0 + days.astype("timedelta64[D]")).astype(str))


def _ids(numbers: np.ndarray) -> pa.Array:
    return pc.binary_join_element_wise("C", pc.utf8_lpad(pa.array(numbers.astype(str)), 8, "0"), "")


def generate(customers: int, transactions: int, out: Path, seed: int = 11) -> None:
    rng = np.random.default_rng(seed)
    out.mkdir(parents=True, exist_ok=True)
    start = rng.integers(0, SPAN - 30, customers)
    life = rng.exponential(900, customers).astype(np.int64) + 1
    end = start + life
    churned = end < SPAN
    table = pa.table(
        {
            "Customer ID": _ids(np.arange(customers)),
            "Signup Date": _dates(start),
            "Churn Date": pa.array(np.where(churned, (DAY0 + end.astype("timedelta64[D]")).astype(str), "")),
            "Plan": pa.array(PLANS[rng.integers(0, 3, customers)]),
            "Region": pa.array(REGIONS[rng.integers(0, 4, customers)]),
        }
    )
    options = pacsv.WriteOptions(quoting_style="needed")
    pacsv.write_csv(table, out / "customers.csv", write_options=options)
    schema = pa.schema([(c, pa.string()) for c in ("Invoice ID", "Customer ID", "Invoice Date", "Amount")])
    with pacsv.CSVWriter(out / "transactions.csv", schema, write_options=options) as writer:
        for first in range(0, transactions, CHUNK):
            n = min(CHUNK, transactions - first)
            who = rng.integers(0, customers, n)
            active = np.maximum(np.minimum(end[who], SPAN) - start[who], 1)
            day = start[who] + (rng.random(n) * active).astype(np.int64)
            amount = np.round(rng.gamma(2.0, 60.0, n) * np.where(rng.random(n) < 0.01, -1, 1), 2)
            writer.write_table(
                pa.table(
                    {
                        "Invoice ID": pa.array(np.char.add("INV", np.arange(first, first + n).astype(str))),
                        "Customer ID": _ids(who),
                        "Invoice Date": _dates(day),
                        "Amount": pa.array(amount.astype(str)),
                    }
                )
            )


if __name__ == "__main__":
    generate(int(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3]))
