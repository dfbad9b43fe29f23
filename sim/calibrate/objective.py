"""The calibration objective on the batched engine: many parameter sets -> residuals in one run.

Parameters live in the unit cube (``u`` in [0, 1]^d maps linearly to each free parameter's
bounds). Every lever stays at its BAU default and every other uncertain constant at its model
default. Residual of target ``t`` at an observed year::

    r = sqrt(weight_t / n_t) * (simulated - observed) / |observed|     (relative error model)
    r = sqrt(weight_t / n_t) * (simulated - observed) / sigma_t        (absolute error model)

so the objective ``sum(r**2)`` is the weighted sum over series of the mean squared error.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import geography, levers as levers_mod
from .config import Config
from .targets import Target, TargetSet, evaluate

NAN_RESIDUAL = 1e3  # a failed (NaN/inf) simulation counts as a huge miss, never as a fit


@dataclass
class Problem:
    """Targets + free parameters + engine, evaluated for whole batches of parameter sets."""

    model: object               # sim.engine CompiledModel
    config: Config
    targets: TargetSet          # all targets (fitted and reported)
    end_year: int               # fitted observations up to this year

    def __post_init__(self):
        self.names = self.config.names
        self.low = np.array([p.low for p in self.config.free])
        self.high = np.array([p.high for p in self.config.free])
        self.fitted = [t for t in self.targets.fitted() if (t.observed.index <= self.end_year).any()]
        self.outputs = self.targets.model_variables()
        last = max(int(t.observed.index.max()) for t in self.targets.targets)
        self.final_time = float(min(max(last, 1991), self.model.time.final))
        self.base = dict(levers_mod.defaults())
        self._obs = {}
        for t in self.targets.targets:
            obs = t.observed
            self._obs[t.name] = (obs.index.to_numpy(dtype=int), obs.to_numpy(dtype=float))
        self._fit_masks = {t.name: self._obs[t.name][0] <= self.end_year for t in self.fitted}
        self.n_residuals = int(sum(m.sum() for m in self._fit_masks.values()))
        self.evaluations = 0

    # --- parameter space ------------------------------------------------------------------------
    @property
    def dim(self) -> int:
        return len(self.names)

    def to_params(self, u: np.ndarray) -> np.ndarray:
        u = np.atleast_2d(np.asarray(u, dtype=float))
        return self.low + u * (self.high - self.low)

    def to_unit(self, x: np.ndarray) -> np.ndarray:
        return (np.asarray(x, dtype=float) - self.low) / (self.high - self.low)

    # --- simulation -----------------------------------------------------------------------------
    def simulate(self, x: np.ndarray, targets: list[Target] | None = None,
                 final_time: float | None = None) -> dict[str, np.ndarray]:
        """Model values at each target's observed years: name -> (n, k). ``x`` is (n, d) in
        parameter units."""
        x = np.atleast_2d(np.asarray(x, dtype=float))
        n = x.shape[0]
        params = dict(self.base)
        for j, name in enumerate(self.names):
            params[name] = x[:, j]
        ds = self.model.run(params, n=n, outputs=self.outputs, backend="numpy",
                            final_time=final_time or self.final_time)
        self.evaluations += n
        arrays = {v: np.asarray(ds[v].values, dtype=float) for v in self.outputs}
        for v, a in arrays.items():
            if a.ndim == 1:  # scalar variable with n == 1 squeezed? keep (sample, time)
                arrays[v] = a[None, :]
        dim = geography.REGION_DIM
        regions = [str(r) for r in ds[dim].values] if dim in ds.dims else []
        region_index = {r: i for i, r in enumerate(regions)}
        times = np.rint(ds["time"].values).astype(int)
        pos = {y: i for i, y in enumerate(times)}
        out = {}
        for t in (targets if targets is not None else self.targets.targets):
            years = self._obs[t.name][0]
            full = evaluate(t, arrays, region_index)
            idx = [pos.get(int(y), -1) for y in years]
            vals = np.full((n, len(years)), np.nan)
            ok = [i for i, k in enumerate(idx) if k >= 0]
            if ok:
                vals[:, ok] = full[:, [idx[i] for i in ok]]
            out[t.name] = vals
        return out

    def trajectories(self, x: np.ndarray, final_time: float | None = None):
        """Full model trajectories of every target expression: (years, name -> (n, T))."""
        x = np.atleast_2d(np.asarray(x, dtype=float))
        params = dict(self.base)
        for j, name in enumerate(self.names):
            params[name] = x[:, j]
        ds = self.model.run(params, n=x.shape[0], outputs=self.outputs, backend="numpy",
                            final_time=final_time or self.final_time)
        arrays = {v: np.asarray(ds[v].values, dtype=float) for v in self.outputs}
        dim = geography.REGION_DIM
        regions = [str(r) for r in ds[dim].values] if dim in ds.dims else []
        region_index = {r: i for i, r in enumerate(regions)}
        years = np.rint(ds["time"].values).astype(int)
        return years, {t.name: evaluate(t, arrays, region_index) for t in self.targets.targets}

    def residuals(self, x: np.ndarray) -> np.ndarray:
        """Weighted residuals (n, m) of the fitted targets (observations <= end_year)."""
        sims = self.simulate(x, self.fitted)
        cols = []
        for t in self.fitted:
            mask = self._fit_masks[t.name]
            obs = self._obs[t.name][1][mask]
            sim = sims[t.name][:, mask]
            scale = np.abs(obs) if t.error == "relative" else t.sigma
            r = np.sqrt(t.weight / mask.sum()) * (sim - obs) / scale
            cols.append(r)
        r = np.concatenate(cols, axis=1)
        return np.nan_to_num(r, nan=NAN_RESIDUAL, posinf=NAN_RESIDUAL, neginf=-NAN_RESIDUAL)

    def objective(self, x: np.ndarray) -> np.ndarray:
        """Objective per parameter set (n,)."""
        r = self.residuals(x)
        return np.sum(r * r, axis=1)

    def series_contributions(self, x: np.ndarray) -> dict[str, float]:
        """Objective contribution of each fitted target for one parameter set."""
        r = self.residuals(x)[0]
        out, k = {}, 0
        for t in self.fitted:
            m = int(self._fit_masks[t.name].sum())
            out[t.name] = float(np.sum(r[k:k + m] ** 2))
            k += m
        return out
