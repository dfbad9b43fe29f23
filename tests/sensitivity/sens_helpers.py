"""Importable helpers for the sensitivity tests (workers import these by name)."""

from __future__ import annotations

import os
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import xarray as xr
from SALib.test_functions import Ishigami

A, B = 7.0, 0.1


def ishigami_analytic(a: float = A, b: float = B) -> tuple[np.ndarray, np.ndarray]:
    """Analytic S1 and ST of Ishigami–Homma for x_i ~ U(-π, π)."""
    pi = np.pi
    v1 = 0.5 * (1 + b * pi**4 / 5) ** 2
    v2 = a**2 / 8
    v13 = b**2 * pi**8 * (1 / 18 - 1 / 50)
    v = v1 + v2 + v13  # = a²/8 + bπ⁴/5 + b²π⁸/18 + 1/2
    s1 = np.array([v1 / v, v2 / v, 0.0])
    st = np.array([(v1 + v13) / v, v2 / v, v13 / v])
    return s1, st


def ishigami(X, **_):
    return Ishigami.evaluate(X)


def slow_ishigami(X):
    """Ishigami that sleeps when OASIS_TEST_SLOW is set (env, so the job identity is unchanged)."""
    delay = float(os.environ.get("OASIS_TEST_SLOW", "0") or 0)
    if delay:
        time.sleep(delay)
    return Ishigami.evaluate(X)


def dies_once(X, marker_dir: str):
    """Kill the worker process on the first chunk evaluated anywhere (marker file = 'already died')."""
    marker = Path(marker_dir) / "died"
    if not marker.exists():
        marker.write_text("x")
        os._exit(17)
    return Ishigami.evaluate(X)


def raises_once(X, marker_dir: str):
    marker = Path(marker_dir) / "raised"
    if not marker.exists():
        marker.write_text("x")
        raise RuntimeError("transient failure")
    return Ishigami.evaluate(X)


def two_outputs_over_time(X):
    """(n, 2, 3): output 0 depends on x1 early and x2 late; output 1 = x3 only."""
    t = np.array([0.0, 0.5, 1.0])
    y0 = (1 - t)[None, :] * X[:, [0]] + t[None, :] * X[:, [1]]
    y1 = np.repeat(X[:, [2]], 3, axis=1)
    return np.stack([y0, y1], axis=1)


# --------------------------------------------------------------------------- fake engine

REGIONS = ["Urumqi", "Changji", "Shihezi"]
TIME = np.arange(2020.0, 2061.0)


class FakeCompiled:
    """Stand-in for sim.engine's CompiledModel: dims (sample, time, Region)."""

    model_hash = "fake-model-hash-1"
    variables = ["co2_emissions", "water_use", "gdp", "population"]
    constants = ["k_growth", "k_decline", "k_water"]

    def run(self, params, n, outputs):
        for o in outputs:
            if o not in self.variables:
                raise KeyError(o)
        t = (TIME - 2020.0)[None, :, None]
        w = np.array([0.5, 0.3, 0.2])[None, None, :]
        g = params["k_growth"][:, None, None]
        d = params["k_decline"][:, None, None]
        k = params["k_water"][:, None, None]
        frac = t / 40.0
        data = {
            # early years driven by k_growth, late years by k_decline
            "co2_emissions": 100.0 * w * ((1 - frac) * (1 + g) + frac * (1 + d)) * np.exp(-0.02 * t),
            "water_use": w * (k + 0.1 * g) * np.ones_like(t),
            "gdp": w * np.exp(g * t / 10),
            "population": w * (1 + 0 * g) * np.ones_like(t),
        }
        ds = xr.Dataset(
            {o: (("sample", "time", "Region"), np.broadcast_to(data[o], (n, TIME.size, 3)).copy())
             for o in outputs},
            coords={"time": TIME, "Region": REGIONS},
        )
        return ds


def fake_compile(path):
    return FakeCompiled()


class FakeRegistry:
    """Mimics sim.levers: levers() and parameters() return attribute objects."""

    def levers(self):
        return [
            SimpleNamespace(name="growth_lever", constant="k_growth", units="1/yr", low=0.0,
                            high=1.0, default=0.5, strategy="economy", help_en="growth"),
            SimpleNamespace(name="decline_lever", constant="k_decline", units="1/yr", low=0.0,
                            high=1.0, default=0.2, strategy="energy", help_en="decline"),
        ]

    def parameters(self):
        return [
            SimpleNamespace(name="water_intensity", constant="k_water", units="m3", low=0.5,
                            high=1.5, default=1.0, strategy="water", help_en="water"),
        ]


class BadRegistry(FakeRegistry):
    def parameters(self):
        return [SimpleNamespace(name="water_intensity", constant="k_water", units="m3", low=2.0,
                                high=1.0, default=1.0, strategy="water", help_en="")]


class FakeCompiledWithBackend(FakeCompiled):
    """Like FakeCompiled but with the real engine's ``backend=`` switch; insists on a pinned one."""

    def run(self, params, n, outputs, backend=None):
        if backend not in ("numpy", "numba"):
            raise AssertionError(f"backend must be pinned, got {backend!r}")
        return super().run(params, n, outputs)


def fake_compile_with_backend(path):
    return FakeCompiledWithBackend()
