"""Engine vs pysd on our own subscripted model (stocks, flows, lookups with
subscripted arguments, SMOOTH/SMOOTHI/SMOOTH3, DELAY1/DELAY3/DELAY FIXED,
INITIAL, SUM/PROD/VMIN/VMAX over ranges and a non-contiguous subrange,
element-by-element definitions, IF THEN ELSE, XIDZ/ZIDZ, RAMP/STEP/PULSE,
MODULO/INTEGER, WITH LOOKUP...), every variable to rel 1e-9."""
import numpy as np
import pandas as pd
import pytest
import xarray as xr
from eng_canon import FIXTURES
from eng_compare import assert_datasets_match
from eng_refcache import random_draws, reference

from sim import engine

MINI = FIXTURES / "engine" / "oasis_mini.mdl"


@pytest.fixture(scope="module")
def mini():
    return engine.compile(MINI)


@pytest.mark.pysd
def test_default_run_matches_pysd(mini):
    assert_datasets_match(mini.run(), reference(MINI, None, "default"),
                          context="oasis_mini default", model=mini)


@pytest.mark.pysd
def test_random_draws_match_pysd(mini):
    params = random_draws(mini, n=8, seed=7)
    ds = mini.run(params)
    assert ds.sizes["sample"] == 8
    ref = reference(MINI, params, "draws8")
    assert_datasets_match(ds, ref, context="oasis_mini draws", model=mini)


@pytest.mark.pysd
def test_param_formats_match_pysd(mini):
    """Per-element arrays, DataArrays and a time series, vs pysd."""
    params = {
        "Growth Rate": np.array([0.03, 0.01, 0.02, 0.02, 0.0]),
        "water_supply": xr.DataArray([35.0, 30, 20, 25, 3], dims=["Region"],
                                     coords={"Region": mini.subscripts[
                                         "Region"]}),
        "saving target": pd.Series([0.1, 0.5, 0.2],
                                   index=[2000.0, 2030.0, 2050.0]),
    }
    ds = mini.run(params)
    ref = reference(MINI, params, "formats")
    assert_datasets_match(ds, ref, context="oasis_mini formats", model=mini)


def test_metadata(mini):
    v = mini.variables
    assert v["area"].kind == "stock"
    assert v["expansion"].kind == "flow"
    assert v["base_area"].kind == "constant"
    assert v["water_stress_effect_f"].kind == "lookup"
    assert v["demand"].kind == "aux"
    assert v["area"].dims == ("Region",)
    assert v["area"].units == "kha"
    assert v["area"].original_name == "area"
    assert "Cultivated area" in v["area"].documentation
    assert set(v["area"].dependencies) >= {"expansion", "abandonment",
                                           "base_area"}
    assert mini.subscripts["Belt"] == ["north", "south", "west"]
    assert mini.time.initial == 2000 and mini.time.final == 2050
    assert mini.time.time_step == 0.25 and mini.time.saveper == 1
    assert len(mini.model_hash) >= 16
