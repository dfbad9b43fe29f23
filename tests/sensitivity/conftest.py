"""Fixtures for the sensitivity tests.

``sens_helpers`` (next to this file) holds everything that must be importable
by worker processes (spawned pools, Dask workers): test functions, a fake
batched engine and a fake factor registry.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
# Worker processes inherit sys.path; make both the repo and the helpers importable.
for p in (str(ROOT), str(HERE)):
    if p not in sys.path:
        sys.path.insert(0, p)

import sens_helpers  # noqa: E402

from sim.sensitivity import Factor  # noqa: E402


@pytest.fixture(autouse=True)
def _no_repo_calibration(monkeypatch):
    """Jobs default to the calibrated parameters; keep tests independent of calibration/ state."""
    monkeypatch.setenv("OASIS_SD_CALIBRATED", "none")


@pytest.fixture
def ishigami_factors():
    return [Factor(f"x{i + 1}", f"x{i + 1}", -np.pi, np.pi) for i in range(3)]


@pytest.fixture
def registry():
    return sens_helpers.FakeRegistry()


@pytest.fixture
def fake_model(tmp_path):
    """A model path that exists (the fake engine ignores its content)."""
    p = tmp_path / "fake.mdl"
    p.write_text("{fake model}\n")
    return p


@pytest.fixture
def helpers():
    return sens_helpers
