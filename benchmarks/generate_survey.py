"""Seeded generator of a large survey export for the benchmarks.

    python benchmarks/generate_survey.py ROWS OUT.csv

Columns: response_id, date (YYYY-MM-DD HH:MM:SS), region (8 values), plan (3), channel, nps (0-10),
csat (1-5), ces (1-7), with ~5% blanks in each score, and a free-text comment: about 100 bytes a row,
so 10M rows is about 1 GB.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

REGIONS = np.array(["North America", "EMEA", "APAC", "LATAM", "Türkiye", "Israel", "Brasil", "Nordics"])
PLANS = np.array(["Basic", "Pro", "Enterprise"])
CHANNELS = np.array(["email", "web", "sms", "in-app"])
COMMENTS = np.array(
    ["", "Great support, thanks", "Too slow; please fix", "ok", "Harika ürün", "Ótimo serviço"]
)
CHUNK = 1_000_000


def _scores(rng: np.random.Generator, n: int, low: int, high: int) -> pa.Array:
    values = rng.integers(low, high + 1, n)
    blank = rng.random(n) < 0.05
    return pa.array(values.astype(str), mask=blank)


def generate(rows: int, out: Path, seed: int = 7) -> None:
    rng = np.random.default_rng(seed)
    start = np.datetime64("2023-01-01T00:00:00")
    span = 3 * 365 * 24 * 3600
    with pacsv.CSVWriter(
        out,
        pa.schema(
            [
                (c, pa.string())
                for c in ("response_id", "date", "region", "plan", "channel", "nps", "csat", "ces", "comment")
            ]
        ),
        write_options=pacsv.WriteOptions(quoting_style="needed"),
    ) as writer:
        for first in range(0, rows, CHUNK):
            n = min(CHUNK, rows - first)
            dates = start + rng.integers(0, span, n).astype("timedelta64[s]")
            table = pa.table(
                {
                    "response_id": pa.array(np.char.add("R_", np.arange(first, first + n).astype(str))),
                    "date": pa.array(np.datetime_as_string(dates, unit="s")).cast(pa.string()),
                    "region": pa.array(REGIONS[rng.integers(0, len(REGIONS), n)]),
                    "plan": pa.array(PLANS[rng.integers(0, len(PLANS), n)]),
                    "channel": pa.array(CHANNELS[rng.integers(0, len(CHANNELS), n)]),
                    "nps": _scores(rng, n, 0, 10),
                    "csat": _scores(rng, n, 1, 5),
                    "ces": _scores(rng, n, 1, 7),
                    "comment": pa.array(COMMENTS[rng.integers(0, len(COMMENTS), n)]),
                }
            )
            # ISO "T" separator -> the space Qualtrics writes
            table = table.set_column(1, "date", pa.compute.replace_substring(table["date"], "T", " "))
            writer.write_table(table)


if __name__ == "__main__":
    generate(int(sys.argv[1]), Path(sys.argv[2]))
