"""Scenario matrices: presets × one-at-a-time lever/parameter extremes → one batched engine run."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import levers as levers_mod, scenarios as scenarios_mod
from ..errors import OasisError, UnknownNameError
from .spec import MatrixSpec


@dataclass
class Scenario:
    name: str
    params: dict[str, float]


@dataclass
class Matrix:
    name: str
    scenarios: list[Scenario]
    ref_index: int = 0

    @property
    def names(self) -> list[str]:
        return [s.name for s in self.scenarios]

    def __len__(self):
        return len(self.scenarios)


def _select(names, available, what, where):
    if names == "all":
        return list(available)
    if names == "none":
        return []
    for n in names:
        if n not in available:
            raise UnknownNameError(what, n, available, where=where)
    return list(names)


def preset_params(name: str) -> dict[str, float]:
    """A preset's model parameters as every run path uses them: the calibrated parameters with
    the preset's levers on top (:func:`sim.runner.scenario_params`)."""
    from ..runner import scenario_params

    key = (name, scenarios_mod.SCENARIO_DIR)
    if key not in _PRESET_CACHE:
        _PRESET_CACHE[key] = scenario_params(scenarios_mod.load(name))
    return _PRESET_CACHE[key]


_PRESET_CACHE: dict = {}


def build(spec: MatrixSpec, model_path) -> Matrix:
    """Expand a matrix spec into unique scenarios (identical parameter sets are run once)."""
    where = f"matrix '{spec.name}'"
    presets = _select(spec.presets, scenarios_mod.available(), "scenario", where)
    lever_map = {lv.name: lv for lv in levers_mod.levers()}
    oat_levers = [lever_map[n] for n in _select(spec.oat_levers, list(lever_map), "lever", where)
                  if n not in spec.set and n not in spec.oat_levers_except]
    params = {p.name: p for p in levers_mod.parameters(model_path)}
    oat_params = [params[n] for n in _select(spec.oat_parameters, list(params), "parameter", where)
                  if n not in spec.set]
    out: list[Scenario] = []
    seen: dict[tuple, str] = {}

    def add(name, values):
        key = tuple(sorted(values.items()))
        if key in seen:
            return
        seen[key] = name
        out.append(Scenario(name, values))

    members = _ensemble_members(spec.ensemble, set(params)) if spec.ensemble else []
    sample = _sample(spec.sample, list(lever_map.values()), list(params.values()), spec.set) \
        if spec.sample else []
    for preset in presets:
        base = dict(preset_params(preset))
        base.update(spec.set)
        add(preset, base)
        for label, member in members:
            add(f"{preset} | ensemble {label}", {**base, **member})
        for i, draw in enumerate(sample):
            add(f"{preset} | sample {i}", {**base, **draw})
        for lv in oat_levers:
            for tag, value in (("min", lv.low), ("max", lv.high)):
                add(f"{preset} | {lv.name}={value:g} ({tag})", {**base, lv.name: value})
        for p in oat_params:
            for tag, value in (("low", p.low), ("high", p.high)):
                add(f"{preset} | {p.name}={value:g} ({tag})", {**base, p.name: value})
    ref = 0
    if spec.reference is not None:
        names = [s.name for s in out]
        if spec.reference not in names:
            raise UnknownNameError("reference scenario", spec.reference, names, where=where)
        ref = names.index(spec.reference)
    if not out:
        raise OasisError(f"{where}: no scenarios")
    return Matrix(spec.name, out, ref)


def _ensemble_members(n: int, known: set[str]) -> list[tuple[str, dict[str, float]]]:
    """Members of the committed calibration ensemble (``calibration/ensemble.csv``): the columns
    that are uncertain model constants, one dict per draw; the first ``n`` (``-1`` = all)."""
    import csv

    from ..calibrate.result import REPO_ROOT

    path = REPO_ROOT / "calibration" / "ensemble.csv"
    if not path.exists():
        raise OasisError(f"matrix ensemble: {path} not found (run `oasis-sd calibrate`)")
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    out = []
    for i, row in enumerate(rows if n < 0 else rows[:n]):
        label = row.get("draw") or str(i + 1)
        out.append((label, {k: float(v) for k, v in row.items() if k in known and v not in ("", None)}))
    if not out:
        raise OasisError(f"matrix ensemble: {path} has no members")
    return out


def _sample(spec: dict, levers, params, fixed: dict) -> list[dict[str, float]]:
    """Scrambled Latin-hypercube draws over the registry ranges of levers and uncertain
    parameters (constants in the matrix's ``set`` stay fixed). Switch and year levers are rounded
    to whole numbers so that every draw is a valid scenario."""
    from scipy.stats import qmc

    factors = []
    if spec["levers"]:
        factors += [(lv.name, lv.low, lv.high, 1.0 if lv.kind in ("switch", "year") else None)
                    for lv in levers
                    if lv.name not in fixed]
    if spec["parameters"]:
        factors += [(p.name, p.low, p.high, None) for p in params if p.name not in fixed]
    unit = qmc.LatinHypercube(d=len(factors), seed=spec["seed"]).random(spec["n"])
    draws = []
    for row in unit:
        d = {}
        for (name, lo, hi, step), u in zip(factors, row):
            v = lo + u * (hi - lo)
            if step:
                v = min(hi, max(lo, lo + round((v - lo) / step) * step))
            d[name] = float(v)
        draws.append(d)
    return draws


def engine_params(matrix_or_scenarios, compiled) -> tuple[dict, int]:
    """Batched engine parameters for a list of scenarios: {constant: scalar or array (n,)}."""
    scs = matrix_or_scenarios.scenarios if isinstance(matrix_or_scenarios, Matrix) else matrix_or_scenarios
    n = len(scs)
    keys = sorted({k for s in scs for k in s.params})
    out = {}
    for k in keys:
        ident = compiled.resolve(k)
        default = compiled.variables[ident].default
        vals = [s.params.get(k) for s in scs]
        if all(v is not None and v == vals[0] for v in vals):
            out[k] = vals[0]
            continue
        flat = np.asarray(default, dtype=float).reshape(-1)
        if any(v is None for v in vals) and flat.size != 1:
            raise OasisError(f"constant '{k}' is subscripted; set it for every scenario of the matrix")
        out[k] = np.array([float(flat[0]) if v is None else v for v in vals], dtype=float)
    return out, n
