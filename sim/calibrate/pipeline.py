"""The whole calibration run (v2): posterior mode, emcee ensemble, optional hindcast -> calibrated.toml +
ensemble.csv (+ ensemble_hindcast.csv)."""
from __future__ import annotations

import datetime as _dt
import os
import platform
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import OasisError
from ..io import atomic_write
from ..model import REPO_ROOT
from . import mcmc as mcmc_mod, predictive as predictive_mod
from .config import Config, load_config
from .likelihood import ErrorModel
from .objective import Problem
from .optimize import calibrate
from .result import sha256_file, write_calibrated
from .targets import TargetSet, load_targets

DATA_FILE = REPO_ROOT / "calibration" / "data" / "series.csv"


@dataclass
class Setup:
    config: Config
    model: object
    targets: TargetSet

    def problem(self, end_year: int | None = None) -> Problem:
        return Problem(self.model, self.config, self.targets,
                       end_year=int(end_year if end_year is not None else self.config.settings["end_year"]))


def setup(config_path: Path | str | None = None, *, config: Config | None = None,
          targets: TargetSet | None = None) -> Setup:
    """Load config, compile the model, load the targets (all validated)."""
    from .. import engine

    cfg = config or (load_config(config_path) if config_path else load_config())
    model_path = cfg.model_path()
    if not model_path.exists():
        raise OasisError(f"{cfg.path}: model file not found: {model_path}")
    model = engine.compile(model_path)
    tset = targets or load_targets(cfg.targets_path(), variables=model.variables)
    return Setup(cfg, model, tset)


def _fit(problem: Problem, s: dict, seed: int, progress, objective=None):
    return calibrate(problem, seed=seed, popsize=s["popsize"], maxiter=s["maxiter"], tol=s["tol"],
                     mutation=s["mutation"], recombination=s["recombination"],
                     polish_max_nfev=s["polish_max_nfev"], progress=progress, objective=objective)


def _rel(path: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(REPO_ROOT))
    except ValueError:
        return str(path)


def error_model(problem: Problem, s: dict) -> ErrorModel:
    return ErrorModel(problem, prior_scale=s["error_prior_scale"], prior_shape=s["error_prior_shape"],
                      rho_max=s["ar1_rho_max"])


def laplace_precision(problem: Problem, em: ErrorModel, u: np.ndarray, step: float = 1e-4) -> np.ndarray:
    """Gauss-Newton precision (unit cube) of the standardised residuals at ``u`` (one batch)."""
    d = u.size
    steps = np.where(u + step <= 1.0, step, -step)
    batch = np.repeat(u[None, :], d + 1, axis=0)
    batch[1:][np.arange(d), np.arange(d)] += steps
    z = em.standardized(problem.simulate(problem.to_params(batch), em.targets))
    jac = (z[1:] - z[0]) / steps[:, None]
    return jac @ jac.T + np.eye(d)


@dataclass
class Posterior:
    problem: Problem
    em: ErrorModel
    x_map: np.ndarray
    log_post_map: float
    de_log_post: float
    mcmc: object              # mcmc.McmcResult
    frame: pd.DataFrame       # ensemble: draw, loss, parameters, sigma:*, rho:*
    generations: int
    seconds: float


def posterior(st: Setup, *, end_year: int, steps: int, seed: int, progress=None, label: str = "calibrate") -> Posterior:
    """Global search for the posterior mode, then emcee from a Laplace ball around it."""
    t0 = time.perf_counter()
    s = st.config.settings
    problem = st.problem(end_year)
    em = error_model(problem, s)

    def log_post_x(x):
        return em.loglik(problem.simulate(x, em.targets))

    def log_post_u(u):
        u = np.atleast_2d(u)
        out = np.full(len(u), -np.inf)
        inside = np.all((u >= 0) & (u <= 1), axis=1)
        if inside.any():
            out[inside] = log_post_x(problem.to_params(u[inside]))
        return out

    res = _fit(problem, s, seed, (lambda *a: progress(label, *a)) if progress else None,
               objective=lambda x: -log_post_x(x))
    u_best = np.clip(problem.to_unit(res.x).ravel(), 0.0, 1.0)
    rng = np.random.default_rng(seed)
    d = problem.dim
    walkers = int(s["mcmc_walkers"]) or 2 * d + 2
    walkers += walkers % 2
    p0 = mcmc_mod.initial_walkers(u_best, laplace_precision(problem, em, u_best), walkers, rng)
    mc = mcmc_mod.run(log_post_u, p0, steps=steps, burn_fraction=s["mcmc_burn_fraction"], seed=seed,
                      progress=(lambda i, n, best, el: progress(label, "MC", i, n, best, el)) if progress else None)
    flat_u, flat_lp = mc.flat()
    i_best = int(np.argmax(flat_lp))
    if flat_lp[i_best] > -res.objective:
        x_map, lp_map = problem.to_params(flat_u[i_best])[0], float(flat_lp[i_best])
    else:
        x_map, lp_map = res.x, float(-res.objective)
    # ensemble: distinct kept samples at even intervals of the chain
    _, first = np.unique(flat_u, axis=0, return_index=True)
    distinct = np.sort(first)
    size = min(int(s["ensemble_size"]), len(distinct))
    pick = distinct[np.linspace(0, len(distinct) - 1, size).round().astype(int)] if size else distinct[:0]
    x_draws = problem.to_params(flat_u[pick])
    frame = pd.DataFrame(x_draws, columns=problem.names)
    frame.insert(0, "loss", -flat_lp[pick])
    frame.insert(0, "draw", np.arange(1, len(pick) + 1))
    if len(pick):
        sig, rho = em.draw_errors(problem.simulate(x_draws, em.targets), rng)
        extra = {}
        for k, name in enumerate(em.names):
            extra[f"sigma:{name}"] = sig[:, k]
            extra[f"rho:{name}"] = rho[:, k]
        frame = pd.concat([frame, pd.DataFrame(extra)], axis=1)
    return Posterior(problem, em, x_map, lp_map, float(-res.objective), mc, frame, res.generations,
                     time.perf_counter() - t0)


def _coverage_summary(st: Setup, post: Posterior, end_year: int, seed: int, late_from: int | None = None) -> dict:
    s = st.config.settings
    full = st.problem(9999)
    pred = predictive_mod.predictive(full, post.frame, s, reps=int(s["predictive_replicates"]), seed=seed,
                                     condition_after=end_year if late_from is not None else None)
    table = predictive_mod.coverage_table(full, pred, end_year, predictive_mod.sectors(st.targets), late_from)
    summ = predictive_mod.summarise(table)
    out = {}
    for _, r in summ[summ["sector"] == "all"].iterrows():
        out[r["window"]] = {"n": int(r["n"]), "cover50": round(float(r["cover50"]), 3),
                            "cover90": round(float(r["cover90"]), 3)}
    return out


def run(st: Setup, *, seed: int | None = None, out: Path | str | None = None, hindcast: bool = True,
        progress=None, ensemble_out: Path | str | None = None) -> dict:
    """Calibrate (posterior mode + emcee ensemble), optionally hindcast; write calibrated.toml,
    ensemble.csv (and ensemble_hindcast.csv). Returns the document written to calibrated.toml."""
    t0 = time.perf_counter()
    s = dict(st.config.settings)
    seed = int(s["seed"] if seed is None else seed)
    out = Path(out) if out is not None else REPO_ROOT / "calibration" / "calibrated.toml"
    if not out.parent.exists():
        raise OasisError(f"--out {out}: folder does not exist")
    end_year = int(s["end_year"])
    problem = st.problem(end_year)
    em = error_model(problem, s)
    x_default = np.array([[p.default for p in st.config.free]])
    lp_default = float(em.loglik(problem.simulate(x_default, em.targets))[0])
    f_default = float(problem.objective(x_default)[0])
    post = posterior(st, end_year=end_year, steps=int(s["mcmc_steps"]), seed=seed, progress=progress)
    f_cal = float(problem.objective(post.x_map[None, :])[0])
    cover = _coverage_summary(st, post, end_year, seed)
    t_full = time.perf_counter() - t0
    hind = hpost = None
    if hindcast:
        he = int(s["hindcast_end_year"])
        hpost = posterior(st, end_year=he, steps=int(s["hindcast_mcmc_steps"]), seed=seed, progress=progress,
                          label="hindcast")
        hind = {"end_year": he, "objective": float(hpost.problem.objective(hpost.x_map[None, :])[0]),
                "log_posterior": hpost.log_post_map, "seconds": round(hpost.seconds, 1),
                "parameters": {n: float(v) for n, v in zip(problem.names, hpost.x_map)},
                "mcmc": hpost.mcmc.diagnostics(), "ensemble_file": "ensemble_hindcast.csv",
                "coverage": _coverage_summary(st, hpost, he, seed, late_from=2017)}
    diag = post.mcmc.diagnostics()
    doc = {
        "parameters": {n: float(v) for n, v in zip(problem.names, post.x_map)},
        "objective": {"default": f_default, "de": float("nan"), "calibrated": f_cal,
                      "n_residuals": problem.n_residuals, "n_fitted_series": len(problem.fitted),
                      "definition": "sum over fitted targets of weight x mean squared relative error (reported; "
                                    "the fit maximises the log-posterior below)",
                      "log_posterior_default": lp_default, "log_posterior_de": post.de_log_post,
                      "log_posterior_map": post.log_post_map},
        "likelihood": {"residual": "log(sim/obs) for relative targets, (sim-obs)/sigma for absolute",
                       "error_scale": "per series, sigma^2 ~ InvGamma(shape, (shape-1) x scale^2), integrated",
                       "autocorrelation": "AR(1) in calendar time per series, rho uniform on a grid, integrated",
                       "error_prior_scale": s["error_prior_scale"], "error_prior_shape": s["error_prior_shape"],
                       "ar1_rho_max": s["ar1_rho_max"], "weights": "power likelihood: weight x log L_s"},
        "provenance": {
            "date": _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat(),
            "model": _rel(st.config.model_path()), "model_sha256": sha256_file(st.config.model_path()),
            "data": _rel(DATA_FILE), "data_sha256": sha256_file(DATA_FILE),
            "targets": _rel(st.targets.path), "targets_sha256": sha256_file(st.targets.path),
            "config": _rel(st.config.path), "config_sha256": sha256_file(st.config.path),
            "seed": seed, "generations": post.generations, "evaluations": post.problem.evaluations,
            "least_squares": "not used (likelihood is not a sum of squares)", "backend": "numpy",
            "seconds_calibration": round(t_full, 1), "seconds_total": round(time.perf_counter() - t0, 1),
            "cpu_count": os.cpu_count() or 0, "python": platform.python_version(),
        },
        "settings": {k: (list(v) if isinstance(v, (list, tuple)) else v) for k, v in s.items()} | {"seed": seed},
        "bounds": {p.name: [p.low, p.high] for p in st.config.free},
        "ensemble": {"file": "ensemble.csv", "size": len(post.frame),
                     "distinct": int(len(post.frame[problem.names].drop_duplicates())),
                     "evaluations": int(diag["walkers"] * diag["steps"]), "acceptance": diag["acceptance"],
                     "method": "emcee EnsembleSampler (vectorised), DEMove 0.8 + DESnookerMove 0.2, "
                               "kept steps after burn-in, distinct draws at even intervals"},
        "mcmc": diag,
        "coverage": cover,
    }
    if hind is not None:
        doc["hindcast"] = hind
    header = ("Calibrated parameters of the Tianshan model (written by `oasis-sd calibrate`; do not edit).\n"
              "sim.calibrate.calibrated_parameters() reads [parameters] (the posterior mode); sim.runner.scenario_params\n"
              "merges them under the lever values (OASIS_SD_CALIBRATED=none switches off).")
    ens_path = Path(ensemble_out) if ensemble_out is not None else out.parent / "ensemble.csv"
    frame = post.frame
    atomic_write(ens_path, lambda tmp: frame.to_csv(tmp, index=False, float_format="%.9g"))
    if hpost is not None:
        hframe = hpost.frame
        atomic_write(ens_path.with_name("ensemble_hindcast.csv"),
                     lambda tmp: hframe.to_csv(tmp, index=False, float_format="%.9g"))
    doc["provenance"]["seconds_total"] = round(time.perf_counter() - t0, 1)
    write_calibrated(out, doc, header)
    return doc


def load_ensemble(path: Path | str) -> pd.DataFrame | None:
    path = Path(path)
    return pd.read_csv(path) if path.exists() else None
