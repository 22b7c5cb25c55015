"""The scripts an analyst would write by hand for the same counts, run as peers in the benchmarks."""

from __future__ import annotations

import sys

SCORES_POLARS = r"""
import sys, polars as pl
lf = pl.scan_csv(sys.argv[1], schema_overrides={c: pl.Utf8 for c in ("nps", "csat", "ces")})
lf = lf.with_columns(pl.col("date").str.slice(0, 7).alias("month"))
qs = [lf.group_by(["month", "region", "plan", m]).len() for m in ("nps", "csat", "ces")]
print(sum(len(t) for t in pl.collect_all(qs)))
"""

SCORES_DUCKDB = r"""
import sys, duckdb
sql = '''SELECT strftime(CAST(date AS TIMESTAMP), '%Y-%m') AS month, region, plan, nps, csat, ces, count(*) AS n
FROM read_csv(?, all_varchar = true)
GROUP BY GROUPING SETS ((month, region, plan, nps), (month, region, plan, csat), (month, region, plan, ces))'''
print(len(duckdb.execute(sql, [sys.argv[1]]).fetchall()))
"""


def available(scripts: dict[str, str]) -> dict[str, str]:
    """The peers whose library is installed (``pip install -e '.[bench]'``); the others are skipped."""
    out = {}
    for name, code in scripts.items():
        try:
            __import__(name)
        except ImportError:
            print(f"({name} not installed: pip install -e '.[bench]')", file=sys.stderr)
            continue
        out[name] = code
    return out
