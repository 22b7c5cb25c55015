"""Time `cxroi themes` on a large export of open-ended reasons (issue 11: 1M comments under 60 s and
1.5 GiB), against the pandas script an analyst would write for the same dictionary counts (lower-cased
substring search per keyword, no stemming, no Turkish/Hebrew rules), in the same run.

    python benchmarks/bench_themes.py [--rows 1000000]

The file mixes English, Turkish and Hebrew reasons built from the sample data's phrase bank, with order
numbers and names so that about a third of the comments are distinct texts.
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
from pathlib import Path

from bench_scores import GIB, measure

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
ROOT = HERE.parent
PEER = r"""
import sys, yaml, pandas as pd
themes = yaml.safe_load(open(sys.argv[2]))["themes"]
df = pd.read_csv(sys.argv[1], usecols=["nps", "reason"], dtype={"reason": "string"})
text = df["reason"].fillna("").str.lower()
band = pd.cut(df["nps"], [-1, 6, 8, 10], labels=["detractors", "passives", "promoters"])
out = {}
for name, spec in themes.items():
    words = [w.lower() for ws in spec.values() for w in ws if not w.startswith("re:")]
    hit = text.str.contains("|".join(map(__import__("re").escape, words)), regex=True)
    out[name] = hit.groupby(band, observed=False).sum()
print(len(out))
"""


def generate(rows: int, path: Path) -> None:
    sys.path.insert(0, str(ROOT / "sample_data"))
    from generate import make_comment  # the sample data's own phrase bank

    rng = random.Random(11)
    attitudes = ["detractor", "passive", "promoter"]
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "date", "nps", "reason"])
        for i in range(rows):
            att = rng.choices(attitudes, [0.25, 0.3, 0.45])[0]
            low, high = {"detractor": (0, 6), "passive": (7, 8), "promoter": (9, 10)}[att]
            score = rng.randint(low, high)
            lang = rng.choices(["EN", "TR", "HE"], [0.6, 0.25, 0.15])[0]
            text = make_comment(rng, att, lang, "")
            if text and rng.random() < 0.35:
                text += f" (order #{rng.randint(10000, 99999)})"
            w.writerow([f"R_{i}", f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}", score, text])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=1_000_000)
    args = ap.parse_args()
    path = DATA / f"comments_{args.rows}.csv"
    if not path.exists():
        DATA.mkdir(exist_ok=True)
        print(f"generating {path.name} ...", file=sys.stderr)
        generate(args.rows, path)
    config = ROOT / "configs/default.yaml"
    peer_t, peer_rss = measure([sys.executable, "-c", PEER, str(path), str(config)])
    cmd = [sys.executable, "-m", "cxroi", "themes", str(path), "--text", "reason", "--nps", "nps", "-c",
           str(config), "--format", "csv"]  # fmt: skip
    cx_t, cx_rss = measure(cmd)
    size = path.stat().st_size / 1e6
    print(f"file: {path.name}, {args.rows:,} comments, {size:,.0f} MB")
    print(
        f"pandas substring script (same dictionary, no stemming): {peer_t:6.2f} s   peak RSS {peer_rss / GIB:.2f} GiB"
    )
    print(
        f"cxroi themes (stems, Turkish/Hebrew rules, tests, q):    {cx_t:6.2f} s   peak RSS {cx_rss / GIB:.2f} GiB"
    )
    ok = cx_t < 60 and cx_rss < 1.5 * GIB
    print("target: < 60 s and < 1.5 GiB:", "PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
