"""Key-driver analysis: how much of the variance of the likelihood-to-recommend score each rated item
explains.

With the drivers' correlation matrix R_xx and their correlations r_xy with the score, the R² of the
linear model on a subset S of drivers is  R²(S) = r_yS' R_SS^-1 r_yS.

LMG (Lindeman, Merenda & Gold 1980), equal to the Shapley value of R² (Grömping 2007, "Estimators of
relative importance in linear regression based on variance decomposition", Am. Stat. 61): driver j's
share is the average, over all orders of the drivers, of the R² it adds when it enters:

    LMG_j = sum over S ⊆ others of |S|! (p - |S| - 1)! / p! * (R²(S ∪ {j}) - R²(S)),

computed exactly from all 2^p subsets (batched by subset size) up to ``EXACT_MAX`` = 15 drivers. Above
that, Johnson's relative weights (Johnson 2000, Multivariate Behav. Res. 35): with R_xx = V Λ V' and
Λ_half = V Λ^½ V', β = Λ_half^-1 r_xy and ε_j = Σ_k Λ_half[j, k]² β_k². Both add up to R²; shares are
reported as % of R². When the drivers are uncorrelated, both give r_yj² (the squared standardised effect).

Intervals: percentile bootstrap over answers (seeded); the direction is the sign of the driver's
coefficient in the full model; quadrants split importance and performance at their means.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np

EXACT_MAX = 15


@dataclass(frozen=True)
class DriverFit:
    shares: np.ndarray  # % of R² per driver (sum 100)
    r2: float
    coefficients: np.ndarray  # standardised, full model
    method: str  # "lmg" | "relative_weights"


def _correlations(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    data = np.column_stack([x, y])
    sd = data.std(axis=0)
    if np.any(sd == 0):
        raise ValueError("a driver (or the score) has the same value in every answer")
    z = (data - data.mean(axis=0)) / sd
    corr = (z.T @ z) / len(z)
    return corr[:-1, :-1], corr[:-1, -1]


def subset_r2(rxx: np.ndarray, rxy: np.ndarray) -> dict[int, float]:
    """R² of every subset of drivers, keyed by its bit mask (0: the empty model)."""
    p = len(rxy)
    out = {0: 0.0}
    for k in range(1, p + 1):
        combos = np.array(list(itertools.combinations(range(p), k)), dtype=np.int64)
        a = rxx[combos[:, :, None], combos[:, None, :]]
        b = rxy[combos]
        try:
            sol = np.linalg.solve(a, b[..., None])[..., 0]
        except np.linalg.LinAlgError:
            sol = np.stack([np.linalg.lstsq(ai, bi, rcond=None)[0] for ai, bi in zip(a, b, strict=True)])
        r2 = np.einsum("ij,ij->i", b, sol)
        masks = (1 << combos).sum(axis=1)
        out.update(zip(masks.tolist(), r2.tolist(), strict=True))
    return out


def lmg(rxx: np.ndarray, rxy: np.ndarray) -> np.ndarray:
    """LMG / Shapley decomposition of R² (absolute, adds up to R²)."""
    p = len(rxy)
    r2 = subset_r2(rxx, rxy)
    weight = [math.factorial(s) * math.factorial(p - s - 1) / math.factorial(p) for s in range(p)]
    out = np.zeros(p)
    for mask, value in r2.items():
        size = bin(mask).count("1")
        for j in range(p):
            if mask & (1 << j):
                continue
            out[j] += weight[size] * (r2[mask | (1 << j)] - value)
    return out


def relative_weights(rxx: np.ndarray, rxy: np.ndarray) -> np.ndarray:
    """Johnson's relative weights (absolute, add up to R²)."""
    vals, vecs = np.linalg.eigh(rxx)
    vals = np.clip(vals, 0.0, None)
    half = vecs @ np.diag(np.sqrt(vals)) @ vecs.T
    beta = np.linalg.lstsq(half, rxy, rcond=None)[0]
    weights: np.ndarray = (half**2) @ (beta**2)
    return weights


def fit(x: np.ndarray, y: np.ndarray, method: str = "auto") -> DriverFit:
    """Relative importance of the columns of ``x`` for ``y`` (see the module doc)."""
    rxx, rxy = _correlations(x, y)
    p = len(rxy)
    use = method if method != "auto" else ("lmg" if p <= EXACT_MAX else "relative_weights")
    raw = lmg(rxx, rxy) if use == "lmg" else relative_weights(rxx, rxy)
    coef = np.linalg.lstsq(rxx, rxy, rcond=None)[0]
    r2 = float(rxy @ coef)
    shares = 100.0 * raw / raw.sum() if raw.sum() > 0 else np.full(p, math.nan)
    return DriverFit(shares, r2, coef, use)


def bootstrap_shares(x: np.ndarray, y: np.ndarray, draws: int, seed: int, method: str = "auto") -> np.ndarray:
    """``draws`` × p matrix of shares on answers resampled with replacement (failed draws dropped)."""
    rng = np.random.default_rng(seed)
    n = len(y)
    out = []
    for _ in range(draws):
        idx = rng.integers(0, n, n)
        try:
            out.append(fit(x[idx], y[idx], method).shares)
        except (ValueError, np.linalg.LinAlgError):
            continue
    return np.array(out).reshape(len(out), x.shape[1])


def quadrant(importance: float, performance: float, mean_importance: float, mean_performance: float) -> str:
    high = importance >= mean_importance
    good = performance >= mean_performance
    if high and not good:
        return "fix first"
    if high:
        return "keep up"
    return "maintain" if good else "monitor"
