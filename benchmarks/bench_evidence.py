"""Time `cxroi survival` and `cxroi roi` (2,000 bootstrap draws) against the pandas + lifelines script an
analyst would write for the same survival analysis, in the same run.

    python benchmarks/bench_evidence.py [--customers 1000000] [--answers 3000000] [--repeat 1]

The peer script reads both files with pandas (pyarrow engine), keeps each customer's latest answer given
while active, computes the follow-up (to churn, or censored at the as-of date), and fits a Kaplan–Meier
curve per NPS group, the log-rank test and a Cox model of the groups plus tenure (lifelines, Efron ties).
cxroi does the same and more (CSV/XLSX-grade parsing and checks, retention at fixed days, RMST, the score
model, the proportional-hazards test). `cxroi roi` runs the whole job: link, survival and the ROI with
2,000 Poisson-bootstrap draws over the customers. Targets (issue #9): each under 60 s and 2 GiB.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from bench_scores import GIB, measure

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
CONFIG = """inputs:
  survey: {path: survey.csv}
  customers: {path: customers.csv}
scores:
  nps: {column: Q1}
  date: RecordedDate
crm:
  customers: {mrr: MRR}
  as_of: 2025-12-31
clv:
  gross_margin: 0.8
link:
  survey_key: ExternalReference
survival:
  covariates: [tenure]
roi:
  cost: {one_off: 1000000, recurring: 2000000}
  horizon_years: 3
  draws: 2000
  benefits:
    cost_to_serve: {enabled: false}
"""
PEER = r"""
import sys, numpy as np, pandas as pd
from lifelines import KaplanMeierFitter, CoxPHFitter
from lifelines.statistics import multivariate_logrank_test
folder = sys.argv[1]
as_of = pd.Timestamp("2025-12-31")
c = pd.read_csv(f"{folder}/customers.csv", engine="pyarrow")
for col in ("Signup Date", "Churn Date"):
    c[col] = pd.to_datetime(c[col], errors="coerce")
s = pd.read_csv(f"{folder}/survey.csv", engine="pyarrow")
s["RecordedDate"] = pd.to_datetime(s["RecordedDate"], errors="coerce")
s = s.dropna(subset=["Q1"]).merge(c, left_on="ExternalReference", right_on="Customer ID")
end = s["Churn Date"].fillna(pd.Timestamp.max)
s = s[(s["Signup Date"] <= s["RecordedDate"]) & (s["RecordedDate"] < end) & (s["RecordedDate"] <= as_of)]
s = s.sort_values("RecordedDate", kind="stable").groupby("Customer ID").tail(1)  # ties: the later row
event = s["Churn Date"].notna() & (s["Churn Date"] <= as_of)
stop = s["Churn Date"].where(event, as_of)
d = pd.DataFrame({"T": (stop - s["RecordedDate"]).dt.days, "E": event.astype(int)})
d["group"] = np.select([s["Q1"] >= 9, s["Q1"] >= 7], ["promoters", "passives"], "detractors")
d["tenure"] = (s["RecordedDate"] - s["Signup Date"]).dt.days / 365.25
for g, part in d.groupby("group"):
    km = KaplanMeierFitter().fit(part["T"], part["E"])
    print(g, km.survival_function_at_times([365]).iloc[0], km.median_survival_time_)
print(multivariate_logrank_test(d["T"], d["group"], d["E"]).test_statistic)
x = pd.get_dummies(d["group"])[["passives", "detractors"]].astype(float)
cox = CoxPHFitter().fit(pd.concat([d[["T", "E", "tenure"]], x], axis=1), "T", "E", batch_mode=True)
print(cox.hazard_ratios_)
"""


def ensure(customers: int, answers: int) -> Path:
    folder = DATA / f"evidence_{customers}_{answers}"
    if not (folder / "survey.csv").exists():
        print(f"generating {folder.name} ...", file=sys.stderr)
        subprocess.run(
            [sys.executable, str(HERE / "generate_evidence.py"), str(customers), str(answers), str(folder)],
            check=True,
        )
    (folder / "cxroi.yaml").write_text(CONFIG, encoding="utf-8")
    return folder


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--customers", type=int, default=1_000_000)
    ap.add_argument("--answers", type=int, default=3_000_000)
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args()
    folder = ensure(args.customers, args.answers)
    cfg = str(folder / "cxroi.yaml")
    runs: dict[str, list[tuple[float, int]]] = {"peer": [], "survival": [], "roi": []}
    for _ in range(args.repeat):
        runs["peer"].append(measure([sys.executable, "-c", PEER, str(folder)]))
        runs["survival"].append(measure([sys.executable, "-m", "cxroi", "survival", "-c", cfg, "-f", "json"]))
        runs["roi"].append(measure([sys.executable, "-m", "cxroi", "roi", "-c", cfg, "-f", "json"]))
    best = {k: (min(r[0] for r in v), max(r[1] for r in v)) for k, v in runs.items()}
    size_mb = sum(p.stat().st_size for p in folder.glob("*.csv")) / 1e6
    print(f"data: {args.customers:,} customers + {args.answers:,} answers, {size_mb:,.0f} MB")
    labels = {
        "peer": "pandas + lifelines script (KM, log-rank, Cox)",
        "survival": "cxroi survival",
        "roi": "cxroi roi (link + survival + 2,000 draws)",
    }
    for key, label in labels.items():
        t, rss = best[key]
        print(f"{label:<48} {t:6.2f} s   peak RSS {rss / GIB:5.2f} GiB")
    ok = all(t < 60 and rss < 2 * GIB for k, (t, rss) in best.items() if k != "peer")
    print("PASS (each under 60 s and 2 GiB)" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
