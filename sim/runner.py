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
    """Model constant overrides for a scenario (every lever, BAU included, so runs are explicit)."""
    return dict(scenario.levers)


def run(scenario: Scenario, *, engine: str = "numpy", outputs: list[str] | None = None,
        model_path: Path | str = DEFAULT_MODEL) -> xr.Dataset:
    """Simulate one scenario; returns a Dataset with dims (sample=1, time, Region...)."""
    params = scenario_params(scenario)
    if engine == "numpy":
        from . import engine as engine_mod

        return engine_mod.compile(model_path).run(params, outputs=outputs)
    if engine == "pysd":
        from .engine import pysd_reference

        return pysd_reference.run(Path(model_path), params=params, outputs=outputs)
    raise ValueError(f"unknown engine '{engine}'; use one of {', '.join(ENGINES)}")
