"""Seeded generator of a large survey + customer export for the survival / ROI benchmark.

    python benchmarks/generate_evidence.py CUSTOMERS ANSWERS OUT_DIR

Writes customers.csv (Customer ID, Signup Date, Churn Date, Plan, MRR) and survey.csv (RecordedDate,
ExternalReference, Q1 on 0-10), with detractors' hazard about twice promoters' and a mix that improves
in 2025, like sample_data/.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

DAY0 = np.datetime64("2021-01-01")
AS_OF = int((np.datetime64("2025-12-31") - DAY0).astype(int))
SURVEY_START = int((np.datetime64("2023-01-01") - DAY0).astype(int))
PROGRAMME = int((np.datetime64("2025-01-01") - DAY0).astype(int))
PLANS = np.array(["Basic", "Pro", "Enterprise"])
YEARLY_HAZARD = np.array([0.12, 0.18, 0.24])  # promoter, passive, detractor
SCORES = [np.array([9, 10]), np.array([7, 8]), np.array([0, 1, 2, 3, 4, 5, 6])]
CHUNK = 1_000_000


def _dates(days: np.ndarray) -> pa.Array:
    return pa.array((DAY0 + days.astype("timedelta64[D]")).astype(str))


def generate(customers: int, answers: int, out: Path, seed: int = 7) -> None:
    rng = np.random.default_rng(seed)
    out.mkdir(parents=True, exist_ok=True)
    group = rng.choice(3, customers, p=[0.45, 0.33, 0.22])
    start = rng.integers(0, AS_OF - 60, customers)
    frailty = rng.lognormal(0.0, 0.3, customers)
    life = (rng.exponential(1.0, customers) / (YEARLY_HAZARD[group] * frailty) * 365.25).astype(np.int64) + 1
    end = start + life
    churned = end <= AS_OF
    plan = rng.choice(3, customers, p=[0.5, 0.35, 0.15])
    mrr = np.round(np.array([70.0, 350.0, 3000.0])[plan] * rng.uniform(0.7, 1.3, customers), 2)
    table = pa.table(
        {
            "Customer ID": pc.binary_join_element_wise(
                "C", pc.utf8_lpad(pa.array(np.arange(customers).astype(str)), 8, "0"), ""
            ),
            "Signup Date": _dates(start),
            "Churn Date": pa.array(np.where(churned, (DAY0 + end.astype("timedelta64[D]")).astype(str), "")),
            "Plan": pa.array(PLANS[plan]),
            "MRR": pa.array(mrr.astype(str)),
        }
    )
    options = pacsv.WriteOptions(quoting_style="needed")
    pacsv.write_csv(table, out / "customers.csv", write_options=options)
    schema = pa.schema([(c, pa.string()) for c in ("RecordedDate", "ExternalReference", "Q1")])
    written = 0
    with pacsv.CSVWriter(out / "survey.csv", schema, write_options=options) as writer:
        while written < answers:
            who = rng.integers(0, customers, CHUNK)
            lo = np.maximum(start[who], SURVEY_START)
            hi = np.minimum(np.minimum(end[who], AS_OF + 1), AS_OF + 1)
            ok = hi > lo
            who, lo, hi = who[ok], lo[ok], hi[ok]
            day = lo + (rng.random(len(who)) * (hi - lo)).astype(np.int64)
            g = group[who].copy()
            better = (day >= PROGRAMME) & (g > 0) & (rng.random(len(who)) < 0.2)
            g[better] -= 1  # the programme: a fifth of the later answers one group better
            score = np.empty(len(who), dtype=np.int64)
            for k in range(3):
                sel = g == k
                score[sel] = rng.choice(SCORES[k], int(sel.sum()))
            n = min(len(who), answers - written)
            writer.write_table(
                pa.table(
                    {
                        "RecordedDate": _dates(day[:n]),
                        "ExternalReference": pc.binary_join_element_wise(
                            "C", pc.utf8_lpad(pa.array(who[:n].astype(str)), 8, "0"), ""
                        ),
                        "Q1": pa.array(score[:n].astype(str)),
                    }
                )
            )
            written += n


if __name__ == "__main__":
    generate(int(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3]))
