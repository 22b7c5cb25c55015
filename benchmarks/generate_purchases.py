"""Seeded purchase history drawn from the BG/NBD story, for the CLV model benchmark.

    python benchmarks/generate_purchases.py CUSTOMERS TRANSACTIONS OUT_FOLDER

Each customer starts on a day of 2023, buys as Poisson(lambda) with lambda ~ Gamma(0.6, scale 1/60) x a scale
a day while alive and drops out after each purchase with p ~ Beta(1, 8); purchase values are Gamma with a
customer-level mean. Purchases are kept up to 2025-12-31, then the file is cut or topped up to about
TRANSACTIONS rows by scaling the rates. Writes customers.csv (Customer ID, Signup Date, Plan) and
transactions.csv (Invoice ID, Customer ID, Invoice Date, Amount).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

END = np.datetime64("2025-12-31")
START = np.datetime64("2023-01-01")


def _simulate(
    rng: np.random.Generator, rate: np.ndarray, drop: np.ndarray, span: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(customer, day offset) of every purchase: the first at the start, then exponential gaps while alive."""
    n = len(rate)
    who, when = [np.arange(n)], [np.zeros(n)]
    t = np.zeros(n)
    alive = np.ones(n, dtype=bool)
    while alive.any():
        idx = np.flatnonzero(alive)
        alive[idx[rng.random(len(idx)) < drop[idx]]] = False
        idx = np.flatnonzero(alive)
        t[idx] += rng.exponential(1.0 / rate[idx])
        ok = t[idx] <= span[idx]
        alive[idx[~ok]] = False
        who.append(idx[ok])
        when.append(t[idx[ok]])
    return np.concatenate(who), np.concatenate(when)


def generate(customers: int, transactions: int, out: Path, seed: int = 13) -> None:
    rng = np.random.default_rng(seed)
    out.mkdir(parents=True, exist_ok=True)
    start = START + rng.integers(0, 365, customers).astype("timedelta64[D]")
    span = (END - start).astype(np.int64).astype(float)
    rate = rng.gamma(0.6, 1.0 / 60.0, customers)  # purchases a day
    drop = rng.beta(1.0, 8.0, customers)
    # scale the rates so the file has about ``transactions`` rows (calibrated on a sample of customers)
    sample = rng.choice(customers, min(customers, 50_000), replace=False)
    scale = 1.0
    for _ in range(6):
        got = len(_simulate(np.random.default_rng(1), rate[sample] * scale, drop[sample], span[sample])[0])
        scale *= (transactions / customers) / (got / len(sample))
    rate *= scale
    cids = np.char.add("C", np.char.zfill(np.arange(customers).astype(str), 8))
    plans = np.array(["Basic", "Pro", "Enterprise"])[rng.integers(0, 3, customers)]
    pacsv.write_csv(
        pa.table({"Customer ID": cids, "Signup Date": start.astype(str), "Plan": plans}),
        out / "customers.csv",
    )
    w, d = _simulate(rng, rate, drop, span)
    mean_value = rng.gamma(6.0, 1 / 0.15, customers)
    amount = rng.gamma(6.0, mean_value[w] / 6.0)
    day = start[w] + d.astype(np.int64).astype("timedelta64[D]")
    order = np.argsort(day, kind="stable")
    table = pa.table(
        {
            "Invoice ID": np.char.add("INV", np.arange(len(w)).astype(str)),
            "Customer ID": cids[w][order],
            "Invoice Date": day[order].astype(str),
            "Amount": np.char.mod("%.2f", amount[order]),
        }
    )
    pacsv.write_csv(table, out / "transactions.csv")
    print(f"{customers:,} customers, {len(w):,} purchases", file=sys.stderr)


if __name__ == "__main__":
    generate(int(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3]))
