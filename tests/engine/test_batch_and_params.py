"""Batching is exact, parameter formats behave, outputs are restricted."""
import numpy as np
import pandas as pd
import pytest
import xarray as xr
from eng_canon import FIXTURES
from eng_refcache import random_draws

from sim import engine

MINI = FIXTURES / "engine" / "oasis_mini.mdl"


@pytest.fixture(scope="module")
def mini():
    return engine.compile(MINI)


def test_batch_equals_single_runs(mini):
    n = 6
    params = random_draws(mini, n=n, seed=3)
    batch = mini.run(params)
    for i in range(n):
        single = mini.run({k: v[i] for k, v in params.items()})
        for name in batch.data_vars:
            a = batch[name].isel(sample=i).values
            b = single[name].isel(sample=0).values
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=0,
                                       err_msg=name)


def test_chunked_threaded_batch_equals_unchunked(mini, monkeypatch):
    from sim.engine import runtime
    params = random_draws(mini, n=10, seed=5)
    whole = mini.run(params, outputs=["area", "total demand", "stress"])
    monkeypatch.setattr(runtime, "CHUNK", 3)
    monkeypatch.setattr(runtime, "THREADS", 2)
    chunked = mini.run(params, outputs=["area", "total demand", "stress"])
    for name in whole.data_vars:
        np.testing.assert_array_equal(whole[name].values,
                                      chunked[name].values)


def test_outputs_restrict_dataset(mini):
    ds = mini.run(outputs=["Area", "total_demand"])
    assert set(ds.data_vars) == {"area", "total_demand"}
    assert ds["area"].dims == ("sample", "time", "Region")
    assert ds["total_demand"].dims == ("sample", "time")
    assert ds.sizes["time"] == 51
    full = mini.run()
    np.testing.assert_array_equal(ds["area"].values, full["area"].values)


def test_param_shapes(mini):
    shape = (5,)
    base = mini.run(outputs=["area"])["area"].values
    # scalar broadcast to every region
    a = mini.run({"growth rate": 0.02}, outputs=["area"])
    assert a.sizes["sample"] == 1
    # per-sample scalars
    b = mini.run({"growth rate": [0.01, 0.02, 0.03]}, outputs=["area"])
    assert b.sizes["sample"] == 3
    np.testing.assert_array_equal(b["area"].values[1], a["area"].values[0])
    # per-element values (n inferred = 1)
    c = mini.run({"growth rate": np.full(shape, 0.02)}, outputs=["area"])
    np.testing.assert_array_equal(c["area"].values, a["area"].values)
    # (n, *dims)
    d = mini.run({"growth rate": np.full((2,) + shape, 0.02)},
                 outputs=["area"])
    np.testing.assert_array_equal(d["area"].values[1], a["area"].values[0])
    # DataArray with sample dim only
    e = mini.run({"growth rate": xr.DataArray([0.01, 0.02, 0.03],
                                              dims=["sample"])},
                 outputs=["area"])
    np.testing.assert_array_equal(e["area"].values, b["area"].values)
    # DataArray with reordered coords
    regions = mini.subscripts["Region"]
    gr = np.asarray(mini.variables["growth_rate"].default)[0]
    da = xr.DataArray(gr[::-1], dims=["Region"],
                      coords={"Region": regions[::-1]})
    f = mini.run({"growth_rate": da}, outputs=["area"])
    np.testing.assert_array_equal(f["area"].values, base)
    # n given explicitly with scalar params
    g = mini.run({"growth rate": 0.02}, n=4, outputs=["area"])
    assert g.sizes["sample"] == 4
    # time series parameter
    h = mini.run({"saving target": pd.Series([0.3, 0.3], index=[1990, 2100])},
                 outputs=["area"])
    np.testing.assert_allclose(h["area"].values, base, rtol=1e-12)


def test_time_step_and_final_time_overrides(mini):
    ds = mini.run(outputs=["area"], time_step=0.5, final_time=2010)
    assert list(ds.time.values) == [float(y) for y in range(2000, 2011)]


def test_unknown_parameter_suggests_names(mini):
    with pytest.raises(KeyError) as err:
        mini.run({"growth rat": 0.1})
    msg = str(err.value)
    assert "growth rat" in msg and "growth_rate" in msg
    assert isinstance(err.value, engine.UnknownParameterError)
    assert "growth_rate" in err.value.suggestions


def test_unknown_output_suggests_names(mini):
    with pytest.raises(engine.UnknownParameterError, match="total_demand"):
        mini.run(outputs=["total demnd"])


def test_wrong_shape_is_rejected(mini):
    with pytest.raises(engine.ParameterShapeError, match="growth_rate"):
        mini.run({"growth rate": np.ones((3, 4))})
    with pytest.raises(engine.ParameterShapeError, match="Region"):
        mini.run({"growth rate": xr.DataArray(np.ones(3), dims=["Region"])})
    with pytest.raises(engine.ParameterShapeError, match="sample counts"):
        mini.run({"growth rate": [0.1, 0.2], "saving target": [1, 2, 3]})
    with pytest.raises(engine.ParameterShapeError, match="n=5"):
        mini.run({"growth rate": [0.1, 0.2]}, n=5)


def test_only_constants_are_parameters(mini):
    with pytest.raises(engine.ParameterShapeError, match="stock"):
        mini.run({"area": 5})
