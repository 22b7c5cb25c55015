"""Time `cxroi economics` against a plain pyarrow read of the same columns, in the same run.

    python benchmarks/bench_economics.py [--customers 1000000] [--transactions 10000000] [--repeat 3]

The same run times the join and aggregation written by hand in polars and in DuckDB SQL
(`benchmarks/peers.py`).
The cxroi side reads the customers (id, signup, churn, plan) and the transactions (customer id, date,
amount), links every transaction to its customer and reports churn, CLV and transaction value by plan and
quarter. The baseline is `pyarrow.csv.read_csv` of the same seven columns, which any tool must parse.
Both run as fresh processes, interleaved, best of N; the peak RSS is measured on a file 4x smaller too.
Targets (issue #3): ratio <= 3, memory bounded (not growing with the transactions file).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from bench_scores import GIB, measure
from peers import ECONOMICS_DUCKDB, ECONOMICS_POLARS, available

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
BASELINE = (
    "import sys, pyarrow.csv as c; "
    "a = c.read_csv(sys.argv[1], convert_options=c.ConvertOptions(include_columns="
    "['Customer ID', 'Signup Date', 'Churn Date', 'Plan'])); "
    "b = c.read_csv(sys.argv[2], convert_options=c.ConvertOptions(include_columns="
    "['Customer ID', 'Invoice Date', 'Amount'])); "
    "print(a.num_rows, b.num_rows)"
)


def ensure(customers: int, transactions: int) -> Path:
    folder = DATA / f"crm_{customers}_{transactions}"
    if not (folder / "transactions.csv").exists():
        print(f"generating {folder.name} ...", file=sys.stderr)
        subprocess.run(
            [sys.executable, str(HERE / "generate_crm.py"), str(customers), str(transactions), str(folder)],
            check=True,
        )
    return folder


def cxroi_cmd(folder: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "cxroi",
        "economics",
        str(folder / "customers.csv"),
        "--transactions",
        str(folder / "transactions.csv"),
        "--by",
        "Plan",
        "--period",
        "quarter",
        "--format",
        "csv",
    ]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--customers", type=int, default=1_000_000)
    ap.add_argument("--transactions", type=int, default=10_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    big = ensure(args.customers, args.transactions)
    small = ensure(args.customers, args.transactions // 4)
    base_runs, cx_runs = [], []
    files = [str(big / "customers.csv"), str(big / "transactions.csv")]
    peers = available({"polars": ECONOMICS_POLARS, "duckdb": ECONOMICS_DUCKDB})
    peer_runs: dict[str, list[tuple[float, int]]] = {k: [] for k in peers}
    for _ in range(args.repeat):
        base_runs.append(measure([sys.executable, "-c", BASELINE, *files]))
        for name, code in peers.items():
            peer_runs[name].append(measure([sys.executable, "-c", code, *files]))
        cx_runs.append(measure(cxroi_cmd(big)))
    base_t, base_rss = min(r[0] for r in base_runs), max(r[1] for r in base_runs)
    cx_t, cx_rss = min(r[0] for r in cx_runs), max(r[1] for r in cx_runs)
    _t, small_rss = measure(cxroi_cmd(small))
    ratio = cx_t / base_t
    size_mb = sum(p.stat().st_size for p in big.iterdir()) / 1e6
    print(f"data: {args.customers:,} customers + {args.transactions:,} transactions, {size_mb:,.0f} MB")
    print(f"pyarrow read_csv of the 7 columns: {base_t:6.2f} s   peak RSS {base_rss / GIB:5.2f} GiB")
    for name, runs in peer_runs.items():
        t, rss = min(r[0] for r in runs), max(r[1] for r in runs)
        print(f"{name} by hand (join + churn + revenue by Plan x quarter): {t:6.2f} s   peak RSS {rss / GIB:5.2f} GiB"
              f"   cxroi / {name}: {cx_t / t:.2f}")  # fmt: skip
    print(f"cxroi economics (Plan x quarter): {cx_t:6.2f} s   peak RSS {cx_rss / GIB:5.2f} GiB")
    print(f"ratio cxroi / pyarrow: {ratio:.2f}  (target <= 3)")
    print(
        f"cxroi peak RSS with {args.transactions // 4:,} transactions: {small_rss / GIB:.2f} GiB -> "
        f"with {args.transactions:,}: {cx_rss / GIB:.2f} GiB"
    )
    ok = ratio <= 3.0 and cx_rss <= 1.5 * GIB and cx_rss <= 1.25 * small_rss
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
