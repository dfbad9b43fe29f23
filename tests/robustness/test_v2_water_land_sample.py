"""Space-filling robustness check of the water and land block (model v2, issue 12).

One batched engine run over a scrambled Latin hypercube of 1,024 points spanning every lever range
(sim.levers.levers()) and every documented uncertain-parameter range (sim.levers.parameters()):
no negative stock, cultivated land never above the region area (nor above area minus the other
land classes), lakes within their documented maximum, fresh-water use never above supply.
Replaces the one-at-a-time blind spot (corner combinations drove desert_kha to -2,639 kha before).
"""
import numpy as np
import pytest
from scipy.stats import qmc

from sim import engine, levers
from sim.model import DEFAULT_MODEL

N = 1024
STOCKS = ["cultivated_land_kha", "natural_oasis_kha", "transition_zone_kha", "desertified_land_kha",
          "desert_kha", "built_up_land_kha", "reserve_cultivable_land_kha", "groundwater_storage_1e8m3",
          "well_capacity_1e8m3_per_yr", "ebinur_lake_volume_1e8m3", "manas_lake_volume_1e8m3"]
OUTPUTS = STOCKS + ["region_area_kha", "land_area_balance_kha", "ebinur_lake_area_km2", "manas_lake_area_km2",
                    "fresh_water_use_1e8m3_per_yr", "water_supply_limit_1e8m3_per_yr",
                    "surface_water_withdrawal_1e8m3_per_yr", "surface_water_available_1e8m3_per_yr",
                    "groundwater_pumping_1e8m3_per_yr", "groundwater_pumping_capacity_1e8m3_per_yr",
                    "agricultural_water_supply_ratio", "industrial_water_supply_ratio"]


def _sample(seed=12):
    dims = [(lv.name, lv.low, lv.high, lv.kind) for lv in levers.levers()]
    dims += [(p.name, p.low, p.high, "continuous") for p in levers.parameters(DEFAULT_MODEL)]
    u = qmc.LatinHypercube(d=len(dims), scramble=True, seed=seed).random(N)
    params = {}
    for j, (name, low, high, kind) in enumerate(dims):
        x = low + u[:, j] * (high - low)
        if kind == "switch":
            x = (u[:, j] >= 0.5).astype(float)
        elif kind == "year" or name == "total_water_cap_mode":
            x = np.floor(low + u[:, j] * (high - low + 1)).clip(low, high)
        params[name] = x
    return params


@pytest.fixture(scope="module")
def sample_run():
    params = _sample()
    return params, engine.compile(DEFAULT_MODEL).run(params, n=N, outputs=OUTPUTS)


def test_no_negative_stock(sample_run):
    _, ds = sample_run
    for name in STOCKS:
        v = ds[name].values
        assert np.isfinite(v).all(), name
        # tolerance: 1e-9 of the stock's own magnitude (differences of flows, rounding only)
        tol = 1e-9 * (np.abs(v).max() + 1)
        assert v.min() >= -tol, f"{name} negative: {v.min():g}"


def test_cultivated_land_within_available_area(sample_run):
    _, ds = sample_run
    area = ds["region_area_kha"]
    assert (ds["cultivated_land_kha"] <= area * (1 + 1e-12)).all()
    others = sum(ds[v] for v in ("natural_oasis_kha", "transition_zone_kha", "desertified_land_kha",
                                 "desert_kha", "built_up_land_kha"))
    # cultivated land never exceeds what the other land classes leave (area conserved)
    assert (ds["cultivated_land_kha"] <= area - others + 1e-9 * area).all()
    assert (np.abs(ds["land_area_balance_kha"]) <= 1e-9 * area).all()


def test_lakes_within_bounds(sample_run):
    _, ds = sample_run
    assert float(ds["ebinur_lake_area_km2"].max()) <= 1300 * (1 + 1e-12)
    assert float(ds["manas_lake_area_km2"].max()) <= 550 * (1 + 1e-12)
    assert float(ds["ebinur_lake_area_km2"].min()) >= 0


def test_water_use_never_above_supply(sample_run):
    _, ds = sample_run
    supply = ds["water_supply_limit_1e8m3_per_yr"]
    tol = 1e-9 * (np.abs(supply) + 1)
    assert (ds["fresh_water_use_1e8m3_per_yr"] <= supply + tol).all()
    surf = ds["surface_water_available_1e8m3_per_yr"]
    assert (ds["surface_water_withdrawal_1e8m3_per_yr"] <= surf + 1e-9 * (np.abs(surf) + 1)).all()
    assert (ds["surface_water_withdrawal_1e8m3_per_yr"] >= -1e-9 * (np.abs(surf) + 1)).all()
    cap = ds["groundwater_pumping_capacity_1e8m3_per_yr"]
    assert (ds["groundwater_pumping_1e8m3_per_yr"] <= cap + 1e-9 * (np.abs(cap) + 1)).all()
    for ratio in ("agricultural_water_supply_ratio", "industrial_water_supply_ratio"):
        r = ds[ratio].values
        assert r.min() >= -1e-9 and r.max() <= 1 + 1e-9, ratio
