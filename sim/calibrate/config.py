"""Calibration settings and free parameters (``calibration/calibration.toml``), validated.

Free parameters must be uncertain constants of the model (``sim.levers.parameters()``: documented
"Assumption, range LOW-HIGH"); bounds default to that range and may only narrow it. Levers are
never free. Errors name file, line and field, with nearest names or the allowed range.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from ..errors import nearest
from ..model import REPO_ROOT
from .targets import TargetFileError, read_toml

DEFAULT_CONFIG = REPO_ROOT / "calibration" / "calibration.toml"
SETTINGS = {  # name -> (type, default, low, high)
    "model": (str, "sd_models/tianshan.mdl", None, None),
    "targets": (str, "calibration/targets.toml", None, None),
    "seed": (int, 1, 0, 2**32 - 1),
    "popsize": (int, 8, 2, 200),
    "maxiter": (int, 150, 1, 10000),
    "tol": (float, 1e-6, 0.0, 1.0),
    "mutation": (list, [0.5, 1.0], None, None),
    "recombination": (float, 0.7, 0.0, 1.0),
    "polish_max_nfev": (int, 60, 0, 10000),
    "end_year": (int, 2017, 1990, 2060),
    "hindcast_end_year": (int, 2010, 1990, 2060),
    "ensemble_size": (int, 100, 0, 100000),
    "ensemble_evaluations": (int, 20000, 0, 10000000),   # v1 only (unused by the emcee sampler)
    # --- likelihood (sim/calibrate/likelihood.py) and MCMC (sim/calibrate/mcmc.py), v2 ---
    "error_prior_scale": (float, 0.02, 1e-4, 10.0),   # prior error scale of relative targets (0.02 = 2 %)
    "error_prior_shape": (float, 0.5, 0.01, 1e9),     # inverse-gamma shape of sigma^2 (0.5 = one pseudo-observation)
    "ar1_rho_max": (float, 0.95, 0.0, 0.99),          # AR(1) coefficient grid 0..rho_max (per year)
    "mcmc_walkers": (int, 0, 0, 10000),               # 0 = 2 x free parameters + 2
    "mcmc_steps": (int, 3000, 10, 1000000),
    "mcmc_burn_fraction": (float, 0.5, 0.0, 0.95),
    "hindcast_mcmc_steps": (int, 1500, 10, 1000000),
    "predictive_replicates": (int, 20, 1, 10000),     # AR(1) noise paths per ensemble member
}
FREE_FIELDS = {"parameter", "low", "high", "reason", "bound_verdict"}


@dataclass(frozen=True)
class FreeParameter:
    name: str
    low: float
    high: float
    default: float       # model default (start of the search is not this: DE samples the box)
    documented: tuple[float, float]
    reason: str
    bound_verdict: str = ""  # shown in the report when the posterior piles up on a bound


@dataclass(frozen=True)
class Config:
    path: Path
    settings: dict
    free: tuple[FreeParameter, ...]
    report: dict = field(default_factory=dict)      # [report]: longrun_scenarios, longrun_years
    longrun: tuple = ()                              # [[longrun]]: variable, label, anchor (anchors.csv id)

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.free]

    def model_path(self) -> Path:
        return _resolve(self.settings["model"])

    def targets_path(self) -> Path:
        return _resolve(self.settings["targets"])

    def with_settings(self, **kw) -> Config:
        return replace(self, settings={**self.settings, **kw})


def _resolve(p: str) -> Path:
    path = Path(p)
    return path if path.is_absolute() else REPO_ROOT / path


def load_config(path: Path | str = DEFAULT_CONFIG, *, parameters=None) -> Config:
    """Read and validate a calibration config. ``parameters`` defaults to ``levers.parameters()``
    of the config's model."""
    from .. import levers as levers_mod

    path = Path(path)
    doc, lines = read_toml(path)
    for key in doc:
        if key not in ("settings", "free", "report", "longrun"):
            raise TargetFileError(f"{path}:1: field '{key}': unknown table; allowed: settings, free, report, longrun")
    settings = {k: v[1] for k, v in SETTINGS.items()}
    s_line = lines.single("settings")
    for key, value in doc.get("settings", {}).items():
        line = lines.field(s_line, key)
        if key not in SETTINGS:
            hint = nearest(key, SETTINGS)
            raise TargetFileError(f"{path}:{line}: field '{key}': unknown setting" + (f"; did you mean {', '.join(hint)}?" if hint else ""))
        typ, _, lo, hi = SETTINGS[key]
        if typ is int and (not isinstance(value, int) or isinstance(value, bool)):
            raise TargetFileError(f"{path}:{line}: field '{key}': expected a whole number, got {value!r}")
        if typ is float and (not isinstance(value, (int, float)) or isinstance(value, bool)):
            raise TargetFileError(f"{path}:{line}: field '{key}': expected a number, got {value!r}")
        if typ is str and not isinstance(value, str):
            raise TargetFileError(f"{path}:{line}: field '{key}': expected a string, got {value!r}")
        if typ is list and (not isinstance(value, list) or len(value) != 2 or not all(isinstance(v, (int, float)) for v in value)
                            or not 0 <= value[0] <= value[1] <= 2):
            raise TargetFileError(f"{path}:{line}: field '{key}': expected [low, high] with 0 <= low <= high <= 2, got {value!r}")
        if lo is not None and not (lo <= value <= hi):
            raise TargetFileError(f"{path}:{line}: field '{key}': {value} is outside the allowed range {lo}-{hi}")
        settings[key] = float(value) if typ is float else value
    if settings["hindcast_end_year"] >= settings["end_year"]:
        raise TargetFileError(f"{path}:{lines.field(s_line, 'hindcast_end_year')}: field 'hindcast_end_year': must be before end_year ({settings['end_year']})")

    if parameters is None:
        parameters = levers_mod.parameters(_resolve(settings["model"]))
    registry = {p.constant: p for p in parameters}
    lever_names = {lv.constant for lv in levers_mod.levers()}
    headers = lines.headers("free")
    free: list[FreeParameter] = []
    for i, entry in enumerate(doc.get("free", [])):
        start = headers[i] if i < len(headers) else 1
        at = lambda f: lines.field(start, f)  # noqa: E731, B023 - used within this iteration only
        for key in entry:
            if key not in FREE_FIELDS:
                raise TargetFileError(f"{path}:{at(key)}: field '{key}': unknown field; allowed: {', '.join(sorted(FREE_FIELDS))}")
        name = entry.get("parameter")
        if not isinstance(name, str):
            raise TargetFileError(f"{path}:{start}: field 'parameter': missing (required)")
        if name in lever_names:
            raise TargetFileError(f"{path}:{at('parameter')}: field 'parameter': '{name}' is a policy lever; levers are not calibrated")
        if name not in registry:
            hint = nearest(name, registry)
            raise TargetFileError(f"{path}:{at('parameter')}: field 'parameter': unknown uncertain parameter '{name}'"
                                  + (f"; did you mean {', '.join(hint)}?" if hint else ""))
        if any(p.name == name for p in free):
            raise TargetFileError(f"{path}:{at('parameter')}: field 'parameter': '{name}' is listed twice")
        p = registry[name]
        low, high = entry.get("low", p.low), entry.get("high", p.high)
        for fld, val in (("low", low), ("high", high)):
            if not isinstance(val, (int, float)) or isinstance(val, bool) or not (p.low <= val <= p.high):
                raise TargetFileError(f"{path}:{at(fld)}: field '{fld}': {val!r} is outside the documented range of "
                                      f"'{name}': {p.low:g}-{p.high:g}")
        if not low < high:
            raise TargetFileError(f"{path}:{at('low')}: field 'low': low ({low:g}) must be below high ({high:g})")
        if not str(entry.get("reason", "")).strip():
            raise TargetFileError(f"{path}:{start}: field 'reason': every free parameter needs a reason")
        free.append(FreeParameter(name, float(low), float(high), p.default, (p.low, p.high), entry["reason"],
                                  str(entry.get("bound_verdict", ""))))
    if not free:
        raise TargetFileError(f"{path}: no [[free]] parameter declared")
    report = dict(doc.get("report", {}))
    longrun = []
    for i, entry in enumerate(doc.get("longrun", [])):
        if not isinstance(entry.get("variable"), str) or not isinstance(entry.get("label", ""), str):
            raise TargetFileError(f"{path}: [[longrun]] entry {i + 1}: field 'variable': expected a model variable name")
        unknown = set(entry) - {"variable", "label", "anchor", "anchor_geography"}
        if unknown:
            raise TargetFileError(f"{path}: [[longrun]] entry {i + 1}: field '{sorted(unknown)[0]}': unknown field; "
                                  "allowed: variable, label, anchor, anchor_geography")
        longrun.append(dict(entry))
    return Config(path, settings, tuple(free), report, tuple(longrun))
