"""Time `cxroi clv --model bgnbd` (read, link, summarise, fit BG/NBD + Gamma-Gamma, score every customer)
on 1M customers and 10M purchases drawn from the BG/NBD story (``generate_purchases.py``).

    python benchmarks/bench_clv.py [--customers 1000000] [--transactions 10000000]
                                   [--lifetimes-python PATH]

With ``--lifetimes-python`` (an interpreter where ``pip install lifetimes`` worked: it is unmaintained
and pins old libraries, so it is not a cxroi dependency) the same job is timed with lifetimes in the same
run: ``summary_data_from_transaction_data``, ``BetaGeoFitter``, ``GammaGammaFitter`` and
``customer_lifetime_value`` (monthly discounting, the same horizon). Target (issue #13): under 60 s and
2 GiB peak RSS.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from bench_scores import GIB, measure

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
LIFETIMES = r"""
import sys, pandas as pd
from lifetimes import BetaGeoFitter, GammaGammaFitter
from lifetimes.utils import summary_data_from_transaction_data
tx = pd.read_csv(sys.argv[1], usecols=["Customer ID", "Invoice Date", "Amount"], parse_dates=["Invoice Date"])
s = summary_data_from_transaction_data(tx, "Customer ID", "Invoice Date", "Amount", freq="W",
                                       observation_period_end="2025-12-31")
bgf = BetaGeoFitter().fit(s["frequency"], s["recency"], s["T"])
r = s[(s.frequency > 0) & (s.monetary_value > 0)]
ggf = GammaGammaFitter().fit(r["frequency"], r["monetary_value"])
clv = ggf.customer_lifetime_value(bgf, s["frequency"], s["recency"], s["T"], s["monetary_value"],
                                  time=60, freq="W", discount_rate=0.00797)
print(len(clv))
"""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--customers", type=int, default=1_000_000)
    ap.add_argument("--transactions", type=int, default=10_000_000)
    ap.add_argument("--lifetimes-python", default=None)
    args = ap.parse_args()
    folder = DATA / f"purchases_{args.customers}_{args.transactions}"
    if not (folder / "transactions.csv").exists():
        print(f"generating {folder.name} ...", file=sys.stderr)
        subprocess.run([sys.executable, str(HERE / "generate_purchases.py"), str(args.customers),
                        str(args.transactions), str(folder)], check=True)  # fmt: skip
    cmd = [sys.executable, "-m", "cxroi", "clv", str(folder / "customers.csv"), "--transactions",
           str(folder / "transactions.csv"), "--model", "bgnbd", "--by", "Plan", "--format", "csv"]  # fmt: skip
    t, rss = measure(cmd)
    size = sum(p.stat().st_size for p in folder.iterdir()) / 1e6
    print(f"data: {args.customers:,} customers, {args.transactions:,} purchases ({size:,.0f} MB)")
    print(f"cxroi clv --model bgnbd (per-customer CSV): {t:6.2f} s   peak RSS {rss / GIB:5.2f} GiB")
    if args.lifetimes_python:
        lt, lrss = measure([args.lifetimes_python, "-c", LIFETIMES, str(folder / "transactions.csv")])
        print(f"lifetimes 0.11 (same job):                  {lt:6.2f} s   peak RSS {lrss / GIB:5.2f} GiB")
    ok = t < 60 and rss < 2 * GIB
    print("PASS" if ok else "FAIL", "(target: < 60 s, < 2 GiB)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
