"""The calibration likelihood (v2): per-series error scales and AR(1) residuals, both marginalised.

For every fitted target ``s`` with observations ``y_st`` at years ``t_1 < ... < t_n`` (only years
``<= end_year``) and model values ``m_st(theta)`` the residual is

* ``e = log(m / y)`` for ``error = "relative"`` (all observations positive: a relative error that is
  symmetric and keeps predictive draws positive), ``(m - y) / |y|`` if an observation is <= 0;
* ``e = (m - y) / sigma_t`` for ``error = "absolute"`` (``sigma_t`` from targets.toml).

Error model per series: ``e_t = sigma_s * eps_t`` with ``eps`` a stationary AR(1) process in
*calendar time*: ``eps_t = phi_t eps_{t-1} + sqrt(1 - phi_t^2) eta_t``, ``phi_t = rho_s^(t_k - t_{k-1})``
(so irregularly spaced points are handled exactly), ``eta`` iid N(0, 1).

Nuisance parameters are integrated out, not fixed:

* ``sigma_s^2 ~ InvGamma(a, b)`` with ``a = error_prior_shape`` and ``b = a * s0^2``, ``s0`` =
  ``error_prior_scale`` for relative targets (1 = one ``sigma_t`` for absolute targets), i.e. the
  prior is worth ``2a`` pseudo-observations of variance ``s0^2`` (``E[1/sigma^2] = 1/s0^2``).
  Default ``a = 0.5``, ``s0 = 0.02``: ONE pseudo-observation of a 2 % error, so the data dominate
  from two points on, and a single-point series gets a Cauchy (Student-t, 1 dof) likelihood of
  scale 2 %: it pulls the fit when it can be met and costs only log(miss) when it cannot.
  Integrated analytically (Student-t-type marginal; proper for every n >= 1).
* ``rho_s`` uniform on a grid ``0 .. rho_max`` (20 points), integrated numerically (log-sum-exp).

The log-likelihood of the parameters is ``sum_s w_s * log L_s(theta)``, ``w_s`` = the target's
``weight`` (1 = full likelihood; < 1 down-weights a series that repeats information of another,
e.g. urban population vs urbanisation rate: a power likelihood, stated in targets.toml).

Given ``theta``, the posterior of ``(rho_s, sigma_s)`` is exact on the grid x inverse-gamma:
:meth:`ErrorModel.draw_errors` samples it, and :meth:`ErrorModel.predictive` turns model values
plus such draws into replicated observations (posterior predictive, observation error included).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import gammaln, logsumexp

BAD_LOGLIK = -1e12  # failed simulation (NaN, non-positive value for a log residual)


@dataclass
class SeriesError:
    name: str
    years: np.ndarray        # observation years used (int)
    obs: np.ndarray          # observed values
    kind: str                # "log" | "relative" | "absolute"
    scale: float             # sigma_t for absolute targets, else 1
    weight: float
    mask: np.ndarray         # mask into the target's full observation vector
    dt: np.ndarray           # year gaps (n-1,)

    @property
    def n(self) -> int:
        return len(self.years)


def coverage(obs: np.ndarray, samples: np.ndarray, levels=(0.5, 0.9)) -> dict[float, np.ndarray]:
    """Is each observation inside the central predictive interval of each level?

    ``obs`` (m,), ``samples`` (K, m): K predictive draws per observation. The interval of level
    ``l`` is [quantile (1 - l)/2, quantile (1 + l)/2] of the draws (numpy's linear quantile).
    Returns level -> boolean (m,) array."""
    obs = np.asarray(obs, dtype=float)
    samples = np.asarray(samples, dtype=float)
    out = {}
    for lev in levels:
        lo = np.nanquantile(samples, (1 - lev) / 2, axis=0)
        hi = np.nanquantile(samples, (1 + lev) / 2, axis=0)
        out[lev] = (obs >= lo) & (obs <= hi)
    return out


class ErrorModel:
    """Likelihood of the fitted targets of a :class:`~sim.calibrate.objective.Problem`."""

    def __init__(self, problem, *, prior_scale: float = 0.02, prior_shape: float = 0.5,
                 rho_max: float = 0.95, n_rho: int = 20, targets=None, end_year: int | None = None):
        if prior_shape <= 0 or prior_scale <= 0:
            raise ValueError("error_prior_shape and error_prior_scale must be > 0")
        self.problem = problem
        self.shape = float(prior_shape)
        self.rho = np.linspace(0.0, float(rho_max), int(n_rho)) if n_rho > 1 else np.zeros(1)
        self.end_year = int(problem.end_year if end_year is None else end_year)
        self.targets = list(problem.fitted if targets is None else targets)
        self.series: list[SeriesError] = []
        self.prior_scale: list[float] = []
        for t in self.targets:
            years, obs = problem._obs[t.name]
            mask = years <= self.end_year
            yrs, ob = years[mask], obs[mask]
            if t.error == "relative":
                kind, scale, s0 = ("log" if np.all(ob > 0) else "relative"), 1.0, float(prior_scale)
            else:
                kind, scale, s0 = "absolute", float(t.sigma), 1.0
            self.series.append(SeriesError(t.name, yrs, ob, kind, scale, float(t.weight), mask,
                                           np.diff(yrs).astype(float)))
            self.prior_scale.append(s0)
        self.names = [s.name for s in self.series]

    # --- residuals and likelihood -------------------------------------------------------------
    def residual(self, s: SeriesError, sim: np.ndarray) -> np.ndarray:
        """Residuals (n_sets, n_obs) of series ``s`` from model values ``sim`` at its years."""
        if s.kind == "log":
            with np.errstate(divide="ignore", invalid="ignore"):
                return np.log(np.where(sim > 0, sim, np.nan) / s.obs)
        if s.kind == "relative":
            return (sim - s.obs) / np.abs(s.obs)
        return (sim - s.obs) / s.scale

    def _sims(self, sims: dict) -> list[np.ndarray]:
        return [sims[s.name][:, s.mask] for s in self.series]

    def _grid_terms(self, s: SeriesError, e: np.ndarray):
        """Quadratic form Q (n, G) and log-determinant (G,) of the AR(1) correlation on the grid."""
        if s.n == 1:
            return e[:, :1] ** 2 * np.ones((1, len(self.rho))), np.zeros(len(self.rho))
        phi = self.rho[:, None] ** s.dt[None, :]                      # (G, n-1)
        one_m = 1.0 - phi ** 2
        diff = e[:, None, 1:] - phi[None] * e[:, None, :-1]          # (n, G, n-1)
        q = e[:, None, 0] ** 2 + np.sum(diff ** 2 / one_m[None], axis=2)
        return q, np.sum(np.log(one_m), axis=1)

    def _grid_loglik(self, k: int, e: np.ndarray) -> np.ndarray:
        s = self.series[k]
        a = self.shape
        b = a * self.prior_scale[k] ** 2
        q, logdet = self._grid_terms(s, e)
        n = s.n
        return (-0.5 * logdet[None] - 0.5 * n * np.log(2 * np.pi) + a * np.log(b) - gammaln(a)
                + gammaln(a + n / 2) - (a + n / 2) * np.log(b + q / 2))

    def series_loglik(self, sims: dict) -> np.ndarray:
        """Marginal log-likelihood of every series (n_sets, S), unweighted."""
        out = []
        for k, (s, sim) in enumerate(zip(self.series, self._sims(sims))):
            e = self.residual(s, sim)
            bad = ~np.all(np.isfinite(e), axis=1)
            e = np.where(np.isfinite(e), e, 0.0)
            ll = logsumexp(self._grid_loglik(k, e), axis=1) - np.log(len(self.rho))
            out.append(np.where(bad, BAD_LOGLIK, ll))
        return np.stack(out, axis=1) if out else np.zeros((next(iter(sims.values())).shape[0], 0))

    def loglik(self, sims: dict) -> np.ndarray:
        """Weighted log-likelihood (n_sets,)."""
        w = np.array([s.weight for s in self.series])
        return self.series_loglik(sims) @ w

    def standardized(self, sims: dict, sigma: np.ndarray | None = None) -> np.ndarray:
        """Residuals divided by the series' error scale, times sqrt(weight), concatenated (n, m).
        ``sigma`` (S,) defaults to the posterior mean of sigma at rho = 0 of the first set."""
        cols = []
        for k, (s, sim) in enumerate(zip(self.series, self._sims(sims))):
            e = np.nan_to_num(self.residual(s, sim), nan=10.0, posinf=10.0, neginf=-10.0)
            sg = sigma[k] if sigma is not None else self.sigma_hat(e[0], k)
            cols.append(np.sqrt(s.weight) * e / sg)
        return np.concatenate(cols, axis=1)

    def sigma_hat(self, e: np.ndarray, k: int) -> float:
        a = self.shape
        b = a * self.prior_scale[k] ** 2
        return float(np.sqrt((b + 0.5 * np.sum(e ** 2)) / (a + 0.5 * len(e) + 1.0)))  # posterior mode

    # --- posterior of the error parameters and predictive draws -------------------------------------
    def draw_errors(self, sims: dict, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """One draw of (sigma, rho) per parameter set from p(sigma, rho | theta, data): (n, S) each."""
        sig, rho = [], []
        for k, (s, sim) in enumerate(zip(self.series, self._sims(sims))):
            e = np.nan_to_num(self.residual(s, sim), nan=10.0, posinf=10.0, neginf=-10.0)
            ll = self._grid_loglik(k, e)                              # (n, G)
            p = np.exp(ll - ll.max(axis=1, keepdims=True))
            p /= p.sum(axis=1, keepdims=True)
            cum = np.cumsum(p, axis=1)
            g = np.minimum((cum < rng.random((len(e), 1))).sum(axis=1), len(self.rho) - 1)
            q, _ = self._grid_terms(s, e)
            qg = q[np.arange(len(e)), g]
            a = self.shape
            b = a * self.prior_scale[k] ** 2
            s2 = (b + qg / 2) / rng.gamma(a + s.n / 2, 1.0, size=len(e))
            sig.append(np.sqrt(s2))
            rho.append(self.rho[g])
        return np.stack(sig, axis=1), np.stack(rho, axis=1)

    def noise(self, years: np.ndarray, sigma: np.ndarray, rho: np.ndarray, rng: np.random.Generator,
              reps: int) -> np.ndarray:
        """AR(1) residual paths at ``years`` for parameter sets (n,): (n, reps, len(years))."""
        n = len(sigma)
        eps = np.empty((n, reps, len(years)))
        eps[:, :, 0] = rng.standard_normal((n, reps))
        dt = np.diff(years).astype(float)
        for j in range(1, len(years)):
            phi = (rho ** dt[j - 1])[:, None]
            eps[:, :, j] = phi * eps[:, :, j - 1] + np.sqrt(1 - phi ** 2) * rng.standard_normal((n, reps))
        return sigma[:, None, None] * eps

    def replicate(self, s: SeriesError, sim: np.ndarray, resid: np.ndarray) -> np.ndarray:
        """Replicated observations from model values (n, m) and residuals (n, reps, m)."""
        if s.kind == "log":
            return sim[:, None, :] * np.exp(-resid)
        if s.kind == "relative":
            return sim[:, None, :] - resid * np.abs(s.obs)
        return sim[:, None, :] - resid * s.scale
