"""BG/NBD (beta-geometric / negative binomial) for repeat purchases, and Gamma-Gamma for their value.

Data in: per customer x (repeat purchases: purchase days after the first), t_x (time of the last purchase
since the first) and T (time from the first purchase to the end of calibration), in one time unit (cxroi
uses weeks, as the published fits do); for Gamma-Gamma, the mean value of the repeat purchases (zbar).

BG/NBD (Fader, Hardie & Lee 2005, "Counting your customers the easy way", Marketing Science 24(2)): while
alive a customer buys as Poisson(lambda), lambda ~ Gamma(r, alpha); after each purchase they drop out with
probability p, p ~ Beta(a, b). Per customer

  L = B(a, b + x) / B(a, b) * Gamma(r + x) alpha^r / (Gamma(r) (alpha + T)^(r + x))
      + [x > 0] B(a + 1, b + x - 1) / B(a, b) * Gamma(r + x) alpha^r / (Gamma(r) (alpha + t_x)^(r + x)),

  P(alive | x, t_x, T) = 1 / (1 + [x > 0] a / (b + x - 1) * ((alpha + T) / (alpha + t_x))^(r + x)),

  E[Y(t) | x, t_x, T] = (a + b + x - 1) / (a - 1)
      * [1 - ((alpha + T) / (alpha + T + t))^(r + x) 2F1(r + x, b + x; a + b + x - 1; t / (alpha + T + t))]
      * P(alive | x, t_x, T)   (expected purchases in (T, T + t]; eq. 10 of the paper), computed as
      1 - (1 - z)^(a - 1) 2F1(a + b - 1 - r, a - 1; a + b + x - 1; z) inside the brackets (Euler's
      transformation, z = t / (alpha + T + t)), which stays finite for heavy buyers,

  E[X(t)] = (a + b - 1) / (a - 1) * [1 - (alpha / (alpha + t))^r 2F1(r, b; a + b - 1; t / (alpha + t))]
      (a new customer's expected purchases in (0, t]).

Gamma-Gamma (Fader, Hardie & Lee 2005, "RFM and CLV: using iso-value curves", JMR 42; Colombo & Jiang
1999): each purchase value ~ Gamma(p, nu), nu ~ Gamma(q, gamma); the likelihood of zbar given x is

  f(zbar | x) = Gamma(p x + q) / (Gamma(p x) Gamma(q)) * gamma^q zbar^(p x - 1) x^(p x)
                / (gamma + x zbar)^(p x + q),

  E[value | x, zbar] = (gamma + x zbar) p / (p x + q - 1)   (q > 1; x = 0 gives the mean p gamma / (q - 1)).

It assumes value and frequency independent: ``value_frequency_correlation`` is the check.
Known answers (tests): CDNOW sample, 2,357 customers, 39 weeks: r 0.243, alpha 4.414, a 0.793, b 2.426,
log L -9582.4; Gamma-Gamma on its repeat buyers p 6.25, q 3.74, gamma 15.44.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.special import betaln, gammaln, hyp2f1

from cxroi.metrics.mle import Fit, FitError, fit_positive

Array = np.ndarray


@dataclass(frozen=True)
class Rfm:
    """The summary the models read, one element per customer."""

    x: Array  # repeat purchases
    t_x: Array  # time of the last purchase since the first
    T: Array  # time from the first purchase to the end of calibration
    value: Array  # mean value of the repeat purchases (NaN when x = 0)


def bgnbd_loglik_each(theta: Array, x: Array, t_x: Array, T: Array) -> Array:
    r, alpha, a, b = theta
    common = gammaln(r + x) - gammaln(r) + r * math.log(alpha)
    a1 = betaln(a, b + x) - betaln(a, b) - (r + x) * np.log(alpha + T)
    with np.errstate(divide="ignore", invalid="ignore"):
        a2 = np.where(
            x > 0,
            betaln(a + 1, np.maximum(b + x - 1, 1e-300)) - betaln(a, b) - (r + x) * np.log(alpha + t_x),
            -np.inf,
        )
    return np.asarray(common + np.logaddexp(a1, a2))


ROUGH_ROWS = 20_000


def _loglik(x: Array, t_x: Array, T: Array, w: Array) -> Callable[[Array], float]:
    """sum_i w_i log L_i, with the terms that depend on x alone computed once per distinct x."""
    ux, xi = np.unique(x, return_inverse=True)
    xi = xi.reshape(-1)
    repeat = ux > 0
    safe = np.where(repeat, ux, 1.0)

    def f(theta: Array) -> float:
        r, alpha, a, b = theta
        common = gammaln(r + ux) - gammaln(r) + r * math.log(alpha) - betaln(a, b)
        b1 = betaln(a, b + ux)
        b2 = np.where(repeat, betaln(a + 1, b + safe - 1), -np.inf)
        rx = (r + ux)[xi]
        a1 = b1[xi] - rx * np.log(alpha + T)
        a2 = b2[xi] - rx * np.log(alpha + t_x)
        return float(np.dot(w, common[xi] + np.logaddexp(a1, a2)))

    return f


def fit_bgnbd(rfm: Rfm, weights: Array | None = None) -> Fit:
    """Maximum-likelihood r, alpha, a, b (``weights``: customers sharing each (x, t_x, T) row)."""
    x, t_x, T = (np.asarray(v, dtype=float) for v in (rfm.x, rfm.t_x, rfm.T))
    w = np.ones(len(x)) if weights is None else np.asarray(weights, dtype=float)
    n = int(w.sum())
    hint = (
        "the model needs customers with repeat purchases: give more history "
        "(an earlier first date or a later --calibration-end)"
    )
    if n == 0:
        raise FitError("no customers to fit BG/NBD on (no purchases up to the calibration end)", hint)
    if not np.any(x > 0):
        raise FitError(
            "no customer made a repeat purchase in the calibration period; BG/NBD cannot be fitted", hint
        )
    if np.any(T <= 0) and np.all(T <= 0):
        raise FitError("every customer's first purchase is on the calibration end; nothing to fit", hint)
    scale = float(np.mean(T[T > 0])) if np.any(T > 0) else 1.0

    loglik = _loglik(x, t_x, T, w)
    rough = None
    if len(x) > ROUGH_ROWS:  # Nelder-Mead on a weighted sample, then BFGS on every row
        pick = np.random.default_rng(0).choice(len(x), ROUGH_ROWS, p=w / w.sum())
        rows, counts = np.unique(pick, return_counts=True)
        rough = _loglik(x[rows], t_x[rows], T[rows], counts * (w.sum() / ROUGH_ROWS))
    start = (1.0, scale / 4.0, 1.0, 1.0)
    try:
        fit = fit_positive("BG/NBD", ("r", "alpha", "a", "b"), loglik, start, n, hint, rough)
    except FitError as exc:
        theta = exc.theta or {}
        if theta.get("a", 0) > 1e5 and theta.get("b", 0) > 1e5:  # Beta(a, b) collapsing onto one point
            p = theta["a"] / (theta["a"] + theta["b"])
            raise FitError(
                f"BG/NBD cannot be fitted: every customer seems to drop out with the same probability "
                f"({p:.2f} after each purchase; a and b run to infinity), so its spread is not identified",
                "the data look simulated or too uniform; with more customers or history the spread shows",
            ) from exc
        raise
    if abs(fit["a"] - 1) < 1e-6:  # (a + b + x - 1) / (a - 1): the closed forms divide by zero at a = 1
        raise FitError(
            f"BG/NBD fitted a = {fit['a']:.8f}, where its expected-purchase formula is singular (a = 1)",
            "fit on a different calibration period; the expectations cannot be computed at exactly a = 1",
        )
    return fit


def p_alive(fit: Fit, x: Array, t_x: Array, T: Array) -> Array:
    r, alpha, a, b = fit.values
    x = np.asarray(x, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        log_ratio = (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
        odds = np.where(x > 0, a / np.maximum(b + x - 1, 1e-300) * np.exp(log_ratio), 0.0)
    return np.asarray(1.0 / (1.0 + odds))


def _pairs(x: Array, T: Array) -> tuple[Array, Array, Array]:
    """The distinct (x, T) pairs and the index of each customer's pair."""
    pairs, back = np.unique(np.stack([x, T], axis=1), axis=0, return_inverse=True)
    return pairs[:, 0], pairs[:, 1], back.reshape(-1)


def _tail_of_pairs(fit: Fit, t: float, px: Array, pT: Array) -> Array:
    """1 - ((alpha + T) / (alpha + T + t))^(r + x) 2F1(r + x, b + x; a + b + x - 1; t / (alpha + T + t)),
    the part of E[Y(t) | x, t_x, T] that depends on t, for distinct (x, T) pairs."""
    r, alpha, a, b = fit.values
    z = t / (alpha + pT + t)
    # Euler's transformation 2F1(A, B; C; z) = (1 - z)^(C - A - B) 2F1(C - A, C - B; C; z), with
    # 1 - z = (alpha + T) / (alpha + T + t): the powers cancel to (1 - z)^(a - 1) and the series keeps
    # small numerator parameters, so heavy buyers (x in the hundreds) stay finite and exact
    return np.asarray(1 - (1 - z) ** (a - 1) * hyp2f1(a + b - 1 - r, a - 1, a + b + px - 1, z))


def _tail(fit: Fit, t: float, x: Array, T: Array) -> Array:
    px, pT, back = _pairs(x, T)
    return np.asarray(_tail_of_pairs(fit, t, px, pT)[back])


def _finite(out: Array) -> Array:
    if not np.all(np.isfinite(out)):
        raise FitError(
            "expected purchases are not finite for some customers (the hypergeometric series does not converge "
            "for these parameters)",
            "shorten --horizon, or check the fitted parameters with --format json",
        )
    return out


def expected_purchases(fit: Fit, t: float, x: Array, t_x: Array, T: Array) -> Array:
    """E[Y(t) | x, t_x, T]: each customer's expected purchases in the next ``t`` time units."""
    _r, _alpha, a, b = fit.values
    x, T = np.asarray(x, dtype=float), np.asarray(T, dtype=float)
    head = (a + b + x - 1) / (a - 1)
    return _finite(np.asarray(head * _tail(fit, float(t), x, T) * p_alive(fit, x, t_x, T)))


def expected_purchases_new(fit: Fit, t: float | Array) -> Array:
    """E[X(t)]: a new customer's expected purchases in their first ``t`` time units."""
    r, alpha, a, b = fit.values
    t = np.asarray(t, dtype=float)
    z = t / (alpha + t)  # Euler's transformation, as in ``_tail`` with x = 0, T = 0
    return np.asarray(
        (a + b - 1) / (a - 1) * (1 - (1 - z) ** (a - 1) * hyp2f1(a + b - 1 - r, a - 1, a + b - 1, z))
    )


def gamma_gamma_loglik_each(theta: Array, x: Array, zbar: Array) -> Array:
    p, q, g = theta
    px = p * x
    return np.asarray(
        gammaln(px + q)
        - gammaln(px)
        - gammaln(q)
        + q * math.log(g)
        + (px - 1) * np.log(zbar)
        + px * np.log(x)
        - (px + q) * np.log(g + x * zbar)
    )


def fit_gamma_gamma(x: Array, zbar: Array) -> Fit:
    """Maximum-likelihood p, q, gamma on the repeat buyers (x > 0, zbar > 0)."""
    x, zbar = np.asarray(x, dtype=float), np.asarray(zbar, dtype=float)
    use = (x > 0) & np.isfinite(zbar) & (zbar > 0)
    x, zbar = x[use], zbar[use]
    hint = "Gamma-Gamma needs repeat buyers with positive purchase values"
    if len(x) < 3:
        raise FitError(
            f"only {len(x)} repeat buyers with a positive mean value; Gamma-Gamma cannot be fitted", hint
        )

    def loglik(theta: Array) -> float:
        return float(np.sum(gamma_gamma_loglik_each(theta, x, zbar)))

    rough = None
    if len(x) > ROUGH_ROWS:  # Nelder-Mead on a sample, then BFGS on every repeat buyer
        pick = np.random.default_rng(0).choice(len(x), ROUGH_ROWS, replace=False)
        xs, zs, scale = x[pick], zbar[pick], len(x) / ROUGH_ROWS

        def rough(theta: Array) -> float:
            return scale * float(np.sum(gamma_gamma_loglik_each(theta, xs, zs)))

    fit = fit_positive(
        "Gamma-Gamma", ("p", "q", "gamma"), loglik, (1.0, 1.0, float(np.mean(zbar))), len(x), hint, rough
    )
    if fit["q"] <= 1:
        raise FitError(
            f"Gamma-Gamma fitted q = {fit['q']:.3g} <= 1: the mean purchase value is not finite under the model",
            "the purchase values are too heavy-tailed for Gamma-Gamma; check refunds and outliers",
        )
    return fit


def expected_value(fit: Fit, x: Array, zbar: Array) -> Array:
    """E[value of a purchase | x, zbar]; the population mean p gamma / (q - 1) where x = 0."""
    p, q, g = fit.values
    x = np.asarray(x, dtype=float)
    z = np.where(x > 0, np.nan_to_num(np.asarray(zbar, dtype=float)), 0.0)
    return np.asarray((g + x * z) * p / (p * x + q - 1))


def value_frequency_correlation(x: Array, zbar: Array) -> float:
    """Pearson correlation of frequency and mean value among repeat buyers (Gamma-Gamma's check)."""
    x, zbar = np.asarray(x, dtype=float), np.asarray(zbar, dtype=float)
    use = (x > 0) & np.isfinite(zbar)
    if use.sum() < 3 or np.std(x[use]) == 0 or np.std(zbar[use]) == 0:
        return math.nan
    return float(np.corrcoef(x[use], zbar[use])[0, 1])


def discounted_clv(
    fit: Fit, value: Array, x: Array, t_x: Array, T: Array, months: int, annual_rate: float, unit_days: float
) -> tuple[Array, Array]:
    """Expected purchases over ``months`` and their value discounted monthly:

    CLV = value * sum_{m=1..months} (E[Y(m)] - E[Y(m - 1)]) / (1 + d)^m, d = (1 + annual_rate)^(1/12) - 1,
    with month m ending at m * 365.25 / 12 days (in the fit's time unit of ``unit_days`` days).
    """
    d = (1.0 + annual_rate) ** (1.0 / 12.0) - 1.0
    _r, _alpha, a, b = fit.values
    x, T = np.asarray(x, dtype=float), np.asarray(T, dtype=float)
    scale = (a + b + x - 1) / (a - 1) * p_alive(fit, x, t_x, T)  # E[Y(t)] = scale * tail(t)
    px, pT, back = _pairs(x, T)
    previous = np.zeros(len(px))
    discounted = np.zeros(len(px))
    for m in range(1, months + 1):
        tail = _tail_of_pairs(fit, m * 365.25 / 12.0 / unit_days, px, pT)
        discounted += (tail - previous) / (1.0 + d) ** m
        previous = tail
    expected, clv = _finite(scale * previous[back]), _finite(scale * discounted[back])
    return expected, clv * np.asarray(value, dtype=float)
