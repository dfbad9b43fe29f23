"""Posterior sampling with emcee's vectorised EnsembleSampler (every walker update = one engine batch).

Parameters live in the unit cube of the free parameters (uniform prior on their bounds; outside
the cube the log-posterior is -inf and the model is not run). Moves: differential-evolution
(ter Braak 2006; Nelson et al. 2014) 80 % and DE-snooker 20 % (ter Braak & Vrugt 2008), which mix
better than the stretch move in 30-50 dimensions. Walkers start from a Laplace approximation
around the best point of the global search (Gauss-Newton precision of the standardised residuals),
truncated to the cube. Diagnostics: integrated autocorrelation time per parameter (emcee,
Goodman & Weare 2010 / Sokal), effective sample size = walkers x kept steps / tau, acceptance
fraction, and the chain-length criterion kept steps >= 50 tau (emcee documentation).
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from scipy.stats import truncnorm


@dataclass
class McmcResult:
    chain: np.ndarray          # (steps, walkers, d) unit cube
    log_prob: np.ndarray       # (steps, walkers)
    burn: int
    tau: np.ndarray            # (d,) integrated autocorrelation time in steps
    acceptance: float
    seconds: float

    @property
    def walkers(self) -> int:
        return self.chain.shape[1]

    @property
    def kept_steps(self) -> int:
        return self.chain.shape[0] - self.burn

    @property
    def ess(self) -> np.ndarray:
        return self.walkers * self.kept_steps / np.maximum(self.tau, 1.0)

    def flat(self) -> tuple[np.ndarray, np.ndarray]:
        """Kept samples (N, d) and their log-posterior (N,), step-major order."""
        c = self.chain[self.burn:]
        lp = self.log_prob[self.burn:]
        return c.reshape(-1, c.shape[-1]), lp.reshape(-1)

    def rhat(self) -> np.ndarray:
        """Split R-hat per parameter (Gelman et al. 2013), every walker's kept chain split in two
        halves and treated as a chain. Walkers of an ensemble are not independent: read it as a
        between-walker stationarity check next to tau, not as a proof of convergence."""
        c = self.chain[self.burn:]
        n = c.shape[0] // 2
        if n < 2:
            return np.full(c.shape[-1], np.nan)
        chains = np.concatenate([c[:n], c[n:2 * n]], axis=1)          # (n, 2W, d)
        means = chains.mean(axis=0)
        b = n * means.var(axis=0, ddof=1)
        w = chains.var(axis=0, ddof=1).mean(axis=0)
        var = (n - 1) / n * w + b / n
        return np.sqrt(var / np.maximum(w, 1e-300))

    def diagnostics(self) -> dict:
        tau = self.tau
        rh = self.rhat()
        return {"walkers": int(self.walkers), "steps": int(self.chain.shape[0]), "burn": int(self.burn),
                "acceptance": round(float(self.acceptance), 4),
                "tau_mean": round(float(np.nanmean(tau)), 2), "tau_max": round(float(np.nanmax(tau)), 2),
                "steps_over_tau_max": round(float(self.kept_steps / np.nanmax(tau)), 2),
                "ess_min": round(float(np.nanmin(self.ess)), 1), "ess_median": round(float(np.nanmedian(self.ess)), 1),
                "converged_50tau": bool(self.kept_steps >= 50 * np.nanmax(tau)),
                "rhat_max": round(float(np.nanmax(rh)), 3), "rhat_median": round(float(np.nanmedian(rh)), 3),
                "seconds": round(self.seconds, 1)}


def initial_walkers(u0: np.ndarray, precision: np.ndarray, walkers: int, rng: np.random.Generator,
                    widen: float = 1.0) -> np.ndarray:
    """Truncated-normal ball around ``u0`` with the Laplace standard deviations (diagonal)."""
    d = len(u0)
    sd = widen / np.sqrt(np.maximum(np.diag(precision), 1e-12))
    sd = np.clip(sd, 1e-4, 0.25)
    u0 = np.clip(u0, 1e-9, 1 - 1e-9)
    a, b = (0.0 - u0) / sd, (1.0 - u0) / sd
    pos = truncnorm.rvs(a, b, loc=u0, scale=sd, size=(walkers, d), random_state=rng)
    pos[0] = u0
    return pos


def run(log_prob_u, p0: np.ndarray, *, steps: int, burn_fraction: float, seed: int, progress=None) -> McmcResult:
    """Run emcee from ``p0`` (walkers, d); ``log_prob_u`` maps (k, d) unit-cube points to (k,)."""
    import emcee

    walkers, d = p0.shape
    moves = [(emcee.moves.DEMove(), 0.8), (emcee.moves.DESnookerMove(), 0.2)]
    sampler = emcee.EnsembleSampler(walkers, d, log_prob_u, vectorize=True, moves=moves)
    sampler.random_state = np.random.RandomState(seed % (2**32)).get_state()
    t0 = time.perf_counter()
    best = -np.inf
    for i, state in enumerate(sampler.sample(p0, iterations=steps, skip_initial_state_check=True), start=1):
        best = max(best, float(np.max(state.log_prob)))
        if progress is not None:
            progress(i, steps, -best, time.perf_counter() - t0)
    burn = int(round(burn_fraction * steps))
    chain = sampler.get_chain()
    lp = sampler.get_log_prob()
    tau = integrated_time(chain[burn:])
    return McmcResult(chain, lp, burn, tau, float(np.mean(sampler.acceptance_fraction)),
                      time.perf_counter() - t0)


def integrated_time(chain: np.ndarray, c: float = 5.0) -> np.ndarray:
    """Integrated autocorrelation time per parameter of an ensemble chain (steps, walkers, d):
    emcee's estimator (walker-averaged autocorrelation, Sokal's automatic window c = 5) without
    its 'chain too short' exception (the ratio steps / tau is reported instead)."""
    from emcee.autocorr import function_1d

    n, w, d = chain.shape
    tau = np.empty(d)
    for j in range(d):
        f = np.zeros(n)
        for k in range(w):
            x = chain[:, k, j]
            if np.ptp(x) > 0:
                f += function_1d(x)
        f /= w
        taus = 2.0 * np.cumsum(f) - 1.0
        m = np.arange(len(taus)) < c * taus
        window = int(np.argmin(m)) if np.any(~m) else len(taus) - 1
        tau[j] = taus[window] if np.any(f) else np.nan
    return tau
