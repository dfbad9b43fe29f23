"""Parameter uncertainty: a likelihood-weighted (importance) sample around the optimum.

Likelihood: Gaussian in the weighted residuals, ``L(u) ~ exp(-J(u) / (2 s2))``, with the noise
variance ``s2 = J_min / n_series`` chosen so that at the optimum each fitted series contributes
one unit of chi-square (model structural error included, a deliberately wide choice). Prior:
uniform on the free parameters' bounds. Proposal: a Gaussian around the optimum (unit-cube
coordinates) with covariance ``inflation^2 * inv(J^T J / s2 + 12 I)`` (the Laplace approximation,
regularised by the variance of the uniform prior, 1/12). All proposals run in one engine batch;
weights = likelihood x prior / proposal; ``size`` draws are taken by seeded systematic resampling.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .objective import Problem

INFLATION = 1.5


@dataclass
class EnsembleResult:
    frame: pd.DataFrame    # draw, loss, then one column per free parameter
    ess: float             # effective sample size of the importance weights
    proposals: int
    noise_variance: float


def sample(problem: Problem, x_best: np.ndarray, jac: np.ndarray, j_min: float, *, size: int,
           proposals: int, seed: int) -> EnsembleResult:
    """Importance-weighted ensemble of ``size`` parameter sets."""
    rng = np.random.default_rng(seed)
    d = problem.dim
    n_series = max(1, len(problem.fitted))
    s2 = max(j_min, 1e-12) / n_series
    u0 = problem.to_unit(x_best).ravel()
    precision = jac.T @ jac / s2 + 12.0 * np.eye(d)
    cov = INFLATION ** 2 * np.linalg.inv(precision)
    cov = (cov + cov.T) / 2
    chol = np.linalg.cholesky(cov)
    z = rng.standard_normal((proposals, d))
    u = u0 + z @ chol.T
    inside = np.all((u >= 0) & (u <= 1), axis=1)
    log_q = -0.5 * np.sum(z * z, axis=1)  # up to a constant (same for all proposals)
    loss = np.full(proposals, np.inf)
    if inside.any():
        loss[inside] = problem.objective(problem.to_params(u[inside]))
    log_w = np.where(inside, -0.5 * loss / s2 - log_q, -np.inf)
    log_w -= np.max(log_w)
    w = np.exp(log_w)
    w /= w.sum()
    ess = float(1.0 / np.sum(w * w))
    positions = (rng.random() + np.arange(size)) / size
    idx = np.searchsorted(np.cumsum(w), positions, side="left")
    idx = np.minimum(idx, proposals - 1)
    x = problem.to_params(u[idx])
    frame = pd.DataFrame(x, columns=problem.names)
    frame.insert(0, "loss", loss[idx])
    frame.insert(0, "draw", np.arange(1, size + 1))
    return EnsembleResult(frame, ess, proposals, s2)
