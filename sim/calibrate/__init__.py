"""Calibration of Oasis-SD against historical data.

Modules: :mod:`.metrics` (fit statistics), :mod:`.targets` (targets.toml), :mod:`.config`
(calibration.toml), :mod:`.objective` (batched objective), :mod:`.optimize` (differential
evolution + least squares), :mod:`.ensemble` (likelihood-weighted parameter sample),
:mod:`.hindcast`, :mod:`.report` (fit report), :mod:`.result` (calibrated.toml), :mod:`.cli`.
"""
from .result import calibrated_parameters

__all__ = ["calibrated_parameters"]
