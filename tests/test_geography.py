"""sim.geography: regions and subranges come from the model; one aggregation; NaN for x/0."""
import numpy as np
import pytest
import xarray as xr

from sim import geography
from sim.errors import UnknownNameError


def test_read_from_the_model():
    geo = geography.of_model()
    assert geo.dim == geography.REGION_DIM == "Region"
    assert set(geography.SUBRANGES) == {"Belt", "Core"}
    assert set(geography.SUBRANGES["Core"]) < set(geography.SUBRANGES["Belt"]) < set(geography.REGIONS)
    g = geography.GEOGRAPHIES
    assert list(g)[:3] == ["belt", "core", geography.WHOLE]
    assert g[geography.WHOLE] == geography.REGIONS and all(g[r] == [r] for r in geography.REGIONS)


def test_region_dimension_is_the_range_with_subranges():
    geo = geography._from_subscripts({"Sector": ["a", "b"], "R": ["x", "y", "z"], "S": ["x", "y"], "T": ["x"]})
    assert geo.dim == "R" and set(geo.subranges) == {"S", "T"}
    with pytest.raises(ValueError):
        geography._from_subscripts({"A": ["a", "b"]})


def test_aggregation_and_ratio_rule():
    dim = geography.REGION_DIM
    regs = geography.REGIONS
    da = xr.DataArray(np.arange(len(regs), dtype=float), dims=[dim], coords={dim: regs})
    core = geography.SUBRANGES["Core"]
    assert float(geography.total(da, None, "core")) == sum(regs.index(r) for r in core)
    assert float(geography.reduce(da, "belt", "max")) == max(regs.index(r) for r in geography.SUBRANGES["Belt"])
    assert float(geography.total(da, None, ["urumqi_changji"])) == 0.0
    scalar = xr.DataArray([1.0, 2.0], dims=["time"])
    assert geography.total(scalar, None, "core") is scalar  # no region dim: passes through
    with pytest.raises(UnknownNameError):
        geography.regions_of("atlantis")
    # the one zero-denominator rule: NaN, for numpy and xarray alike
    assert np.isnan(geography.ratio(np.array([1.0, 2.0]), np.array([0.0, 4.0]))[0])
    assert geography.ratio(np.array([1.0, 2.0]), np.array([0.0, 4.0]))[1] == 0.5
    r = geography.ratio(xr.DataArray([1.0, 2.0]), xr.DataArray([0.0, 4.0]))
    assert np.isnan(r.values[0]) and r.values[1] == 0.5


def test_indicator_ratio_over_zero_is_nan():
    from sim import indicators

    dim = geography.REGION_DIM
    regs = geography.REGIONS
    z = np.zeros((1, 2, len(regs)))
    ds = xr.Dataset({"tertiary_va_1e8yuan": (("sample", "time", dim), z + 1), "gdp_1e8yuan": (("sample", "time", dim), z)},
                    coords={dim: regs, "time": [2020.0, 2021.0]})
    assert np.isnan(indicators.indicator(ds, "tertiary_share", "belt").values).all()
