"""Run scenarios: lever settings (+ calibrated parameters) → model parameters → results.

This module is THE place that turns lever values into model parameters. Everyone who runs the
model on lever settings calls it: the CLI (:func:`run`), the app (:func:`lever_params`,
:func:`ensemble_params`), the checks (``sim.checks.matrix.preset_params``, ``sim.checks.compare``),
the sensitivity jobs (:func:`nominal_params`), the calibration report and
``sensitivity/make_reference.py`` (:func:`calibration_file`).

The rule, in one place: model constants = the model file's own values, overridden by the
calibrated parameters (``calibration/calibrated.toml`` or the file named by
``OASIS_SD_CALIBRATED``; none if missing or ``OASIS_SD_CALIBRATED=none``), overridden by every
lever value (BAU included, so runs are explicit). Uncertain-parameter draws (the app's ensemble)
go on top of that, with sample 0 the central run.

The batched engine (:mod:`sim.engine`) is the default everywhere; ``engine="pysd"`` runs pysd on
the same model for cross-checks.
"""
from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np
import xarray as xr

from .errors import InputError
from .model import DEFAULT_MODEL
from .scenarios import Scenario

ENGINES = ("numpy", "pysd")
NOMINAL_CHOICES = ("calibrated", "model")  # values of the constants that are not levers/factors


def calibration_file() -> Path | None:
    """The calibrated.toml in use: ``OASIS_SD_CALIBRATED`` if set (None for ``none``/``off``/``0``),
    else ``calibration/calibrated.toml``. The file need not exist."""
    from .calibrate.result import _default_path

    return _default_path()


def calibrated(model_path: Path | str = DEFAULT_MODEL,
               warn: Callable[[str], None] | None = None) -> dict[str, float]:
    """The calibrated parameters (constant -> value; ``{}`` without a calibration file).

    With ``warn``, warnings of the loader (e.g. the file was calibrated on another version of
    the model file) are passed to ``warn`` as text instead of being raised as warnings."""
    from .calibrate.result import calibrated_parameters

    if warn is None:
        return calibrated_parameters(model_path=model_path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        params = calibrated_parameters(model_path=model_path)
    for w in caught:
        warn(f"nominal parameters: {w.message}")
    return params


def lever_params(lever_values: Mapping[str, float], base: Mapping[str, float] | None = None,
                 model_path: Path | str = DEFAULT_MODEL) -> dict[str, float]:
    """Model constant overrides for lever values: ``base`` (default: the calibrated parameters,
    :func:`calibrated`) with every lever value on top, as float."""
    under = calibrated(model_path) if base is None else dict(base)
    return {**under, **{k: float(v) for k, v in lever_values.items()}}


def scenario_params(scenario: Scenario) -> dict[str, float]:
    """Model constant overrides for a scenario: :func:`lever_params` of its levers."""
    return lever_params(scenario.levers)


def ensemble_params(lever_values: Mapping[str, float], draws: Mapping[str, np.ndarray], n: int,
                    model_path: Path | str = DEFAULT_MODEL) -> tuple[dict, int]:
    """Parameters for one batch of ``n + 1`` runs: sample 0 is the central run (calibrated
    value, else the model default, else the median of the draws), samples 1..n the ``draws``
    (constant -> array (n,)) of uncertain parameters, all under the same levers. Returns
    (parameters, number of runs)."""
    from . import levers as levers_mod

    cal = calibrated(model_path)
    params: dict = lever_params(lever_values, base=cal)
    central = {p.constant: p.default for p in levers_mod.parameters()} | cal
    for name, values in draws.items():
        params[name] = np.concatenate([[central.get(name, float(np.median(values)))], values])
    return params, n + 1


def nominal_params(nominal: str | Mapping[str, float], model_path: Path | str = DEFAULT_MODEL,
                   warn: Callable[[str], None] | None = None) -> dict[str, float]:
    """Values of the constants that are not factors of a sensitivity job: a mapping as given,
    ``"model"`` = none (the model file's own values), ``"calibrated"`` = :func:`calibrated`."""
    if isinstance(nominal, Mapping):
        return dict(nominal)
    if nominal == "model":
        return {}
    if nominal != "calibrated":
        raise InputError(f"nominal must be one of {', '.join(NOMINAL_CHOICES)} (got {nominal!r})")
    return calibrated(model_path, warn=warn)


def known_to(params: Mapping[str, object], compiled) -> dict:
    """``params`` restricted to the constants of a compiled model (another model file may lack
    a calibrated constant)."""
    known = set(compiled.constants)
    return {k: v for k, v in params.items() if k in known}


def run(scenario: Scenario, *, engine: str = "numpy", outputs: list[str] | None = None,
        model_path: Path | str = DEFAULT_MODEL) -> xr.Dataset:
    """Simulate one scenario; returns a Dataset with dims (sample=1, time, Region...)."""
    from . import engine as engine_mod

    params = scenario_params(scenario)
    if engine == "numpy":
        compiled = engine_mod.compile(model_path)
        return compiled.run(known_to(params, compiled), outputs=outputs)
    if engine == "pysd":
        from .engine import pysd_reference

        try:
            params = known_to(params, engine_mod.compile(model_path))
        except Exception:  # noqa: BLE001 - pysd may run models the engine rejects
            params = dict(scenario.levers)

        return pysd_reference.run(Path(model_path), params=params, outputs=outputs)
    raise InputError(f"unknown engine '{engine}'; use one of {', '.join(ENGINES)}")
