"""`cxroi run` on unchanged inputs (the run cache) against its first run, with the peers' full recount.

    python benchmarks/bench_cache.py [--rows 10000000] [--customers 1000000] [--transactions 10000000]

The job: NPS + CSAT + CES by region x plan x month on the survey file of `bench_scores.py`, plus churn,
CLV and transaction value by plan and quarter on the CRM files of `bench_economics.py`, one config, JSON
to a file. First run with an empty cache folder, then reruns (best of 3). A scheduled script written by
hand in polars or DuckDB has no cache: it recounts every time, so its time is the same on every run (the
scores part alone is shown). Target (issue #10): a cache hit takes <= 10% of the first run.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

from bench_economics import ensure as ensure_crm
from bench_scores import GIB, SCORES_YAML, ensure_file, measure
from peers import SCORES_DUCKDB, SCORES_POLARS, available

HERE = Path(__file__).resolve().parent

CONFIG = """version: 1
inputs:
  survey: {{path: {survey}}}
  customers: {{path: {customers}}}
  transactions: {{path: {transactions}}}
""" + SCORES_YAML + """crm:
  period: quarter
  by: [Plan]
  as_of: 2025-12-31
engine:
  cache: {cache}
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--customers", type=int, default=1_000_000)
    ap.add_argument("--transactions", type=int, default=10_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    survey = ensure_file(args.rows)
    crm = ensure_crm(args.customers, args.transactions)
    work = Path(tempfile.mkdtemp(prefix="cxroi-bench-cache-"))
    try:
        cfg = work / "cxroi.yaml"
        cfg.write_text(CONFIG.format(survey=survey, customers=crm / "customers.csv",
                                     transactions=crm / "transactions.csv", cache=work / "cache"))  # fmt: skip
        cmd = [sys.executable, "-m", "cxroi", "run", "-c", str(cfg), "-q", "-f", "json", "-o", str(work / "r.json")]
        first, first_rss = measure(cmd)
        hits = [measure(cmd) for _ in range(args.repeat)]
        hit, hit_rss = min(h[0] for h in hits), max(h[1] for h in hits)
        peers = {name: min(measure([sys.executable, "-c", code, str(survey)])[0] for _ in range(args.repeat))
                 for name, code in available({"polars": SCORES_POLARS, "duckdb": SCORES_DUCKDB}).items()}  # fmt: skip
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"cxroi run: {args.rows:,} answers, {args.customers:,} customers, {args.transactions:,} transactions")
    print(f"{'':40} {'wall s':>8} {'peak GiB':>9} {'vs first':>9}")
    print(f"{'cxroi run, first (empty cache)':40} {first:8.2f} {first_rss / GIB:9.2f} {1.0:9.2f}")
    print(f"{'cxroi run, unchanged (cache hit)':40} {hit:8.2f} {hit_rss / GIB:9.2f} {hit / first:9.2f}")
    for name, t in peers.items():
        print(f"{name + ' by hand, scores only, every run':40} {t:8.2f} {'':>9} {t / first:9.2f}")
    print(f"target: cache hit <= 10% of the first run -> {'met' if hit <= 0.10 * first else 'NOT met'}")


if __name__ == "__main__":
    main()
