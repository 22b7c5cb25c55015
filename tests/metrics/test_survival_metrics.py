"""Robust (sandwich) errors of the Cox model: Efron score residuals against a direct O(n^2) evaluation of
Therneau & Grambsch's formula, and against lifelines where lifelines is exact (no tied times)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cxroi.metrics.survival import cox, efron_score_residuals, kaplan_meier, robust_covariance


def brute_force(t: np.ndarray, e: np.ndarray, x: np.ndarray, beta: np.ndarray) -> np.ndarray:
    """U_i = sum_t sum_l [dN_i (x_i - xbar_l) / d - c_il r_i (x_i - xbar_l) / S0_l], one time at a time."""
    r = np.exp(x @ beta)
    u = np.zeros_like(x)
    for tau in np.unique(t[e]):
        risk, dead = t >= tau, (t == tau) & e
        d = int(dead.sum())
        for ell in range(d):
            c = np.where(dead, 1 - ell / d, 1.0) * risk
            s0 = (r * risk).sum() - ell / d * (r * dead).sum()
            xbar = ((r * risk) @ x - ell / d * ((r * dead) @ x)) / s0
            u += dead[:, None] * (x - xbar) / d - (c * r / s0)[:, None] * (x - xbar)
    return u


@pytest.fixture
def rossi() -> pd.DataFrame:
    from lifelines.datasets import load_rossi

    frame: pd.DataFrame = load_rossi()
    return frame


TERMS = ["fin", "age", "race", "wexp", "mar", "paro", "prio"]


def test_score_residuals_with_ties_match_the_formula(rossi: pd.DataFrame) -> None:
    fit = cox(rossi, "week", "arrest", TERMS, check_ph=False)
    beta = np.array([t.coef for t in fit.terms])
    t, e, x = rossi.week.to_numpy(float), rossi.arrest.to_numpy() > 0, rossi[TERMS].to_numpy(float)
    u = efron_score_residuals(t, e, x, beta)
    assert np.abs(u - brute_force(t, e, x, beta)).max() < 1e-10
    assert np.abs(u.sum(axis=0)).max() < 1e-4  # the score is 0 at the estimate


def test_robust_errors_equal_lifelines_without_ties(rossi: pd.DataFrame) -> None:
    from lifelines import CoxPHFitter

    frame = rossi[["week", "arrest", "fin", "age", "prio"]].copy()
    frame["week"] = frame["week"] + np.random.default_rng(0).uniform(0, 0.5, len(frame))  # no ties
    frame["id"] = np.arange(len(frame)) // 2
    ours = cox(frame, "week", "arrest", ["fin", "age", "prio"], cluster="id", check_ph=False)
    theirs = CoxPHFitter().fit(frame, "week", "arrest", cluster_col="id", robust=True)
    assert [t.se for t in ours.terms] == pytest.approx(theirs.standard_errors_.to_list(), rel=1e-6)
    assert ours.robust


def test_robust_covariance_sums_within_clusters() -> None:
    u = np.array([[1.0], [2.0], [-3.0]])
    assert robust_covariance(u, np.eye(1), np.array([7, 7, 8]))[0, 0] == 9.0 + 9.0


def test_kaplan_meier_at_risk_and_steps() -> None:
    km = kaplan_meier(np.array([1.0, 2, 2, 3, 4]), np.array([1, 1, 0, 0, 1]), horizon=4.0)
    assert list(km.day) == [0, 1, 2, 4]
    # S: 4/5 after day 1, x 3/4 after day 2, x 0/1 at day 4
    assert list(km.survival) == pytest.approx([1, 0.8, 0.6, 0.0])
    assert km.at(3.0) == {"day": 3.0, "at_risk": 2, "events": 2, "survival": pytest.approx(0.6),
                          "ci_low": pytest.approx(km.ci_low[2]), "ci_high": pytest.approx(km.ci_high[2])}  # fmt: skip
    assert km.median == 4.0
    assert km.rmst == pytest.approx(1 + 0.8 + 0.6 * 2)
