"""Run scenarios: lever settings → model parameters → results (batched engine or pysd reference).

The batched engine (:mod:`sim.engine`) is the default everywhere; ``engine="pysd"`` runs pysd on
the same model for cross-checks.
"""
from __future__ import annotations

from pathlib import Path

import xarray as xr

from .model import DEFAULT_MODEL
from .scenarios import Scenario

ENGINES = ("numpy", "pysd")


def scenario_params(scenario: Scenario) -> dict[str, float]:
    """Model constant overrides for a scenario: the calibrated parameters
    (``calibration/calibrated.toml``, see :func:`sim.calibrate.calibrated_parameters`; none if the
    file is missing) with every lever on top (BAU included, so runs are explicit)."""
    from .calibrate.result import calibrated_parameters

    return {**calibrated_parameters(), **dict(scenario.levers)}


def run(scenario: Scenario, *, engine: str = "numpy", outputs: list[str] | None = None,
        model_path: Path | str = DEFAULT_MODEL) -> xr.Dataset:
    """Simulate one scenario; returns a Dataset with dims (sample=1, time, Region...)."""
    from . import engine as engine_mod

    params = scenario_params(scenario)
    if engine == "numpy":
        compiled = engine_mod.compile(model_path)
        known = set(compiled.constants)  # another model file may lack a calibrated constant
        return compiled.run({k: v for k, v in params.items() if k in known}, outputs=outputs)
    if engine == "pysd":
        from .engine import pysd_reference

        try:
            known = set(engine_mod.compile(model_path).constants)
            params = {k: v for k, v in params.items() if k in known}
        except Exception:  # noqa: BLE001 - pysd may run models the engine rejects
            params = dict(scenario.levers)

        return pysd_reference.run(Path(model_path), params=params, outputs=outputs)
    raise ValueError(f"unknown engine '{engine}'; use one of {', '.join(ENGINES)}")
