"""NPS, CSAT and CES for many groups at once: the formulas of ``nps.py``, ``csat.py`` and ``ces.py`` over
numpy arrays (one element per group), so 100,000 groups cost about what 100 do.

Each function repeats its scalar twin's operations in the same order (integer counts, then the same
float operations: ``(P - D) * 100.0 / n``, ``d * d`` for squares, the same clipping), so every value is
bit-for-bit the scalar one; ``tests/test_score_tables.py`` checks that on random histograms. The
formulas, their references and edge cases are documented in the scalar modules:

* NPS: ``100 (P - D) / n``; adjusted Wald (Rocks 2016: +0.75 / +1.5 / +0.75) or Wald interval.
* CSAT (and CES ``agree``): ``100 S / n``; Wilson (1927) or Wald interval.
* CES ``mean``: mean and sample sd of the histogram, ``mean +- t_{0.975, n-1} s / sqrt(n)`` clipped to the
  scale; ``net``: agree as +1, disagree as -1, adjusted Wald as NPS.
* Changes: the z-test of two NPS (variances of the +1/0/-1 score), the pooled two-proportion z-test, and
  Welch's t-test for means; p-values NaN when a test is undefined (n = 0 or no variance).
"""

from __future__ import annotations

import numpy as np

from cxroi.metrics.stats import Z95, t_quantile, two_sided_p

Array = np.ndarray
Table = dict[str, Array]


def _f(a: Array) -> Array:
    return np.asarray(a, dtype=np.float64)


def _wald(p: Array, pa: Array, d: Array) -> tuple[Array, Array, Array]:
    """Score, variance and standard error of the +1/0/-1 answer score (``nps._wald``)."""
    n = p + pa + d
    pp, pd = p / n, d / n
    diff = pp - pd
    var = np.maximum(pp + pd - diff * diff, 0.0)
    return diff, var, np.sqrt(var / n)


def nps_table(
    promoters: Array, passives: Array, detractors: Array, *, interval: str = "adjusted-wald", z: float = Z95
) -> Table:
    """n, value, variance, moe, ci_low, ci_high per group (``nps.nps``); groups with n = 0 give NaN."""
    p, pa, d = (np.asarray(x, dtype=np.int64) for x in (promoters, passives, detractors))
    n = p + pa + d
    with np.errstate(divide="ignore", invalid="ignore"):
        _score, var, se = _wald(_f(p), _f(pa), _f(d))
        value = _f(p - d) * 100.0 / _f(n)
        if interval == "adjusted-wald":
            centre, _avar, ase = _wald(_f(p) + 0.75, _f(pa) + 1.5, _f(d) + 0.75)
            half = z * ase * 100.0
            low, high = centre * 100.0 - half, centre * 100.0 + half
        else:
            moe = z * se * 100.0
            low, high = value - moe, value + moe
        low, high = np.maximum(low, -100.0), np.minimum(high, 100.0)
        if interval == "adjusted-wald":
            moe = (high - low) / 2.0
    empty = n == 0
    for a in (value, var, se, moe, low, high):
        a[empty] = np.nan
    return {"n": n, "value": value, "variance": var, "moe": moe, "ci_low": low, "ci_high": high}


def proportion_table(successes: Array, n: Array, *, interval: str = "wilson", z: float = Z95) -> Table:
    """value, moe, ci_low, ci_high in points per group (``csat.proportion_interval``)."""
    s, m = np.asarray(successes, dtype=np.int64), np.asarray(n, dtype=np.int64)
    sf, nf = _f(s), _f(m)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = sf / nf
        value = p * 100.0
        if interval == "wilson":
            denom = 1.0 + z * z / nf
            centre = (p + z * z / _f(2 * m)) / denom
            half = z * np.sqrt(np.maximum(p * (1 - p) / nf + z * z / _f(4 * m * m), 0.0)) / denom
            lo = np.where(s <= 0, 0.0, np.maximum(centre - half, 0.0))
            hi = np.where(s >= m, 1.0, np.minimum(centre + half, 1.0))
            moe, low, high = (hi - lo) * 50.0, lo * 100.0, hi * 100.0
        else:
            moe = z * np.sqrt(p * (1.0 - p) / nf) * 100.0
            low, high = np.maximum(value - moe, 0.0), np.minimum(value + moe, 100.0)
    empty = m <= 0
    for a in (value, moe, low, high):
        a[empty] = np.nan
    return {"n": m, "value": value, "moe": moe, "ci_low": low, "ci_high": high}


def mean_sd_table(values: Array, hist: Array) -> tuple[Array, Array, Array]:
    """n, mean and sample sd (n - 1) per row of a histogram matrix (``ces.mean_sd``)."""
    h = np.asarray(hist, dtype=np.int64)
    v = np.asarray(values, dtype=np.int64)
    n = h.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = _f(h @ v) / _f(n)
        ss = np.zeros(len(n))
        for j, vj in enumerate(v.tolist()):
            dev = vj - mean
            ss = ss + h[:, j] * (dev * dev)
        sd = np.sqrt(ss / _f(n - 1))
    sd[n < 2] = np.nan
    mean[n == 0] = np.nan
    return n, mean, sd


def ces_table(
    values: Array,
    hist: Array,
    agree: Array,
    disagree: Array,
    *,
    mode: str = "mean",
    interval: str = "t",
    z: float = Z95,
) -> Table:
    """CES per group (``ces.ces``): n, agree, neutral, disagree, mean, sd, value, moe, ci_low, ci_high."""
    n, mean, sd = mean_sd_table(values, hist)
    agree, disagree = np.asarray(agree, dtype=np.int64), np.asarray(disagree, dtype=np.int64)
    neutral = n - agree - disagree
    out: Table = {"n": n, "agree": agree, "neutral": neutral, "disagree": disagree, "mean": mean, "sd": sd}
    if mode == "mean":
        q = np.full(len(n), z)
        if interval == "t":
            sizes, where = np.unique(n, return_inverse=True)
            quantiles = np.array([t_quantile(float(s - 1)) if s >= 2 else z for s in sizes.tolist()])
            q = quantiles[where.reshape(-1)]
        with np.errstate(divide="ignore", invalid="ignore"):
            moe = np.where(n >= 2, q * sd / np.sqrt(_f(n)), np.nan)
        lo_v, hi_v = float(np.min(values)), float(np.max(values))
        low, high = np.maximum(mean - moe, lo_v), np.minimum(mean + moe, hi_v)
        out.update(value=mean, moe=moe, ci_low=low, ci_high=high)
    elif mode == "agree":
        t = proportion_table(agree, n, interval="wilson", z=z)
        out.update(value=t["value"], moe=t["moe"], ci_low=t["ci_low"], ci_high=t["ci_high"])
    else:
        t = nps_table(agree, neutral, disagree, z=z)
        out.update(value=t["value"], moe=t["moe"], ci_low=t["ci_low"], ci_high=t["ci_high"])
        out["variance"] = t["variance"]
    return out


def p_from_z(zs: Array) -> Array:
    """Two-sided normal p-values, element by element with ``stats.two_sided_p`` (the same digits)."""
    return np.array([two_sided_p(x) for x in _f(zs).tolist()], dtype=np.float64)


def nps_change(
    b_value: Array, b_var: Array, b_n: Array, a_value: Array, a_var: Array, a_n: Array
) -> tuple[Array, Array]:
    """Change in points and the two-sided p of the NPS z-test (``nps.nps_change_test``)."""
    delta = a_value - b_value
    with np.errstate(divide="ignore", invalid="ignore"):
        se = np.sqrt(b_var / _f(b_n) + a_var / _f(a_n))
        zs = (delta / 100.0) / se
    undefined = (b_n == 0) | (a_n == 0) | (se == 0.0)
    return delta, np.where(undefined, np.nan, p_from_z(np.where(undefined, 0.0, zs)))


def proportion_change(x1: Array, n1: Array, x2: Array, n2: Array) -> Array:
    """Two-sided p of the pooled two-proportion z-test for p2 - p1 (``stats.two_proportion_test``)."""
    x1, n1, x2, n2 = (np.asarray(a, dtype=np.int64) for a in (x1, n1, x2, n2))
    with np.errstate(divide="ignore", invalid="ignore"):
        pooled = _f(x1 + x2) / _f(n1 + n2)
        se = np.sqrt(pooled * (1.0 - pooled) * (1.0 / _f(n1) + 1.0 / _f(n2)))
        zs = (_f(x2) / _f(n2) - _f(x1) / _f(n1)) / se
    undefined = (n1 <= 0) | (n2 <= 0) | (se == 0.0)
    return np.where(undefined, np.nan, p_from_z(np.where(undefined, 0.0, zs)))


def welch_change(m1: Array, sd1: Array, n1: Array, m2: Array, sd2: Array, n2: Array) -> Array:
    """Two-sided p of Welch's t-test for two means (``stats.welch_test``)."""
    from scipy.special import stdtr

    n1f, n2f = _f(n1), _f(n2)
    with np.errstate(divide="ignore", invalid="ignore"):
        v1, v2 = sd1 * sd1 / n1f, sd2 * sd2 / n2f
        se2 = v1 + v2
        t = (m2 - m1) / np.sqrt(se2)
        df = se2 * se2 / (v1 * v1 / (n1f - 1) + v2 * v2 / (n2f - 1))
    undefined = (n1 < 2) | (n2 < 2) | np.isnan(sd1) | np.isnan(sd2) | (se2 == 0.0)
    safe_df, safe_t = np.where(undefined, 1.0, df), np.where(undefined, 0.0, t)
    return np.where(undefined, np.nan, 2.0 * stdtr(safe_df, -np.abs(safe_t)))
