"""Time `cxroi scores` against a plain pyarrow read of the same columns and the same counts written by
hand in polars (lazy) and DuckDB SQL (``benchmarks/peers.py``), in the same run.

    python benchmarks/bench_scores.py [--rows 10000000] [--small-rows 2500000] [--repeat 3]

Both sides run as fresh processes (so each peak RSS is its own, from os.wait4). The cxroi side computes
NPS + CSAT + CES by two segments and month; the baseline is `pyarrow.csv.read_csv` of those six columns,
which is the floor for any tool that has to parse them. Reported: best-of-N wall time, the ratio, peak RSS,
and the peak RSS on a file 4x smaller, to show memory does not grow with file size.
Targets (issue #2): ratio <= 2.5, peak RSS <= 1.5 GiB, memory flat with size.
"""

from __future__ import annotations

import argparse
import compileall
import os
import subprocess
import sys
import time
from pathlib import Path

from peers import SCORES_DUCKDB, SCORES_POLARS, available

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
COLUMNS = ["date", "region", "plan", "nps", "csat", "ces"]
BASELINE = (
    "import sys, pyarrow.csv as c; "
    f"t = c.read_csv(sys.argv[1], convert_options=c.ConvertOptions(include_columns={COLUMNS!r})); "
    "print(t.num_rows)"
)
GIB = 1 << 30
# cxroi's modules as bytecode, as `pip install` leaves them: an editable checkout run with
# PYTHONDONTWRITEBYTECODE=1 (as on the development VM) recompiles ~50 modules (~0.1 s) in every timed run,
# where the peers' libraries come compiled in their wheels
compileall.compile_dir(str(HERE.parent / "cxroi"), quiet=1)
# the job of every scores benchmark as a config section (braces doubled: the configs are format strings)
SCORES_YAML = """scores:
  input: survey
  nps: {{column: nps}}
  csat: {{column: csat}}
  ces: {{column: ces}}
  date: date
  period: month
  by: [region, plan]
"""


def ensure_file(rows: int) -> Path:
    path = DATA / f"survey_{rows}.csv"
    if not path.exists():
        DATA.mkdir(exist_ok=True)
        print(f"generating {path.name} ...", file=sys.stderr)
        subprocess.run([sys.executable, str(HERE / "generate_survey.py"), str(rows), str(path)], check=True)
    return path


def measure(cmd: list[str]) -> tuple[float, int]:
    """Wall seconds and peak RSS (bytes) of one child process; stdout discarded."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
    _pid, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"command failed: {' '.join(cmd)}")
    return elapsed, usage.ru_maxrss * 1024


def cxroi_cmd(path: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "cxroi",
        "scores",
        str(path),
        "--nps",
        "nps",
        "--csat",
        "csat",
        "--ces",
        "ces",
        "--by",
        "region",
        "--by",
        "plan",
        "--date",
        "date",
        "--period",
        "month",
        "--format",
        "csv",
    ]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--small-rows", type=int, default=None, help="default: rows / 4")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    small_rows = args.small_rows or args.rows // 4
    big, small = ensure_file(args.rows), ensure_file(small_rows)

    # interleaved, best of N: both sides see the same machine state (page cache, other load)
    base_runs, cx_runs = [], []
    peer_code = available({"polars": SCORES_POLARS, "duckdb": SCORES_DUCKDB})
    peer_runs: dict[str, list[tuple[float, int]]] = {k: [] for k in peer_code}
    duck_runs: list[tuple[float, int]] = []
    for _ in range(args.repeat):
        base_runs.append(measure([sys.executable, "-c", BASELINE, str(big)]))
        for name, code in peer_code.items():
            peer_runs[name].append(measure([sys.executable, "-c", code, str(big)]))
        cx_runs.append(measure(cxroi_cmd(big)))
        duck_runs.append(measure(["env", "CXROI_ENGINE=reader", *cxroi_cmd(big)]))
    base_t, base_rss = min(r[0] for r in base_runs), max(r[1] for r in base_runs)
    cx_t, cx_rss = min(r[0] for r in cx_runs), max(r[1] for r in cx_runs)
    _small_t, small_rss = measure(cxroi_cmd(small))

    ratio = cx_t / base_t
    growth = cx_rss / small_rss
    size_mb = big.stat().st_size / 1e6
    print(f"file: {big.name}, {args.rows:,} rows, {size_mb:,.0f} MB")
    print(f"pyarrow read_csv of {len(COLUMNS)} columns: {base_t:6.2f} s   peak RSS {base_rss / GIB:5.2f} GiB")
    for name, runs in peer_runs.items():
        t, rss = min(r[0] for r in runs), max(r[1] for r in runs)
        print(
            f"{name} by hand (same counts): {t:6.2f} s   peak RSS {rss / GIB:5.2f} GiB   cxroi / {name}: {cx_t / t:.2f}"
        )
    print(f"cxroi scores (3 metrics x 2 segments x month): {cx_t:6.2f} s   peak RSS {cx_rss / GIB:5.2f} GiB")
    duck_t, duck_rss = min(r[0] for r in duck_runs), max(r[1] for r in duck_runs)
    print(
        f"cxroi scores, engine.csv: reader (pyarrow -> Parquet -> DuckDB): {duck_t:6.2f} s   "
        f"peak RSS {duck_rss / GIB:5.2f} GiB"
    )
    print(f"ratio cxroi / pyarrow: {ratio:.2f}  (target <= 2.5)")
    print(
        f"cxroi peak RSS at {small_rows:,} rows: {small_rss / GIB:.2f} GiB -> at {args.rows:,}: "
        f"{cx_rss / GIB:.2f} GiB (x{growth:.2f} for x{args.rows / small_rows:.0f} rows; target: flat)"
    )
    ok = ratio <= 2.5 and cx_rss <= 1.5 * GIB and growth <= 1.25
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
