"""The whole calibration run: full fit, ensemble, optional hindcast -> calibrated.toml + ensemble.csv."""
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
from . import ensemble as ensemble_mod
from .config import Config, load_config
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


def _fit(problem: Problem, s: dict, seed: int, progress):
    return calibrate(problem, seed=seed, popsize=s["popsize"], maxiter=s["maxiter"], tol=s["tol"],
                     mutation=s["mutation"], recombination=s["recombination"],
                     polish_max_nfev=s["polish_max_nfev"], progress=progress)


def _rel(path: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(REPO_ROOT))
    except ValueError:
        return str(path)


def run(st: Setup, *, seed: int | None = None, out: Path | str | None = None, hindcast: bool = True,
        progress=None, ensemble_out: Path | str | None = None) -> dict:
    """Calibrate, sample the ensemble, optionally hindcast; write calibrated.toml (+ ensemble.csv).

    Returns the document written to calibrated.toml."""
    t0 = time.perf_counter()
    s = dict(st.config.settings)
    seed = int(s["seed"] if seed is None else seed)
    out = Path(out) if out is not None else REPO_ROOT / "calibration" / "calibrated.toml"
    if not out.parent.exists():
        raise OasisError(f"--out {out}: folder does not exist")
    problem = st.problem()
    x_default = np.array([[p.default for p in st.config.free]])
    f_default = float(problem.objective(x_default)[0])
    res = _fit(problem, s, seed, (lambda *a: progress("calibrate", *a)) if progress else None)
    ens = None
    if s["ensemble_size"] > 0 and s["ensemble_evaluations"] > 0:
        ens = ensemble_mod.sample(problem, res.x, res.jacobian, res.objective, size=s["ensemble_size"],
                                  proposals=s["ensemble_evaluations"], seed=seed)
    t_full = time.perf_counter() - t0
    hind = None
    if hindcast:
        th = time.perf_counter()
        hproblem = st.problem(s["hindcast_end_year"])
        hres = _fit(hproblem, s, seed, (lambda *a: progress("hindcast", *a)) if progress else None)
        hind = {"end_year": int(s["hindcast_end_year"]), "objective": hres.objective,
                "seconds": round(time.perf_counter() - th, 1),
                "parameters": {n: float(v) for n, v in zip(problem.names, hres.x)}}
    doc = {
        "parameters": {n: float(v) for n, v in zip(problem.names, res.x)},
        "objective": {"default": f_default, "de": res.de_objective, "calibrated": res.objective,
                      "n_residuals": problem.n_residuals, "n_fitted_series": len(problem.fitted),
                      "definition": "sum over fitted targets of weight x mean squared relative error"},
        "provenance": {
            "date": _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat(),
            "model": _rel(st.config.model_path()), "model_sha256": sha256_file(st.config.model_path()),
            "data": _rel(DATA_FILE), "data_sha256": sha256_file(DATA_FILE),
            "targets": _rel(st.targets.path), "targets_sha256": sha256_file(st.targets.path),
            "config": _rel(st.config.path), "config_sha256": sha256_file(st.config.path),
            "seed": seed, "generations": res.generations, "evaluations": res.evaluations,
            "least_squares": res.ls_status, "backend": "numpy",
            "seconds_calibration": round(t_full, 1), "seconds_total": round(time.perf_counter() - t0, 1),
            "cpu_count": os.cpu_count() or 0, "python": platform.python_version(),
        },
        "settings": {k: (list(v) if isinstance(v, (list, tuple)) else v) for k, v in s.items()} | {"seed": seed},
        "bounds": {p.name: [p.low, p.high] for p in st.config.free},
    }
    if ens is not None:
        doc["ensemble"] = {"file": "ensemble.csv", "size": len(ens.frame), "evaluations": ens.proposals,
                           "acceptance": round(ens.acceptance, 3), "noise_variance": ens.noise_variance,
                           "method": "affine-invariant ensemble MCMC (Goodman & Weare 2010), second half of the chain"}
    if hind is not None:
        doc["hindcast"] = hind
    header = ("Calibrated parameters of the Tianshan model (written by `oasis-sd calibrate`; do not edit).\n"
              "sim.calibrate.calibrated_parameters() reads [parameters]; sim.runner.scenario_params merges them\n"
              "under the lever values, so every run uses them by default (OASIS_SD_CALIBRATED=none switches off).")
    if ens is not None:
        ens_path = Path(ensemble_out) if ensemble_out is not None else out.parent / "ensemble.csv"
        frame = ens.frame
        atomic_write(ens_path, lambda tmp: frame.to_csv(tmp, index=False, float_format="%.9g"))
    doc["provenance"]["seconds_total"] = round(time.perf_counter() - t0, 1)
    write_calibrated(out, doc, header)
    return doc


def load_ensemble(path: Path | str) -> pd.DataFrame | None:
    path = Path(path)
    return pd.read_csv(path) if path.exists() else None
