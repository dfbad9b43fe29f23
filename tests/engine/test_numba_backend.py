"""The fused numba kernel gives the same numbers as the numpy backend
(skipped when numba is not installed; compiling the kernel of the small
test model takes a little while the first time, then numba's disk cache is
used)."""
import numpy as np
import pandas as pd
import pytest

pytest.importorskip("numba")

from eng_canon import FIXTURES  # noqa: E402
from eng_refcache import random_draws  # noqa: E402

from sim import engine  # noqa: E402

MINI = FIXTURES / "engine" / "oasis_mini.mdl"


@pytest.fixture(scope="module")
def mini():
    return engine.compile(MINI)


def _same(a, b):
    for name in a.data_vars:
        np.testing.assert_allclose(a[name].values, b[name].values,
                                   rtol=1e-12, atol=1e-300, err_msg=name)


def test_numba_equals_numpy(mini):
    params = random_draws(mini, n=40, seed=9)
    _same(mini.run(params, backend="numpy"),
          mini.run(params, backend="numba"))


def test_numba_time_series_and_outputs(mini):
    params = {"saving target": pd.Series([0.1, 0.5], index=[2000, 2050]),
              "growth rate": np.linspace(0.0, 0.03, 70)}
    outs = ["area", "total demand", "stress trend"]
    a = mini.run(params, outputs=outs, backend="numpy")
    b = mini.run(params, outputs=outs, backend="numba")
    assert set(b.data_vars) == {"area", "total_demand", "stress_trend"}
    _same(a, b)


def test_auto_uses_compiled_kernel(mini):
    from sim.engine import nbbackend
    mini.run(n=2, backend="numba", outputs=["area"])
    assert nbbackend.is_ready(mini.ir)
    params = random_draws(mini, n=nbbackend.NB_MIN_SAMPLES, seed=1)
    _same(mini.run(params, backend="numpy"), mini.run(params))
