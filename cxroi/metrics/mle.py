"""Maximum-likelihood fitting shared by the CLV models: optimise on the log of positive parameters, check
convergence, and standard errors from the observed information (the inverse Hessian of -log L, by
central finite differences in the parameters' own scale).

A fit that does not converge, lands on a boundary (a parameter at 1e-6 or 1e6 of its start) or gives a
Hessian that is not positive definite raises ``FitError``: a CLV tool must say "cannot fit" rather than
print parameters that maximise nothing.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from cxroi.errors import DataError


class FitError(DataError):
    """The model cannot be fitted to these data (exit 4); ``theta``: where the optimiser stopped."""

    theta: dict[str, float] | None = None


@dataclass(frozen=True)
class Fit:
    names: tuple[str, ...]
    values: tuple[float, ...]
    se: tuple[float, ...]  # NaN when the information matrix cannot be inverted
    loglik: float
    n: int  # observations (customers)
    iterations: int

    def __getitem__(self, name: str) -> float:
        return self.values[self.names.index(name)]

    def params(self) -> dict[str, dict[str, float]]:
        """``{name: {"value": ..., "se": ...}}`` for JSON."""
        return {k: {"value": v, "se": s} for k, v, s in zip(self.names, self.values, self.se, strict=True)}


def fit_positive(
    model: str,
    names: Sequence[str],
    loglik: Callable[[np.ndarray], float],
    start: Sequence[float],
    n: int,
    hint: str,
    rough: Callable[[np.ndarray], float] | None = None,
) -> Fit:
    """Maximise ``loglik(theta)`` over theta > 0 (every parameter positive), from ``start``: Nelder-Mead
    (on ``rough``, a cheaper likelihood of a sample, when given), then BFGS on the full likelihood."""
    from scipy.optimize import minimize

    def negative_of(f: Callable[[np.ndarray], float]) -> Callable[[np.ndarray], float]:
        def negative(log_theta: np.ndarray) -> float:
            with np.errstate(all="ignore"):
                value = -f(np.exp(log_theta))
            return value if math.isfinite(value) else 1e300

        return negative

    negative = negative_of(loglik)
    x0 = np.log(np.asarray(start, dtype=float))
    first = negative_of(rough or loglik)
    # tolerances relative to the likelihood's size: an absolute 1e-10 is below float resolution at 1e6
    fatol = 1e-12 * max(1.0, abs(first(x0)))
    best = minimize(
        first, x0, method="Nelder-Mead", options={"xatol": 1e-8, "fatol": fatol, "maxiter": 5_000}
    )
    if rough is not None:
        best.fun = negative(best.x)
    polish = minimize(negative, best.x, method="BFGS", options={"gtol": 1e-8, "maxiter": 2_000})
    result = polish if polish.fun <= best.fun else best
    theta = np.exp(result.x)
    ll = -float(result.fun)
    if not math.isfinite(ll) or ll <= -1e299:
        raise FitError(f"the {model} fit found no parameters with a finite likelihood", hint)
    if np.any(np.abs(result.x - x0) > math.log(1e6)) or np.any(theta > 1e8) or np.any(theta < 1e-8):
        shown = ", ".join(f"{k} = {v:.3g}" for k, v in zip(names, theta, strict=True))
        error = FitError(
            f"the {model} fit did not converge: a parameter ran off to a boundary ({shown})", hint
        )
        error.theta = dict(zip(names, (float(v) for v in theta), strict=True))
        raise error
    gradient = _gradient(loglik, theta)
    scale = max(1.0, abs(ll))
    if not np.all(np.isfinite(gradient)) or np.max(np.abs(gradient * theta)) > 1e-3 * scale:
        raise FitError(f"the {model} fit did not converge (the likelihood is still rising at the end)", hint)
    se = standard_errors(loglik, theta)
    iterations = int(getattr(best, "nit", 0)) + int(getattr(polish, "nit", 0))
    return Fit(tuple(names), tuple(float(v) for v in theta), tuple(se), ll, n, iterations)


def _gradient(f: Callable[[np.ndarray], float], theta: np.ndarray) -> np.ndarray:
    out = np.empty(len(theta))
    for i in range(len(theta)):
        h = 1e-6 * max(abs(theta[i]), 1e-3)
        up, down = theta.copy(), theta.copy()
        up[i] += h
        down[i] -= h
        out[i] = (f(up) - f(down)) / (2 * h)
    return out


def hessian(f: Callable[[np.ndarray], float], theta: np.ndarray) -> np.ndarray:
    """Central finite-difference Hessian of ``f`` at ``theta`` (steps relative to each parameter)."""
    k = len(theta)
    h = 1e-4 * np.maximum(np.abs(theta), 1e-3)
    out = np.empty((k, k))
    for i in range(k):
        for j in range(i, k):

            def at(di: float, dj: float, i: int = i, j: int = j) -> float:
                x = theta.copy()
                x[i] += di * h[i]
                x[j] += dj * h[j]
                return f(x)

            value = (at(1, 1) - at(1, -1) - at(-1, 1) + at(-1, -1)) / (4 * h[i] * h[j])
            out[i, j] = out[j, i] = value
    return out


def standard_errors(loglik: Callable[[np.ndarray], float], theta: np.ndarray) -> list[float]:
    """sqrt(diag(I^-1)), I = -Hessian of log L at the maximum; NaN when I is not positive definite."""
    info = -hessian(loglik, np.asarray(theta, dtype=float))
    try:
        np.linalg.cholesky(info)
        cov = np.linalg.inv(info)
    except np.linalg.LinAlgError:
        return [math.nan] * len(theta)
    return [math.sqrt(v) if v > 0 else math.nan for v in np.diag(cov)]
