"""Goodness-of-fit statistics for comparing simulated and historical series.

Plain numpy functions. Every function takes ``simulated`` and ``observed`` array-likes of equal
length (aligned by year by the caller) and drops the pairs in which either value is NaN -
missing years of the (often sparse) historical data simply do not count. A ``ValueError`` is
raised when the arrays differ in length or too few valid pairs remain.

Sources
-------
* Sterman, J. D. (1984). Appropriate summary statistics for evaluating the historical fit of
  system dynamics models. *Dynamica* 10(2), 51-66. - MAPE, RMSE (root mean square error),
  R^2, and Theil's inequality statistics: the decomposition of the mean square error
  ``MSE = (S_bar - A_bar)^2 + (S_s - S_a)^2 + 2 (1 - r) S_s S_a`` into the fractions
  ``U^M`` (bias), ``U^S`` (unequal variation) and ``U^C`` (unequal covariation), which sum
  to 1. Standard deviations are population standard deviations (divide by n), which is what
  makes the identity exact.
* Theil, H. (1966). *Applied Economic Forecasting*. North-Holland. - the inequality
  coefficient ``U = RMSE / (sqrt(mean(S^2)) + sqrt(mean(A^2)))`` in [0, 1].
* Barlas, Y. (1996). Formal aspects of model validity and validation in system dynamics.
  *System Dynamics Review* 12(3), 183-210. - behaviour-pattern tests: comparison of means
  ``E1 = |S_bar - A_bar| / |A_bar|`` and comparison of amplitude variations
  ``E2 = |S_s - S_a| / S_a`` (standard deviations with divisor n).

Notation: ``S`` simulated, ``A`` actual (observed), ``n`` number of valid pairs.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

__all__ = [
    "paired",
    "mape",
    "rmse",
    "mse",
    "r_squared",
    "theil_u",
    "TheilDecomposition",
    "theil_decomposition",
    "barlas_mean_error",
    "barlas_amplitude_error",
    "fit_summary",
]


def paired(simulated, observed, min_pairs: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Return float arrays ``(S, A)`` restricted to positions where both are finite.

    Raises ``ValueError`` if the inputs are not 1-D of equal length or fewer than ``min_pairs``
    valid pairs remain.
    """
    s = np.asarray(simulated, dtype=float)
    a = np.asarray(observed, dtype=float)
    if s.ndim != 1 or a.ndim != 1:
        raise ValueError("simulated and observed must be 1-D")
    if s.shape != a.shape:
        raise ValueError(f"length mismatch: simulated {s.size}, observed {a.size}")
    ok = np.isfinite(s) & np.isfinite(a)
    if ok.sum() < min_pairs:
        raise ValueError(f"need at least {min_pairs} pairs with both values present, got {int(ok.sum())}")
    return s[ok], a[ok]


def mse(simulated, observed) -> float:
    """Mean square error ``(1/n) sum (S_t - A_t)^2`` (Sterman 1984)."""
    s, a = paired(simulated, observed)
    return float(np.mean((s - a) ** 2))


def rmse(simulated, observed) -> float:
    """Root mean square error ``sqrt(MSE)``, in the units of the data (Sterman 1984)."""
    return float(np.sqrt(mse(simulated, observed)))


def mape(simulated, observed) -> float:
    """Mean absolute percent error ``(100/n) sum |S_t - A_t| / |A_t|``, in percent (Sterman 1984).

    Raises ``ValueError`` if an observed value is 0 (the percentage is undefined).
    """
    s, a = paired(simulated, observed)
    if np.any(a == 0):
        raise ValueError("MAPE undefined: an observed value is zero")
    return float(100.0 * np.mean(np.abs(s - a) / np.abs(a)))


def r_squared(simulated, observed) -> float:
    """Coefficient of determination as used by Sterman (1984): the squared Pearson correlation r^2
    between simulated and observed, i.e. the fraction of the observed variance "explained" by the
    simulated series. Insensitive to bias and scale (use U^M, U^S for those).

    Returns NaN if either series has zero variance (needs at least 2 pairs).
    """
    s, a = paired(simulated, observed, min_pairs=2)
    ss, sa = s.std(), a.std()
    if ss == 0 or sa == 0:
        return float("nan")
    r = np.mean((s - s.mean()) * (a - a.mean())) / (ss * sa)
    return float(r * r)


def theil_u(simulated, observed) -> float:
    """Theil's inequality coefficient ``U = RMSE / (sqrt(mean(S^2)) + sqrt(mean(A^2)))`` (Theil 1966,
    as used in Sterman 1984). 0 = perfect fit, 1 = worst; NaN if both series are all zero.
    """
    s, a = paired(simulated, observed)
    denom = np.sqrt(np.mean(s ** 2)) + np.sqrt(np.mean(a ** 2))
    if denom == 0:
        return float("nan")
    return float(np.sqrt(np.mean((s - a) ** 2)) / denom)


class TheilDecomposition(NamedTuple):
    """Theil inequality proportions of the MSE (Sterman 1984); ``um + us + uc == 1``."""

    um: float  #: bias: (S_bar - A_bar)^2 / MSE
    us: float  #: unequal variation: (S_s - S_a)^2 / MSE
    uc: float  #: unequal covariation: 2 (1 - r) S_s S_a / MSE
    mse: float  #: the mean square error being decomposed


def theil_decomposition(simulated, observed) -> TheilDecomposition:
    """Decompose the MSE into the Theil inequality proportions U^M, U^S, U^C (Sterman 1984).

    With population standard deviations ``S_s``, ``S_a`` (divisor n) and correlation ``r``::

        MSE = (S_bar - A_bar)^2 + (S_s - S_a)^2 + 2 (1 - r) S_s S_a
        U^M = (S_bar - A_bar)^2 / MSE,  U^S = (S_s - S_a)^2 / MSE,  U^C = 2 (1 - r) S_s S_a / MSE

    so that U^M + U^S + U^C = 1. If one series is constant, r is undefined but the covariance term
    is 0, so U^C = 0. For a perfect fit (MSE = 0) the proportions are undefined and returned as NaN.
    """
    s, a = paired(simulated, observed)
    m = float(np.mean((s - a) ** 2))
    if m == 0.0:
        nan = float("nan")
        return TheilDecomposition(nan, nan, nan, 0.0)
    ss, sa = s.std(), a.std()
    bias = (s.mean() - a.mean()) ** 2
    var = (ss - sa) ** 2
    # 2 (1 - r) S_s S_a = 2 (S_s S_a - cov), which is also valid when S_s or S_a is 0
    cov = np.mean((s - s.mean()) * (a - a.mean()))
    covar = 2.0 * (ss * sa - cov)
    return TheilDecomposition(float(bias / m), float(var / m), float(covar / m), m)


def barlas_mean_error(simulated, observed) -> float:
    """Barlas (1996) comparison of means ``E1 = |S_bar - A_bar| / |A_bar|`` (a fraction, not %).

    Barlas suggests E1 < 0.05 as acceptable. Raises ``ValueError`` if the observed mean is 0.
    """
    s, a = paired(simulated, observed)
    am = a.mean()
    if am == 0:
        raise ValueError("mean error undefined: observed mean is zero")
    return float(abs(s.mean() - am) / abs(am))


def barlas_amplitude_error(simulated, observed) -> float:
    """Barlas (1996) comparison of amplitude variations ``E2 = |S_s - S_a| / S_a`` (a fraction),
    with population standard deviations (divisor n). Barlas suggests E2 < 0.30.

    Needs at least 2 pairs; raises ``ValueError`` if the observed series is constant.
    """
    s, a = paired(simulated, observed, min_pairs=2)
    sa = a.std()
    if sa == 0:
        raise ValueError("amplitude error undefined: observed series is constant")
    return float(abs(s.std() - sa) / sa)


def fit_summary(simulated, observed) -> dict[str, float]:
    """All statistics at once (NaN where a statistic is undefined for these data)."""
    out: dict[str, float] = {"n": float(paired(simulated, observed)[0].size)}
    for name, fn in (("mape", mape), ("rmse", rmse), ("r_squared", r_squared), ("theil_u", theil_u),
                     ("barlas_mean_error", barlas_mean_error),
                     ("barlas_amplitude_error", barlas_amplitude_error)):
        try:
            out[name] = fn(simulated, observed)
        except ValueError:
            out[name] = float("nan")
    d = theil_decomposition(simulated, observed)
    out.update({"mse": d.mse, "um": d.um, "us": d.us, "uc": d.uc})
    return out
