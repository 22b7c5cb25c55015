"""Shifted-beta-geometric (sBG) model of contract renewals (Fader & Hardie 2007, "How to project customer
retention", Journal of Interactive Marketing 21(1); 2010, "Customer-base valuation in a contractual
setting: the perils of ignoring heterogeneity", Marketing Science 29(1)).

Each customer churns at the end of any period with probability theta, constant for them;
theta ~ Beta(alpha, beta) across customers. With T the period in which a customer churns:

  P(T = 1) = alpha / (alpha + beta),  P(T = t) = P(T = t - 1) (beta + t - 2) / (alpha + beta + t - 1),
  S(t) = P(T > t) = B(alpha, beta + t) / B(alpha, beta),
  retention r_t = S(t) / S(t - 1) = (beta + t - 1) / (alpha + beta + t - 1)  (rising with t: the
  sorting effect of heterogeneity).

Data in: per period t = 1, 2, ... the customers lost in period t and the customers still active after
their last complete period t (censored). log L = sum lost_t log P(T = t) + sum alive_t log S(t).

Discounted expected residual lifetime (Fader & Hardie 2010, eq. 6), for a customer who has made n - 1
renewals, valued just before the n-th renewal decision, per unit of margin per period:

  DERL(d | alpha, beta, n) = (beta + n - 1) / (alpha + beta + n - 1) * 2F1(1, beta + n; alpha + beta + n; 1 / (1 + d))
                           = sum_{t >= n} [S(t) / S(n - 1)] / (1 + d)^(t - n).

Known answers (tests): survivors per 1,000 for years 0-7, "regular" 1000 631 468 382 326 289 262 241 ->
alpha 0.704, beta 1.182, log L -1680.27; "high end" 1000 869 743 653 593 551 517 491 -> alpha 0.668,
beta 3.806, log L -1611.16.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.special import betaln, hyp2f1

from cxroi.metrics.mle import Fit, FitError, fit_positive

Array = np.ndarray


def churn_probabilities(alpha: float, beta: float, periods: int) -> Array:
    """P(T = t) for t = 1..periods."""
    t = np.arange(1, periods + 1, dtype=float)
    return np.asarray(np.exp(betaln(alpha + 1, beta + t - 1) - betaln(alpha, beta)))


def survival(alpha: float, beta: float, periods: int) -> Array:
    """S(t) = P(T > t) for t = 0..periods (S(0) = 1)."""
    t = np.arange(0, periods + 1, dtype=float)
    return np.asarray(np.exp(betaln(alpha, beta + t) - betaln(alpha, beta)))


def retention(alpha: float, beta: float, periods: int) -> Array:
    """r_t = S(t) / S(t - 1) for t = 1..periods."""
    t = np.arange(1, periods + 1, dtype=float)
    return np.asarray((beta + t - 1) / (alpha + beta + t - 1))


def loglik(alpha: float, beta: float, lost: Sequence[float], alive: Sequence[float]) -> float:
    """``lost[t - 1]``: churned in period t; ``alive[t - 1]``: still active after t periods (censored)."""
    k = max(len(lost), len(alive))
    lost_a = np.zeros(k)
    alive_a = np.zeros(k)
    lost_a[: len(lost)] = lost
    alive_a[: len(alive)] = alive
    p = churn_probabilities(alpha, beta, k)
    s = survival(alpha, beta, k)[1:]
    with np.errstate(divide="ignore"):
        return float(np.sum(lost_a * np.log(p)) + np.sum(alive_a * np.log(s)))


def from_survivors(survivors: Sequence[float]) -> tuple[list[float], list[float]]:
    """A cohort's survivors at t = 0..T as (lost per period, censored per period): the last count is
    censored at T."""
    s = [float(v) for v in survivors]
    lost = [s[i - 1] - s[i] for i in range(1, len(s))]
    alive = [0.0] * (len(s) - 2) + [s[-1]] if len(s) > 1 else []
    return lost, alive


def fit_sbg(lost: Sequence[float], alive: Sequence[float]) -> Fit:
    """Maximum-likelihood alpha, beta."""
    n = round(sum(lost) + sum(alive))
    hint = "sBG needs customers followed over at least one complete period, some of whom churned and some renewed"
    if n == 0 or not len(lost):
        raise FitError("no customer has completed a period yet; sBG cannot be fitted", hint)
    if sum(lost) == 0:
        raise FitError("no customer churned in the complete periods; sBG cannot estimate churn", hint)
    if sum(alive) == 0 and all(v == 0 for v in lost[1:]):
        raise FitError("every customer churned in the first period; sBG cannot estimate retention", hint)
    try:
        fit = fit_positive(
            "sBG", ("alpha", "beta"), lambda th: loglik(th[0], th[1], lost, alive), (1.0, 1.0), n, hint
        )
        if fit["alpha"] > 1e3 and fit["beta"] > 1e3:  # stopped on the flat ridge towards infinity
            exc = FitError("ridge", hint)
            exc.theta = {"alpha": fit["alpha"], "beta": fit["beta"]}
            raise exc
        return fit
    except FitError as exc:
        theta = exc.theta or {}
        if theta.get("alpha", 0) > 1e3 and theta.get("beta", 0) > 1e3:  # Beta(alpha, beta) onto one point
            churn = theta["alpha"] / (theta["alpha"] + theta["beta"])
            raise FitError(
                f"sBG cannot be fitted: churn looks the same for every customer ({churn:.2%} a period; alpha and "
                "beta run to infinity), so the spread the model is about is not identified",
                "with more periods of history the sorting effect shows; until then use --model average",
            ) from exc
        raise



def derl(alpha: float, beta: float, n: Array | int, rate: float) -> Array:
    """DERL(d | alpha, beta, n) per unit of margin per period (see the module doc)."""
    n_ = np.asarray(n, dtype=float)
    return np.asarray(
        (beta + n_ - 1)
        / (alpha + beta + n_ - 1)
        * hyp2f1(1.0, beta + n_, alpha + beta + n_, 1.0 / (1.0 + rate))
    )
