"""Key drivers against values known by design: uncorrelated drivers give r², shares add to 100, LMG equals
the average over every order of entry (computed here with scikit-learn's own regressions), and the
command handles missing answers as configured."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pytest
from sklearn.linear_model import LinearRegression

from cxroi.metrics.drivers import fit, relative_weights
from tests.conftest import ROOT, run


def orthogonal_design() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Three exactly uncorrelated ±1 columns (a full 2^3 factorial repeated) and a noise column
    orthogonal to them; y = 3 x1 + 2 x2 + 1 x3 + noise."""
    base = np.array(list(itertools.product([-1.0, 1.0], repeat=4)))  # 16 rows, orthogonal columns
    x = np.tile(base[:, :3], (5, 1))
    noise = np.tile(base[:, 3] * 1.5, (5, 1)).ravel()
    beta = np.array([3.0, 2.0, 1.0])
    return x, x @ beta + noise, beta


def test_uncorrelated_drivers_share_their_squared_standardised_effects() -> None:
    x, y, beta = orthogonal_design()
    f = fit(x, y)
    # standardised effect b_j sd(x_j) / sd(y): sd(x) = 1, var(y) = 9 + 4 + 1 + 2.25
    std_effect_sq = beta**2 / (14 + 2.25)
    assert f.r2 == pytest.approx(std_effect_sq.sum(), abs=1e-12)
    assert f.shares == pytest.approx(100 * std_effect_sq / std_effect_sq.sum(), abs=1e-10)
    assert f.shares == pytest.approx([100 * 9 / 14, 100 * 4 / 14, 100 * 1 / 14], abs=1e-10)
    assert fit(x, y, "relative_weights").shares == pytest.approx(f.shares, abs=1e-10)


def test_lmg_is_the_average_gain_over_every_order() -> None:
    rng = np.random.default_rng(5)
    x = rng.normal(size=(400, 4))
    x[:, 1] += 0.7 * x[:, 0]
    x[:, 3] -= 0.4 * x[:, 2]
    y = x @ [1.0, 0.5, 0.25, 0.8] + rng.normal(size=400)

    def r2(cols: list[int]) -> float:
        return float(LinearRegression().fit(x[:, cols], y).score(x[:, cols], y)) if cols else 0.0

    gains = np.zeros(4)
    orders = list(itertools.permutations(range(4)))
    for order in orders:
        for i, j in enumerate(order):
            gains[j] += r2(list(order[: i + 1])) - r2(list(order[:i]))
    gains /= len(orders)
    f = fit(x, y)
    assert f.shares == pytest.approx(100 * gains / gains.sum(), abs=1e-9)
    assert f.r2 == pytest.approx(r2([0, 1, 2, 3]), abs=1e-12) and f.shares.sum() == pytest.approx(100)
    rw = relative_weights(np.corrcoef(x.T), np.array([np.corrcoef(x[:, j], y)[0, 1] for j in range(4)]))
    assert rw.sum() == pytest.approx(f.r2, abs=1e-12)  # relative weights also add up to R²


def test_many_drivers_use_relative_weights_and_still_add_up() -> None:
    rng = np.random.default_rng(2)
    x = rng.normal(size=(300, 17))
    y = x[:, :3].sum(axis=1) + rng.normal(size=300)
    f = fit(x, y)
    assert f.method == "relative_weights" and f.shares.sum() == pytest.approx(100)


def test_drivers_command_on_the_sample_data_and_missing_answers(tmp_path: Path) -> None:
    cfg = str(ROOT / "configs/default.yaml")
    res = run(["drivers", "-c", cfg, "--format", "json", "--draws", "50"])
    assert res.exit_code == 0, res.stderr
    recs = json.loads(res.stdout)
    assert recs[0]["driver"] == "Q5_1"  # speed of delivery moves the score most, by design
    assert sum(r["importance"] for r in recs) == pytest.approx(100)
    assert all(r["ci_low"] <= r["importance"] <= r["ci_high"] and r["direction"] == "+" for r in recs)
    assert "left out (drivers.missing: drop)" in res.stderr
    mean = run(["drivers", "-c", cfg, "--format", "json", "--draws", "0", "--missing", "mean"])
    recs_mean = json.loads(mean.stdout)
    assert recs_mean[0]["n"] > recs[0]["n"] and recs_mean[0]["ci_low"] is None
    assert "filled with its mean" in mean.stderr
    themed = run(["drivers", "-c", cfg, "--driver", "Q5_1", "--driver", "theme:billing", "--format", "json",
                  "--draws", "0"])  # fmt: skip
    by = {r["driver"]: r for r in json.loads(themed.stdout)}
    assert by["theme:billing"]["direction"] == "-" and 0 < by["theme:billing"]["performance"] < 100
    bad = run(["drivers", "-c", cfg, "--driver", "Q5_1"], ok=False)
    assert bad.exit_code == 2 and "at least two drivers" in bad.stderr
