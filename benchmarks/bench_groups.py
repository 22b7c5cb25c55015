"""Flat in the number of segments? `cxroi scores` on one file of 1M answers, grouped by a column with 24
values and by one with 57,600 values, next to the same counts by hand in polars and DuckDB, in one run.

    python benchmarks/bench_groups.py [--rows 1000000] [--repeat 3]

The file (seeded, ``benchmarks/data/groups_ROWS.csv``) has columns a (24 values), b (57,600 values) and
nps / csat / ces. cxroi writes every record as CSV (172,800 at 57,600 groups: three metrics per group);
the peers only count. Target (issue #10): 57,600 groups within 1.3x of 24 groups.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
from bench_scores import measure
from peers import available

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
GIB = 1 << 30

POLARS = r"""
import sys, polars as pl
lf = pl.scan_csv(sys.argv[1], schema_overrides={c: pl.Utf8 for c in ("nps", "csat", "ces")})
qs = [lf.group_by([sys.argv[2], m]).len() for m in ("nps", "csat", "ces")]
print(sum(len(t) for t in pl.collect_all(qs)))
"""
DUCKDB = r"""
import sys, duckdb
col = sys.argv[2]
sql = f'''SELECT {col}, nps, csat, ces, count(*) AS n FROM read_csv(?, all_varchar = true)
GROUP BY GROUPING SETS (({col}, nps), ({col}, csat), ({col}, ces))'''
print(len(duckdb.execute(sql, [sys.argv[1]]).fetchall()))
"""


def ensure_file(rows: int) -> Path:
    path = DATA / f"groups_{rows}.csv"
    if path.exists():
        return path
    DATA.mkdir(exist_ok=True)
    rng = np.random.default_rng(11)
    table = pa.table(
        {
            "a": pa.array(np.char.add("seg", rng.integers(0, 24, rows).astype(str))),
            "b": pa.array(np.char.add("store", rng.integers(0, 57_600, rows).astype(str))),
            "nps": pa.array(rng.integers(0, 11, rows).astype(str)),
            "csat": pa.array(rng.integers(1, 6, rows).astype(str)),
            "ces": pa.array(rng.integers(1, 8, rows).astype(str)),
        }
    )
    pacsv.write_csv(table, path)
    return path


def cxroi_cmd(path: Path, col: str) -> list[str]:
    return [sys.executable, "-m", "cxroi", "scores", str(path), "--nps", "nps", "--csat", "csat",
            "--ces", "ces", "--by", col, "--format", "csv"]  # fmt: skip


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    path = ensure_file(args.rows)
    peers = available({"polars": POLARS, "duckdb": DUCKDB})
    best: dict[tuple[str, str], float] = {}
    for _ in range(args.repeat):
        for col in ("a", "b"):
            runs = {"cxroi": cxroi_cmd(path, col)}
            runs.update({name: [sys.executable, "-c", code, str(path), col] for name, code in peers.items()})
            for name, cmd in runs.items():
                t, _rss = measure(cmd)
                best[(name, col)] = min(best.get((name, col), t), t)
    print(f"{args.rows:,} answers; best of {args.repeat}")
    print(f"{'tool':<8} {'24 groups':>10} {'57,600 groups':>14} {'ratio':>6}")
    for name in ("cxroi", *peers):
        a, b = best[(name, "a")], best[(name, "b")]
        print(f"{name:<8} {a:9.2f}s {b:13.2f}s {b / a:6.2f}")
    ratio = best[("cxroi", "b")] / best[("cxroi", "a")]
    print(f"cxroi 57,600 / 24 groups: {ratio:.2f} (target <= 1.3)")
    print("PASS" if ratio <= 1.3 else "FAIL")
    return 0 if ratio <= 1.3 else 1


if __name__ == "__main__":
    sys.exit(main())
