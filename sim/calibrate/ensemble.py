"""Parameter uncertainty: a posterior ensemble from a batched affine-invariant MCMC.

Likelihood: Gaussian in the weighted residuals, ``L(u) ~ exp(-J(u) / (2 s2))``, with the noise
variance ``s2 = J_min / n_series`` chosen so that at the optimum each fitted series contributes
one unit of chi-square (model structural error included: a deliberately wide choice). Prior:
uniform on the free parameters' bounds. Sampler: the stretch move of Goodman & Weare (2010), as
in emcee, written so that each half-ensemble update is one batch of the numpy engine.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import truncnorm

from .objective import Problem

STRETCH = 2.0  # emcee's default stretch scale a


@dataclass
class EnsembleResult:
    frame: pd.DataFrame    # draw, loss, then one column per free parameter
    acceptance: float      # MCMC acceptance fraction
    proposals: int
    noise_variance: float


def sample(problem: Problem, x_best: np.ndarray, jac: np.ndarray, j_min: float, *, size: int,
           proposals: int, seed: int, steps: int | None = None) -> EnsembleResult:
    """Posterior ensemble of ``size`` parameter sets.

    Affine-invariant ensemble MCMC (Goodman & Weare 2010 stretch move, as in emcee) with
    ``2 * d`` walkers updated in two halves, each half one engine batch. Walkers start around the
    optimum (Laplace proposal below); ``proposals`` bounds the number of model evaluations (walkers
    x steps); the second half of the chain is kept and ``size`` draws are taken at even intervals.
    """
    rng = np.random.default_rng(seed)
    d = problem.dim
    n_series = max(1, len(problem.fitted))
    s2 = max(j_min, 1e-12) / n_series
    u0 = np.clip(problem.to_unit(x_best).ravel(), 0.0, 1.0)
    precision = jac.T @ jac / s2 + 12.0 * np.eye(d)
    sd = 0.5 / np.sqrt(np.diag(precision))
    walkers = 2 * d + (2 * d) % 2
    a, b = (0.0 - u0) / sd, (1.0 - u0) / sd
    pos = truncnorm.rvs(a, b, loc=u0, scale=sd, size=(walkers, d), random_state=rng)
    pos[0] = u0
    loss = problem.objective(problem.to_params(pos))
    steps = steps or max(4, proposals // walkers)
    half = walkers // 2
    chain, chain_loss = [], []
    accepted = 0
    for _ in range(steps):
        for first in (True, False):
            act = slice(0, half) if first else slice(half, walkers)
            oth = slice(half, walkers) if first else slice(0, half)
            partners = pos[oth][rng.integers(0, half, size=half)]
            zz = ((STRETCH - 1.0) * rng.random(half) + 1.0) ** 2 / STRETCH
            prop = partners + zz[:, None] * (pos[act] - partners)
            inside = np.all((prop >= 0) & (prop <= 1), axis=1)
            new_loss = np.full(half, np.inf)
            if inside.any():
                new_loss[inside] = problem.objective(problem.to_params(prop[inside]))
            log_r = (d - 1) * np.log(zz) - 0.5 * (new_loss - loss[act]) / s2
            accept = inside & (np.log(rng.random(half)) < log_r)
            idx = np.arange(walkers)[act][accept]
            pos[idx] = prop[accept]
            loss[idx] = new_loss[accept]
            accepted += int(accept.sum())
        chain.append(pos.copy())
        chain_loss.append(loss.copy())
    keep_u = np.concatenate(chain[steps // 2:])
    keep_loss = np.concatenate(chain_loss[steps // 2:])
    pick = np.linspace(0, len(keep_u) - 1, size).round().astype(int)
    x = problem.to_params(keep_u[pick])
    frame = pd.DataFrame(x, columns=problem.names)
    frame.insert(0, "loss", keep_loss[pick])
    frame.insert(0, "draw", np.arange(1, size + 1))
    return EnsembleResult(frame, accepted / (steps * walkers), steps * walkers, s2)
