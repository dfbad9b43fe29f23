"""Property tests: random lever settings and uncertain-parameter sets within their ranges
(sim.levers.levers() / parameters()) never produce NaN/inf or negative stocks, conserve land and
close the water balances."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from sim import engine, levers
from sim.model import DEFAULT_MODEL

pytestmark = pytest.mark.slow  # 55 hypothesis runs of the full model

# The land stocks that partition each region (reserve cultivable land is a pool of potential
# reclamation, not a land cover of its own, so it is not in the partition).
LAND_PARTITION = ["cultivated_land_kha", "natural_oasis_kha", "transition_zone_kha", "desert_kha", "built_up_land_kha",
                  "desertified_land_kha"]
LAND = LAND_PARTITION + ["reserve_cultivable_land_kha"]
STOCKS = LAND + ["groundwater_storage_1e8m3", "well_capacity_1e8m3_per_yr", "ebinur_lake_volume_1e8m3", "manas_lake_volume_1e8m3",
                 "population_10k", "heavy_industry_va_1e8yuan", "other_industry_va_1e8yuan", "tertiary_va_1e8yuan",
                 "land_productivity_index", "energy_intensity_index", "industrial_water_intensity_index"]


def _lever_strategy(lv):
    if lv.kind == "switch":
        return st.sampled_from([0.0, 1.0])
    if lv.kind == "year":
        return st.integers(int(lv.low), int(lv.high)).map(float)
    return st.floats(lv.low, lv.high, allow_nan=False, allow_infinity=False)


LEVERS = st.fixed_dictionaries({lv.name: _lever_strategy(lv) for lv in levers.levers()})
PARAMETERS = st.fixed_dictionaries({p.name: st.floats(p.low, p.high, allow_nan=False, allow_infinity=False)
                                    for p in levers.parameters(DEFAULT_MODEL)})


def _model():
    return engine.compile(DEFAULT_MODEL)


def _check_structure(ds):
    for name, da in ds.data_vars.items():
        assert np.isfinite(da.values).all(), f"non-finite values in {name}"
    for name in STOCKS:
        # a drained stock is a difference of flows of O(100) per year, exact to ~1e-12 in absolute
        # terms; -1e-9 (1 m2 of land, 0.1 m3 of water) separates rounding from a real overdraw
        assert (ds[name].values >= -1e-9).all(), f"negative {name}: min {ds[name].values.min():g}"
    # land conservation computed here from the stocks, not read from the model's own check variable:
    # the partition sums to the region area, and that sum does not drift over time
    total = sum(ds[name] for name in LAND_PARTITION)
    area = ds["region_area_kha"]
    assert (abs(total - area) <= 1e-6 * area).all(), "land stocks do not sum to the region area"
    assert (abs(total - total.isel(time=0)) <= 1e-6 * area).all(), "total land area drifts over time"
    lhs = ds.surface_inflow_1e8m3_per_yr + ds.transfer_inflow_1e8m3_per_yr + ds.groundwater_spring_discharge_1e8m3_per_yr
    rhs = ds.river_seepage_recharge_1e8m3_per_yr + ds.surface_water_withdrawal_1e8m3_per_yr + ds.surface_outflow_1e8m3_per_yr
    assert (abs(lhs - rhs) <= 1e-9 * (abs(lhs) + 1)).all(), "surface water balance does not close"


@settings(max_examples=30)
@given(values=LEVERS)
def test_random_levers(values):
    ds = _model().run(values)
    _check_structure(ds)


@settings(max_examples=25)
@given(values=PARAMETERS, lever_values=LEVERS)
def test_random_parameters_and_levers(values, lever_values):
    ds = _model().run({**lever_values, **values})
    _check_structure(ds)


GW = ["groundwater_storage_1e8m3", "groundwater_recharge_1e8m3_per_yr", "groundwater_pumping_1e8m3_per_yr",
      "groundwater_natural_discharge_1e8m3_per_yr", "ebinur_lake_volume_1e8m3", "ebinur_lake_inflow_1e8m3_per_yr",
      "ebinur_lake_evaporation_1e8m3_per_yr", "manas_lake_volume_1e8m3", "manas_lake_inflow_1e8m3_per_yr",
      "manas_lake_evaporation_1e8m3_per_yr", "ebinur_lake_overflow_1e8m3_per_yr", "manas_lake_overflow_1e8m3_per_yr"]


@settings(max_examples=25)
@given(values=PARAMETERS, lever_values=LEVERS)
def test_groundwater_and_lake_balances_close(values, lever_values):
    """With TIME STEP = SAVEPER = 1 every saved step is one Euler step: dS = (in - out) * 1."""
    ds = _model().run({**lever_values, **values}, outputs=GW, time_step=1).isel(sample=0)

    def close(stock, net):
        d = stock.diff("time").values
        f = net.isel(time=slice(0, -1)).values
        scale = np.abs(stock.values).max() + 1
        assert np.allclose(d, f, rtol=1e-9, atol=1e-9 * scale), f"{stock.name}: balance does not close"

    close(ds.groundwater_storage_1e8m3, ds.groundwater_recharge_1e8m3_per_yr - ds.groundwater_pumping_1e8m3_per_yr
          - ds.groundwater_natural_discharge_1e8m3_per_yr)
    close(ds.ebinur_lake_volume_1e8m3, ds.ebinur_lake_inflow_1e8m3_per_yr - ds.ebinur_lake_evaporation_1e8m3_per_yr
          - ds.ebinur_lake_overflow_1e8m3_per_yr)
    close(ds.manas_lake_volume_1e8m3, ds.manas_lake_inflow_1e8m3_per_yr - ds.manas_lake_evaporation_1e8m3_per_yr
          - ds.manas_lake_overflow_1e8m3_per_yr)


def test_regression_cases_stay_finite():
    """Settings that once broke the model (tests/robustness/cases/*.json, with the defect they found)."""
    import json
    from pathlib import Path

    cases = sorted((Path(__file__).parent / "cases").glob("*.json"))
    assert cases
    for path in cases:
        case = json.loads(path.read_text(encoding="utf-8"))
        for time_step in (1, None):
            ds = _model().run({**case["levers"], **case["parameters"]}, time_step=time_step)
            _check_structure(ds)
