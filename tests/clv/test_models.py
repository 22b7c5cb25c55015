"""Per-customer CLV models against published fits: BG/NBD and Gamma-Gamma on the CDNOW sample (Fader,
Hardie & Lee 2005), sBG on Fader & Hardie's (2007) survivors; from the raw transactions through
``cxroi clv --model`` as a user runs it. lifetimes 0.11.3 (an independent implementation, run once by
hand on the same file) gives the standard errors and conditional expectations quoted below."""

from __future__ import annotations

import csv
import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from cxroi.metrics.bgnbd import (
    Rfm,
    expected_purchases,
    expected_value,
    fit_bgnbd,
    fit_gamma_gamma,
    p_alive,
)
from cxroi.metrics.mle import FitError
from cxroi.metrics.sbg import derl, fit_sbg, from_survivors, retention, survival
from tests.conftest import FIXTURES, run

CDNOW = FIXTURES / "cdnow"
REGULAR = [1000, 631, 468, 382, 326, 289, 262, 241]
HIGH_END = [1000, 869, 743, 653, 593, 551, 517, 491]


def sig3(x: float) -> float:
    return float(f"{x:.3g}")


@pytest.fixture(scope="module")
def summary() -> pd.DataFrame:
    return pd.read_csv(CDNOW / "cdnow_customers_summary.csv")


def test_bgnbd_cdnow_published_fit(summary: pd.DataFrame) -> None:
    fit = fit_bgnbd(Rfm(summary.frequency.values, summary.recency.values, summary["T"].values, np.array([])))
    assert [sig3(v) for v in fit.values] == [0.243, 4.41, 0.793, 2.43]
    assert [round(v, 3) for v in fit.values] == [0.243, 4.414, 0.793, 2.426]
    assert round(fit.loglik, 1) == -9582.4
    # lifetimes' BetaGeoFitter.summary on the same file: se(coef) 0.012557, 0.378221, 0.185719, 0.705345
    assert fit.se == pytest.approx([0.012557, 0.378221, 0.185719, 0.705345], rel=2e-3)


def test_bgnbd_conditional_expectations(summary: pd.DataFrame) -> None:
    x, tx, T = summary.frequency.values, summary.recency.values, summary["T"].values
    fit = fit_bgnbd(Rfm(x, tx, T, np.array([])))
    e = expected_purchases(fit, 39, x, tx, T)
    alive = p_alive(fit, x, tx, T)
    # lifetimes: conditional_expected_number_of_purchases_up_to_time(39) sums to 1653.4233; customer 1
    # (x 2, t_x 30.43, T 38.86) 1.225910, P(alive) 0.726609; customer 6 3.337240, 0.641801
    assert e.sum() == pytest.approx(1653.4233, abs=1e-3)
    assert e[0] == pytest.approx(1.225910, abs=1e-5) and alive[0] == pytest.approx(0.726609, abs=1e-5)
    assert e[5] == pytest.approx(3.337240, abs=1e-5) and alive[5] == pytest.approx(0.641801, abs=1e-5)
    assert np.all(alive[x == 0] == 1.0)  # no repeat purchase: no evidence of dropping out (BG/NBD)


def test_gamma_gamma_cdnow_published_fit() -> None:
    m = pd.read_csv(CDNOW / "cdnow_customers_summary_with_transactions.csv")
    fit = fit_gamma_gamma(m.x.values, m.zbar.values)
    assert fit.n == 946
    assert [sig3(v) for v in fit.values] == [6.25, 3.74, 15.4]
    # the maximum is gamma = 15.4477 (lifetimes: v 15.447748, se 4.159994); the 15.44 truncates it
    assert fit["gamma"] == pytest.approx(15.447748, abs=1e-3)
    assert fit.se == pytest.approx([1.189687, 0.290166, 4.159994], rel=2e-3)
    value = expected_value(fit, m.x.values, m.zbar.values)
    # lifetimes conditional_expected_average_profit: 24.658616, 18.911480, 35.171002 (x = 0: p gamma / (q - 1))
    assert value[:3] == pytest.approx([24.658616, 18.911480, 35.171002], abs=1e-4)


@pytest.mark.parametrize(
    "survivors,alpha,beta,loglik", [(REGULAR, 0.704, 1.182, -1680.27), (HIGH_END, 0.668, 3.806, -1611.16)]
)
def test_sbg_published_fits(survivors: list[int], alpha: float, beta: float, loglik: float) -> None:
    fit = fit_sbg(*from_survivors(survivors))
    assert round(fit["alpha"], 3) == alpha and round(fit["beta"], 3) == beta
    assert round(fit.loglik, 2) == loglik
    a, b = fit.values
    # retention r_t = (beta + t - 1) / (alpha + beta + t - 1) rises with t; S(t) is its running product
    r = retention(a, b, 7)
    assert np.all(np.diff(r) > 0)
    assert survival(a, b, 7)[1:] == pytest.approx(np.cumprod(r), rel=1e-12)


def test_derl_closed_form_is_the_discounted_sum() -> None:
    a, b = 0.704, 1.182
    s = survival(a, b, 5000)
    for n in (1, 2, 5):
        direct = sum(s[t] / s[n - 1] / 1.1 ** (t - n) for t in range(n, 5000))
        assert float(derl(a, b, n, 0.10)) == pytest.approx(direct, rel=1e-10)


def test_fit_errors_are_loud() -> None:
    rng = np.random.default_rng(5)  # everyone drops out with the same p: Beta(a, b) has no spread to fit
    x = rng.geometric(0.3, 3000) - 1
    T = np.full(3000, 52.0)
    t_x = np.where(x > 0, rng.uniform(0, 52, 3000), 0.0)
    with pytest.raises(FitError, match="same probability"):
        fit_bgnbd(Rfm(x.astype(float), t_x, T, np.array([])))
    with pytest.raises(FitError, match="no customer made a repeat purchase"):
        fit_bgnbd(Rfm(np.zeros(5), np.zeros(5), np.full(5, 10.0), np.array([])))
    with pytest.raises(FitError, match="churn looks the same for every customer"):
        fit_sbg(*from_survivors([1000 * 0.9**t for t in range(8)]))  # exactly geometric: no spread
    with pytest.raises(FitError, match="no customer churned"):
        fit_sbg([0, 0], [0, 100])


# --- through the command line, from the raw exports ---------------------------------------------------


@pytest.fixture(scope="module")
def cdnow_exports(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """CDNOW_sample.txt as a transactions export and a customer file (signup = first purchase)."""
    folder = tmp_path_factory.mktemp("cdnow")
    rows = [line.split() for line in (CDNOW / "CDNOW_sample.txt").read_text().splitlines() if line.strip()]
    first: dict[str, str] = {}
    with (folder / "transactions.csv").open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["Customer ID", "Invoice Date", "Amount"])
        for _master, cid, day, _cds, amount in rows:
            iso = f"{day[:4]}-{day[4:6]}-{day[6:]}"
            first[cid] = min(first.get(cid, iso), iso)
            w.writerow([cid, iso, amount])
    with (folder / "customers.csv").open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["Customer ID", "Signup Date"])
        w.writerows(sorted(first.items()))
    return folder


def clv(folder: Path, *extra: str) -> list[str]:
    return ["clv", str(folder / "customers.csv"), "--transactions", str(folder / "transactions.csv"), *extra]


def test_cli_bgnbd_from_raw_transactions(cdnow_exports: Path, summary: pd.DataFrame) -> None:
    res = run(
        [
            *clv(
                cdnow_exports, "--model", "bgnbd", "--calibration-end", "1997-09-30", "--as-of", "1998-06-30"
            ),
            "--format",
            "json",
        ]
    )
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    p = doc["parameters"]["bgnbd"]
    assert [round(p[k]["value"], 3) for k in ("r", "alpha", "a", "b")] == [0.243, 4.414, 0.793, 2.426]
    assert round(p["loglik"], 1) == -9582.4 and p["n"] == 2357
    assert {"value", "se"} <= set(p["r"])
    g = doc["parameters"]["gamma_gamma"]
    assert [sig3(g[k]["value"]) for k in ("p", "q", "gamma")] == [6.25, 3.74, 15.4]
    # the summary cxroi derived from the raw purchases is the published one (weeks, 2 decimals)
    mine = pd.DataFrame(doc["customers"])
    assert len(mine) == 2357
    assert (mine.frequency.values == summary.frequency.values).all()
    assert np.allclose(mine.recency_weeks.round(2), summary.recency, atol=0.006)
    assert np.allclose(mine.age_weeks.round(2), summary["T"], atol=0.006)
    assert doc["summary"]["calibration_end"] == "1997-09-30"


def test_cli_bgnbd_holdout(cdnow_exports: Path) -> None:
    res = run(
        [
            *clv(cdnow_exports, "--model", "bgnbd", "--holdout-start", "1997-10-01", "--as-of", "1998-06-30"),
            "--format",
            "json",
        ]
    )
    assert res.exit_code == 0, res.output
    h = json.loads(res.stdout)["holdout"]
    tx = pd.read_csv(cdnow_exports / "transactions.csv", dtype=str)
    later = tx[(tx["Invoice Date"] > "1997-09-30") & (tx["Invoice Date"] <= "1998-06-30")]
    assert h["actual"] == len(later.drop_duplicates(["Customer ID", "Invoice Date"]))  # 1,882 purchase days
    assert h["predicted"] == pytest.approx(1653.42, abs=0.5)  # lifetimes on the published summary: 1653.4233
    assert h["weeks"] == pytest.approx(273 / 7)
    assert sum(r["customers"] for r in h["by_frequency"]) == 2357
    assert h["mean_absolute_error"] > 0


def test_cli_bgnbd_table_and_errors(cdnow_exports: Path) -> None:
    res = run(
        [
            *clv(
                cdnow_exports, "--model", "bgnbd", "--calibration-end", "1997-09-30", "--as-of", "1998-06-30"
            ),
            "--format",
            "table",
            "--explain",
        ]
    )
    assert res.exit_code == 0, res.output
    assert "Fitted parameters" in res.stdout and "gamma_gamma" in res.stdout and "p50" in res.stdout
    assert "log-likelihood -9582.4" in res.stderr
    bad = run(
        clv(cdnow_exports, "--model", "bgnbd", "--holdout-start", "1999-01-01", "--as-of", "1998-06-30")
    )
    assert bad.exit_code == 2 and "after the as-of day" in bad.stderr
    early = run(
        clv(cdnow_exports, "--model", "bgnbd", "--calibration-end", "1997-01-01", "--as-of", "1998-06-30")
    )
    assert early.exit_code == 4 and "repeat purchase" in early.stderr and "Traceback" not in early.output
    sbg = run(clv(cdnow_exports, "--model", "sbg"))
    assert sbg.exit_code == 2 and "end (churn) dates" in sbg.stderr


def test_gamma_gamma_correlation_warning(tmp_path: Path) -> None:
    """Frequent buyers spend more per purchase: the independence assumption fails and cxroi says so."""
    rng = np.random.default_rng(3)
    tx, cust = [], []
    start = date(2024, 1, 1)
    for i in range(400):  # BG/NBD buyers: Poisson while alive, drop out after a purchase w.p. p ~ Beta(2, 5)
        rate = rng.gamma(2.0, 1 / 40)  # purchases a day
        drop = rng.beta(2.0, 5.0)
        cust.append((f"C{i}", start.isoformat()))
        day, alive, days = 0.0, True, []
        while alive and day < 500:
            days.append(int(day))
            day += rng.exponential(1 / rate)
            alive = rng.random() > drop
        for d in days:  # the more purchase days, the more each is worth
            tx.append(
                (f"C{i}", (start + timedelta(days=d)).isoformat(), f"{5 * len(days) + rng.normal(0, 1):.2f}")
            )
    (tmp_path / "c.csv").write_text("Customer ID,Signup Date\n" + "\n".join(",".join(c) for c in cust) + "\n")
    (tmp_path / "t.csv").write_text(
        "Customer ID,Invoice Date,Amount\n" + "\n".join(",".join(t) for t in tx) + "\n"
    )
    res = run(
        [
            "clv",
            str(tmp_path / "c.csv"),
            "--transactions",
            str(tmp_path / "t.csv"),
            "--model",
            "bgnbd",
            "--as-of",
            "2026-06-01",
            "--format",
            "json",
        ]
    )
    assert res.exit_code == 0, res.output
    assert "correlation among repeat buyers" in res.stderr
    assert json.loads(res.stdout)["summary"]["value_frequency_correlation"] > 0.3


def regular_subscriptions(folder: Path) -> Path:
    """1,000 subscriptions started 2017-01-01 (MRR 10), lost in each year t on April 11 of that year as Fader
    & Hardie's "regular" survivors say; 241 still active."""
    rows = ["Customer ID,Start Date,End Date,MRR,Plan"]
    start = date(2017, 1, 1)
    ends = [date(start.year + t - 1, 4, 11) for t in range(1, 8) for _ in range(REGULAR[t - 1] - REGULAR[t])]
    rows += [f"S{i},{start},{end},10,Basic" for i, end in enumerate(ends)]
    rows += [f"S{len(ends) + k},{start},,10,Basic" for k in range(REGULAR[-1])]
    (folder / "subs.csv").write_text("\n".join(rows) + "\n")
    return folder / "subs.csv"


def sbg_json(path: Path, *extra: str) -> dict[str, Any]:
    res = run(["clv", str(path), "--model", "sbg", "--period", "year", "--as-of", "2024-01-01", "--end", "End Date",
               *extra, "--format", "json"])  # fmt: skip
    assert res.exit_code == 0, res.output
    doc: dict[str, Any] = json.loads(res.stdout)
    return doc


def test_cli_sbg_recovers_the_published_fit(tmp_path: Path) -> None:
    """The subscriptions as of 2024-01-01 (seven complete years): the anniversary clock and censoring give
    the published fit."""
    doc = sbg_json(regular_subscriptions(tmp_path))
    fit = doc["parameters"]["sbg"]
    assert round(fit["alpha"]["value"], 3) == 0.704 and round(fit["beta"]["value"], 3) == 1.182
    assert round(fit["loglik"], 2) == -1680.27
    (cohort,) = doc["cohorts"]
    assert cohort["cohort"] == "2017" and cohort["customers"] == 1000 and cohort["active"] == 241
    # every active customer has made 7 renewals: DERL(0.1 | 0.704, 1.182, n = 8) x 10 a month x 12
    expected = float(derl(fit["alpha"]["value"], fit["beta"]["value"], 8, 0.10))
    assert cohort["derl_mean"] == pytest.approx(expected, rel=1e-9)
    assert cohort["residual_value"] == pytest.approx(241 * 120 * expected, rel=1e-9)
    curve = doc["retention_curve"]
    assert [c["renewed"] for c in curve] == REGULAR[1:]
    assert curve[0]["retention_observed"] == pytest.approx(0.631)


def test_cli_sbg_holdout(tmp_path: Path) -> None:
    """Fit to 2022-12-31 on the same subscriptions; the holdout renewals are predicted from S(t) / S(n)."""
    doc = sbg_json(regular_subscriptions(tmp_path), "--holdout-start", "2023-01-01")
    h = doc["holdout"]
    # 262 active at 2022-12-31 after 5 renewals; the anniversaries 2023-01-01 and 2024-01-01 fall in the
    # holdout: 262 renewed at the first, 241 at the second
    assert h["customers"] == REGULAR[6] and h["actual"] == REGULAR[6] + REGULAR[7]
    a, b = doc["parameters"]["sbg"]["alpha"]["value"], doc["parameters"]["sbg"]["beta"]["value"]
    s = survival(a, b, 7)
    assert h["predicted"] == pytest.approx(262 * (s[6] + s[7]) / s[5], rel=1e-9)


def test_bgnbd_sampled_start_reaches_the_same_maximum(
    summary: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Large inputs start Nelder-Mead on a weighted sample; BFGS on every row must land on the same MLE."""
    import cxroi.metrics.bgnbd as bg

    rfm = Rfm(summary.frequency.values, summary.recency.values, summary["T"].values, np.array([]))
    full = fit_bgnbd(rfm)
    monkeypatch.setattr(bg, "ROUGH_ROWS", 300)
    sampled = fit_bgnbd(rfm)
    assert sampled.values == pytest.approx(full.values, rel=1e-4)
    assert sampled.loglik == pytest.approx(full.loglik, abs=1e-6)


def test_run_default_config_values_every_active_subscription(monkeypatch: pytest.MonkeyPatch) -> None:
    """`cxroi run` on the sample (clv.model: sbg, monthly): the residual value recomputed by hand from
    customers.csv — renewals counted with calendar months (dateutil), DERL as the explicit discounted
    sum of S(t) / S(n - 1) — equals the report's; the CLV by NPS group is each group's mean."""
    from dateutil.relativedelta import relativedelta

    from tests.conftest import ROOT

    monkeypatch.chdir(ROOT)
    res = run(["run", "--as-of", "2025-12-31", "-f", "json"])
    assert res.exit_code == 0, res.stderr
    doc = json.loads(res.stdout)["clv_model"]
    a, b = doc["parameters"]["sbg"]["alpha"]["value"], doc["parameters"]["sbg"]["beta"]["value"]
    rate = 1.1 ** (1 / 12) - 1
    s = survival(a, b, 3000)
    as_of = date(2025, 12, 31)
    total = 0.0
    customers = pd.read_csv(ROOT / "sample_data" / "customers.csv", dtype=str)
    for _, c in customers.iterrows():
        if isinstance(c["Churn Date"], str) and date.fromisoformat(c["Churn Date"]) <= as_of:
            continue
        start = date.fromisoformat(c["Signup Date"])
        renewals = 0
        while start + relativedelta(months=renewals + 1) <= as_of:
            renewals += 1
        n = renewals + 1
        value = sum(s[t] / s[n - 1] / (1 + rate) ** (t - n) for t in range(n, 3000))
        total += float(c["MRR"]) * 0.8 * value
    assert doc["totals"][0]["residual_value"] == pytest.approx(total, rel=1e-9)
    nps = [g for g in doc["by_group"] if g["metric"] == "nps"]
    assert [g["group"] for g in nps] == ["promoters", "passives", "detractors"]
    for g in nps:
        assert g["ci_low"] < g["clv_mean"] < g["ci_high"]
        assert g["clv_total"] == pytest.approx(g["clv_mean"] * g["customers"], rel=1e-12)
    mix = doc["mix_value"]
    assert mix["value"] == pytest.approx(
        sum(mix["customers"] * v["shift"] * v["clv_mean"] for v in mix["groups"].values()), rel=1e-12
    )


def test_run_with_a_model_that_cannot_fit_warns_and_goes_on(tmp_path: Path) -> None:
    """The sample's monthly invoices are not Poisson purchases: BG/NBD does not fit, the run says so."""
    from tests.conftest import ROOT

    text = (ROOT / "configs" / "default.yaml").read_text().replace("  model: sbg ", "  model: bgnbd ")
    text = text.replace("../sample_data/", f"{ROOT}/sample_data/")
    (tmp_path / "c.yaml").write_text(text)
    res = run(["run", "-c", str(tmp_path / "c.yaml"), "--as-of", "2025-12-31", "-f", "json"])
    assert res.exit_code == 0, res.stderr
    assert "clv.model bgnbd" in res.stderr and "the model CLV is left out" in res.stderr
    assert json.loads(res.stdout)["clv_model"] is None
