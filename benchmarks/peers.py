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


# The same counts in DuckDB SQL: the join and revenue in one query, the customers at the start of each
# quarter, churned and new by a join of the quarters against the customers.
ECONOMICS_DUCKDB = r"""
import sys, duckdb
con = duckdb.connect()
con.execute(f'''CREATE TABLE c AS SELECT trim("Customer ID") AS id, "Plan" AS plan,
    TRY_CAST("Signup Date" AS DATE) AS s, TRY_CAST("Churn Date" AS DATE) AS e
    FROM read_csv('{sys.argv[1]}', all_varchar = true)''')
money = con.sql(f'''SELECT date_trunc('quarter', CAST(t."Invoice Date" AS DATE)) AS q, c.plan,
    sum(CAST(replace(t."Amount", ',', '') AS DECIMAL(18, 2))) AS revenue, count(*) AS transactions
    FROM read_csv('{sys.argv[2]}', all_varchar = true) t JOIN c ON trim(t."Customer ID") = c.id
    GROUP BY ALL''').fetchall()
churn = con.sql('''WITH q AS (SELECT unnest(range(date_trunc('quarter', min(s)), max(s) + INTERVAL 1 DAY,
    INTERVAL 3 MONTH))::DATE AS q FROM c)
    SELECT q.q, c.plan, count_if(c.s < q.q AND (c.e IS NULL OR c.e >= q.q)) AS customers_start,
    count_if(c.e >= q.q AND c.e < q.q + INTERVAL 3 MONTH) AS churned,
    count_if(c.s >= q.q AND c.s < q.q + INTERVAL 3 MONTH) AS new FROM q, c GROUP BY ALL''').fetchall()
print(len(churn), len(money))
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


# `cxroi economics --by Plan --period quarter` by hand: customers at the start of each quarter, churned
# and new in it, revenue and transactions of the customers' transactions in it (joined by id).
ECONOMICS_POLARS = r"""
import sys, polars as pl
c = pl.scan_csv(sys.argv[1]).select(
    pl.col("Customer ID").str.strip_chars().alias("id"), pl.col("Plan"),
    pl.col("Signup Date").str.to_date("%Y-%m-%d", strict=False).alias("start"),
    pl.col("Churn Date").str.to_date("%Y-%m-%d", strict=False).alias("end"))
t = pl.scan_csv(sys.argv[2], schema_overrides={"Amount": pl.Utf8}).select(
    pl.col("Customer ID").str.strip_chars().alias("id"), pl.col("Invoice Date").str.to_date("%Y-%m-%d").alias("day"),
    pl.col("Amount").str.replace_all(",", "").cast(pl.Decimal(18, 2)).alias("amount"))
money = (t.join(c.select("id", "Plan"), on="id", how="inner")
         .group_by(pl.col("day").dt.truncate("1q").alias("q"), "Plan")
         .agg(pl.col("amount").sum().alias("revenue"), pl.len().alias("transactions")))
cust = c.collect()
first = cust["start"].min().replace(day=1, month=(cust["start"].min().month - 1) // 3 * 3 + 1)
rows = []
for q in pl.date_range(first, cust["start"].max(), "1q", eager=True):
    nxt = pl.lit(q).dt.offset_by("1q")
    rows.append(cust.lazy().group_by("Plan").agg(
        ((pl.col("start") < q) & (pl.col("end").is_null() | (pl.col("end") >= q))).sum().alias("customers_start"),
        ((pl.col("end") >= q) & (pl.col("end") < nxt)).sum().alias("churned"),
        ((pl.col("start") >= q) & (pl.col("start") < nxt)).sum().alias("new")).with_columns(pl.lit(q).alias("q")))
churn = pl.concat(rows).collect()
out = churn.join(money.collect(), on=["q", "Plan"], how="left")
print(len(out))
"""
