"""Global search (differential evolution) then local refinement (least squares).

Both run on the unit cube of the free parameters. Differential evolution is vectorised: each
generation's whole population is one engine batch (``vectorized=True``, ``updating='deferred'``).
The least-squares Jacobian (forward differences) is one batch of d+1 parameter sets. Everything is
seeded and the numpy backend is deterministic, so the same seed gives the same result.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import differential_evolution, least_squares

from .objective import Problem

FD_STEP = 1e-4  # forward-difference step in the unit cube


@dataclass
class Progress:
    """Progress reporter: called with (generation, maxiter, best objective, elapsed seconds)."""

    callback: object = None
    generation: int = 0
    started: float = field(default_factory=time.perf_counter)

    def __call__(self, best: float, maxiter: int, stage: str = "DE") -> None:
        self.generation += 1
        if self.callback is not None:
            self.callback(stage, self.generation, maxiter, best, time.perf_counter() - self.started)


@dataclass
class OptimizeResult:
    x: np.ndarray                 # best parameter values (parameter units)
    objective: float
    de_objective: float
    generations: int
    evaluations: int
    seconds: float
    ls_status: str
    jacobian: np.ndarray | None   # residual Jacobian at x, unit-cube coordinates
    residuals: np.ndarray


def _jacobian(problem: Problem, u: np.ndarray) -> np.ndarray:
    d = u.size
    steps = np.where(u + FD_STEP <= 1.0, FD_STEP, -FD_STEP)
    batch = np.repeat(u[None, :], d + 1, axis=0)
    batch[1:][np.arange(d), np.arange(d)] += steps
    r = problem.residuals(problem.to_params(batch))
    return ((r[1:] - r[0]) / steps[:, None]).T


def calibrate(problem: Problem, *, seed: int, popsize: int, maxiter: int, tol: float = 1e-6,
              mutation=(0.5, 1.0), recombination: float = 0.7, polish_max_nfev: int = 60,
              progress=None, objective=None) -> OptimizeResult:
    """Minimise the problem's objective (or ``objective``: (n, d) parameter sets -> (n,) values, e.g.
    the negative log-posterior; then there is no least-squares polish); returns the best point."""
    objective_fn = objective if objective is not None else problem.objective
    if objective is not None:
        polish_max_nfev = 0
    t0 = time.perf_counter()
    d = problem.dim
    prog = Progress(progress)
    best = [np.inf]

    def func(u_t: np.ndarray) -> np.ndarray:  # DE vectorised: u_t has shape (d, S)
        vals = objective_fn(problem.to_params(u_t.T))
        best[0] = min(best[0], float(np.min(vals)))
        return vals

    def on_generation(intermediate_result):
        prog(float(intermediate_result.fun), maxiter)

    de = differential_evolution(func, [(0.0, 1.0)] * d, seed=seed, popsize=popsize, maxiter=maxiter,
                                tol=tol, mutation=tuple(mutation), recombination=recombination,
                                init="latinhypercube", polish=False, vectorized=True,
                                updating="deferred", callback=on_generation)
    u_best, f_best = np.asarray(de.x, dtype=float), float(de.fun)
    status = "not run"
    if polish_max_nfev > 0:
        u0 = np.clip(u_best, 1e-9, 1 - 1e-9)

        def fun(u):
            return problem.residuals(problem.to_params(u))[0]

        ls = least_squares(fun, u0, jac=lambda u: _jacobian(problem, u), bounds=(0.0, 1.0),
                           method="trf", max_nfev=polish_max_nfev, x_scale=1.0)
        f_ls = float(np.sum(ls.fun ** 2))
        status = f"{ls.message} (nfev {ls.nfev}, njev {ls.njev})"
        if progress is not None:
            progress("LS", ls.nfev, polish_max_nfev, min(f_ls, f_best), time.perf_counter() - prog.started)
        if f_ls < f_best:
            u_best, f_best = np.asarray(ls.x, dtype=float), f_ls
    jac = _jacobian(problem, u_best)
    res = problem.residuals(problem.to_params(u_best))[0]
    return OptimizeResult(problem.to_params(u_best)[0], f_best, float(de.fun), int(de.nit),
                          problem.evaluations, time.perf_counter() - t0, status, jac, res)
