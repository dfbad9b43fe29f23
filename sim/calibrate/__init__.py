"""Calibration of Oasis-SD against historical data.

Modules: :mod:`.metrics` (fit statistics), :mod:`.targets` (targets.toml), :mod:`.config`
(calibration.toml), :mod:`.objective` (batched model runs, v1 sum of squares), :mod:`.likelihood`
(v2: per-series error scales and AR(1) residuals, integrated), :mod:`.optimize` (differential
evolution), :mod:`.mcmc` (emcee, diagnostics), :mod:`.predictive` (bands with observation error,
coverage), :mod:`.ensemble` (v1 sampler, unused),
:mod:`.hindcast`, :mod:`.report` (fit report), :mod:`.result` (calibrated.toml), :mod:`.cli`.
"""
from .result import calibrated_parameters

__all__ = ["calibrated_parameters"]
